// Entry file. (Not named index.ts: json-as 1.6's transform mistakes an entry at assembly/index.ts
// for its own library entry and drops every export of the module.)
// mcp-proxy-wasm: the module's ABI surface (proxy-wasm ABI 0.2.0). The SDK supplies the
// host-call declarations and `malloc`; the entry points are our own so that an unknown
// context id or a late http-call answer is dropped instead of trapping (see filter/registry).
export * from "@solo-io/proxy-runtime/assembly/malloc";
export { proxy_abi_version_0_2_0, proxy_on_vm_start, proxy_validate_configuration, proxy_on_configure,
  proxy_on_tick, proxy_on_context_create, proxy_on_request_headers, proxy_on_request_body,
  proxy_on_request_trailers, proxy_on_response_headers, proxy_on_response_body,
  proxy_on_http_call_response, proxy_on_done, proxy_on_log, proxy_on_delete } from "./filter/entry";
// The abort handler (`--use abort=abortProcExit`) is a global defined here.
import "./host/abort";
