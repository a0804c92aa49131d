// Poly1305 (RFC 8439 §2.5): the one-time authenticator. The accumulator and r are held as five
// 26-bit limbs so every product fits a u64; reduction mod 2^130 - 5 uses 2^130 = 5 (mod p).
// The final reduction selects with masks, not branches, so timing never depends on the key
// or the message.

/** One-time key length in bytes (r || s). */
// @ts-ignore: decorator
@inline export const POLY1305_KEY_BYTES: i32 = 32;
/** Tag length in bytes. */
// @ts-ignore: decorator
@inline export const POLY1305_TAG_BYTES: i32 = 16;

// @ts-ignore: decorator
@inline const MASK26: u32 = 0x3ffffff;

/** An incremental Poly1305 computation under one 32-byte one-time key. */
export class Poly1305 {
  private r0: u32; private r1: u32; private r2: u32; private r3: u32; private r4: u32;
  private h0: u32 = 0; private h1: u32 = 0; private h2: u32 = 0; private h3: u32 = 0; private h4: u32 = 0;
  private s0: u32; private s1: u32; private s2: u32; private s3: u32;
  private buf: StaticArray<u8> = new StaticArray<u8>(16);
  private used: i32 = 0;

  /** Takes the key (the caller guarantees 32 bytes): r clamped per §2.5, s kept for the end. */
  constructor(key: Uint8Array) {
    const k = key.dataStart;
    // r &= 0x0ffffffc0ffffffc0ffffffc0fffffff, split into 26-bit limbs.
    this.r0 = load<u32>(k) & 0x3ffffff;
    this.r1 = (load<u32>(k + 3) >> 2) & 0x3ffff03;
    this.r2 = (load<u32>(k + 6) >> 4) & 0x3ffc0ff;
    this.r3 = (load<u32>(k + 9) >> 6) & 0x3f03fff;
    this.r4 = (load<u32>(k + 12) >> 8) & 0x00fffff;
    this.s0 = load<u32>(k + 16);
    this.s1 = load<u32>(k + 20);
    this.s2 = load<u32>(k + 24);
    this.s3 = load<u32>(k + 28);
  }

  /** Absorbs `data`. */
  update(data: Uint8Array): Poly1305 {
    this.updateRaw(data.dataStart, data.length);
    return this;
  }

  /** Absorbs `len` bytes at `ptr` (the caller bounds them). */
  private updateRaw(ptr: usize, len: i32): void {
    const buf = changetype<usize>(this.buf);
    let i = 0;
    if (this.used > 0) {
      const take = min(16 - this.used, len);
      memory.copy(buf + <usize>this.used, ptr, <usize>take);
      this.used += take;
      i = take;
      if (this.used < 16) return;
      this.block(buf, 1 << 24);
      this.used = 0;
    }
    for (; i + 16 <= len; i += 16) this.block(ptr + <usize>i, 1 << 24);
    if (i < len) {
      memory.copy(buf, ptr + <usize>i, <usize>(len - i));
      this.used = len - i;
    }
  }

  /** Zero-pads the data absorbed so far to a multiple of 16 bytes (the AEAD's pad16, §2.8). */
  pad16(): void {
    if (this.used == 0) return;
    const buf = changetype<usize>(this.buf);
    memory.fill(buf + <usize>this.used, 0, <usize>(16 - this.used));
    this.block(buf, 1 << 24);
    this.used = 0;
  }

  /** Finishes and returns the 16-byte tag. */
  finish(): Uint8Array {
    if (this.used > 0) {
      // A short last block gets its 0x01 byte right after the data and no 2^128 bit.
      const buf = changetype<usize>(this.buf);
      store<u8>(buf + <usize>this.used, 1);
      memory.fill(buf + <usize>this.used + 1, 0, <usize>(15 - this.used));
      this.block(buf, 0);
      this.used = 0;
    }
    // Fully carry h. block() leaves h0, h2, h3, h4 below 2^26 and h1 below 2^26 + 41, so one
    // pass makes every limb canonical: a carry out of h1 leaves it at most 40, and the 5 that
    // may wrap around from h4 into h0 adds at most 1 more.
    let h0 = this.h0, h1 = this.h1, h2 = this.h2, h3 = this.h3, h4 = this.h4;
    let c: u32;
    c = h1 >> 26; h1 &= MASK26; h2 += c;
    c = h2 >> 26; h2 &= MASK26; h3 += c;
    c = h3 >> 26; h3 &= MASK26; h4 += c;
    c = h4 >> 26; h4 &= MASK26; h0 += c * 5;
    c = h0 >> 26; h0 &= MASK26; h1 += c;
    // g = h + 5 - 2^130; take g when it did not go negative (h >= p), else h.
    let g0 = h0 + 5; c = g0 >> 26; g0 &= MASK26;
    let g1 = h1 + c; c = g1 >> 26; g1 &= MASK26;
    let g2 = h2 + c; c = g2 >> 26; g2 &= MASK26;
    let g3 = h3 + c; c = g3 >> 26; g3 &= MASK26;
    let g4 = h4 + c - (1 << 26);
    const useG = (g4 >> 31) - 1; // all ones when g4's sign bit is clear
    const useH = ~useG;
    h0 = (h0 & useH) | (g0 & useG);
    h1 = (h1 & useH) | (g1 & useG);
    h2 = (h2 & useH) | (g2 & useG);
    h3 = (h3 & useH) | (g3 & useG);
    h4 = (h4 & useH) | (g4 & useG);
    // h mod 2^128 as four 32-bit words, plus s (§2.5: the 129-bit carry is dropped).
    const w0 = h0 | (h1 << 26);
    const w1 = (h1 >> 6) | (h2 << 20);
    const w2 = (h2 >> 12) | (h3 << 14);
    const w3 = (h3 >> 18) | (h4 << 8);
    const out = new Uint8Array(POLY1305_TAG_BYTES);
    const o = out.dataStart;
    let f: u64 = <u64>w0 + <u64>this.s0;
    store<u32>(o, <u32>f);
    f = <u64>w1 + <u64>this.s1 + (f >> 32);
    store<u32>(o + 4, <u32>f);
    f = <u64>w2 + <u64>this.s2 + (f >> 32);
    store<u32>(o + 8, <u32>f);
    f = <u64>w3 + <u64>this.s3 + (f >> 32);
    store<u32>(o + 12, <u32>f);
    return out;
  }

  /** h = (h + block + hibit * 2^128) * r mod (2^130 - 5), partially reduced. */
  private block(m: usize, hibit: u32): void {
    const r0 = this.r0, r1 = this.r1, r2 = this.r2, r3 = this.r3, r4 = this.r4;
    const s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
    const h0 = this.h0 + (load<u32>(m) & MASK26);
    const h1 = this.h1 + ((load<u32>(m + 3) >> 2) & MASK26);
    const h2 = this.h2 + ((load<u32>(m + 6) >> 4) & MASK26);
    const h3 = this.h3 + ((load<u32>(m + 9) >> 6) & MASK26);
    const h4 = this.h4 + ((load<u32>(m + 12) >> 8) | hibit);
    const d0 = <u64>h0 * r0 + <u64>h1 * s4 + <u64>h2 * s3 + <u64>h3 * s2 + <u64>h4 * s1;
    let d1 = <u64>h0 * r1 + <u64>h1 * r0 + <u64>h2 * s4 + <u64>h3 * s3 + <u64>h4 * s2;
    let d2 = <u64>h0 * r2 + <u64>h1 * r1 + <u64>h2 * r0 + <u64>h3 * s4 + <u64>h4 * s3;
    let d3 = <u64>h0 * r3 + <u64>h1 * r2 + <u64>h2 * r1 + <u64>h3 * r0 + <u64>h4 * s4;
    let d4 = <u64>h0 * r4 + <u64>h1 * r3 + <u64>h2 * r2 + <u64>h3 * r1 + <u64>h4 * r0;
    d1 += d0 >> 26;
    d2 += d1 >> 26;
    d3 += d2 >> 26;
    d4 += d3 >> 26;
    let n0 = (<u32>d0 & MASK26) + <u32>(d4 >> 26) * 5;
    let n1 = (<u32>d1 & MASK26) + (n0 >> 26);
    this.h0 = n0 & MASK26;
    this.h1 = n1;
    this.h2 = <u32>d2 & MASK26;
    this.h3 = <u32>d3 & MASK26;
    this.h4 = <u32>d4 & MASK26;
  }
}

/** The Poly1305 tag of `message` under a 32-byte one-time `key`; null on a bad key length. */
export function poly1305(key: Uint8Array, message: Uint8Array): Uint8Array | null {
  if (key.length != POLY1305_KEY_BYTES) return null;
  return new Poly1305(key).update(message).finish();
}
