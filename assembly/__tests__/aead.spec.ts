import { chacha20Poly1305Open, chacha20Poly1305Seal, constantTimeEqual, xchacha20Poly1305Open, xchacha20Poly1305Seal } from "../crypto/aead";
import { AEAD_VECTORS } from "./vectors/rfc8439";
import { XAEAD_AAD, XAEAD_CT, XAEAD_KEY, XAEAD_NONCE, XAEAD_PT, XAEAD_TAG } from "./vectors/xchacha";
import { fromHex, toHex } from "./vectors/hex";

// The A.3.1 vector, the baseline every malformed input below is derived from.
const key = fromHex(XAEAD_KEY);
const nonce = fromHex(XAEAD_NONCE);
const aad = fromHex(XAEAD_AAD);
const good = fromHex(XAEAD_CT + XAEAD_TAG);

describe("AEAD_CHACHA20_POLY1305 (RFC 8439 §2.8)", () => {
  it("seals §2.8.2 and A.5 to the published ciphertext and tag", () => {
    expect(AEAD_VECTORS.length).toBe(2);
    for (let i = 0; i < AEAD_VECTORS.length; i++) {
      const v = AEAD_VECTORS[i];
      const sealed = chacha20Poly1305Seal(fromHex(v.key), fromHex(v.nonce), fromHex(v.pt), fromHex(v.aad));
      expect(v.name + " " + toHex(sealed)).toBe(v.name + " " + v.ct + v.tag);
    }
  });
  it("opens §2.8.2 and A.5 (the RFC's decryption example) to the published plaintext", () => {
    for (let i = 0; i < AEAD_VECTORS.length; i++) {
      const v = AEAD_VECTORS[i];
      const opened = chacha20Poly1305Open(fromHex(v.key), fromHex(v.nonce), fromHex(v.ct + v.tag), fromHex(v.aad));
      expect(v.name + " " + toHex(opened)).toBe(v.name + " " + v.pt);
    }
  });
});

describe("AEAD_XChaCha20_Poly1305 (draft-irtf-cfrg-xchacha-03)", () => {
  it("seals and opens A.3.1", () => {
    expect(toHex(xchacha20Poly1305Seal(key, nonce, fromHex(XAEAD_PT), fromHex(XAEAD_AAD)))).toBe(XAEAD_CT + XAEAD_TAG);
    expect(toHex(xchacha20Poly1305Open(key, nonce, fromHex(XAEAD_CT + XAEAD_TAG), fromHex(XAEAD_AAD)))).toBe(XAEAD_PT);
  });
  it("round-trips empty plaintext and empty AAD (the tag alone authenticates)", () => {
    const sealed = xchacha20Poly1305Seal(key, nonce, new Uint8Array(0), new Uint8Array(0))!;
    expect(sealed.length).toBe(16);
    expect(toHex(xchacha20Poly1305Open(key, nonce, sealed, new Uint8Array(0)))).toBe("");
    expect(xchacha20Poly1305Open(key, nonce, sealed, fromHex("00"))).toBeNull();
  });
});

describe("AEAD malformed input: open returns null, never throws", () => {

  it("rejects a flipped bit in every byte of ciphertext and tag", () => {
    for (let i = 0; i < good.length; i++) {
      for (let bit: u8 = 0; bit < 8; bit += 7) {
        const bad = good.slice();
        bad[i] = bad[i] ^ <u8>(1 << bit);
        expect(xchacha20Poly1305Open(key, nonce, bad, aad)).toBeNull();
      }
    }
  });
  it("rejects every truncation, including shorter than a tag and empty", () => {
    for (let n = 0; n < good.length; n++) expect(xchacha20Poly1305Open(key, nonce, good.subarray(0, n), aad)).toBeNull();
  });
  it("rejects an appended byte", () => {
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    expect(xchacha20Poly1305Open(key, nonce, longer, aad)).toBeNull();
  });
  it("rejects the wrong key, nonce or AAD", () => {
    const k2 = key.slice();
    k2[31] = k2[31] ^ 1;
    const n2 = nonce.slice();
    n2[23] = n2[23] ^ 1;
    const n3 = nonce.slice();
    n3[0] = n3[0] ^ 1;
    const a2 = aad.slice();
    a2[0] = a2[0] ^ 1;
    expect(xchacha20Poly1305Open(k2, nonce, good, aad)).toBeNull();
    expect(xchacha20Poly1305Open(key, n2, good, aad)).toBeNull(); // the ChaCha20 half of the nonce
    expect(xchacha20Poly1305Open(key, n3, good, aad)).toBeNull(); // the HChaCha20 half
    expect(xchacha20Poly1305Open(key, nonce, good, a2)).toBeNull();
    expect(xchacha20Poly1305Open(key, nonce, good, new Uint8Array(0))).toBeNull();
  });
  it("rejects keys and nonces of the wrong length (seal and open)", () => {
    expect(xchacha20Poly1305Open(new Uint8Array(0), nonce, good, aad)).toBeNull();
    expect(xchacha20Poly1305Open(key, new Uint8Array(12), good, aad)).toBeNull();
    expect(xchacha20Poly1305Seal(key, new Uint8Array(23), good, aad)).toBeNull();
    expect(chacha20Poly1305Open(key, new Uint8Array(24), good, aad)).toBeNull();
    expect(chacha20Poly1305Seal(new Uint8Array(16), new Uint8Array(12), good, aad)).toBeNull();
    expect(chacha20Poly1305Open(key, new Uint8Array(12), new Uint8Array(0), aad)).toBeNull();
  });
});

describe("constantTimeEqual", () => {
  it("compares length and every byte", () => {
    expect(constantTimeEqual(fromHex("00ff"), fromHex("00ff"))).toBe(true);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(constantTimeEqual(fromHex("00ff"), fromHex("00fe"))).toBe(false);
    expect(constantTimeEqual(fromHex("00ff"), fromHex("80ff"))).toBe(false);
    expect(constantTimeEqual(fromHex("00ff"), fromHex("00ff00"))).toBe(false);
  });
});
