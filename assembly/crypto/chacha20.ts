// ChaCha20 (RFC 8439 §2.1–2.4) and HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2). Pure ARX code:
// additions, rotations and XORs on 32-bit words, no table and no data-dependent branch, so it
// runs in constant time. Functions given a key or nonce of the wrong length return null
// instead of reading out of bounds (a throw would abort the VM).

/** Key length in bytes. */
// @ts-ignore: decorator
@inline export const CHACHA_KEY_BYTES: i32 = 32;
/** RFC 8439 nonce length in bytes. */
// @ts-ignore: decorator
@inline export const CHACHA_NONCE_BYTES: i32 = 12;
/** HChaCha20 input length in bytes (the first 16 bytes of an XChaCha20 nonce). */
// @ts-ignore: decorator
@inline export const HCHACHA_NONCE_BYTES: i32 = 16;
/** Keystream block length in bytes. */
// @ts-ignore: decorator
@inline export const CHACHA_BLOCK_BYTES: i32 = 64;

/** The input state (§2.3); shared scratch, as no function here re-enters another. */
const STATE = new StaticArray<u32>(16);
/** The permuted state / one keystream block. */
const BLOCK = new StaticArray<u32>(16);

/** Lays out §2.3's state: "expand 32-byte k", the key, then the 4 words at `tail` (counter and nonce, or the HChaCha nonce). */
function setup(key: Uint8Array, tail: usize): void {
  unchecked((STATE[0] = 0x61707865));
  unchecked((STATE[1] = 0x3320646e));
  unchecked((STATE[2] = 0x79622d32));
  unchecked((STATE[3] = 0x6b206574));
  const s = changetype<usize>(STATE);
  memory.copy(s + 16, key.dataStart, 32);
  memory.copy(s + 48, tail, 16);
}

/**
 * Runs the 20 rounds (10 column + diagonal double rounds, §2.3) over STATE into BLOCK; with
 * `feedForward` the input is added back (the block function), without it not (HChaCha20).
 */
function permute(feedForward: bool): void {
  let x0 = unchecked(STATE[0]), x1 = unchecked(STATE[1]), x2 = unchecked(STATE[2]), x3 = unchecked(STATE[3]);
  let x4 = unchecked(STATE[4]), x5 = unchecked(STATE[5]), x6 = unchecked(STATE[6]), x7 = unchecked(STATE[7]);
  let x8 = unchecked(STATE[8]), x9 = unchecked(STATE[9]), x10 = unchecked(STATE[10]), x11 = unchecked(STATE[11]);
  let x12 = unchecked(STATE[12]), x13 = unchecked(STATE[13]), x14 = unchecked(STATE[14]), x15 = unchecked(STATE[15]);
  for (let i = 0; i < 10; i++) {
    // Quarter rounds (§2.1) on the columns: (0,4,8,12) (1,5,9,13) (2,6,10,14) (3,7,11,15).
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 16); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 12);
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 8); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 7);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 16); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 12);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 8); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 7);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 16); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 12);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 8); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 7);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 16); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 12);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 8); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 7);
    // ... and on the diagonals: (0,5,10,15) (1,6,11,12) (2,7,8,13) (3,4,9,14).
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 16); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 12);
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 8); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 7);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 16); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 12);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 8); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 7);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 16); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 12);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 8); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 7);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 16); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 12);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 8); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 7);
  }
  if (feedForward) {
    x0 += unchecked(STATE[0]); x1 += unchecked(STATE[1]); x2 += unchecked(STATE[2]); x3 += unchecked(STATE[3]);
    x4 += unchecked(STATE[4]); x5 += unchecked(STATE[5]); x6 += unchecked(STATE[6]); x7 += unchecked(STATE[7]);
    x8 += unchecked(STATE[8]); x9 += unchecked(STATE[9]); x10 += unchecked(STATE[10]); x11 += unchecked(STATE[11]);
    x12 += unchecked(STATE[12]); x13 += unchecked(STATE[13]); x14 += unchecked(STATE[14]); x15 += unchecked(STATE[15]);
  }
  unchecked((BLOCK[0] = x0)); unchecked((BLOCK[1] = x1)); unchecked((BLOCK[2] = x2)); unchecked((BLOCK[3] = x3));
  unchecked((BLOCK[4] = x4)); unchecked((BLOCK[5] = x5)); unchecked((BLOCK[6] = x6)); unchecked((BLOCK[7] = x7));
  unchecked((BLOCK[8] = x8)); unchecked((BLOCK[9] = x9)); unchecked((BLOCK[10] = x10)); unchecked((BLOCK[11] = x11));
  unchecked((BLOCK[12] = x12)); unchecked((BLOCK[13] = x13)); unchecked((BLOCK[14] = x14)); unchecked((BLOCK[15] = x15));
}

/** Sets STATE for key, counter and 12-byte nonce; false when a length is wrong. */
function setupBlock(key: Uint8Array, counter: u32, nonce: Uint8Array): bool {
  if (key.length != CHACHA_KEY_BYTES || nonce.length != CHACHA_NONCE_BYTES) return false;
  const tail = changetype<usize>(BLOCK); // BLOCK is free until permute() overwrites it.
  store<u32>(tail, counter);
  memory.copy(tail + 4, nonce.dataStart, 12);
  setup(key, tail);
  return true;
}

/** The 64-byte ChaCha20 block (§2.3) for `key`, block `counter` and 12-byte `nonce`; null on a bad length. */
export function chacha20Block(key: Uint8Array, counter: u32, nonce: Uint8Array): Uint8Array | null {
  if (!setupBlock(key, counter, nonce)) return null;
  permute(true);
  const out = new Uint8Array(CHACHA_BLOCK_BYTES);
  memory.copy(out.dataStart, changetype<usize>(BLOCK), CHACHA_BLOCK_BYTES); // wasm is little-endian, as §2.3 serializes
  return out;
}

/**
 * ChaCha20 encryption (§2.4): `input` XOR the keystream starting at block `counter`, as a new
 * array; null on a bad key/nonce length or when the input would run the 32-bit block counter
 * past 2^32 - 1.
 */
export function chacha20Xor(key: Uint8Array, counter: u32, nonce: Uint8Array, input: Uint8Array): Uint8Array | null {
  const n = input.length;
  const blocks = (<u64>n + 63) >> 6;
  if (<u64>counter + blocks > 0x100000000) return null;
  if (!setupBlock(key, counter, nonce)) return null;
  const out = new Uint8Array(n);
  const src = input.dataStart;
  const dst = out.dataStart;
  const ks = changetype<usize>(BLOCK);
  for (let off = 0; off < n; off += CHACHA_BLOCK_BYTES) {
    permute(true);
    unchecked((STATE[12] += 1));
    const take = min(CHACHA_BLOCK_BYTES, n - off);
    let i = 0;
    for (; i + 8 <= take; i += 8) {
      store<u64>(dst + <usize>(off + i), load<u64>(src + <usize>(off + i)) ^ load<u64>(ks + <usize>i));
    }
    for (; i < take; i++) {
      store<u8>(dst + <usize>(off + i), load<u8>(src + <usize>(off + i)) ^ load<u8>(ks + <usize>i));
    }
  }
  return out;
}

/** HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2): a 32-byte subkey from `key` and a 16-byte nonce; null on a bad length. */
export function hchacha20(key: Uint8Array, nonce16: Uint8Array): Uint8Array | null {
  if (key.length != CHACHA_KEY_BYTES || nonce16.length != HCHACHA_NONCE_BYTES) return null;
  setup(key, nonce16.dataStart);
  permute(false);
  const out = new Uint8Array(CHACHA_KEY_BYTES);
  const b = changetype<usize>(BLOCK);
  memory.copy(out.dataStart, b, 16); // words 0..3
  memory.copy(out.dataStart + 16, b + 48, 16); // words 12..15
  return out;
}
