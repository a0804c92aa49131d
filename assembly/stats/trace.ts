// W3C trace context across the gateway. MCP 2026-07-28 (SEP-414) reserves `traceparent`,
// `tracestate` (and `baggage`) in `params._meta` and is silent on how they relate to the HTTP
// headers of the same name. The gateway's rule, in both modes: a request has one trace context,
// the one in `_meta` when its traceparent is valid (the body is the source of truth, as for the
// mirrored headers), else the one in the `traceparent`/`tracestate` headers. What the backend
// gets agrees with it: the headers of every backend request carry it, and a modern backend's
// `_meta` carries the same values. An invalid value is never copied from one place to the other.
import { Kind, kindAt, member, members, quote, stringAt, textOf } from "../jsonrpc/scan";
import { sha256 } from "../crypto/sha256";
import { Header } from "../http/header";

/** The W3C trace-context header and `_meta` key names. */
export const TRACEPARENT = "traceparent";
export const TRACESTATE = "tracestate";

/** Longest tracestate passed on (W3C: at least 512 characters SHOULD be propagated). */
// @ts-ignore: decorator
@inline const MAX_TRACESTATE: i32 = 1024;

/** One request's trace context. */
export class TraceContext {
  constructor(public traceparent: string, public tracestate: string, public fromMeta: bool) {}

  /** The 32-hex trace id. */
  get traceId(): string {
    return this.traceparent.substring(3, 35);
  }
}

function isLowerHex(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
}

function hexRun(s: string, from: i32, n: i32): bool {
  let nonZero = false;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i);
    if (!isLowerHex(c)) return false;
    if (c != 0x30) nonZero = true;
  }
  return nonZero;
}

/**
 * A valid W3C traceparent: `vv-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, lower
 * case, ids not all zero, version not `ff`; version 00 is exactly 55 characters, a later
 * version may append `-…` fields.
 */
export function validTraceparent(v: string): bool {
  if (v.length < 55) return false;
  if (!isLowerHex(v.charCodeAt(0)) || !isLowerHex(v.charCodeAt(1)) || v.startsWith("ff")) return false;
  if (v.charCodeAt(2) != 0x2d || v.charCodeAt(35) != 0x2d || v.charCodeAt(52) != 0x2d) return false;
  if (!hexRun(v, 3, 32) || !hexRun(v, 36, 16)) return false;
  if (!isLowerHex(v.charCodeAt(53)) || !isLowerHex(v.charCodeAt(54))) return false;
  if (v.startsWith("00")) return v.length == 55;
  return v.length == 55 || v.charCodeAt(55) == 0x2d;
}

/** A tracestate that may be passed on: printable ASCII only (no CR/LF), within the bound. */
export function validTracestate(v: string): bool {
  if (v.length == 0 || v.length > MAX_TRACESTATE) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/**
 * The request's trace context (see the rule above): `metaRaw` is the raw `params._meta` ("" for
 * none); `headerState` the tracestate headers joined with commas ("" for none). null when
 * neither place holds a valid traceparent.
 */
export function traceOf(metaRaw: string, headerParent: string | null, headerState: string): TraceContext | null {
  if (kindAt(metaRaw, 0) == Kind.Object) {
    const tp = stringAt(metaRaw, member(metaRaw, 0, TRACEPARENT));
    if (tp !== null && validTraceparent(tp)) {
      const ts = stringAt(metaRaw, member(metaRaw, 0, TRACESTATE));
      return new TraceContext(tp, ts !== null && validTracestate(ts) ? ts : "", true);
    }
  }
  if (headerParent === null || !validTraceparent(headerParent)) return null;
  return new TraceContext(headerParent, validTracestate(headerState) ? headerState : "", false);
}

/** The trace headers for a backend request. */
export function traceHeaders(t: TraceContext): Header[] {
  const out = new Array<Header>();
  out.push(new Header(TRACEPARENT, t.traceparent));
  if (t.tracestate.length > 0) out.push(new Header(TRACESTATE, t.tracestate));
  return out;
}

/**
 * `_meta` (raw; "" for none) with its trace keys set to `t`'s: every other member is kept as
 * it was, traceparent and tracestate are replaced (a tracestate without `t`'s is dropped, as
 * it belonged to another traceparent).
 */
export function metaWithTrace(metaRaw: string, t: TraceContext): string {
  let out = "{";
  if (kindAt(metaRaw, 0) == Kind.Object) {
    const ms = members(metaRaw, 0);
    for (let i = 0; i < ms.length; i++) {
      const m = ms[i];
      if (m.key == TRACEPARENT || m.key == TRACESTATE) continue;
      out += quote(m.key) + ":" + textOf(metaRaw, m.value) + ",";
    }
  }
  out += quote(TRACEPARENT) + ":" + quote(t.traceparent);
  if (t.tracestate.length > 0) out += "," + quote(TRACESTATE) + ":" + quote(t.tracestate);
  return out + "}";
}


/**
 * A short, non-reversible tag of a session id for access logs: the first 8 hex digits of its
 * SHA-256. Lines of one session share it; the id itself (a bearer of the session) never
 * reaches a log.
 */
export function sessionTag(id: string): string {
  const d = sha256(Uint8Array.wrap(String.UTF8.encode(id)));
  const hex = new Array<i32>(8);
  for (let i = 0; i < 4; i++) {
    hex[2 * i] = hexDigit(d[i] >> 4);
    hex[2 * i + 1] = hexDigit(d[i] & 15);
  }
  return String.fromCharCodes(hex);
}

function hexDigit(v: i32): i32 {
  return v < 10 ? 0x30 + v : 0x57 + v;
}
