// Context bookkeeping. AssemblyScript has no closures, so an http call's answer is routed
// by token: token → stream id → Stream. An answer whose stream is gone is dropped. Every
// lookup checks `has` first (a Map miss throws, and a throw traps the VM).
import { Plugin } from "./plugin";
import { Stream } from "./stream";

/** Root contexts by id. */
export const plugins = new Map<u32, Plugin>();
/** Live HTTP streams by id. */
export const streams = new Map<u32, Stream>();
/** Streams of the sse transport that wait on the backend stream (checked by the tick). */
export const sseStreams = new Set<u32>();
/** Pending dispatched calls: token → stream id. */
export const calls = new Map<u32, u32>();

/** The plugin with `id`, or null. */
export function pluginOf(id: u32): Plugin | null {
  return plugins.has(id) ? plugins.get(id) : null;
}

/** The stream with `id`, or null. */
export function streamOf(id: u32): Stream | null {
  return streams.has(id) ? streams.get(id) : null;
}
