// Base64 (RFC 4648): the standard alphabet with padding (§4, HTTP Basic credentials) and
// the URL-safe alphabet without padding (§5, gateway session ids).

const STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Encodes `bytes`; `urlSafe` selects the §5 alphabet and drops the padding. */
export function encodeBase64(bytes: Uint8Array, urlSafe: bool): string {
  const abc = urlSafe ? URL : STD;
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (<u32>bytes[i] << 16) | (<u32>bytes[i + 1] << 8) | <u32>bytes[i + 2];
    out += abc.charAt(n >> 18) + abc.charAt((n >> 12) & 63) + abc.charAt((n >> 6) & 63) + abc.charAt(n & 63);
  }
  const rest = bytes.length - i;
  if (rest == 0) return out;
  const n = rest == 1 ? <u32>bytes[i] << 16 : (<u32>bytes[i] << 16) | (<u32>bytes[i + 1] << 8);
  out += abc.charAt(n >> 18) + abc.charAt((n >> 12) & 63);
  if (rest == 2) out += abc.charAt((n >> 6) & 63);
  if (!urlSafe) out += rest == 1 ? "==" : "=";
  return out;
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
  let acc: u32 = 0;
  let bits: i32 = 0;
  let bad: i32 = 0;
  let j = 0;
  for (let i = 0; i < n; i++) {
    const v = sextet(s.charCodeAt(i), urlSafe);
    bad |= v;
    acc = (acc << 6) | (<u32>v & 63);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      unchecked((out[j++] = <u8>(acc >> bits)));
      acc &= (1 << bits) - 1;
    }
  }
  if (bad < 0 || acc != 0) return null;
  return out;
}
