// Trace context on the request path (the rule: stats/trace.ts). Terminating mode copies the
// request's trace context onto every dispatched backend call (Envoy adds none to
// dispatch_http_call) and into a modern backend's `_meta`; pass-through mode forwards the
// request itself and only makes its headers agree with a modern request's `_meta`.
import { HeaderMap, HeaderView, removeHeader, replaceHeader } from "../host/host";
import { Header } from "../http/header";
import { readMeta } from "../mcp/modern";
import { TRACEPARENT, TRACESTATE, TraceContext, traceHeaders, traceOf } from "../stats/trace";

/** The request's trace context from its raw `_meta` ("" for none) and its headers; null for none. */
export function requestTrace(metaRaw: string, headers: HeaderView): TraceContext | null {
  // Most requests carry no trace context: find that out without allocating.
  const inMeta = metaRaw.includes(TRACEPARENT);
  const tp = headers.get(TRACEPARENT);
  if (!inMeta && tp === null) return null;
  return traceOf(inMeta ? metaRaw : "", tp, tp !== null ? headers.all(TRACESTATE).join(",") : "");
}

/** Adds the trace headers to a dispatched call's headers. */
export function addTrace(headers: Header[], t: TraceContext | null): void {
  if (t === null) return;
  const h = traceHeaders(t);
  for (let i = 0; i < h.length; i++) headers.push(h[i]);
}

/**
 * Pass-through, modern requests: when `_meta` holds a valid traceparent the headers do not
 * carry, the forwarded request's traceparent (and tracestate) headers are set from `_meta`.
 * The body is never changed.
 */
export function alignTraceHeaders(paramsRaw: string, headers: HeaderView): void {
  if (!paramsRaw.includes(TRACEPARENT)) return;
  const meta = readMeta(paramsRaw).raw;
  if (meta.length == 0) return;
  const t = requestTrace(meta, headers);
  if (t === null || !t.fromMeta) return;
  const sent = headers.get(TRACEPARENT);
  if (sent !== null && sent == t.traceparent) return;
  replaceHeader(HeaderMap.Request, TRACEPARENT, t.traceparent);
  // A tracestate header belonged to the replaced traceparent.
  if (t.tracestate.length > 0) replaceHeader(HeaderMap.Request, TRACESTATE, t.tracestate);
  else removeHeader(HeaderMap.Request, TRACESTATE);
}
