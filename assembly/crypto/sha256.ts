// SHA-256 (FIPS 180-4 §6.2) and HMAC-SHA256 (RFC 2104). Pure: no host calls, no allocation
// per block. Every operation is a 32-bit add, rotate or boolean op, and the only table (K) is
// indexed by the round number, so timing does not depend on the data hashed.

/** Digest length in bytes. */
// @ts-ignore: decorator
@inline export const SHA256_BYTES: i32 = 32;
/** Block length in bytes (the HMAC pad length B of RFC 2104). */
// @ts-ignore: decorator
@inline export const SHA256_BLOCK: i32 = 64;

/** FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/** The message schedule; shared scratch (wasm runs one call at a time, compress never re-enters). */
const W = new StaticArray<u32>(64);

/** An incremental SHA-256 computation: `update` any number of times, then `digest` once. */
export class Sha256 {
  private h: StaticArray<u32> = new StaticArray<u32>(8);
  private buf: StaticArray<u8> = new StaticArray<u8>(SHA256_BLOCK);
  private used: i32 = 0;
  private total: u64 = 0;

  constructor() {
    this.reset();
  }

  /** Starts over with the FIPS 180-4 §5.3.3 initial hash value. */
  reset(): Sha256 {
    const h = this.h;
    unchecked((h[0] = 0x6a09e667));
    unchecked((h[1] = 0xbb67ae85));
    unchecked((h[2] = 0x3c6ef372));
    unchecked((h[3] = 0xa54ff53a));
    unchecked((h[4] = 0x510e527f));
    unchecked((h[5] = 0x9b05688c));
    unchecked((h[6] = 0x1f83d9ab));
    unchecked((h[7] = 0x5be0cd19));
    this.used = 0;
    this.total = 0;
    return this;
  }

  /** Absorbs `data`. */
  update(data: Uint8Array): Sha256 {
    this.updateRaw(data.dataStart, data.length);
    return this;
  }

  /** Absorbs `len` bytes at `ptr` (the caller bounds them). */
  private updateRaw(ptr: usize, len: i32): void {
    this.total += <u64>len;
    const buf = changetype<usize>(this.buf);
    let i = 0;
    if (this.used > 0) {
      const take = min(SHA256_BLOCK - this.used, len);
      memory.copy(buf + <usize>this.used, ptr, <usize>take);
      this.used += take;
      i = take;
      if (this.used < SHA256_BLOCK) return;
      compress(this.h, buf);
      this.used = 0;
    }
    for (; i + SHA256_BLOCK <= len; i += SHA256_BLOCK) compress(this.h, ptr + <usize>i);
    if (i < len) {
      memory.copy(buf, ptr + <usize>i, <usize>(len - i));
      this.used = len - i;
    }
  }

  /** Pads (§5.1.1), finishes and returns the 32-byte digest; call `reset` before reuse. */
  digest(): Uint8Array {
    const buf = changetype<usize>(this.buf);
    const bits = this.total << 3;
    store<u8>(buf + <usize>this.used, 0x80);
    this.used++;
    if (this.used > SHA256_BLOCK - 8) {
      memory.fill(buf + <usize>this.used, 0, <usize>(SHA256_BLOCK - this.used));
      compress(this.h, buf);
      this.used = 0;
    }
    memory.fill(buf + <usize>this.used, 0, <usize>(SHA256_BLOCK - 8 - this.used));
    store<u64>(buf + <usize>(SHA256_BLOCK - 8), bswap<u64>(bits));
    compress(this.h, buf);
    const out = new Uint8Array(SHA256_BYTES);
    for (let k = 0; k < 8; k++) store<u32>(out.dataStart + <usize>(k << 2), bswap<u32>(unchecked(this.h[k])));
    return out;
  }
}

/** The SHA-256 digest of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Sha256().update(data).digest();
}

/** HMAC-SHA256 (RFC 2104) of `message` under `key` (any length; longer than a block is hashed first). */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  const k = key.length > SHA256_BLOCK ? sha256(key) : key;
  const pad = new Uint8Array(SHA256_BLOCK);
  for (let i = 0; i < k.length; i++) unchecked((pad[i] = k[i] ^ 0x36));
  for (let i = k.length; i < SHA256_BLOCK; i++) unchecked((pad[i] = 0x36));
  const inner = new Sha256().update(pad).update(message).digest();
  for (let i = 0; i < SHA256_BLOCK; i++) unchecked((pad[i] ^= 0x36 ^ 0x5c));
  return new Sha256().update(pad).update(inner).digest();
}

/** One application of the §6.2.2 compression function to the 64-byte block at `block`. */
function compress(h: StaticArray<u32>, block: usize): void {
  for (let t = 0; t < 16; t++) unchecked((W[t] = bswap<u32>(load<u32>(block + <usize>(t << 2)))));
  for (let t = 16; t < 64; t++) {
    const w15 = unchecked(W[t - 15]);
    const w2 = unchecked(W[t - 2]);
    const s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
    unchecked((W[t] = W[t - 16] + s0 + W[t - 7] + s1));
  }
  let a = unchecked(h[0]), b = unchecked(h[1]), c = unchecked(h[2]), d = unchecked(h[3]);
  let e = unchecked(h[4]), f = unchecked(h[5]), g = unchecked(h[6]), hh = unchecked(h[7]);
  for (let t = 0; t < 64; t++) {
    const t1 = hh + (rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25)) + ((e & f) ^ (~e & g)) + unchecked(K[t]) + unchecked(W[t]);
    const t2 = (rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  unchecked((h[0] += a));
  unchecked((h[1] += b));
  unchecked((h[2] += c));
  unchecked((h[3] += d));
  unchecked((h[4] += e));
  unchecked((h[5] += f));
  unchecked((h[6] += g));
  unchecked((h[7] += hh));
}
