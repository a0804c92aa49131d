// The compiled module may import only what Envoy's proxy-wasm host provides: a module that
// imports anything else fails to link, and Envoy refuses the whole filter chain. AssemblyScript
// pulls in JS-host imports quietly (`env.abort`, `env.seed` from Math.random, `Date.now`,
// `console.log`, `env.trace`), so this test lists the module's imports and exports and checks
// them against the host's own tables.
//
// Source of the tables: proxy-wasm/proxy-wasm-cpp-host (the host library inside Envoy),
// `include/proxy-wasm/exports.h` (FOR_ALL_HOST_FUNCTIONS, FOR_ALL_WASI_FUNCTIONS) and
// `WasmBase::registerCallbacks` in `src/wasm.cc` (the ABI-specific extras). Checked at commits
// beb8a4e (2026-01) and f2db56a (2026-06); the `proxy_*` tables are unchanged since 2022.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The module under test; MCP_PROXY_WASM overrides (e.g. to check the debug build). */
const WASM_PATH = process.env.MCP_PROXY_WASM ?? fileURLToPath(new URL('../build/mcp-proxy.wasm', import.meta.url));

/** FOR_ALL_HOST_FUNCTIONS: registered as `env.proxy_<name>` under every ABI version. */
const HOST_FUNCTIONS_ALL_ABIS = [
  'log', 'get_status', 'set_property', 'get_property', 'send_local_response',
  'get_shared_data', 'set_shared_data', 'register_shared_queue', 'resolve_shared_queue',
  'dequeue_shared_queue', 'enqueue_shared_queue', 'get_header_map_value',
  'add_header_map_value', 'replace_header_map_value', 'remove_header_map_value',
  'get_header_map_pairs', 'set_header_map_pairs', 'get_header_map_size',
  'get_buffer_status', 'get_buffer_bytes', 'set_buffer_bytes',
  'http_call', 'grpc_call', 'grpc_stream', 'grpc_close', 'grpc_cancel', 'grpc_send',
  'set_tick_period_milliseconds', 'get_current_time_nanoseconds', 'define_metric',
  'increment_metric', 'record_metric', 'get_metric', 'set_effective_context', 'done',
  'call_foreign_function',
];

/** registerCallbacks: extras for a module exporting `proxy_abi_version_0_2_0`. */
const HOST_FUNCTIONS_ABI_0_2_0 = ['continue_stream', 'close_stream'];

/** Every `env.proxy_*` function Envoy links for an ABI 0.2.0 module. */
const PROXY_ALLOWED = new Set(
  [...HOST_FUNCTIONS_ALL_ABIS, ...HOST_FUNCTIONS_ABI_0_2_0].map((n) => 'proxy_' + n),
);

/**
 * Names a proxy-wasm SDK may import that this host does NOT link for ABI 0.2.0, with the reason
 * (registerCallbacks registers them only for another ABI, or only Higress's fork has them).
 */
const PROXY_ABSENT = new Map([
  ['proxy_get_configuration', 'ABI 0.1.0 only'],
  ['proxy_continue_request', 'ABI 0.1.0 only'],
  ['proxy_continue_response', 'ABI 0.1.0 only'],
  ['proxy_clear_route_cache', 'ABI 0.1.0 only'],
  ['proxy_get_log_level', 'ABI 0.2.1 only; the module declares 0.2.0'],
  ['proxy_inject_encoded_data_to_filter_chain', 'Higress fork only'],
  ['proxy_redis_init', 'Higress fork only'],
  ['proxy_redis_call', 'Higress fork only'],
]);

/**
 * FOR_ALL_WASI_FUNCTIONS as of beb8a4e, registered under both `wasi_snapshot_preview1` and
 * `wasi_unstable`. Later hosts (94091cd, 2026-04) add more (fd_pread, sock_*, path_link, ...);
 * this is the set every recent Envoy links, so a module that stays inside it loads everywhere.
 */
const WASI_ALLOWED = new Set([
  'fd_write', 'fd_read', 'fd_seek', 'fd_close', 'fd_fdstat_get', 'fd_fdstat_set_flags',
  'environ_get', 'environ_sizes_get', 'args_get', 'args_sizes_get', 'clock_time_get',
  'random_get', 'sched_yield', 'poll_oneoff', 'proc_exit', 'path_open',
  'fd_prestat_get', 'fd_prestat_dir_name',
]);
const WASI_MODULES = new Set(['wasi_snapshot_preview1', 'wasi_unstable']);

/** Exports the host looks up and the filter needs (see WasmBase::getFunctions). */
const REQUIRED_EXPORTS = [
  'malloc',
  'memory',
  '_initialize',
  'proxy_abi_version_0_2_0',
  'proxy_on_context_create',
  'proxy_on_configure',
  'proxy_on_request_headers',
  'proxy_on_request_body',
  'proxy_on_http_call_response',
];

let modulePromise;
/** The compiled module; fails (never skips) when the build is missing. */
function loadModule() {
  modulePromise ??= readFile(WASM_PATH).then(
    (bytes) => WebAssembly.compile(bytes),
    (err) => {
      throw new Error(`cannot read ${WASM_PATH} (run \`npm run build\`): ${err.message}`);
    },
  );
  return modulePromise;
}

const describe = (i) => `${i.module}.${i.name} (${i.kind})`;

test('every import comes from env.proxy_* or WASI', async () => {
  const imports = WebAssembly.Module.imports(await loadModule());
  const foreign = imports.filter(
    (i) => !(i.module === 'env' && i.name.startsWith('proxy_')) && !WASI_MODULES.has(i.module),
  );
  assert.deepEqual(foreign.map(describe), [], 'imports Envoy does not provide');
});

test('every import is a function (the host provides no memory, table or global)', async () => {
  const imports = WebAssembly.Module.imports(await loadModule());
  assert.deepEqual(imports.filter((i) => i.kind !== 'function').map(describe), []);
});

test('every env.proxy_* import is an ABI 0.2.0 host function', async () => {
  const imports = WebAssembly.Module.imports(await loadModule());
  const bad = imports
    .filter((i) => i.module === 'env' && i.name.startsWith('proxy_') && !PROXY_ALLOWED.has(i.name))
    .map((i) => `${i.name}${PROXY_ABSENT.has(i.name) ? ` (${PROXY_ABSENT.get(i.name)})` : ''}`);
  assert.deepEqual(bad, [], 'env imports the host does not link under ABI 0.2.0');
});

test('every WASI import is one the host links', async () => {
  const imports = WebAssembly.Module.imports(await loadModule());
  const bad = imports.filter((i) => WASI_MODULES.has(i.module) && !WASI_ALLOWED.has(i.name));
  assert.deepEqual(bad.map(describe), []);
});

test('exports what the host looks up', async () => {
  const exports = WebAssembly.Module.exports(await loadModule());
  const names = new Set(exports.map((e) => e.name));
  const missing = REQUIRED_EXPORTS.filter((n) => !names.has(n));
  assert.deepEqual(missing, [], 'missing exports');
  const kind = new Map(exports.map((e) => [e.name, e.kind]));
  assert.equal(kind.get('memory'), 'memory');
  for (const n of REQUIRED_EXPORTS.filter((n) => n !== 'memory')) {
    assert.equal(kind.get(n), 'function', `${n} must be a function`);
  }
});

test('declares exactly one proxy-wasm ABI version, 0.2.0', async () => {
  // The host takes the first `proxy_abi_version_*` export it meets (BytecodeUtil::getAbiVersion);
  // two of them would make the ABI — and so the set of linked functions — depend on order.
  const exports = WebAssembly.Module.exports(await loadModule());
  const abis = exports.map((e) => e.name).filter((n) => n.startsWith('proxy_abi_version_'));
  assert.deepEqual(abis, ['proxy_abi_version_0_2_0']);
});

test('the allowlists are consistent', () => {
  for (const name of PROXY_ABSENT.keys()) {
    assert.ok(!PROXY_ALLOWED.has(name), `${name} is listed both as linked and as absent`);
  }
  assert.equal(PROXY_ALLOWED.size, HOST_FUNCTIONS_ALL_ABIS.length + HOST_FUNCTIONS_ABI_0_2_0.length);
});
