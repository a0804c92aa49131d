// Compatibility shim: @solo-io/proxy-runtime 0.1.8 was written for AssemblyScript 0.14,
// whose reference-counting runtime exported __retain/__release from `rt/index-full`.
// AS 0.28's incremental GC pins objects instead; pinning is what the SDK's malloc needs
// (the host writes into the buffer, then the SDK hands the pointer back to GC ownership).

/** Keeps a host-owned allocation alive until released. */
export function __retain(ptr: usize): usize {
  return __pin(ptr);
}

/** Returns an allocation to the garbage collector. */
export function __release(ptr: usize): void {
  __unpin(ptr);
}
