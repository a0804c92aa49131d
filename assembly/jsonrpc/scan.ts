// A raw JSON scanner over text that `validateJSON` has already accepted. It finds values
// without materializing them, so the gateway can pass a backend's `result` and a client's
// `id` through byte for byte (a JSON-RPC id like 12345678901234567890 must not be rounded
// through f64). Every function is bounds-checked and returns -1 instead of throwing.
import { JSON } from "json-as";

// @ts-ignore: decorator
@inline const QUOTE: u16 = 0x22;
// @ts-ignore: decorator
@inline const BACKSLASH: u16 = 0x5c;

/** True for JSON insignificant whitespace. */
// @ts-ignore: decorator
@inline function isWs(c: u16): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

/** Index of the first non-whitespace character at or after `i`. */
export function skipWs(s: string, i: i32): i32 {
  const n = s.length;
  while (i < n && isWs(<u16>s.charCodeAt(i))) i++;
  return i;
}

/** Index just after the string token starting at `i` (a quote), or -1. */
export function skipString(s: string, i: i32): i32 {
  const n = s.length;
  if (i >= n || <u16>s.charCodeAt(i) != QUOTE) return -1;
  i++;
  while (i < n) {
    const c = <u16>s.charCodeAt(i);
    if (c == BACKSLASH) i += 2;
    else if (c == QUOTE) return i + 1;
    else i++;
  }
  return -1;
}

/** Index just after the JSON value starting at `i` (after whitespace), or -1. */
export function skipValue(s: string, i: i32): i32 {
  const n = s.length;
  i = skipWs(s, i);
  if (i >= n) return -1;
  const first = <u16>s.charCodeAt(i);
  if (first == QUOTE) return skipString(s, i);
  if (first == 0x7b || first == 0x5b) {
    // Containers: track depth only; strings are skipped so brackets inside them don't count.
    let depth = 0;
    while (i < n) {
      const c = <u16>s.charCodeAt(i);
      if (c == QUOTE) {
        i = skipString(s, i);
        if (i < 0) return -1;
        continue;
      }
      if (c == 0x7b || c == 0x5b) depth++;
      else if (c == 0x7d || c == 0x5d) {
        depth--;
        if (depth == 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  // Literal or number: runs to the next delimiter.
  const start = i;
  while (i < n) {
    const c = <u16>s.charCodeAt(i);
    if (c == 0x2c || c == 0x7d || c == 0x5d || isWs(c)) break;
    i++;
  }
  return i > start ? i : -1;
}

/** A [start, end) range of a JSON text. */
export class Span {
  constructor(public start: i32 = -1, public end: i32 = -1) {}
  /** True when the span was found. */
  get found(): bool {
    return this.start >= 0;
  }
}

/** The kind of the value starting at `i` (after whitespace). */
export enum Kind {
  None,
  Object,
  Array,
  String,
  Number,
  True,
  False,
  Null,
}

/** Classifies the value at `i` by its first character. */
export function kindAt(s: string, i: i32): Kind {
  i = skipWs(s, i);
  if (i < 0 || i >= s.length) return Kind.None;
  const c = <u16>s.charCodeAt(i);
  if (c == 0x7b) return Kind.Object;
  if (c == 0x5b) return Kind.Array;
  if (c == QUOTE) return Kind.String;
  if (c == 0x74) return Kind.True;
  if (c == 0x66) return Kind.False;
  if (c == 0x6e) return Kind.Null;
  if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return Kind.Number;
  return Kind.None;
}

/** The kind of a span's value. */
export function kindOf(s: string, span: Span): Kind {
  return span.found ? kindAt(s, span.start) : Kind.None;
}

/**
 * The value of member `key` in the object starting at `objStart`. When a key repeats,
 * the last occurrence wins — what JavaScript, Python and Go parsers do, so the gateway
 * reads the same value a backend would.
 */
export function member(s: string, objStart: i32, key: string): Span {
  const result = new Span();
  let i = skipWs(s, objStart);
  if (i >= s.length || <u16>s.charCodeAt(i) != 0x7b) return result;
  i = skipWs(s, i + 1);
  if (i < s.length && <u16>s.charCodeAt(i) == 0x7d) return result;
  while (i < s.length) {
    const keyEnd = skipString(s, i);
    if (keyEnd < 0) return result;
    const matches = keyEquals(s, i, keyEnd, key);
    i = skipWs(s, keyEnd);
    if (i >= s.length || <u16>s.charCodeAt(i) != 0x3a) return result;
    const vStart = skipWs(s, i + 1);
    const vEnd = skipValue(s, vStart);
    if (vEnd < 0) return result;
    if (matches) {
      result.start = vStart;
      result.end = vEnd;
    }
    i = skipWs(s, vEnd);
    if (i >= s.length) return result;
    const c = <u16>s.charCodeAt(i);
    if (c == 0x7d) return result;
    if (c != 0x2c) return result;
    i = skipWs(s, i + 1);
  }
  return result;
}

/** The spans of the elements of the array starting at `arrStart` (empty if not an array). */
export function elements(s: string, arrStart: i32): Span[] {
  const out = new Array<Span>();
  let i = skipWs(s, arrStart);
  if (i >= s.length || <u16>s.charCodeAt(i) != 0x5b) return out;
  i = skipWs(s, i + 1);
  if (i < s.length && <u16>s.charCodeAt(i) == 0x5d) return out;
  while (i < s.length) {
    const end = skipValue(s, i);
    if (end < 0) return out;
    out.push(new Span(i, end));
    i = skipWs(s, end);
    if (i >= s.length || <u16>s.charCodeAt(i) != 0x2c) return out;
    i = skipWs(s, i + 1);
  }
  return out;
}

/** Compares a string token [start, end) with `key`, decoding escapes only when present. */
function keyEquals(s: string, start: i32, end: i32, key: string): bool {
  const inner = end - start - 2;
  let escaped = false;
  for (let j = start + 1; j < end - 1; j++) {
    if (<u16>s.charCodeAt(j) == BACKSLASH) {
      escaped = true;
      break;
    }
  }
  if (!escaped) {
    if (inner != key.length) return false;
    for (let j = 0; j < inner; j++) {
      if (s.charCodeAt(start + 1 + j) != key.charCodeAt(j)) return false;
    }
    return true;
  }
  return decodeString(s.substring(start, end)) == key;
}

/**
 * Decodes a JSON string token (with quotes) into its text (RFC 8259 §7). Our own decoder:
 * json-as 1.6 decodes the escape `\/` to U+0000, which would let `"tools\/call"` slip past
 * the tool policy. Malformed escapes are kept literally (the token was validated anyway).
 */
export function decodeString(token: string): string {
  if (token.length < 2) return "";
  const end = token.length - 1;
  if (token.indexOf("\\") < 0) return token.substring(1, end);
  const parts = new Array<string>();
  let runStart = 1;
  let i = 1;
  while (i < end) {
    if (<u16>token.charCodeAt(i) != BACKSLASH || i + 1 >= end) {
      i++;
      continue;
    }
    if (i > runStart) parts.push(token.substring(runStart, i));
    const e = <u16>token.charCodeAt(i + 1);
    let used = 2;
    if (e == 0x22 || e == 0x5c || e == 0x2f) parts.push(String.fromCharCode(e));
    else if (e == 0x62) parts.push("\b");
    else if (e == 0x66) parts.push("\f");
    else if (e == 0x6e) parts.push("\n");
    else if (e == 0x72) parts.push("\r");
    else if (e == 0x74) parts.push("\t");
    else if (e == 0x75 && i + 5 < end && hex4(token, i + 2) >= 0) {
      // \uXXXX: a UTF-16 code unit; surrogate pairs come as two escapes and join naturally.
      parts.push(String.fromCharCode(hex4(token, i + 2)));
      used = 6;
    } else {
      parts.push(token.substring(i, i + 2));
    }
    i += used;
    runStart = i;
  }
  if (end > runStart) parts.push(token.substring(runStart, end));
  return parts.join("");
}

/** The value of 4 hex digits at `at`, or -1. */
function hex4(s: string, at: i32): i32 {
  if (at + 4 > s.length) return -1;
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const c = s.charCodeAt(at + k);
    let d = -1;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    if (d < 0) return -1;
    v = (v << 4) | d;
  }
  return v;
}

/**
 * Rewrites every `\/` escape inside strings to `/` (same meaning), for text handed to
 * json-as, whose decoder turns `\/` into U+0000. `\\/` (an escaped backslash) is kept.
 */
export function normalizeSlashEscapes(text: string): string {
  if (text.indexOf("\\/") < 0) return text;
  const parts = new Array<string>();
  let runStart = 0;
  let i = 0;
  while (i < text.length) {
    if (<u16>text.charCodeAt(i) == BACKSLASH && i + 1 < text.length) {
      if (<u16>text.charCodeAt(i + 1) == 0x2f) {
        parts.push(text.substring(runStart, i));
        runStart = i + 1; // drop the backslash, keep the slash
      }
      i += 2;
      continue;
    }
    i++;
  }
  parts.push(text.substring(runStart));
  return parts.join("");
}

/**
 * True when two JSON-RPC ids (raw JSON) name the same id: strings compare decoded, numbers
 * by value (a backend re-serializes ids: `1.0` comes back as `1`, `"\u0041"` as `"A"`).
 */
export function idsEqual(a: string, b: string): bool {
  if (a == b) return true;
  const ka = kindAt(a, 0);
  const kb = kindAt(b, 0);
  if (ka != kb) return false;
  if (ka == Kind.String) return decodeString(a.trim()) == decodeString(b.trim());
  if (ka == Kind.Number) return parseFloat(a.trim()) == parseFloat(b.trim());
  return false;
}

/** The text of a span that holds a string value, decoded; null when not a string. */
export function stringAt(s: string, span: Span): string | null {
  if (kindOf(s, span) != Kind.String) return null;
  return decodeString(s.substring(span.start, span.end));
}

/** The raw text of a span. */
export function textOf(s: string, span: Span): string {
  return span.found ? s.substring(span.start, span.end) : "";
}

/** Encodes `text` as a JSON string token. */
export function quote(text: string): string {
  return JSON.stringify<string>(text);
}

/** One member of an object: its decoded key and the spans of its key token and value. */
export class Member {
  constructor(public key: string, public keySpan: Span, public value: Span) {}
}

/** Every member of the object starting at `objStart`, in order, duplicates included. */
export function members(s: string, objStart: i32): Member[] {
  const out = new Array<Member>();
  let i = skipWs(s, objStart);
  if (i >= s.length || <u16>s.charCodeAt(i) != 0x7b) return out;
  i = skipWs(s, i + 1);
  if (i < s.length && <u16>s.charCodeAt(i) == 0x7d) return out;
  while (i < s.length) {
    const keyEnd = skipString(s, i);
    if (keyEnd < 0) return out;
    const keySpan = new Span(i, keyEnd);
    i = skipWs(s, keyEnd);
    if (i >= s.length || <u16>s.charCodeAt(i) != 0x3a) return out;
    const vStart = skipWs(s, i + 1);
    const vEnd = skipValue(s, vStart);
    if (vEnd < 0) return out;
    out.push(new Member(decodeString(s.substring(keySpan.start, keySpan.end)), keySpan, new Span(vStart, vEnd)));
    i = skipWs(s, vEnd);
    if (i >= s.length || <u16>s.charCodeAt(i) != 0x2c) return out;
    i = skipWs(s, i + 1);
  }
  return out;
}
