import { decodeBase64, encodeBase64 } from "../util/base64";
import { toHex, utf8 } from "./vectors/hex";

// RFC 4648 §10 test vectors.
const PLAIN: string[] = ["", "f", "fo", "foo", "foob", "fooba", "foobar"];
const STD: string[] = ["", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"];
const URL: string[] = ["", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"];

describe("decodeBase64", () => {
  it("decodes the RFC 4648 §10 vectors in both alphabets", () => {
    for (let i = 0; i < PLAIN.length; i++) {
      expect(toHex(decodeBase64(STD[i], false))).toBe(toHex(utf8(PLAIN[i])));
      expect(toHex(decodeBase64(URL[i], true))).toBe(toHex(utf8(PLAIN[i])));
    }
  });
  it("inverts encodeBase64 for every byte value and length 0..66", () => {
    for (let n = 0; n <= 66; n++) {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = <u8>(i * 53 + n * 7 + 255);
      expect(toHex(decodeBase64(encodeBase64(b, true), true))).toBe(toHex(b));
      expect(toHex(decodeBase64(encodeBase64(b, false), false))).toBe(toHex(b));
    }
    const all = new Uint8Array(256);
    for (let i = 0; i < 256; i++) all[i] = <u8>i;
    expect(toHex(decodeBase64(encodeBase64(all, true), true))).toBe(toHex(all));
    expect(toHex(decodeBase64(encodeBase64(all, false), false))).toBe(toHex(all));
  });
  it("maps all 64 values to the §4 and §5 alphabets, both ways", () => {
    // 48 bytes packing the 6-bit values 0, 1, ..., 63 in order encode to the alphabet itself.
    const packed = new Uint8Array(48);
    for (let v = 0; v < 64; v++) {
      const bit = v * 6;
      for (let k = 0; k < 6; k++) {
        if ((v >> (5 - k)) & 1) packed[(bit + k) >> 3] = packed[(bit + k) >> 3] | <u8>(<i32>0x80 >> ((bit + k) & 7));
      }
    }
    const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    expect(encodeBase64(packed, false)).toBe(alpha + "+/");
    expect(encodeBase64(packed, true)).toBe(alpha + "-_");
    expect(toHex(decodeBase64(alpha + "+/", false))).toBe(toHex(packed));
    expect(toHex(decodeBase64(alpha + "-_", true))).toBe(toHex(packed));
  });
  it("rejects malformed input with null (table)", () => {
    const urlBad: string[] = [
      "Zg==", // padding is not part of the unpadded §5 form
      "Z", "Zm9vY", // a lone final character encodes no whole byte
      "Zh", "Zm9", // non-zero trailing bits (non-canonical spelling of "f" / "fo")
      "Zm+v", "Zm/v", "Zm9v\n", " Zm9v", "Zm.v", "Zm\u00e9v", "Zm\u0000v", // outside the alphabet
    ];
    for (let i = 0; i < urlBad.length; i++) expect(decodeBase64(urlBad[i], true)).toBeNull();
    const stdBad: string[] = [
      "Zg", "Zg=", "Zm8", // unpadded or short padding
      "Zg===", "====", "=Zg=", "Z=g=", // padding in the wrong place or too much
      "Zh==", "Zm9=", // non-zero trailing bits
      "Zm-v", "Zm_v", "Zm9v\r\n", // outside the alphabet
    ];
    for (let i = 0; i < stdBad.length; i++) expect(decodeBase64(stdBad[i], false)).toBeNull();
  });
});
