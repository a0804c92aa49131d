// A throwaway proxy-wasm module for tests/oauth-probe.test.mjs: it answers every request
// locally with what Envoy's get_property returns for the paths named in the `x-probe` request
// header (paths separated by `;`, segments by `|`), as JSON lines {"path", "status", "hex"}.
// It documents, in real Envoy, how jwt_authn's verified payload reaches a wasm filter.
import * as imports from "@solo-io/proxy-runtime/assembly/imports";
export * from "@solo-io/proxy-runtime/assembly/malloc";
import "../../../assembly/host/abort";

const outPtr = new StaticArray<usize>(1);
const outSize = new StaticArray<usize>(1);

function hex(ptr: usize, size: usize): string {
  const digits = "0123456789abcdef";
  let s = "";
  for (let i: usize = 0; i < size; i++) {
    const b = load<u8>(ptr + i);
    s += digits.charAt(b >> 4) + digits.charAt(b & 15);
  }
  return s;
}

function probe(path: string): string {
  const p = String.UTF8.encode(path.replaceAll("|", "\0"));
  store<usize>(changetype<usize>(outPtr), 0);
  store<usize>(changetype<usize>(outSize), 0);
  const status = imports.proxy_get_property(changetype<usize>(p), p.byteLength, changetype<usize>(outPtr), changetype<usize>(outSize));
  const ptr = load<usize>(changetype<usize>(outPtr));
  const size = load<usize>(changetype<usize>(outSize));
  const h = ptr != 0 ? hex(ptr, size) : "";
  return '{"path":"' + path + '","status":' + status.toString() + ',"hex":"' + h + '"}';
}

/** ABI version marker. */
export function proxy_abi_version_0_2_0(): void {}
/** Nothing to start. */
export function proxy_on_vm_start(r: u32, s: u32): u32 { return 1; }
/** Any configuration. */
export function proxy_on_configure(r: u32, s: u32): u32 { return 1; }
/** No per-context state. */
export function proxy_on_context_create(id: u32, parent: u32): void {}
/** Answers with the probed properties. */
export function proxy_on_request_headers(id: u32, n: u32, eos: u32): u32 {
  const key = String.UTF8.encode("x-probe");
  store<usize>(changetype<usize>(outPtr), 0);
  let lines = "";
  if (imports.proxy_get_header_map_value(0, changetype<usize>(key), key.byteLength, changetype<usize>(outPtr), changetype<usize>(outSize)) == 0) {
    const v = String.UTF8.decodeUnsafe(load<usize>(changetype<usize>(outPtr)), load<usize>(changetype<usize>(outSize)));
    const paths = v.split(";");
    for (let i = 0; i < paths.length; i++) lines += probe(paths[i]) + "\n";
  }
  const body = String.UTF8.encode(lines);
  const details = String.UTF8.encode("probe");
  const headers = new ArrayBuffer(4);
  imports.proxy_send_local_response(200, changetype<usize>(details), details.byteLength, changetype<usize>(body), body.byteLength,
    changetype<usize>(headers), 4, -1);
  return 1;
}
/** Done. */
export function proxy_on_done(id: u32): u32 { return 1; }
/** Nothing to log. */
export function proxy_on_log(id: u32): void {}
/** Nothing to free. */
export function proxy_on_delete(id: u32): void {}
