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

/** The 6-bit value of a base64 character in the chosen alphabet, or -1. */
function sextet(c: i32, urlSafe: bool): i32 {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c == (urlSafe ? 0x2d : 0x2b)) return 62;
  if (c == (urlSafe ? 0x5f : 0x2f)) return 63;
  return -1;
}

/**
 * Strict decoder: the standard alphabet requires canonical padding, the URL-safe one
 * takes none. Any other character, a bad length or non-zero spare bits → null (never throws).
 */
export function decodeBase64(text: string, urlSafe: bool): Uint8Array | null {
  let n = text.length;
  if (!urlSafe) {
    if (n % 4 != 0) return null;
    if (n > 0 && text.charCodeAt(n - 1) == 0x3d) n--;
    if (n > 0 && text.charCodeAt(n - 1) == 0x3d) n--;
  }
  if (n % 4 == 1) return null;
  const out = new Uint8Array((n * 3) >> 2);
  let acc: u32 = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const v = sextet(text.charCodeAt(i), urlSafe);
    if (v < 0) return null;
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = <u8>((acc >> bits) & 0xff);
    }
  }
  // Canonical form: the bits left over after the last byte must be zero.
  if ((acc & ((1 << bits) - 1)) != 0) return null;
  return out;
}
