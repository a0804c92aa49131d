// ABI calls the SDK (proxy-runtime 0.1.8) does not declare, or declares under a wrong
// import name. Kept in one place so the module's import list stays auditable: Envoy
// refuses to load a module that imports a function the host does not provide.

/** Replaces bytes of a body buffer (`proxy_set_buffer_bytes`, ABI 0.2.x). */
// @ts-ignore: decorator
@external("env", "proxy_set_buffer_bytes")
export declare function proxy_set_buffer_bytes(typ: i32, start: u32, length: u32, data: usize, size: usize): u32;

/** Fills `len` bytes at `buf` with cryptographically secure random bytes. */
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
export declare function wasi_random_get(buf: usize, len: usize): u16;
