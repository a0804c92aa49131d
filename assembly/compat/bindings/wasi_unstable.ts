// Compatibility shim: proxy-runtime 0.1.8 imports `proc_exit` from a library path that
// modern AssemblyScript no longer ships. Envoy provides the WASI preview1 module, where
// proc_exit only logs.

/** Terminates the module (Envoy: logs only). */
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "proc_exit")
export declare function proc_exit(rval: u32): void;
