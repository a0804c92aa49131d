// Helpers for the MCP 2026-07-28 ("modern") e2e tests: the four client kinds (SDK v2 pinned /
// auto / legacy, SDK 1.x), the five backend kinds (SDK v2 modern-only and dual-era, SDK 1.x
// stateful and stateless, Python mcp 2.3.0), gateway configs, and raw modern requests with
// the `_meta` envelope and mirrored headers a conforming client sends.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startBackend } from '../../examples/backend/server.mjs';
import { startModernBackend } from '../../examples/backend/modern-server.mjs';
import { startPythonBackend } from './backends.mjs';
import { nodeFetch, postJson, ROOT, startEnvoy, wasmFailures, withEnvoyLog } from './envoy.mjs';

/** The modern revision. */
export const MODERN = '2026-07-28';
/** Every version the gateway speaks, newest first (its -32022 `supported` list). */
export const GATEWAY_VERSIONS = ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
/** `_meta` keys of the per-request envelope. */
export const K = {
  version: 'io.modelcontextprotocol/protocolVersion',
  info: 'io.modelcontextprotocol/clientInfo',
  caps: 'io.modelcontextprotocol/clientCapabilities',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
};
/** The clientInfo the gateway presents to modern backends. */
export const GATEWAY_CLIENT_INFO = { name: 'mcp-proxy-wasm', version: '0.1.0' };
export const ALLOW_HEADER = 'x-envoy-allow-mcp-tools';
/** Host of the `_rules_` entry that narrows the policy to allowTools ['echo']. */
export const ALLOW_HOST = 'allow.test';
export const PYTHON2 = `${ROOT}/tests/.venv-mcp2/bin/python`;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const rpc = (id, method, params) => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });

/** A modern `_meta`: version, clientInfo, capabilities, plus `extra` keys. */
export function meta({ version = MODERN, caps = {}, info = { name: 'raw-modern', version: '1.0.0' }, ...extra } = {}) {
  return { [K.version]: version, ...(info ? { [K.info]: info } : {}), ...(caps ? { [K.caps]: caps } : {}), ...extra };
}

/** The mirrored headers of a modern request (Mcp-Name given as it goes on the wire). */
export function modernHeaders(method, name, extra = {}) {
  return { 'mcp-protocol-version': MODERN, 'mcp-method': method, ...(name !== undefined ? { 'mcp-name': name } : {}), ...extra };
}

/** `=?base64?…?=` form of a mirrored value. */
export const b64 = (s) => `=?base64?${Buffer.from(s, 'utf8').toString('base64')}?=`;

/**
 * POSTs a well-formed modern request (envelope + mirrors derived from the body); `params`
 * without `_meta` gets meta(); `headers` override (undefined values drop a header).
 */
export function modernPost(url, id, method, params = {}, headers = {}) {
  const p = { ...params, _meta: params._meta ?? meta() };
  const name = method === 'tools/call' || method === 'prompts/get' ? p.name : method === 'resources/read' ? p.uri : undefined;
  const h = { ...modernHeaders(method, typeof name === 'string' ? name : undefined), ...headers };
  for (const k of Object.keys(h)) if (h[k] === undefined) delete h[k];
  return postJson(url, rpc(id, method, p), h);
}

/** Terminating-mode config; with `allowRule`, requests for Host allow.test get allowTools ['echo']. */
export function termConfig(backend, { name = 'modern-gw', allowRule = false, server = {}, ...top } = {}) {
  const base = { name, type: 'mcp-proxy', mcpServerURL: backend.url, timeout: 5000, ...server };
  return {
    server: base,
    ...(allowRule ? { _rules_: [{ _match_domain_: [ALLOW_HOST], server: { ...base, name: `${name}-allow` }, allowTools: ['echo'] }] } : {}),
    ...top,
  };
}

/** Pass-through config. */
export function passConfig(backend, { name = 'modern-pt', server = {}, ...top } = {}) {
  return { server: { name, type: 'mcp-passthrough', mcpServerURL: backend.url, ...server }, ...top };
}

/** Stops an Envoy (if started) and asserts its log shows no wasm failure (trap, abort). */
export async function stopGateway(envoy) {
  if (!envoy) return;
  await envoy.stop();
  assert.deepEqual(wasmFailures(envoy.log()), [], 'wasm failures in the Envoy log');
}

/** Envoy with `pluginConfig` in front of backend. */
export function startGateway(backend, pluginConfig) {
  return startEnvoy({ pluginConfig, backendPort: backend.port });
}

/**
 * Registers before/after hooks (call it inside a describe) that start `startBackendFn()` and a
 * gateway with `configFn(backend)`; returns { backend, envoy } (filled in by `before`) and
 * `test(title, fn)`, whose failures carry Envoy's log.
 */
export function gatewayFor(startBackendFn, configFn = (b) => termConfig(b, { allowRule: true }), timeoutMs = 20000) {
  const g = {};
  before(async () => {
    g.backend = await startBackendFn();
    g.envoy = await startGateway(g.backend, configFn(g.backend));
  });
  after(async () => {
    await g.backend?.close();
    await stopGateway(g.envoy);
  });
  g.test = (title, fn) => it(title, { timeout: timeoutMs }, () => withEnvoyLog(g.envoy, fn));
  return g;
}

/** The client kinds of the matrix: label → v2 negotiation mode, or 'v1'. */
export const CLIENT_KINDS = { 'v2 pinned': { pin: MODERN }, 'v2 auto': 'auto', 'v2 legacy': 'legacy', 'SDK 1.x': 'v1' };

/** True when a client of this kind speaks 2026-07-28 to the gateway (which speaks it). */
export const speaksModern = (kind) => kind === 'v2 pinned' || kind === 'v2 auto';

/**
 * A client of `kind` connected to url. Options: host (sent as Host), headers, capabilities
 * (v2), onElicit (v2 elicitation/create handler), log (the nodeFetch exchange log).
 */
export async function connectClient(kind, url, { host, headers, capabilities = {}, onElicit, log = [] } = {}) {
  const mode = CLIENT_KINDS[kind];
  assert.ok(mode, `unknown client kind ${kind}`);
  const opts = { fetch: nodeFetch(log, { host }), ...(headers ? { requestInit: { headers } } : {}) };
  if (mode === 'v1') {
    const client = new ClientV1({ name: 'modern-e2e-v1', version: '1.0.0' });
    await client.connect(new TransportV1(new URL(url), opts));
    return client;
  }
  const client = new ClientV2({ name: 'modern-e2e-v2', version: '2.0.0' }, { versionNegotiation: { mode }, capabilities });
  if (onElicit) client.setRequestHandler('elicitation/create', onElicit);
  await client.connect(new TransportV2(new URL(url), opts));
  return client;
}

/** Starts the Python mcp 2.3.0 backend; `calls()` fetches its recorded tool runs. */
export async function startPyModernBackend() {
  const b = await startPythonBackend(`${ROOT}/examples/backend/modern_server.py`, { python: PYTHON2, urlPath: '/mcp' });
  b.calls = async () => (await fetch(`${b.baseUrl}/__calls`)).json();
  return b;
}

/**
 * The backend kinds: label → start(). Each resolves to { url, port, close(), runs() } where
 * runs() lists the names of the tools the backend executed.
 */
export const BACKEND_KINDS = {
  'v2 modern-only': async () => withRuns(await startModernBackend({ legacy: 'reject' }), (b) => b.calls.map((c) => c.name)),
  'v2 dual-era': async () => withRuns(await startModernBackend(), (b) => b.calls.map((c) => c.name)),
  'SDK 1.x stateful': async () => withRuns(await startBackend(), (b) => b.calls.map((c) => c.name)),
  'SDK 1.x stateless': async () => withRuns(await startBackend({ stateless: true, json: true }), (b) => b.calls.map((c) => c.name)),
  'Python 2.x': async () => withRuns(await startPyModernBackend(), async (b) => (await b.calls()).map((c) => c.name)),
};

function withRuns(b, runs) {
  b.runs = async () => runs(b);
  return b;
}

/** Requests POSTed to a recording backend since index `from`. */
export const postsSince = (backend, from) => backend.requests.slice(from).filter((r) => r.method === 'POST');

/** Asserts an HTTP status + JSON-RPC error code of a raw reply; returns the error. */
export function assertRefused(reply, status, code, what = '') {
  assert.equal(reply.status, status, `${what}: HTTP ${reply.status} ${reply.text}`);
  assert.equal(reply.json?.jsonrpc, '2.0', `${what}: not JSON-RPC: ${reply.text}`);
  assert.equal(reply.json?.error?.code, code, `${what}: ${reply.text}`);
  return reply.json.error;
}

/** Asserts a rejected SDK call carries JSON-RPC code `code` (and a matching message). */
export async function assertRpcRejects(promise, code, messageRe) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    if (messageRe) assert.match(err.message, messageRe);
    return true;
  });
}
