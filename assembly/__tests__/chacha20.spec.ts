import { chacha20Block, chacha20Xor, hchacha20 } from "../crypto/chacha20";
import { xchacha20Xor } from "../crypto/aead";
import { BLOCK_VECTORS, ENCRYPT_VECTORS, KEYGEN_VECTORS } from "./vectors/rfc8439";
import { HCHACHA_KEY, HCHACHA_NONCE, HCHACHA_SUBKEY, XCHACHA0_CT, XCHACHA0_KEY, XCHACHA0_NONCE, XCHACHA0_PT,
  XCHACHA1_CT, XCHACHA1_KEY, XCHACHA1_NONCE, XCHACHA1_PT } from "./vectors/xchacha";
import { fromHex, toHex } from "./vectors/hex";

describe("ChaCha20 (RFC 8439)", () => {
  it("block function: §2.3.2 and A.1 #1-#5", () => {
    expect(BLOCK_VECTORS.length).toBe(6);
    for (let i = 0; i < BLOCK_VECTORS.length; i++) {
      const v = BLOCK_VECTORS[i];
      expect(v.name + " " + toHex(chacha20Block(fromHex(v.key), v.counter, fromHex(v.nonce)))).toBe(v.name + " " + v.out);
    }
  });
  it("encryption: §2.4.2 and A.2 #1-#3, and decryption is the same operation", () => {
    expect(ENCRYPT_VECTORS.length).toBe(4);
    for (let i = 0; i < ENCRYPT_VECTORS.length; i++) {
      const v = ENCRYPT_VECTORS[i];
      const key = fromHex(v.key);
      const nonce = fromHex(v.nonce);
      expect(v.name + " " + toHex(chacha20Xor(key, v.counter, nonce, fromHex(v.input)))).toBe(v.name + " " + v.out);
      expect(v.name + " " + toHex(chacha20Xor(key, v.counter, nonce, fromHex(v.out)))).toBe(v.name + " " + v.input);
    }
  });
  it("Poly1305 key generation: §2.6.2 and A.4 #1-#3 (first 32 bytes of block 0)", () => {
    expect(KEYGEN_VECTORS.length).toBe(4);
    for (let i = 0; i < KEYGEN_VECTORS.length; i++) {
      const v = KEYGEN_VECTORS[i];
      const block = chacha20Block(fromHex(v.key), 0, fromHex(v.nonce))!;
      expect(v.name + " " + toHex(block.subarray(0, 32))).toBe(v.name + " " + v.otk);
    }
  });
  it("encrypts the empty message to the empty message", () => {
    expect(toHex(chacha20Xor(new Uint8Array(32), 0, new Uint8Array(12), new Uint8Array(0)))).toBe("");
  });
  it("returns null for a wrong key or nonce length and for a block counter overflow", () => {
    expect(chacha20Block(new Uint8Array(31), 0, new Uint8Array(12))).toBeNull();
    expect(chacha20Block(new Uint8Array(32), 0, new Uint8Array(8))).toBeNull();
    expect(chacha20Xor(new Uint8Array(33), 0, new Uint8Array(12), new Uint8Array(1))).toBeNull();
    expect(chacha20Xor(new Uint8Array(32), 0, new Uint8Array(24), new Uint8Array(1))).toBeNull();
    // Counter 2^32 - 1 has room for exactly one block.
    expect(chacha20Xor(new Uint8Array(32), 0xffffffff, new Uint8Array(12), new Uint8Array(64))).not.toBeNull();
    expect(chacha20Xor(new Uint8Array(32), 0xffffffff, new Uint8Array(12), new Uint8Array(65))).toBeNull();
  });
});

describe("HChaCha20 and XChaCha20 (draft-irtf-cfrg-xchacha-03)", () => {
  it("HChaCha20: §2.2.1", () => {
    expect(toHex(hchacha20(fromHex(HCHACHA_KEY), fromHex(HCHACHA_NONCE)))).toBe(HCHACHA_SUBKEY);
  });
  it("XChaCha20: A.3.2.1 (counter 0) and A.3.2.2 (counter 1)", () => {
    expect(toHex(xchacha20Xor(fromHex(XCHACHA0_KEY), fromHex(XCHACHA0_NONCE), 0, fromHex(XCHACHA0_PT)))).toBe(XCHACHA0_CT);
    expect(toHex(xchacha20Xor(fromHex(XCHACHA1_KEY), fromHex(XCHACHA1_NONCE), 1, fromHex(XCHACHA1_PT)))).toBe(XCHACHA1_CT);
  });
  it("returns null for a wrong key or nonce length", () => {
    expect(hchacha20(new Uint8Array(32), new Uint8Array(12))).toBeNull();
    expect(hchacha20(new Uint8Array(16), new Uint8Array(16))).toBeNull();
    expect(xchacha20Xor(new Uint8Array(32), new Uint8Array(12), 0, new Uint8Array(1))).toBeNull();
  });
});
