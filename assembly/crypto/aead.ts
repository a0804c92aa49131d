// AEAD_CHACHA20_POLY1305 (RFC 8439 §2.8) and AEAD_XChaCha20_Poly1305
// (draft-irtf-cfrg-xchacha-03 §2). A sealed message is ciphertext || 16-byte tag. Opening
// checks the tag (in constant time) before decrypting anything and returns null on any
// failure — wrong key, nonce, AAD, tag, or a message too short to hold a tag — never throws.
import { chacha20Block, chacha20Xor, hchacha20, CHACHA_KEY_BYTES, CHACHA_NONCE_BYTES } from "./chacha20";
import { Poly1305 } from "./poly1305";

/** XChaCha20 nonce length in bytes. */
// @ts-ignore: decorator
@inline export const XCHACHA_NONCE_BYTES: i32 = 24;
/** Tag length in bytes. */
// @ts-ignore: decorator
@inline export const AEAD_TAG_BYTES: i32 = 16;

/** True when `a` and `b` have equal length and bytes; the time depends only on the length. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false;
  let diff: u32 = 0;
  for (let i = 0; i < a.length; i++) diff |= <u32>(unchecked(a[i]) ^ unchecked(b[i]));
  return diff == 0;
}

/** §2.8's tag: Poly1305 under the one-time key (§2.6) over aad | pad16 | ct | pad16 | len(aad) | len(ct). */
function tagOf(otk: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array {
  const mac = new Poly1305(otk);
  mac.update(aad);
  mac.pad16();
  mac.update(ct);
  mac.pad16();
  const lens = new Uint8Array(16);
  store<u64>(lens.dataStart, <u64>aad.length);
  store<u64>(lens.dataStart + 8, <u64>ct.length);
  mac.update(lens);
  return mac.finish();
}

/** The §2.6 one-time Poly1305 key: the first 32 bytes of block 0. */
function oneTimeKey(key: Uint8Array, nonce: Uint8Array): Uint8Array | null {
  const b = chacha20Block(key, 0, nonce);
  return b === null ? null : b.subarray(0, 32);
}

/** ChaCha20-Poly1305 seal (§2.8): ciphertext || tag, or null on a bad key or nonce length. */
export function chacha20Poly1305Seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array | null {
  const otk = oneTimeKey(key, nonce);
  if (otk === null) return null;
  const ct = chacha20Xor(key, 1, nonce, plaintext);
  if (ct === null) return null;
  const tag = tagOf(otk, aad, ct);
  const out = new Uint8Array(ct.length + AEAD_TAG_BYTES);
  out.set<Uint8Array>(ct);
  out.set<Uint8Array>(tag, ct.length);
  return out;
}

/** ChaCha20-Poly1305 open (§2.8): the plaintext, or null when anything does not authenticate. */
export function chacha20Poly1305Open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  if (sealed.length < AEAD_TAG_BYTES) return null;
  const otk = oneTimeKey(key, nonce);
  if (otk === null) return null;
  const ctLen = sealed.length - AEAD_TAG_BYTES;
  const ct = sealed.subarray(0, ctLen);
  if (!constantTimeEqual(tagOf(otk, aad, ct), sealed.subarray(ctLen))) return null;
  return chacha20Xor(key, 1, nonce, ct);
}

/** An XChaCha20 call reduced to a ChaCha20 one: a subkey and a 12-byte nonce. */
class XParams {
  constructor(public key: Uint8Array, public nonce: Uint8Array) {}
}

/** Draft §2.3: subkey HChaCha20(key, n[0..16]), nonce 0^4 || n[16..24]; null on a bad length. */
function xparams(key: Uint8Array, nonce24: Uint8Array): XParams | null {
  if (key.length != CHACHA_KEY_BYTES || nonce24.length != XCHACHA_NONCE_BYTES) return null;
  const sub = hchacha20(key, nonce24.subarray(0, 16));
  if (sub === null) return null;
  const n = new Uint8Array(CHACHA_NONCE_BYTES);
  n.set<Uint8Array>(nonce24.subarray(16), 4);
  return new XParams(sub, n);
}

/** XChaCha20-Poly1305 seal: ciphertext || tag, or null on a bad key or nonce length. */
export function xchacha20Poly1305Seal(key: Uint8Array, nonce24: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array | null {
  const x = xparams(key, nonce24);
  return x === null ? null : chacha20Poly1305Seal(x.key, x.nonce, plaintext, aad);
}

/** XChaCha20-Poly1305 open: the plaintext, or null when anything does not authenticate. */
export function xchacha20Poly1305Open(key: Uint8Array, nonce24: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  const x = xparams(key, nonce24);
  return x === null ? null : chacha20Poly1305Open(x.key, x.nonce, sealed, aad);
}

/** XChaCha20 (draft §2.3.1): `input` XOR the keystream from block `counter`; null on a bad length. */
export function xchacha20Xor(key: Uint8Array, nonce24: Uint8Array, counter: u32, input: Uint8Array): Uint8Array | null {
  const x = xparams(key, nonce24);
  return x === null ? null : chacha20Xor(x.key, counter, x.nonce, input);
}
