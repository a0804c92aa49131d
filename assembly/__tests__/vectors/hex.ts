// Hex helpers for the crypto specs (test-only; vectors are transcribed as lowercase hex).

const DIGITS = "0123456789abcdef";

/** The bytes of lowercase/uppercase hex `s` (even length, test input only). */
export function fromHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = <u8>I32.parseInt(s.substr(i << 1, 2), 16);
  return out;
}

/** Lowercase hex of `a`; "null" for null so a failed call shows in the diff. */
export function toHex(a: Uint8Array | null): string {
  if (a === null) return "null";
  let out = "";
  for (let i = 0; i < a.length; i++) out += DIGITS.charAt(a[i] >> 4) + DIGITS.charAt(a[i] & 15);
  return out;
}

/** The UTF-8 bytes of `s`. */
export function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

/** `n` copies of byte `b`. */
export function repeat(b: u8, n: i32): Uint8Array {
  const out = new Uint8Array(n);
  out.fill(b);
  return out;
}
