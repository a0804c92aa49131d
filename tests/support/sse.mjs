// Shared by the transport-`sse` e2e files (sse*.test.mjs): the gateway config, the SDK
// client, reply assertions, and the suite that any real SSE server must pass.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { TINY_PNG_BASE64 } from '../../examples/backend/sse-server.mjs';
import { startEnvoy, withEnvoyLog } from './envoy.mjs';
import { eventually as pollUntil } from './wait.mjs';

export const SERVER_NAME = 'sse-demo';
export const TIMEOUT_MS = 3000;
export const TEST_TIMEOUT = 20000;
export const ALLOW_HEADER = 'x-envoy-allow-mcp-tools';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const sorted = (a) => [...a].sort();
export const rpc = (id, method, params) => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
export const callEcho = (id, text) => rpc(id, 'tools/call', { name: 'echo', arguments: { text } });

/** Higress-style plugin config with transport sse for an SSE URL on 127.0.0.1. */
export function sseConfig(url, { server = {}, ...top } = {}) {
  return {
    server: { name: SERVER_NAME, type: 'mcp-proxy', transport: 'sse', mcpServerURL: url, timeout: TIMEOUT_MS, ...server },
    ...top,
  };
}

/** Starts Envoy in front of an SSE backend ({port, url}). */
export function startGateway(backend, overrides) {
  return startEnvoy({ pluginConfig: sseConfig(backend.url, overrides), backendPort: backend.port });
}

/** An SDK client connected to the gateway; `headers` go on every request. */
export async function connect(url, headers) {
  const client = new Client({ name: 'sse-e2e-client', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), headers ? { requestInit: { headers } } : undefined);
  await client.connect(transport);
  return client;
}

/** Asserts that promise rejects with a JSON-RPC error of the given code (and message). */
export async function assertRpcError(promise, code, messageRe) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `expected JSON-RPC error ${code}, got ${err.code}: ${err.message}`);
    if (messageRe) assert.match(err.message, messageRe);
    return true;
  });
}

/** Asserts a raw reply is HTTP 200 application/json JSON-RPC with the given id. */
export function assertJsonReply(reply, id) {
  assert.equal(reply.status, 200, `HTTP ${reply.status}: ${reply.text}`);
  assert.match(reply.headers['content-type'] ?? '', /^application\/json/);
  assert.ok(reply.json, `reply is not JSON: ${JSON.stringify(reply.text)}`);
  assert.equal(reply.json.jsonrpc, '2.0');
  assert.deepEqual(reply.json.id, id, `id: ${reply.text.slice(0, 300)}`);
}

/** Polls cond() every 25 ms until it is true or ms elapsed; returns its last value. */
export const eventually = (cond, ms = 2000) => pollUntil(cond, ms, 25);

/** Wasm VM reloads (failure_policy FAIL_RELOAD re-creates a trapped VM): their total. */
export async function vmReloads(envoy) {
  const { text } = await envoy.admin('/stats?filter=wasm');
  let n = 0;
  for (const m of text.matchAll(/^\S*vm_reload\w*: (\d+)$/gm)) n += Number(m[1]);
  return n;
}

/**
 * Hooks of a suite over a real SSE server: ctx.backend from `startBackend()`, a gateway in front
 * of it (ctx.envoy) and one limited to `allowTools` (ctx.restricted), an SDK client on ctx.envoy
 * (ctx.client); all closed after the suite.
 */
export function realServerSuite(ctx, startBackend, allowTools) {
  before(async () => {
    ctx.backend = await startBackend();
    ctx.envoy = await startGateway(ctx.backend);
    ctx.restricted = await startGateway(ctx.backend, { allowTools });
    ctx.client = await connect(ctx.envoy.url);
  });
  after(async () => {
    await ctx.client?.close().catch(() => {});
    await ctx.envoy?.stop();
    await ctx.restricted?.stop();
    await ctx.backend?.close();
  });
}

/** Asserts that tools/call echo of `text` returns it as its only content, not as an error. */
export async function assertEcho(client, text) {
  const result = await client.callTool({ name: 'echo', arguments: { text } });
  assert.deepEqual(result.content, [{ type: 'text', text }]);
  assert.notEqual(result.isError, true);
}

/** Asserts that tools/call image returns the example PNG intact. */
export async function assertImage(client) {
  const result = await client.callTool({ name: 'image', arguments: {} });
  assert.deepEqual(result.content, [{ type: 'image', data: TINY_PNG_BASE64, mimeType: 'image/png' }]);
}

/** A describe-level `it` whose failures carry the Envoy log of `envoyOf()`. */
export const itWithLog = (envoyOf) => (title, fn, timeout = TEST_TIMEOUT) =>
  it(title, { timeout }, () => withEnvoyLog(envoyOf(), fn));
