import { hmacSha256, sha256, Sha256 } from "../crypto/sha256";
import { fromHex, repeat, toHex, utf8 } from "./vectors/hex";

// FIPS 180-4 examples (NIST CSRC "Examples with Intermediate Values", SHA-256).
const ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const TWO_BLOCK = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
const MILLION_A = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
const EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

describe("SHA-256 (FIPS 180-4)", () => {
  it("hashes the one-block example \"abc\"", () => {
    expect(toHex(sha256(utf8("abc")))).toBe(ABC);
  });
  it("hashes the 448-bit two-block example", () => {
    expect(toHex(sha256(utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe(TWO_BLOCK);
  });
  it("hashes the empty message", () => {
    expect(toHex(sha256(new Uint8Array(0)))).toBe(EMPTY);
  });
  it("hashes a million 'a' in one call and in uneven chunks", () => {
    const a = repeat(0x61, 1000000);
    expect(toHex(sha256(a))).toBe(MILLION_A);
    const h = new Sha256();
    for (let off = 0; off < a.length; off += 997) h.update(a.subarray(off, min(off + 997, a.length)));
    expect(toHex(h.digest())).toBe(MILLION_A);
  });
  it("gives the same digest for every split of a message into two updates", () => {
    // Covers the buffered partial-block path (lengths around 55/56/64 bytes included).
    const msg = new Uint8Array(150);
    for (let i = 0; i < msg.length; i++) msg[i] = <u8>(i * 7 + 3);
    for (let len = 0; len <= msg.length; len += 1) {
      const m = msg.subarray(0, len);
      const one = toHex(sha256(m));
      for (let cut = 0; cut <= len; cut += 1 + (len >> 3)) {
        expect(toHex(new Sha256().update(m.subarray(0, cut)).update(m.subarray(cut)).digest())).toBe(one);
      }
    }
  });
  it("starts over after reset", () => {
    const h = new Sha256();
    h.update(utf8("junk")).digest();
    expect(toHex(h.reset().update(utf8("abc")).digest())).toBe(ABC);
  });
});

/** One RFC 4231 §4 test case. */
class HmacCase {
  constructor(public name: string, public key: Uint8Array, public data: Uint8Array, public mac: string) {}
}

function hmacCases(): HmacCase[] {
  const k25 = new Uint8Array(25);
  for (let i = 0; i < 25; i++) k25[i] = <u8>(i + 1);
  return [
    new HmacCase("4.2", repeat(0x0b, 20), utf8("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    new HmacCase("4.3", utf8("Jefe"), utf8("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    new HmacCase("4.4", repeat(0xaa, 20), repeat(0xdd, 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    new HmacCase("4.5", k25, repeat(0xcd, 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    // 4.6 publishes only the first 128 bits (truncation test).
    new HmacCase("4.6", repeat(0x0c, 20), utf8("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b"),
    new HmacCase("4.7", repeat(0xaa, 131), utf8("Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    new HmacCase("4.8", repeat(0xaa, 131),
      utf8("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
  ];
}

describe("HMAC-SHA256 (RFC 4231 test cases 1-7)", () => {
  it("matches every published MAC", () => {
    const cases = hmacCases();
    expect(cases.length).toBe(7);
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i];
      const mac = toHex(hmacSha256(c.key, c.data));
      expect(c.name + " " + mac.substr(0, c.mac.length)).toBe(c.name + " " + c.mac);
    }
  });
  it("accepts an empty key and an empty message", () => {
    // HMAC with an empty key is HMAC with a 64-byte zero key (RFC 2104 §2 pads K with zeros).
    expect(toHex(hmacSha256(new Uint8Array(0), new Uint8Array(0)))).toBe(toHex(hmacSha256(new Uint8Array(64), new Uint8Array(0))));
    expect(toHex(hmacSha256(fromHex("00"), utf8("x")))).not.toBe(toHex(hmacSha256(fromHex("01"), utf8("x"))));
  });
});
