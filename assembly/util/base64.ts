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
