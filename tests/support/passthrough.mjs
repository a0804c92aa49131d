// Shared by the pass-through e2e files (passthrough*.test.mjs): the plugin config, an SDK
// client with notification/sampling capture, raw session helpers, SSE reading and a
// describe block with one backend + Envoy per suite.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { postJson, startEnvoy, withEnvoyLog } from './envoy.mjs';
import { waitFor } from './wait.mjs';

export { waitFor };

export const TEST_TIMEOUT = 60000;
export const GATEWAY_ID = /^[A-Za-z0-9_-]{26}$/;
export const SESSION_HEADER = 'mcp-session-id';
export const PROTOCOL = '2025-06-18';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const rpc = (id, method, params) => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
export const note = (method, params) => ({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
export const INIT_PARAMS = { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'raw', version: '0' } };

/** Pass-through plugin config for a backend; `server` overrides server fields. */
export function ptConfig(backend, { server = {}, ...top } = {}) {
  return { server: { name: 'pt', type: 'mcp-passthrough', mcpServerURL: backend.url, ...server }, ...top };
}

export function startGateway(backend, overrides, envoyOpts = {}) {
  return startEnvoy({ pluginConfig: ptConfig(backend, overrides), backendPort: backend.port, ...envoyOpts });
}

/**
 * An SDK client connected to url. Every notification without its own handler lands in
 * `notifications`; with `sampling`, the client answers sampling/createMessage itself.
 * @returns {Promise<{client: Client, transport: StreamableHTTPClientTransport, notifications: any[],
 *   samplingRequests: any[], log: any[], errors: Error[]}>}
 */
export async function connect(url, { headers, fetch, sampling = false, log = [] } = {}) {
  const client = new Client({ name: 'pt-e2e', version: '1.0.0' }, { capabilities: sampling ? { sampling: {} } : {} });
  const notifications = [];
  const samplingRequests = [];
  const errors = [];
  client.fallbackNotificationHandler = async (n) => { notifications.push(n); };
  if (sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      samplingRequests.push(request);
      const q = request.params.messages[0]?.content?.text ?? '';
      return { model: 'test-model', role: 'assistant', content: { type: 'text', text: `answer to "${q}"` }, stopReason: 'endTurn' };
    });
  }
  const opts = {};
  if (headers) opts.requestInit = { headers };
  if (fetch) opts.fetch = fetch;
  const transport = new StreamableHTTPClientTransport(new URL(url), opts);
  client.onerror = (e) => errors.push(e);
  await client.connect(transport);
  return { client, transport, notifications, samplingRequests, log, errors };
}

/** The backend session id issued since `known` (a copy of issuedSessionIds taken before). */
export function newBackendId(backend, known) {
  const fresh = [...backend.issuedSessionIds].filter((id) => !known.has(id));
  assert.equal(fresh.length, 1, `expected one new backend session, got ${fresh.length}`);
  return fresh[0];
}

/** Asserts a reply is the gateway's own 404: JSON-RPC -32001 "Session not found". */
export function assertGateway404(reply, what = '') {
  assert.equal(reply.status, 404, `${what}: HTTP ${reply.status}: ${reply.text}`);
  assert.ok(reply.json, `${what}: 404 body is not JSON: ${JSON.stringify(reply.text)}`);
  assert.equal(reply.json.jsonrpc, '2.0');
  assert.equal(reply.json.error?.code, -32001, `${what}: ${reply.text}`);
  assert.equal(reply.json.error?.message, 'Session not found', `${what}: ${reply.text}`);
}

/** Asserts that an SDK call failed with HTTP 404. */
export async function assertHttp404(promise) {
  await assert.rejects(promise, (err) => {
    assert.ok(err.code === 404 || /\b404\b/.test(err.message), `expected HTTP 404, got ${err.code}: ${err.message}`);
    return true;
  });
}

/** Parses an SSE body into events { event, id, data } (data lines joined with \n). */
export function parseSse(text) {
  const events = [];
  for (const block of text.replace(/\r\n?/g, '\n').split('\n\n')) {
    if (block.trim() === '') continue;
    const ev = { event: 'message', id: undefined, data: [], comment: false };
    let fields = 0;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      fields++;
      const i = line.indexOf(':');
      const name = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? '' : line.slice(i + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (name === 'event') ev.event = value;
      else if (name === 'id') ev.id = value;
      else if (name === 'data') ev.data.push(value);
    }
    if (fields === 0) continue;
    events.push({ event: ev.event, id: ev.id, data: ev.data.join('\n') });
  }
  return events;
}

/** JSON-RPC messages in an SSE or JSON reply body. */
export function messagesOf(reply) {
  if (/text\/event-stream/.test(reply.headers['content-type'] ?? '')) {
    return parseSse(reply.text).filter((e) => e.data !== '').map((e) => JSON.parse(e.data));
  }
  return reply.json === undefined ? [] : [reply.json];
}

/**
 * Opens a streaming request (a GET SSE stream, or a POST whose SSE reply is read as it comes).
 * Resolves on the response headers with { status, headers, text(), chunks, waitFor(pred), close() };
 * chunks are { at: ms since the request, text }.
 */
export function openStream(url, { method = 'GET', headers = {}, body } = {}) {
  const u = new URL(url);
  const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname, method, agent: false,
      headers: { ...(payload ? { 'content-length': String(payload.length), 'content-type': 'application/json' } : {}), ...headers },
    }, (res) => {
      const chunks = [];
      let ended = false;
      res.setEncoding('utf8');
      res.on('data', (c) => chunks.push({ at: Date.now() - t0, text: c }));
      res.on('end', () => { ended = true; });
      res.on('error', () => { ended = true; });
      const text = () => chunks.map((c) => c.text).join('');
      resolve({
        status: res.statusCode,
        headers: res.headers,
        chunks,
        text,
        ended: () => ended,
        waitFor: (pred, what, timeoutMs) => waitFor(() => pred(text()), what, timeoutMs),
        close: () => { req.destroy(); },
      });
    });
    req.on('error', (e) => { if (!req.res) reject(e); });
    if (payload) req.write(payload);
    req.end();
  });
}

/** Raw initialize (+ notifications/initialized): { gid, reply }. */
export async function rawSession(url, headers = {}) {
  const reply = await postJson(url, rpc(1, 'initialize', INIT_PARAMS), headers);
  assert.equal(reply.status, 200, `initialize: HTTP ${reply.status}: ${reply.text}`);
  const gid = reply.headers[SESSION_HEADER];
  const ack = await postJson(url, note('notifications/initialized'), { ...headers, ...(gid ? { [SESSION_HEADER]: gid } : {}), 'mcp-protocol-version': PROTOCOL });
  assert.equal(ack.status, 202, `notifications/initialized: HTTP ${ack.status}: ${ack.text}`);
  return { gid, reply };
}

/** POSTs one JSON-RPC message in session gid. */
export function sessionPost(url, gid, body, headers = {}) {
  return postJson(url, body, { [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL, ...headers });
}

/** Backend requests (after index `from`) that carry the backend session id `bid`. */
export const requestsOf = (backend, bid, from = 0) => backend.requests.slice(from).filter((r) => r.headers[SESSION_HEADER] === bid);

/** Per-worker accepted connection counts of Envoy's listener: [worker_0, worker_1, ...]. */
export async function workerConnections(envoy) {
  const { text } = await envoy.admin('/stats?filter=worker_[0-9]+\\.downstream_cx_total');
  const counts = [];
  for (const m of text.matchAll(/^listener\.[^\n]*\.worker_(\d+)\.downstream_cx_total: (\d+)$/gm)) counts[Number(m[1])] = Number(m[2]);
  return counts;
}

/** Runs fn over items with at most `limit` in flight; results in item order. */
export async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * A describe block with one backend + Envoy shared by its tests; `test(title, fn)` wraps fn
 * so that a failure carries Envoy's log.
 */
export function gatewaySuite(name, { backend: makeBackend, config, envoy: envoyOpts }, body) {
  describe(name, () => {
    const ctx = { clients: [] };
    before(async () => {
      ctx.backend = await makeBackend();
      ctx.envoy = await startGateway(ctx.backend, typeof config === 'function' ? config(ctx.backend) : config, envoyOpts);
    });
    after(async () => {
      for (const c of ctx.clients) await c.client.close().catch(() => {});
      await ctx.envoy?.stop();
      await ctx.backend?.close();
    });
    /** connect() whose client is closed after the suite. */
    ctx.connect = async (opts) => {
      const c = await connect(ctx.envoy.url, opts);
      ctx.clients.push(c);
      return c;
    };
    const test = (title, fn, opts = {}) => it(title, { timeout: TEST_TIMEOUT, ...opts }, () => withEnvoyLog(ctx.envoy, () => fn(ctx)));
    body(test, ctx);
  });
}
