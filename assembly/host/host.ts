// Host glue: the only module that calls the proxy-wasm host or touches raw pointers.
// Every call returns a value or a status; nothing here throws (the SDK's helpers wrap
// host calls in CHECK_RESULT, which throws on any non-Ok status, and a throw is a trap
// that kills the VM for every later request on this worker).
import * as imports from "@solo-io/proxy-runtime/assembly/imports";
import { free } from "@solo-io/proxy-runtime/assembly/malloc";
import { proxy_set_buffer_bytes, wasi_random_get } from "./abi";
import { Header } from "../http/header";
import { HeaderView, decodePairs, encodePairs } from "./pairs";

export { Header, HeaderView, decodePairs, encodePairs };

/** proxy-wasm WasmResult Ok. */
// @ts-ignore: decorator
@inline export const OK: u32 = 0;

/** Header map selectors (proxy-wasm HeaderMapType). */
export enum HeaderMap {
  Request = 0,
  Response = 2,
  HttpCallResponse = 6,
}

/** Body buffer selectors (proxy-wasm BufferType). */
export enum Buffer {
  RequestBody = 0,
  ResponseBody = 1,
  HttpCallResponseBody = 4,
  PluginConfiguration = 7,
}

/** Log levels (proxy-wasm LogLevel). */
export enum Level {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
  Critical = 5,
}

/** Out-parameters the host writes into: a malloc'd buffer pointer and its size. */
class OutBuffer {
  ptr: usize = 0;
  size: usize = 0;
}
const out = new OutBuffer();
const outU32 = new StaticArray<u32>(1);
const outU64 = new StaticArray<u64>(1);

function outPtr(): usize {
  return changetype<usize>(out) + offsetof<OutBuffer>("ptr");
}
function outSize(): usize {
  return changetype<usize>(out) + offsetof<OutBuffer>("size");
}

/** Takes ownership of the buffer the host allocated with our malloc. */
function takeOut(): ArrayBuffer {
  const ptr = out.ptr;
  const size = out.size;
  out.ptr = 0;
  out.size = 0;
  if (ptr == 0) return new ArrayBuffer(0);
  const buf = changetype<ArrayBuffer>(ptr);
  free(ptr);
  if (<usize>buf.byteLength != size) return buf.slice(0, <i32>size);
  return buf;
}

/** Sends a log line to the host at `level`. */
export function log(level: Level, message: string): void {
  const bytes = String.UTF8.encode(message);
  imports.proxy_log(<usize>level, changetype<usize>(bytes), bytes.byteLength);
}

/** Current wall-clock time in milliseconds (host clock). */
export function nowMs(): i64 {
  const p = changetype<usize>(outU64);
  if (imports.proxy_get_current_time_nanoseconds(p) != OK) return 0;
  return <i64>(load<u64>(p) / 1000000);
}

/** Sets the root context tick period; returns false when the host refused. */
export function setTickPeriod(ms: u32): bool {
  return imports.proxy_set_tick_period_milliseconds(ms) == OK;
}

/** Makes `contextId` the context later host calls act on (needed in http-call callbacks). */
export function setEffectiveContext(contextId: u32): bool {
  return imports.proxy_set_effective_context(contextId) == OK;
}

// ---------------------------------------------------------------- headers

/** One header value, or null when absent. */
export function getHeader(map: HeaderMap, name: string): string | null {
  const key = String.UTF8.encode(name);
  const r = imports.proxy_get_header_map_value(<i32>map, changetype<usize>(key), key.byteLength, outPtr(), outSize());
  if (r != OK) {
    takeOut();
    return null;
  }
  return String.UTF8.decode(takeOut());
}

/** Replaces (or adds) a header; false when the map is no longer writable. */
export function replaceHeader(map: HeaderMap, name: string, value: string): bool {
  const key = String.UTF8.encode(name);
  const val = String.UTF8.encode(value);
  return imports.proxy_replace_header_map_value(<i32>map, changetype<usize>(key), key.byteLength, changetype<usize>(val), val.byteLength) == OK;
}

/** Removes a header; false when the map is no longer writable. */
export function removeHeader(map: HeaderMap, name: string): bool {
  const key = String.UTF8.encode(name);
  return imports.proxy_remove_header_map_value(<i32>map, changetype<usize>(key), key.byteLength) == OK;
}

/** All headers of a map, decoded from the host's serialized pairs format. */
export function getHeaders(map: HeaderMap): Header[] {
  const result = new Array<Header>();
  if (imports.proxy_get_header_map_pairs(<i32>map, outPtr(), outSize()) != OK) {
    takeOut();
    return result;
  }
  return decodePairs(takeOut());
}

/** A lazily decoded view of a header map (one host call). */
export function headerView(map: HeaderMap): HeaderView {
  if (imports.proxy_get_header_map_pairs(<i32>map, outPtr(), outSize()) != OK) {
    takeOut();
    return new HeaderView(new ArrayBuffer(0));
  }
  return new HeaderView(takeOut());
}

// ---------------------------------------------------------------- bodies

/** `length` bytes of a buffer from `start`; empty when unavailable. */
export function getBuffer(which: Buffer, start: u32, length: u32): ArrayBuffer {
  if (length == 0) return new ArrayBuffer(0);
  if (imports.proxy_get_buffer_bytes(<i32>which, start, length, outPtr(), outSize()) != OK) {
    takeOut();
    return new ArrayBuffer(0);
  }
  return takeOut();
}

/** Replaces the whole of a body buffer with `data`. */
export function setBuffer(which: Buffer, currentSize: u32, data: ArrayBuffer): bool {
  return proxy_set_buffer_bytes(<i32>which, 0, currentSize, changetype<usize>(data), data.byteLength) == OK;
}

/** The plugin configuration bytes (empty when none). Reads the size itself (SDK defect). */
export function getPluginConfiguration(size: u32): ArrayBuffer {
  return getBuffer(Buffer.PluginConfiguration, 0, size);
}

// ---------------------------------------------------------------- local replies, streams

/**
 * Ends the current stream with a locally generated response. Envoy sends it downstream
 * instead of anything upstream produced, as long as response headers were not sent yet.
 */
export function sendLocalResponse(status: u32, details: string, body: ArrayBuffer, headers: Header[]): bool {
  const d = String.UTF8.encode(details);
  const h = encodePairs(headers);
  return imports.proxy_send_local_response(status, changetype<usize>(d), d.byteLength,
    changetype<usize>(body), body.byteLength, changetype<usize>(h), h.byteLength, -1) == OK;
}


// ---------------------------------------------------------------- http calls

/**
 * Dispatches an async HTTP call to `cluster`; returns the token (0 on failure, e.g. an
 * unknown cluster or missing pseudo-headers). The answer arrives in proxy_on_http_call_response.
 */
export function httpCall(cluster: string, headers: Header[], body: ArrayBuffer, timeoutMs: u32): u32 {
  const c = String.UTF8.encode(cluster);
  const h = encodePairs(headers);
  const t = encodePairs(new Array<Header>());
  const tokenPtr = changetype<usize>(outU32);
  store<u32>(tokenPtr, 0);
  const r = imports.proxy_http_call(changetype<usize>(c), c.byteLength, changetype<usize>(h), h.byteLength,
    changetype<usize>(body), body.byteLength, changetype<usize>(t), t.byteLength, timeoutMs, tokenPtr);
  if (r != OK) return 0;
  return load<u32>(tokenPtr);
}

// ---------------------------------------------------------------- properties

/** Encodes a property path ("a.b" segments) as the host expects: NUL-separated. */
function pathBytes(segments: string[]): ArrayBuffer {
  return String.UTF8.encode(segments.join("\0"));
}

/** A property as a string, or null when the host has no such property. */
export function getProperty(segments: string[]): string | null {
  const p = pathBytes(segments);
  if (imports.proxy_get_property(changetype<usize>(p), p.byteLength, outPtr(), outSize()) != OK) {
    takeOut();
    return null;
  }
  return String.UTF8.decode(takeOut());
}

/**
 * A property's bytes as Envoy serializes them (a message property such as `metadata` comes as
 * its protobuf encoding), or null when the host has no such property.
 */
export function getPropertyBytes(segments: string[]): ArrayBuffer | null {
  const p = pathBytes(segments);
  if (imports.proxy_get_property(changetype<usize>(p), p.byteLength, outPtr(), outSize()) != OK) {
    takeOut();
    return null;
  }
  return takeOut();
}

/** Sets a filter-state property (Envoy: `wasm.<name>`, readable from access logs). */
export function setProperty(name: string, value: string): bool {
  const p = String.UTF8.encode(name);
  const v = String.UTF8.encode(value);
  return imports.proxy_set_property(changetype<usize>(p), p.byteLength, changetype<usize>(v), v.byteLength) == OK;
}

// ---------------------------------------------------------------- randomness

/** `n` cryptographically random bytes from WASI random_get. */
export function randomBytes(n: i32): Uint8Array {
  const a = new Uint8Array(n);
  wasi_random_get(a.dataStart, <usize>n);
  return a;
}

// ---------------------------------------------------------------- shared data

/** A shared-data value and its CAS token. */
export class SharedValue {
  constructor(public value: string | null, public cas: u32) {}
}

/**
 * Reads `key` from the VM-wide shared data (one map per vm_id, shared by all worker
 * threads of the Envoy process). value null = absent.
 */
export function getShared(key: string): SharedValue {
  const k = String.UTF8.encode(key);
  const casPtr = changetype<usize>(outU32);
  store<u32>(casPtr, 0);
  if (imports.proxy_get_shared_data(changetype<usize>(k), k.byteLength, outPtr(), outSize(), casPtr) != OK) {
    takeOut();
    return new SharedValue(null, 0);
  }
  const cas = load<u32>(casPtr);
  return new SharedValue(String.UTF8.decode(takeOut()), cas);
}

/** Writes `key` (cas 0 = unconditionally); false on a CAS mismatch or host refusal. */
export function setShared(key: string, value: string, cas: u32): bool {
  const k = String.UTF8.encode(key);
  const v = String.UTF8.encode(value);
  return imports.proxy_set_shared_data(changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength, cas) == OK;
}
