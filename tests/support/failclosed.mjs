// Shared pieces of the fail-closed e2e tests (tests/failclosed-*.test.mjs): requests a gateway
// must refuse before any backend sees them. Each backend here records the tool calls it
// EXECUTED, so a test proves a refused tool never ran, not just that a reply looked right:
//   ts  examples/backend/server.mjs (TypeScript SDK; `calls` array, `requests` log)
//   go  tests/go/mcpgo (mcp-go; GET /__calls, GET /__requests)
//   py  examples/backend/streamable_server.py (Python SDK FastMCP; GET /__calls)
import assert from 'node:assert/strict';
import path from 'node:path';
import { it } from 'node:test';
import { startBackend } from '../../examples/backend/server.mjs';
import { startPythonBackend } from './backends.mjs';
import { ROOT, postJson, startEnvoy, wasmFailures, withEnvoyLog } from './envoy.mjs';
import { startGoBackend } from './gobackend.mjs';

/** Generous per-test timeout; nothing asserts a duration tighter than this. */
export const TEST_TIMEOUT = 60000;
/** The protocol version the raw clients speak (2025-03-26 still allows batches). */
export const PROTOCOL = '2025-03-26';
export const SESSION_HEADER = 'mcp-session-id';
export const INIT_PARAMS = { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'failclosed', version: '0' } };

/** A JSON-RPC request object. */
export const rpc = (id, method, params) => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
/** A JSON-RPC notification object. */
export const note = (method, params) => ({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Pass-through plugin config for a backend; `server` overrides server fields, the rest is top level. */
export function ptConfig(backend, { server = {}, ...top } = {}) {
  return { server: { name: 'pt', type: 'mcp-passthrough', mcpServerURL: backend.url, ...server }, ...top };
}

/** Terminating-mode plugin config for a backend. */
export function termConfig(backend, { server = {}, ...top } = {}) {
  return { server: { name: 'term', type: 'mcp-proxy', mcpServerURL: backend.url, timeout: 10000, ...server }, ...top };
}

/** A gateway in front of `backend` with the given plugin config. */
export function startGateway(backend, pluginConfig, envoyOpts = {}) {
  return startEnvoy({ pluginConfig, backendPort: backend.port, ...envoyOpts });
}

/**
 * A recording backend of one kind, with a uniform view: `executed()` resolves to the names of
 * the tools it ran so far, `calls()` to {name, arguments} entries.
 */
export async function startRecordingBackend(kind, opts = {}) {
  if (kind === 'go') {
    const b = await startGoBackend();
    return Object.assign(b, { kind, executed: async () => (await b.calls()).map((c) => c.name) });
  }
  if (kind === 'py') {
    const b = await startPythonBackend(path.join(ROOT, 'examples', 'backend', 'streamable_server.py'), { urlPath: '/mcp' });
    const calls = async () => (await fetch(`${b.baseUrl}/__calls`)).json();
    return Object.assign(b, { kind, calls, executed: async () => (await calls()).map((c) => c.name) });
  }
  const b = await startBackend({ json: true, ...opts });
  const log = b.calls;
  return Object.assign(b, { kind: 'ts', executed: async () => log.map((c) => c.name), calls: async () => [...log] });
}

/** Raw initialize + notifications/initialized through `url`: resolves to the gateway session id. */
export async function openSession(url, headers = {}) {
  const init = await postJson(url, rpc(1, 'initialize', INIT_PARAMS), headers);
  assert.equal(init.status, 200, `initialize: HTTP ${init.status}: ${init.text}`);
  const gid = init.headers[SESSION_HEADER];
  assert.ok(gid, `initialize answered without ${SESSION_HEADER}: ${JSON.stringify(init.headers)}`);
  const ack = await postJson(url, note('notifications/initialized'), { ...headers, [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL });
  assert.equal(ack.status, 202, `notifications/initialized: HTTP ${ack.status}: ${ack.text}`);
  return gid;
}

/** POSTs a body (object or exact text/bytes) in session `gid`. */
export function sessionPost(url, gid, body, headers = {}) {
  return postJson(url, body, { [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL, ...headers });
}

/** JSON-RPC messages of a reply body, JSON or SSE-framed. */
export function messagesOf(reply) {
  if (/text\/event-stream/.test(reply.headers['content-type'] ?? '')) {
    return reply.text.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim())
      .filter((d) => d !== '').map((d) => JSON.parse(d));
  }
  if (reply.json === undefined) return [];
  return Array.isArray(reply.json) ? reply.json : [reply.json];
}

/** Asserts a gateway error reply: exact HTTP status, a JSON-RPC 2.0 error with `code` (and id). */
export function assertRpcError(reply, status, code, what = '', { id } = {}) {
  const show = `${what}: HTTP ${reply.status}: ${reply.text.slice(0, 300)}`;
  assert.equal(reply.status, status, show);
  assert.ok(reply.json && typeof reply.json === 'object' && !Array.isArray(reply.json), `not one JSON-RPC object: ${show}`);
  assert.equal(reply.json.jsonrpc, '2.0', show);
  assert.equal(reply.json.error?.code, code, show);
  assert.equal(typeof reply.json.error?.message, 'string', show);
  if (id !== undefined) assert.deepEqual(reply.json.id, id, show);
}

/** Asserts that `backend` executed none of `tools` (names) since `before` (an executed() snapshot). */
export async function assertNotExecuted(backend, tools, before = [], what = '') {
  const now = await backend.executed();
  const ran = now.slice(before.length).filter((n) => tools.includes(n));
  assert.deepEqual(ran, [], `${what}: the ${backend.kind} backend executed ${ran.join(', ')} (all executions: ${JSON.stringify(now)})`);
}

/** Asserts that no request line of Envoy's log says the wasm VM failed. */
export function assertNoWasmFailure(envoy) {
  assert.deepEqual(wasmFailures(envoy.log()), [], 'wasm failures in Envoy\'s log');
}

/** `it` with the generous timeout, appending Envoy's log on failure; fn gets the test context. */
export function gwTest(title, getEnvoy, fn, opts = {}) {
  return it(title, { timeout: TEST_TIMEOUT, ...opts }, (t) => withEnvoyLog(getEnvoy(), () => fn(t)));
}

/** A tools/call body whose arguments hold `depth` nested arrays (the rest of the body is ordinary). */
export function deepCallBody(id, name, args, depth) {
  const a = JSON.stringify(args);
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${name}","arguments":${a.slice(0, -1)},"deep":${'['.repeat(depth)}${']'.repeat(depth)}}}}`;
}
