// proxy-wasm ABI 0.2.0 entry points (calls in). Each looks its context up without throwing
// and delegates; a callback for a context we do not know is a no-op that lets traffic pass.
import { Buffer, HeaderMap, getBuffer, getHeaders, nowMs, setEffectiveContext } from "../host/host";
import { Header } from "../http/header";
import { enter, leave } from "./observe";
import { Plugin } from "./plugin";
import { calls, pluginOf, plugins, sseStreams, streamOf, streams } from "./registry";
import { Stream } from "./stream";
import { CONTINUE } from "./status";


/** ABI version marker the host looks for. */
export function proxy_abi_version_0_2_0(): void {}

/** VM start: nothing to do (the VM configuration is unused). */
export function proxy_on_vm_start(rootId: u32, size: u32): u32 {
  return 1;
}

/** Configuration validation happens in onConfigure. */
export function proxy_validate_configuration(rootId: u32, size: u32): u32 {
  return 1;
}

/** Plugin configuration: parsed and validated; 0 refuses the plugin. */
export function proxy_on_configure(rootId: u32, size: u32): u32 {
  let p = pluginOf(rootId);
  if (p === null) {
    p = new Plugin(rootId);
    plugins.set(rootId, p);
  }
  return p.onConfigure(size) ? 1 : 0;
}

/**
 * Root-context timer. A backend SSE stream that goes silent produces no callback, so the
 * tick enforces server.timeout for streams of the sse transport; it also sweeps idle
 * pass-through sessions and publishes the VM memory gauge.
 */
export function proxy_on_tick(rootId: u32): void {
  const now = nowMs();
  const p = pluginOf(rootId);
  if (p !== null) {
    p.sweep(now);
    p.recordMemory();
  }
  if (sseStreams.size == 0) return;
  const ids = sseStreams.values();
  for (let i = 0; i < ids.length; i++) {
    const s = streamOf(ids[i]);
    if (s === null) {
      sseStreams.delete(ids[i]);
      continue;
    }
    if (s.plugin.id != rootId) continue;
    setEffectiveContext(s.id);
    const t = enter(s.obs, s.timed);
    s.onTick(now);
    leave(s.obs, t);
  }
}

/** A new root context (parent 0) or a new HTTP stream of a root context. */
export function proxy_on_context_create(id: u32, parentId: u32): void {
  if (parentId == 0) {
    if (!plugins.has(id)) plugins.set(id, new Plugin(id));
    return;
  }
  const p = pluginOf(parentId);
  if (p === null) return;
  p.onStream();
  streams.set(id, new Stream(id, p));
}

// Each stream callback runs between enter() and leave() (filter/observe.ts): the request is
// the current one for the hooks, and the callback's time counts as the filter's own.

export function proxy_on_request_headers(id: u32, headers: u32, endOfStream: u32): i32 {
  const s = streamOf(id);
  if (s === null) return CONTINUE;
  const t = enter(null, s.plugin.timed);
  const r = s.onRequestHeaders(endOfStream != 0);
  leave(s.obs, t);
  return r;
}

export function proxy_on_request_body(id: u32, size: u32, endOfStream: u32): i32 {
  const s = streamOf(id);
  if (s === null) return CONTINUE;
  const t = enter(s.obs, s.timed);
  const r = s.onRequestBody(size, endOfStream != 0);
  leave(s.obs, t);
  return r;
}

export function proxy_on_request_trailers(id: u32, trailers: u32): i32 {
  const s = streamOf(id);
  if (s === null) return CONTINUE;
  const t = enter(s.obs, s.timed);
  const r = s.onRequestTrailers();
  leave(s.obs, t);
  return r;
}

export function proxy_on_response_headers(id: u32, headers: u32, endOfStream: u32): i32 {
  const s = streamOf(id);
  if (s === null) return CONTINUE;
  const t = enter(s.obs, s.timed);
  const r = s.onResponseHeaders(endOfStream != 0);
  leave(s.obs, t);
  return r;
}

export function proxy_on_response_body(id: u32, size: u32, endOfStream: u32): i32 {
  const s = streamOf(id);
  if (s === null) return CONTINUE;
  const t = enter(s.obs, s.timed);
  const r = s.onResponseBody(size, endOfStream != 0);
  leave(s.obs, t);
  return r;
}

/**
 * A dispatched call's answer. Envoy may name the root or the stream context here, so the
 * token registry decides; the stream is made the effective context so that a local reply
 * or header change acts on the right stream.
 */
export function proxy_on_http_call_response(id: u32, token: u32, headers: u32, bodySize: u32, trailers: u32): void {
  if (!calls.has(token)) return;
  const streamId = calls.get(token);
  calls.delete(token);
  const s = streamOf(streamId);
  if (s === null) return;
  const h = headers > 0 ? getHeaders(HeaderMap.HttpCallResponse) : new Array<Header>();
  const body = getBuffer(Buffer.HttpCallResponseBody, 0, bodySize);
  setEffectiveContext(streamId);
  const t = enter(s.obs, s.timed);
  s.onHttpCallResponse(token, h, body);
  leave(s.obs, t);
}

/** The host asks whether the context may be deleted now. */
export function proxy_on_done(id: u32): u32 {
  return 1;
}

export function proxy_on_log(id: u32): void {}

/** The context is gone; no callback will name it again. */
export function proxy_on_delete(id: u32): void {
  const s = streamOf(id);
  if (s !== null) {
    s.onDelete();
    streams.delete(id);
    return;
  }
  if (plugins.has(id)) plugins.delete(id);
}
