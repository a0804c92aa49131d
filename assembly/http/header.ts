// HTTP header pairs as plain values, shared by the pure modules and the host glue.

/** One header (names are lower-case on the wire in Envoy's header maps). */
export class Header {
  constructor(public name: string, public value: string) {}
}

/** The value of `name` (case-insensitive) in `headers`, or null. */
export function findHeader(headers: Header[], name: string): string | null {
  const want = name.toLowerCase();
  for (let i = 0; i < headers.length; i++) {
    if (headers[i].name.toLowerCase() == want) return headers[i].value;
  }
  return null;
}

/** The numeric `:status` of a response's headers, 0 when absent or malformed. */
export function statusOf(headers: Header[]): i32 {
  const s = findHeader(headers, ":status");
  return s === null ? 0 : parseStatus(s);
}

/** A 3-digit status code from its text, 0 when malformed. */
export function parseStatus(s: string): i32 {
  if (s.length == 0 || s.length > 3) return 0;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return 0;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

/**
 * True when `value` may be written as a header value: no CR, LF, NUL or other control
 * character but HTAB (RFC 9110 §5.5). Values the gateway builds from client input are
 * checked before they are written, rather than left for Envoy to refuse.
 */
export function isSafeHeaderValue(value: string): bool {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c != 0x09) || c == 0x7f) return false;
  }
  return true;
}

/** Every value of header `name` (lower case, as Envoy's maps hold names) in `headers`. */
export function headerValues(headers: Header[], name: string): string[] {
  const out = new Array<string>();
  for (let i = 0; i < headers.length; i++) if (headers[i].name == name) out.push(headers[i].value);
  return out;
}
