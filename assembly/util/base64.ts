// Base64 (RFC 4648): the standard alphabet with padding (§4, HTTP Basic credentials) and
// the URL-safe alphabet without padding (§5, gateway session ids).

/**
 * The character code of 6-bit value `v`. Branch-free and table-free, like `sextet` below, so
 * encoding a secret (a Basic credential) leaks nothing through timing: `(k - v) >> 8` is all
 * ones exactly when v > k.
 */
function letter(v: i32, urlSafe: bool): u8 {
  let d = 65; // 'A'..'Z' for 0..25
  d += ((25 - v) >> 8) & 6; // 'a'..'z' for 26..51
  d -= ((51 - v) >> 8) & 75; // '0'..'9' for 52..61
  d -= ((61 - v) >> 8) & (urlSafe ? 13 : 15); // '-' or '+' for 62
  d += ((62 - v) >> 8) & (urlSafe ? 49 : 3); // '_' or '/' for 63
  return <u8>(v + d);
}

/**
 * Encodes `bytes`; `urlSafe` selects the §5 alphabet and drops the padding. Writes ASCII into one
 * buffer and makes the string once (concatenating per group was quadratic: ~50 µs for a
 * 165-byte session token).
 */
export function encodeBase64(bytes: Uint8Array, urlSafe: bool): string {
  const n = bytes.length;
  const outLen = urlSafe ? (n * 4 + 2) / 3 : ((n + 2) / 3) * 4;
  const out = new Uint8Array(outLen);
  const src = bytes.dataStart;
  const dst = out.dataStart;
  let i = 0;
  let j = 0;
  for (; i + 2 < n; i += 3) {
    const v = (<i32>load<u8>(src + <usize>i) << 16) | (<i32>load<u8>(src + <usize>i + 1) << 8) | <i32>load<u8>(src + <usize>i + 2);
    store<u8>(dst + <usize>j, letter(v >> 18, urlSafe));
    store<u8>(dst + <usize>j + 1, letter((v >> 12) & 63, urlSafe));
    store<u8>(dst + <usize>j + 2, letter((v >> 6) & 63, urlSafe));
    store<u8>(dst + <usize>j + 3, letter(v & 63, urlSafe));
    j += 4;
  }
  const rest = n - i;
  if (rest > 0) {
    const v = (<i32>load<u8>(src + <usize>i) << 16) | (rest == 2 ? <i32>load<u8>(src + <usize>i + 1) << 8 : 0);
    store<u8>(dst + <usize>j, letter(v >> 18, urlSafe));
    store<u8>(dst + <usize>j + 1, letter((v >> 12) & 63, urlSafe));
    if (rest == 2) store<u8>(dst + <usize>j + 2, letter((v >> 6) & 63, urlSafe));
    else if (!urlSafe) store<u8>(dst + <usize>j + 2, 0x3d);
    if (!urlSafe) store<u8>(dst + <usize>j + 3, 0x3d);
  }
  return String.UTF8.decodeUnsafe(dst, <usize>outLen);
}

/**
 * The 6-bit value of character code `c`, or -1. Branch-free and table-free, so decoding a
 * secret (a configured key) leaks nothing through timing: `in(lo, hi)` is all ones exactly
 * when lo <= c <= hi.
 */
function sextet(c: i32, urlSafe: bool): i32 {
  const c62 = urlSafe ? 0x2d : 0x2b; // '-' or '+'
  const c63 = urlSafe ? 0x5f : 0x2f; // '_' or '/'
  let v = -1;
  v += (((0x40 - c) & (c - 0x5b)) >> 31) & (c - 64); // 'A'..'Z' -> 0..25 (+1)
  v += (((0x60 - c) & (c - 0x7b)) >> 31) & (c - 70); // 'a'..'z' -> 26..51 (+1)
  v += (((0x2f - c) & (c - 0x3a)) >> 31) & (c + 5); // '0'..'9' -> 52..61 (+1)
  v += (((c62 - 1 - c) & (c - c62 - 1)) >> 31) & 63;
  v += (((c63 - 1 - c) & (c - c63 - 1)) >> 31) & 64;
  return v;
}

/**
 * Strict, non-throwing decoder: `urlSafe` accepts only the §5 alphabet without padding, else
 * the §4 alphabet with exactly the required padding. Returns null for any other character,
 * a length no encoding produces, or non-zero trailing bits (§3.5: one canonical encoding per
 * byte string, so a token cannot be re-spelled).
 */
export function decodeBase64(s: string, urlSafe: bool): Uint8Array | null {
  let n = s.length;
  if (!urlSafe) {
    // With the length a multiple of 4, one '=' leaves 3 mod 4 and two leave 2 mod 4, as §4
    // requires; a third '=' or one elsewhere is rejected as a character below.
    if ((n & 3) != 0) return null;
    if (n > 0 && s.charCodeAt(n - 1) == 0x3d) n--;
    if (n > 0 && s.charCodeAt(n - 1) == 0x3d) n--;
  }
  if ((n & 3) == 1) return null;
  const out = new Uint8Array((n * 3) >> 2);
  const src = changetype<usize>(s); // UTF-16: character i at src + 2i, for i < n <= s.length
  const dst = out.dataStart;
  let bad: i32 = 0;
  let i = 0;
  let j = 0;
  for (; i + 4 <= n; i += 4) {
    const a = sextet(<i32>load<u16>(src + (<usize>i << 1)), urlSafe);
    const b = sextet(<i32>load<u16>(src + (<usize>i << 1) + 2), urlSafe);
    const c = sextet(<i32>load<u16>(src + (<usize>i << 1) + 4), urlSafe);
    const d = sextet(<i32>load<u16>(src + (<usize>i << 1) + 6), urlSafe);
    bad |= a | b | c | d;
    const w = (<u32>a << 18) | (<u32>b << 12) | (<u32>c << 6) | <u32>d;
    store<u8>(dst + <usize>j, <u8>(w >> 16));
    store<u8>(dst + <usize>j + 1, <u8>(w >> 8));
    store<u8>(dst + <usize>j + 2, <u8>w);
    j += 3;
  }
  const rest = n - i; // 0, 2 or 3 characters: 1 or 2 bytes, with 4 or 2 bits that must be zero
  if (rest > 0) {
    const a = sextet(<i32>load<u16>(src + (<usize>i << 1)), urlSafe);
    const b = sextet(<i32>load<u16>(src + (<usize>i << 1) + 2), urlSafe);
    const c = rest == 3 ? sextet(<i32>load<u16>(src + (<usize>i << 1) + 4), urlSafe) : 0;
    bad |= a | b | c;
    const w = (<u32>a << 18) | (<u32>b << 12) | (<u32>c << 6);
    store<u8>(dst + <usize>j, <u8>(w >> 16));
    if (rest == 3) store<u8>(dst + <usize>j + 1, <u8>(w >> 8));
    if ((w & (rest == 3 ? 0xff : 0xffff)) != 0) bad = -1;
  }
  if (bad < 0) return null;
  return out;
}

