// E2E: the gateway's session pass-through mode (`server.type: "mcp-passthrough"`) in real
// Envoy, driven by the real MCP SDK client wherever it can be, in front of real SDK servers
// (examples/backend/full-server.mjs: tools, resources + subscriptions, prompts, completion,
// logging, progress, sampling; examples/backend/server.mjs: JSON/SSE, stateful/stateless)
// and scripted backends where exact bytes matter.
//
// What pass-through promises: every message reaches the backend through the route and the
// answers stream back as they arrive; the backend's Mcp-Session-Id is replaced by a gateway
// id (26 chars base64url: a slot number and 128 random bits) that every Envoy worker maps back; unknown,
// malformed or idle-expired gateway ids get a local 404 (JSON-RPC -32001 "Session not
// found") without contacting the backend; DELETE ends the mapping; tool policy is enforced
// in flight; Origin is checked and CORS answered locally.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { ALL_TOOLS, TINY_PNG_BASE64, startBackend } from '../examples/backend/server.mjs';
import {
  BACKEND_SESSION_NOT_FOUND, FULL_TOOLS, GREET_NAMES, NOTE_IDS, startFullBackend,
} from '../examples/backend/full-server.mjs';
import { startSseScriptBackend } from './support/backends.mjs';
import { nodeFetch, postJson, rawRequest, startEnvoy, withEnvoyLog } from './support/envoy.mjs';

const TEST_TIMEOUT = 60000;
const GATEWAY_ID = /^[A-Za-z0-9_-]{26}$/;
const SESSION_HEADER = 'mcp-session-id';
const PROTOCOL = '2025-06-18';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const rpc = (id, method, params) => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
const note = (method, params) => ({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
const INIT_PARAMS = { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'raw', version: '0' } };

/** Pass-through plugin config for a backend; `server` overrides server fields. */
function ptConfig(backend, { server = {}, ...top } = {}) {
  return { server: { name: 'pt', type: 'mcp-passthrough', mcpServerURL: backend.url, ...server }, ...top };
}

function startGateway(backend, overrides, envoyOpts = {}) {
  return startEnvoy({ pluginConfig: ptConfig(backend, overrides), backendPort: backend.port, ...envoyOpts });
}

/**
 * An SDK client connected to url. Every notification without its own handler lands in
 * `notifications`; with `sampling`, the client answers sampling/createMessage itself.
 * @returns {Promise<{client: Client, transport: StreamableHTTPClientTransport, notifications: any[],
 *   samplingRequests: any[], log: any[], errors: Error[]}>}
 */
async function connect(url, { headers, fetch, sampling = false, log = [] } = {}) {
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

/** Polls until pred() is truthy (returns its value) or fails after timeoutMs. */
async function waitFor(pred, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** The backend session id issued since `known` (a copy of issuedSessionIds taken before). */
function newBackendId(backend, known) {
  const fresh = [...backend.issuedSessionIds].filter((id) => !known.has(id));
  assert.equal(fresh.length, 1, `expected one new backend session, got ${fresh.length}`);
  return fresh[0];
}

/** Asserts a reply is the gateway's own 404: JSON-RPC -32001 "Session not found". */
function assertGateway404(reply, what = '') {
  assert.equal(reply.status, 404, `${what}: HTTP ${reply.status}: ${reply.text}`);
  assert.ok(reply.json, `${what}: 404 body is not JSON: ${JSON.stringify(reply.text)}`);
  assert.equal(reply.json.jsonrpc, '2.0');
  assert.equal(reply.json.error?.code, -32001, `${what}: ${reply.text}`);
  assert.equal(reply.json.error?.message, 'Session not found', `${what}: ${reply.text}`);
}

/** Asserts that an SDK call failed with HTTP 404. */
async function assertHttp404(promise) {
  await assert.rejects(promise, (err) => {
    assert.ok(err.code === 404 || /\b404\b/.test(err.message), `expected HTTP 404, got ${err.code}: ${err.message}`);
    return true;
  });
}

/** Parses an SSE body into events { event, id, data } (data lines joined with \n). */
function parseSse(text) {
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
function messagesOf(reply) {
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
function openStream(url, { method = 'GET', headers = {}, body } = {}) {
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
async function rawSession(url, headers = {}) {
  const reply = await postJson(url, rpc(1, 'initialize', INIT_PARAMS), headers);
  assert.equal(reply.status, 200, `initialize: HTTP ${reply.status}: ${reply.text}`);
  const gid = reply.headers[SESSION_HEADER];
  const ack = await postJson(url, note('notifications/initialized'), { ...headers, ...(gid ? { [SESSION_HEADER]: gid } : {}), 'mcp-protocol-version': PROTOCOL });
  assert.equal(ack.status, 202, `notifications/initialized: HTTP ${ack.status}: ${ack.text}`);
  return { gid, reply };
}

/** POSTs one JSON-RPC message in session gid. */
function sessionPost(url, gid, body, headers = {}) {
  return postJson(url, body, { [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL, ...headers });
}

/** Backend requests (after index `from`) that carry the backend session id `bid`. */
const requestsOf = (backend, bid, from = 0) => backend.requests.slice(from).filter((r) => r.headers[SESSION_HEADER] === bid);

/** Per-worker accepted connection counts of Envoy's listener: [worker_0, worker_1, ...]. */
async function workerConnections(envoy) {
  const { text } = await envoy.admin('/stats?filter=worker_[0-9]+\\.downstream_cx_total');
  const counts = [];
  for (const m of text.matchAll(/^listener\.[^\n]*\.worker_(\d+)\.downstream_cx_total: (\d+)$/gm)) counts[Number(m[1])] = Number(m[2]);
  return counts;
}

/** Runs fn over items with at most `limit` in flight; results in item order. */
async function pool(items, limit, fn) {
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
function gatewaySuite(name, { backend: makeBackend, config, envoy: envoyOpts }, body) {
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

// ---------------------------------------------------------------------------------------------
// 1. Everything MCP through the gateway.

gatewaySuite('pass-through: the whole protocol through the gateway (full SDK server, SSE)', {
  backend: () => startFullBackend(),
}, (test, ctx) => {
  let s; // { client, transport, notifications, samplingRequests, log }
  let bid;
  before(async () => {
    const known = new Set(ctx.backend.issuedSessionIds);
    s = await ctx.connect({ sampling: true, fetch: nodeFetch(), log: [] });
    bid = newBackendId(ctx.backend, known);
  });

  /** Waits until the client's standalone GET stream reached the backend. */
  const getStreamOpen = () => waitFor(() => requestsOf(ctx.backend, bid).some((r) => r.method === 'GET'), 'the GET stream at the backend');

  test('initialize: the backend\'s serverInfo and capabilities reach the client', async () => {
    assert.equal(s.client.getServerVersion()?.name, 'full-backend');
    const caps = s.client.getServerCapabilities();
    assert.ok(caps.tools, JSON.stringify(caps));
    assert.equal(caps.resources?.subscribe, true);
    assert.ok(caps.prompts);
    assert.ok(caps.completions);
    assert.ok(caps.logging);
    assert.match(s.transport.sessionId ?? '', GATEWAY_ID);
    await s.client.ping();
  });

  test('tools: list, call with text, image, structuredContent and isError results', async () => {
    const { tools } = await s.client.listTools();
    assert.deepEqual(tools.map((t) => t.name), FULL_TOOLS);
    assert.ok(tools.find((t) => t.name === 'weather').outputSchema);
    assert.deepEqual(await s.client.callTool({ name: 'echo', arguments: { text: 'héllo ✓' } }), { content: [{ type: 'text', text: 'héllo ✓' }] });
    assert.deepEqual((await s.client.callTool({ name: 'image', arguments: {} })).content,
      [{ type: 'image', data: TINY_PNG_BASE64, mimeType: 'image/png' }]);
    const w = await s.client.callTool({ name: 'weather', arguments: { city: 'Oslo' } });
    assert.deepEqual(w.structuredContent, { city: 'Oslo', temperature: 21.5, conditions: 'sunny' });
    const f = await s.client.callTool({ name: 'fail', arguments: {} });
    assert.equal(f.isError, true);
    assert.equal(f.content[0].text, 'this tool always fails');
    // An unknown tool is the backend's business (no allowTools configured): the call is
    // forwarded, and the TS SDK's McpServer answers a tool it does not know with an isError
    // result carrying its McpError text (InvalidParams, -32602).
    const from = ctx.backend.requests.length;
    assert.deepEqual(await s.client.callTool({ name: 'nope', arguments: {} }),
      { content: [{ type: 'text', text: 'MCP error -32602: Tool nope not found' }], isError: true });
    assert.ok(ctx.backend.requests.slice(from).some((r) => r.body?.method === 'tools/call' && r.body.params?.name === 'nope'), 'the call reached the backend');
  });

  test('resources: list, read (text and blob), templates and a templated read', async () => {
    const { resources } = await s.client.listResources();
    const uris = resources.map((r) => r.uri);
    for (const uri of ['memo://readme', 'memo://logo', ...NOTE_IDS.map((id) => `memo://notes/${id}`)]) assert.ok(uris.includes(uri), `${uri} in ${uris}`);
    const readme = await s.client.readResource({ uri: 'memo://readme' });
    assert.deepEqual(readme.contents, [{ uri: 'memo://readme', mimeType: 'text/plain', text: 'Hello from the full backend' }]);
    const logo = await s.client.readResource({ uri: 'memo://logo' });
    assert.equal(logo.contents[0].blob, TINY_PNG_BASE64);
    const { resourceTemplates } = await s.client.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate), ['memo://notes/{id}']);
    const beta = await s.client.readResource({ uri: 'memo://notes/beta' });
    assert.equal(beta.contents[0].text, 'note beta');
  });

  test('resources: subscribe, and notifications/resources/updated arrives on the GET stream', async () => {
    await getStreamOpen();
    await s.client.subscribeResource({ uri: 'memo://readme' });
    assert.ok(ctx.backend.subscriptions(bid)?.has('memo://readme'), 'the backend session holds the subscription');
    const r = await s.client.callTool({ name: 'touch', arguments: { uri: 'memo://readme' } });
    assert.equal(r.content[0].text, 'touched memo://readme');
    // The backend sends the update 30 ms after the call returned, on the standalone stream.
    await waitFor(() => s.notifications.find((n) => n.method === 'notifications/resources/updated' && n.params?.uri === 'memo://readme'),
      'notifications/resources/updated');
    await s.client.unsubscribeResource({ uri: 'memo://readme' });
    assert.equal(ctx.backend.subscriptions(bid)?.has('memo://readme'), false);
  });

  test('prompts: list, get with arguments', async () => {
    const { prompts } = await s.client.listPrompts();
    assert.deepEqual(prompts.map((p) => p.name).sort(), ['greet', 'summarize']);
    const greet = prompts.find((p) => p.name === 'greet');
    assert.deepEqual(greet.arguments.map((a) => a.name).sort(), ['name', 'style']);
    const got = await s.client.getPrompt({ name: 'greet', arguments: { name: 'Alice', style: 'pirate' } });
    assert.equal(got.messages[0].content.text, 'Say hello to Alice in a pirate style.');
    const sum = await s.client.getPrompt({ name: 'summarize' });
    assert.equal(sum.messages[0].content.type, 'resource');
  });

  test('completion: a prompt argument and a resource-template variable', async () => {
    const c1 = await s.client.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'name', value: 'al' } });
    assert.deepEqual(c1.completion.values, GREET_NAMES.filter((n) => n.toLowerCase().startsWith('al')));
    const c2 = await s.client.complete({ ref: { type: 'ref/resource', uri: 'memo://notes/{id}' }, argument: { name: 'id', value: 'g' } });
    assert.deepEqual(c2.completion.values, ['gamma']);
  });

  test('logging: setLoggingLevel reaches the backend session; only warning and above arrive', async () => {
    await getStreamOpen();
    await s.client.setLoggingLevel('warning');
    await s.client.callTool({ name: 'log_levels', arguments: {} });
    const fromTool = () => s.notifications.filter((n) => n.method === 'notifications/message' && n.params?.logger === 'log_levels');
    await waitFor(() => fromTool().length >= 2, 'two log notifications');
    await sleep(150);
    assert.deepEqual(fromTool().map((n) => n.params.level), ['warning', 'error']);
    await s.client.setLoggingLevel('debug');
  });

  test('progress and log notifications of a running tool (on the call\'s SSE stream)', async () => {
    const progress = [];
    const r = await s.client.callTool({ name: 'progress', arguments: { steps: 4 } }, undefined, { onprogress: (p) => progress.push(p) });
    assert.equal(r.content[0].text, 'done after 4 steps');
    assert.deepEqual(progress.map((p) => [p.progress, p.total, p.message]),
      [1, 2, 3, 4].map((i) => [i, 4, `step ${i}/4`]));
    await waitFor(() => s.notifications.find((n) => n.method === 'notifications/message' && n.params?.data === 'finished 4 steps'),
      'the progress tool\'s log notification');
  });

  test('sampling: the backend\'s sampling/createMessage on the call\'s SSE stream, answered by the client', async () => {
    const before = s.samplingRequests.length;
    const r = await s.client.callTool({ name: 'ask', arguments: { question: 'What is 2+2?' } });
    assert.equal(r.content[0].text, 'sampled (test-model): answer to "What is 2+2?"');
    assert.equal(s.samplingRequests.length, before + 1);
    assert.equal(s.samplingRequests.at(-1).params.maxTokens, 64);
    // The client's answer is a POSTed JSON-RPC response: the backend got it with its own id.
    assert.ok(requestsOf(ctx.backend, bid).some((r2) => r2.method === 'POST' && r2.body?.result?.model === 'test-model'));
  });

  test('sampling: a session-level sampling/createMessage on the GET stream', async () => {
    await getStreamOpen();
    const r = await s.client.callTool({ name: 'ask', arguments: { question: 'Via GET?', via: 'session' } });
    assert.equal(r.content[0].text, 'sampled (test-model): answer to "Via GET?"');
  });

  test('the SDK client saw only gateway session ids and no transport errors', async () => {
    const gid = s.transport.sessionId;
    for (const e of s.log) {
      if (e.headers[SESSION_HEADER] !== undefined) assert.equal(e.headers[SESSION_HEADER], gid, `${e.method} answered with another session id`);
      if (e.method !== 'POST' || e.requestHeaders[SESSION_HEADER] !== undefined) continue;
      assert.equal(e.requestHeaders['content-type'], 'application/json'); // only initialize goes without an id
    }
    assert.ok(!s.log.some((e) => Object.values(e.headers).some((v) => String(v).includes(bid))), 'a backend id reached the client');
    assert.deepEqual(s.errors.map((e) => e.message), []);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Session ids.

gatewaySuite('pass-through: session ids (gateway ids outside, backend ids inside)', {
  backend: () => startFullBackend({ resumable: true }),
}, (test, ctx) => {
  test('the client gets a gateway id of the documented shape, never the backend\'s', async () => {
    const log = [];
    const known = new Set(ctx.backend.issuedSessionIds);
    const s = await ctx.connect({ fetch: nodeFetch(log) });
    const bid = newBackendId(ctx.backend, known);
    const gid = s.transport.sessionId;
    assert.match(gid, GATEWAY_ID);
    assert.notEqual(gid, bid);
    assert.ok(!ctx.backend.issuedSessionIds.has(gid));
    // A slot number (3 bytes, below server.maxSessions: 10,000 by default), then 128 random bits.
    const slot = Buffer.from(gid.slice(0, 4), 'base64url');
    const tag = Buffer.from(gid.slice(4), 'base64url');
    assert.equal(slot.length, 3);
    assert.ok(slot.readUIntBE(0, 3) < 10000, `slot ${slot.readUIntBE(0, 3)}`);
    assert.equal(tag.length, 16, '128 random bits');
    assert.equal(slot.toString('base64url') + tag.toString('base64url'), gid, 'canonical base64url without padding');
    await s.client.callTool({ name: 'echo', arguments: { text: 'x' } });
    for (const e of log) {
      for (const [k, v] of Object.entries(e.headers)) assert.ok(!String(v).includes(bid), `backend id in response header ${k} of ${e.method}`);
      if (e.headers[SESSION_HEADER] !== undefined) assert.equal(e.headers[SESSION_HEADER], gid);
    }
    // Another session: another gateway id and another backend id.
    const known2 = new Set(ctx.backend.issuedSessionIds);
    const s2 = await ctx.connect();
    const bid2 = newBackendId(ctx.backend, known2);
    assert.notEqual(s2.transport.sessionId, gid);
    assert.notEqual(bid2, bid);
    // 64 fresh ids: all distinct, all well-formed, bits look random (every position varies).
    const ids = await pool(Array.from({ length: 64 }), 8, async () => (await rawSession(ctx.envoy.url)).gid);
    assert.equal(new Set(ids).size, 64);
    for (const id of ids) assert.match(id, GATEWAY_ID);
    // Characters 6.. encode only the random bits (the first 32 bits are the slot).
    for (let i = 4; i < 25; i++) assert.ok(new Set(ids.map((id) => id[i])).size > 8, `position ${i} hardly varies`);
  });

  test('the backend receives its own id on every later POST, GET and DELETE', async () => {
    const known = new Set(ctx.backend.issuedSessionIds);
    const from = ctx.backend.requests.length;
    const s = await ctx.connect();
    const bid = newBackendId(ctx.backend, known);
    await s.client.listTools();
    await s.client.callTool({ name: 'echo', arguments: { text: 'mapped' } });
    await waitFor(() => requestsOf(ctx.backend, bid).some((r) => r.method === 'GET'), 'the GET stream at the backend');
    await s.transport.terminateSession();
    const mine = ctx.backend.requests.slice(from);
    const init = mine.filter((r) => r.body?.method === 'initialize');
    assert.equal(init.length, 1);
    assert.equal(init[0].headers[SESSION_HEADER], undefined, 'initialize carries no session id');
    const later = mine.filter((r) => r !== init[0]);
    assert.deepEqual([...new Set(later.map((r) => r.method))].sort(), ['DELETE', 'GET', 'POST']);
    for (const r of later) assert.equal(r.headers[SESSION_HEADER], bid, `${r.method} ${r.body?.method ?? ''} carried ${r.headers[SESSION_HEADER]}`);
    assert.deepEqual(later.filter((r) => r.method === 'POST').map((r) => r.body?.method),
      ['notifications/initialized', 'tools/list', 'tools/call']);
  });

  test('Last-Event-ID on a GET reaches the backend unchanged; the backend replays through the gateway', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    const bid = [...ctx.backend.issuedSessionIds].at(-1);
    const call = await sessionPost(ctx.envoy.url, gid, rpc(7, 'tools/call', { name: 'progress', arguments: { steps: 3 }, _meta: { progressToken: 'tok' } }));
    assert.equal(call.status, 200, call.text);
    const events = parseSse(call.text);
    const withIds = events.filter((e) => e.id !== undefined && e.data !== '');
    assert.ok(withIds.length >= 5, `SSE events with ids: ${call.text}`); // 3 progress, 1 log, 1 result
    const lastSeen = withIds[1].id; // "lost" the connection after the second progress event
    const from = ctx.backend.requests.length;
    const stream = await openStream(ctx.envoy.url, {
      headers: { accept: 'text/event-stream', [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL, 'last-event-id': lastSeen },
    });
    try {
      assert.equal(stream.status, 200);
      assert.match(stream.headers['content-type'], /text\/event-stream/);
      await stream.waitFor((t) => parseSse(t).some((e) => e.data.includes('"id":7')), 'the replayed result');
      const replayed = parseSse(stream.text()).filter((e) => e.data !== '');
      assert.deepEqual(replayed.map((e) => e.id), withIds.slice(2).map((e) => e.id));
      assert.deepEqual(replayed.map((e) => JSON.parse(e.data)), withIds.slice(2).map((e) => JSON.parse(e.data)));
    } finally {
      stream.close();
    }
    const gets = ctx.backend.requests.slice(from).filter((r) => r.method === 'GET');
    assert.equal(gets.length, 1);
    assert.equal(gets[0].headers['last-event-id'], lastSeen);
    assert.equal(gets[0].headers[SESSION_HEADER], bid);
  });

  test('GET stream: server-initiated messages are forwarded as they happen (stream stays open)', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    const stream = await openStream(ctx.envoy.url, {
      headers: { accept: 'text/event-stream', [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL },
    });
    try {
      assert.equal(stream.status, 200);
      assert.match(stream.headers['content-type'], /text\/event-stream/);
      assert.equal(stream.headers[SESSION_HEADER] ?? gid, gid);
      const call = await sessionPost(ctx.envoy.url, gid, rpc(3, 'tools/call', { name: 'log_levels', arguments: {} }));
      assert.equal(call.status, 200, call.text);
      await stream.waitFor((t) => t.includes('a error message'), 'the log notifications on the GET stream');
      assert.equal(stream.ended(), false, 'the GET stream is still open');
      const logs = parseSse(stream.text()).filter((e) => e.data !== '').map((e) => JSON.parse(e.data));
      assert.deepEqual(logs.map((m) => m.params?.level), ['debug', 'info', 'warning', 'error']);
      // A second batch on the same open stream.
      await sessionPost(ctx.envoy.url, gid, rpc(4, 'tools/call', { name: 'log_levels', arguments: {} }));
      await stream.waitFor((t) => parseSse(t).filter((e) => e.data.includes('a error message')).length === 2, 'the second batch');
    } finally {
      stream.close();
    }
  });

  test('SDK resumption: resumptionToken from a call, replay with Last-Event-ID via the gateway', async () => {
    const s = await ctx.connect();
    const tokens = [];
    const r = await s.client.callTool({ name: 'progress', arguments: { steps: 2 } }, undefined, {
      onprogress: () => {}, resumptionToken: undefined, onresumptiontoken: (t) => tokens.push(t),
    });
    assert.equal(r.content[0].text, 'done after 2 steps');
    assert.ok(tokens.length >= 3, `resumption tokens: ${tokens}`);
    const from = ctx.backend.requests.length;
    // The SDK resumes a stream with a GET carrying Last-Event-ID.
    await s.transport.resumeStream(tokens[0]);
    await waitFor(() => ctx.backend.requests.slice(from).find((q) => q.method === 'GET' && q.headers['last-event-id'] === tokens[0]),
      'the resumed GET at the backend');
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Two workers: ids minted on one are honoured on the other.

gatewaySuite('pass-through: sessions across Envoy workers (--concurrency 2)', {
  backend: () => startFullBackend(),
  envoy: { concurrency: 2 },
}, (test, ctx) => {
  /** A raw request on a new connection, and which worker accepted it. */
  /**
   * Runs fn (one request on a new connection) and names the worker that served it, by the
   * workers' connection counters. A stray connection of an earlier test (an SDK client's
   * reconnecting GET stream) can land in the same window: then the request is repeated.
   */
  async function onWorker(fn) {
    let moved = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = await workerConnections(ctx.envoy);
      const reply = await fn();
      const after = await workerConnections(ctx.envoy);
      moved = after.map((n, i) => n - (before[i] ?? 0));
      if (moved.reduce((a, b) => a + b, 0) === 1) return { reply, worker: moved.findIndex((d) => d === 1) };
    }
    assert.fail(`one connection expected per request, per worker: ${moved}`);
  }

  test('an id minted on worker A is used on worker B (both directions), by stats', async () => {
    assert.equal((await workerConnections(ctx.envoy)).length, 2, 'two workers');
    const seen = new Set(); // "minted->used" pairs
    for (let attempt = 0; attempt < 12 && seen.size < 4; attempt++) {
      const init = await onWorker(() => postJson(ctx.envoy.url, rpc(1, 'initialize', INIT_PARAMS)));
      const gid = init.reply.headers[SESSION_HEADER];
      assert.match(gid ?? '', GATEWAY_ID);
      for (let i = 0; i < 6; i++) {
        const call = await onWorker(() => sessionPost(ctx.envoy.url, gid, rpc(i + 2, 'tools/call', { name: 'echo', arguments: { text: `w${i}` } })));
        assert.equal(call.reply.status, 200, `worker ${init.worker} minted, worker ${call.worker} used: ${call.reply.text}`);
        assert.equal(messagesOf(call.reply).at(-1)?.result?.content?.[0]?.text, `w${i}`);
        seen.add(`${init.worker}->${call.worker}`);
      }
    }
    assert.ok(seen.has('0->1') && seen.has('1->0'), `cross-worker use seen: ${[...seen]}`);
  });

  test('SDK clients on a new TCP connection per request: every request with a valid id succeeds', async () => {
    const before = await workerConnections(ctx.envoy);
    const logs = [];
    const sessions = await pool(Array.from({ length: 12 }), 6, async () => {
      const log = [];
      logs.push(log);
      return ctx.connect({ fetch: nodeFetch(log) });
    });
    await pool(sessions.flatMap((s, i) => Array.from({ length: 8 }, (_, j) => [s, `${i}.${j}`])), 16, async ([s, tag]) => {
      const r = await s.client.callTool({ name: 'echo', arguments: { text: tag } });
      assert.equal(r.content[0].text, tag);
    });
    const after = await workerConnections(ctx.envoy);
    const served = after.map((n, i) => n - (before[i] ?? 0));
    assert.ok(served.every((n) => n > 10), `connections per worker: ${served}`);
    for (const log of logs) {
      const ports = new Set(log.map((e) => e.localPort));
      assert.equal(ports.size, log.length, 'each request on its own connection');
      for (const e of log) assert.ok(e.status < 400, `${e.method} → ${e.status}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Many sessions at once.

gatewaySuite('pass-through: 200 concurrent sessions', {
  backend: () => startBackend(),
  envoy: { concurrency: 2 },
}, (test, ctx) => {
  test('200 sessions initialized concurrently, each calls a tool: distinct ids, mapped 1:1', async () => {
    const N = 200;
    const from = ctx.backend.requests.length;
    const sessions = await pool(Array.from({ length: N }, (_, i) => `client-${i}`), 25, async (tag) => {
      const s = await connect(ctx.envoy.url);
      ctx.clients.push(s);
      return { tag, s, gid: s.transport.sessionId };
    });
    const results = await pool(sessions, 25, async ({ tag, s }) => (await s.client.callTool({ name: 'echo', arguments: { text: tag } })).content[0].text);
    assert.deepEqual(results, sessions.map((x) => x.tag));
    const gids = sessions.map((x) => x.gid);
    for (const g of gids) assert.match(g ?? '', GATEWAY_ID);
    assert.equal(new Set(gids).size, N, 'distinct gateway ids');
    // tag → backend id, from what the backend received.
    const calls = ctx.backend.requests.slice(from).filter((r) => r.body?.method === 'tools/call');
    assert.equal(calls.length, N);
    const byTag = new Map(calls.map((r) => [r.body.params.arguments.text, r.headers[SESSION_HEADER]]));
    const bids = sessions.map((x) => byTag.get(x.tag));
    assert.equal(new Set(bids).size, N, 'distinct backend ids');
    for (const b of bids) assert.ok(ctx.backend.issuedSessionIds.has(b), `unknown backend id ${b}`);
    for (const g of gids) assert.ok(!ctx.backend.issuedSessionIds.has(g));
    await Promise.all(sessions.map(({ s }) => s.client.close().catch(() => {})));
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Idle expiry.

gatewaySuite('pass-through: idle expiry (sessionIdleTimeout 2 s)', {
  backend: () => startBackend(),
  config: { server: { sessionIdleTimeout: 2 } },
}, (test, ctx) => {
  test('idle past the timeout → 404 from the gateway, backend not contacted', async () => {
    const known = new Set(ctx.backend.issuedSessionIds);
    const { gid } = await rawSession(ctx.envoy.url);
    const bid = newBackendId(ctx.backend, known);
    const ok = await sessionPost(ctx.envoy.url, gid, rpc(2, 'tools/call', { name: 'echo', arguments: { text: 'a' } }));
    assert.equal(ok.status, 200, ok.text);
    await sleep(2600);
    const from = ctx.backend.requests.length;
    assertGateway404(await sessionPost(ctx.envoy.url, gid, rpc(3, 'tools/call', { name: 'echo', arguments: { text: 'b' } })), 'POST after idle');
    assertGateway404(await rawRequest(ctx.envoy.url, { method: 'GET', headers: { accept: 'text/event-stream', [SESSION_HEADER]: gid } }), 'GET after idle');
    assertGateway404(await rawRequest(ctx.envoy.url, { method: 'DELETE', headers: { [SESSION_HEADER]: gid } }), 'DELETE after idle');
    assert.deepEqual(ctx.backend.requests.slice(from), [], 'backend contacted');
    assert.ok(ctx.backend.sessions.has(bid), 'the backend session itself is untouched');
  });

  test('a session used every 0.5 s for 3 s stays valid, then expires once idle', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    const t0 = Date.now();
    let n = 0;
    while (Date.now() - t0 < 3200) {
      await sleep(500);
      const r = await sessionPost(ctx.envoy.url, gid, rpc(10 + n, 'ping'));
      assert.equal(r.status, 200, `request ${n} at ${Date.now() - t0} ms: ${r.text}`);
      n++;
    }
    assert.ok(n >= 6);
    await sleep(2600);
    assertGateway404(await sessionPost(ctx.envoy.url, gid, rpc(99, 'ping')), 'after going idle');
  });

  test('SDK client: a call after the idle timeout fails with HTTP 404', async () => {
    const s = await ctx.connect();
    await s.client.callTool({ name: 'echo', arguments: { text: 'a' } });
    await sleep(2600);
    await assertHttp404(s.client.callTool({ name: 'echo', arguments: { text: 'b' } }));
  });
});

// ---------------------------------------------------------------------------------------------
// 6. DELETE and forged ids.

gatewaySuite('pass-through: DELETE ends the session; forged ids are refused', {
  backend: () => startFullBackend(),
}, (test, ctx) => {
  test('terminateSession: forwarded with the backend id, then the gateway id is unknown', async () => {
    const known = new Set(ctx.backend.issuedSessionIds);
    const s = await ctx.connect();
    const bid = newBackendId(ctx.backend, known);
    const gid = s.transport.sessionId;
    await s.client.callTool({ name: 'echo', arguments: { text: 'before' } });
    await s.transport.terminateSession();
    const del = ctx.backend.requests.filter((r) => r.method === 'DELETE');
    assert.equal(del.length, 1);
    assert.equal(del[0].headers[SESSION_HEADER], bid);
    assert.ok(!ctx.backend.sessions.has(bid), 'the backend ended its session');
    const from = ctx.backend.requests.length;
    assertGateway404(await sessionPost(ctx.envoy.url, gid, rpc(5, 'tools/call', { name: 'echo', arguments: { text: 'after' } })), 'POST after DELETE');
    assertGateway404(await rawRequest(ctx.envoy.url, { method: 'GET', headers: { accept: 'text/event-stream', [SESSION_HEADER]: gid } }), 'GET after DELETE');
    assertGateway404(await rawRequest(ctx.envoy.url, { method: 'DELETE', headers: { [SESSION_HEADER]: gid } }), 'DELETE after DELETE');
    assert.deepEqual(ctx.backend.requests.slice(from), []);
  });

  test('forged ids → 404 from the gateway on POST, GET and DELETE; the backend sees nothing', async () => {
    const known = new Set(ctx.backend.issuedSessionIds);
    const live = await rawSession(ctx.envoy.url);
    const liveBid = newBackendId(ctx.backend, known);
    const flip = (id) => (id[0] === 'A' ? 'B' : 'A') + id.slice(1);
    const forged = {
      'random 26-char base64url': randomBytes(3).toString('base64url') + randomBytes(16).toString('base64url'),
      'a live id\'s slot with another 128-bit tag': live.gid.slice(0, 4) + randomBytes(16).toString('base64url'),
      'a live id with one character changed': flip(live.gid),
      'a live id, lower-cased': live.gid.toLowerCase() === live.gid ? flip(live.gid.toLowerCase()) : live.gid.toLowerCase(),
      'a live id + one character': `${live.gid}A`,
      'garbage': 'not a session; <script>',
      'the backend\'s own id of a live session': liveBid,
      'an empty header': '',
      'a 10 KB value': 'x'.repeat(10 * 1024),
      '26 chars outside the alphabet': '!'.repeat(26),
      'a key-prefix lookalike': '../session/AAAAAAAAAAAAAAA',
    };
    const from = ctx.backend.requests.length;
    for (const [what, id] of Object.entries(forged)) {
      assertGateway404(await sessionPost(ctx.envoy.url, id, rpc(1, 'tools/list')), `POST, ${what}`);
      assertGateway404(await rawRequest(ctx.envoy.url, { method: 'GET', headers: { accept: 'text/event-stream', [SESSION_HEADER]: id } }), `GET, ${what}`);
      assertGateway404(await rawRequest(ctx.envoy.url, { method: 'DELETE', headers: { [SESSION_HEADER]: id } }), `DELETE, ${what}`);
    }
    assert.deepEqual(ctx.backend.requests.slice(from).map((r) => `${r.method} ${r.headers[SESSION_HEADER]}`), []);
    // The live session still works.
    const ok = await sessionPost(ctx.envoy.url, live.gid, rpc(2, 'tools/call', { name: 'echo', arguments: { text: 'still here' } }));
    assert.equal(ok.status, 200, ok.text);
    assert.equal(messagesOf(ok).at(-1).result.content[0].text, 'still here');
  });
});

// ---------------------------------------------------------------------------------------------
// 7. The backend forgot the session.

gatewaySuite('pass-through: a session the backend forgot', {
  backend: () => startFullBackend(),
}, (test, ctx) => {
  test('the backend\'s 404 reaches the client; afterwards the gateway id is unknown', async () => {
    const known = new Set(ctx.backend.issuedSessionIds);
    const { gid } = await rawSession(ctx.envoy.url);
    const bid = newBackendId(ctx.backend, known);
    assert.ok(await ctx.backend.dropSession(bid));
    const from = ctx.backend.requests.length;
    const r = await sessionPost(ctx.envoy.url, gid, rpc(3, 'tools/call', { name: 'echo', arguments: { text: 'x' } }));
    assert.equal(r.status, 404, r.text);
    assert.equal(r.json?.error?.message, BACKEND_SESSION_NOT_FOUND, 'the backend\'s own 404 body');
    assert.equal(r.headers[SESSION_HEADER], undefined);
    assert.deepEqual(ctx.backend.requests.slice(from).map((q) => q.headers[SESSION_HEADER]), [bid]);
    // The mapping was dropped with the backend's 404.
    assertGateway404(await sessionPost(ctx.envoy.url, gid, rpc(4, 'ping')), 'after the backend 404');
    assert.equal(ctx.backend.requests.length, from + 1);
  });

  test('SDK client: a call in a session the backend dropped fails with HTTP 404', async () => {
    const known = new Set(ctx.backend.issuedSessionIds);
    const s = await ctx.connect();
    const bid = newBackendId(ctx.backend, known);
    await s.client.callTool({ name: 'echo', arguments: { text: 'ok' } });
    await ctx.backend.dropSession(bid);
    await assertHttp404(s.client.callTool({ name: 'echo', arguments: { text: 'gone' } }));
  });
});

// ---------------------------------------------------------------------------------------------
// 8. Tool policy in flight.

/**
 * The tool policy's two invariants, checked against request bodies written in every legal
 * (and some merely tolerated) JSON form: a backend never receives a tools/call of a tool
 * outside the policy, and no tools/list reply shows one. Backends parse with JSON.parse, so
 * escapes (`\\/`, `\\u0063`), non-canonical numbers (`1.0`, `1e1`, `-0`), duplicate keys
 * (last wins) and batches must all be read the way the backend will read them.
 */
function policyInvariantTests(test, ctx, { all, allowed, denied, allowedCall }) {
  const forbidden = all.filter((t) => !allowed.includes(t));
  const escFirst = (name) => `\\u00${name.charCodeAt(0).toString(16)}${name.slice(1)}`;
  const args = (o) => JSON.stringify(o);
  const D = `"name":"${denied.name}","arguments":${args(denied.args)}`;
  const A = `"name":"${allowedCall.name}","arguments":${args(allowedCall.args)}`;
  const callBodies = {
    'duplicate "name" keys, the denied one last': `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"${allowedCall.name}",${D}}}`,
    'duplicate "params", the denied one last': `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{${A}},"params":{${D}}}`,
    'duplicate "method", tools/call last': `{"jsonrpc":"2.0","id":3,"method":"ping","method":"tools/call","params":{${D}}}`,
    'method written "tools\\/call"': `{"jsonrpc":"2.0","id":4,"method":"tools\\/call","params":{${D}}}`,
    'method written "tools/\\u0063all"': `{"jsonrpc":"2.0","id":5,"method":"tools/\\u0063all","params":{${D}}}`,
    'tool name with a \\u escape': `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"${escFirst(denied.name)}","arguments":${args(denied.args)}}}`,
    'a batch: allowed call, denied call': `[{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{${A}}},{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{${D}}}]`,
    'a batch: ping, denied call': `[{"jsonrpc":"2.0","id":9,"method":"ping"},{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{${D}}}]`,
  };
  const listBodies = {
    'string id with a \\u escape': '{"jsonrpc":"2.0","id":"\\u0041b","method":"tools/list"}',
    'string id with "\\/"': '{"jsonrpc":"2.0","id":"a\\/b","method":"tools/list"}',
    'numeric id 1.0': '{"jsonrpc":"2.0","id":1.0,"method":"tools/list"}',
    'numeric id 1e1': '{"jsonrpc":"2.0","id":1e1,"method":"tools/list"}',
    'numeric id -0': '{"jsonrpc":"2.0","id":-0,"method":"tools/list"}',
    'duplicate "id", last wins': '{"jsonrpc":"2.0","id":11,"method":"tools/list","id":12}',
    'method written "tools\\/list"': '{"jsonrpc":"2.0","id":13,"method":"tools\\/list"}',
    'method written "tools/\\u006cist"': '{"jsonrpc":"2.0","id":14,"method":"tools/\\u006cist"}',
    'a batch of two tools/list': '[{"jsonrpc":"2.0","id":15,"method":"tools/list"},{"jsonrpc":"2.0","id":16,"method":"tools/list"}]',
    'a batch: ping, tools/list': '[{"jsonrpc":"2.0","id":17,"method":"ping"},{"jsonrpc":"2.0","id":18,"method":"tools/list"}]',
  };
  /** Tool names a backend request body asks to call (JSON.parse, as the backend reads it). */
  const calledTools = (r) => {
    let parsed;
    try { parsed = JSON.parse(r.text); } catch { return []; }
    return (Array.isArray(parsed) ? parsed : [parsed]).filter((m) => m?.method === 'tools/call').map((m) => m.params?.name);
  };

  test('policy invariant: however a tools/call is written, the backend never runs a denied tool', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    const failures = [];
    for (const [what, body] of Object.entries(callBodies)) {
      const from = ctx.backend.requests.length;
      const r = await sessionPost(ctx.envoy.url, gid, body);
      const ran = ctx.backend.requests.slice(from).flatMap(calledTools).filter((n) => !allowed.includes(n));
      if (ran.length > 0) failures.push(`${what}: backend received tools/call ${ran.join(', ')} (HTTP ${r.status}: ${r.text.slice(0, 160)})\n    request: ${body}`);
    }
    assert.deepEqual(failures, []);
  });

  test('policy invariant: however a tools/list is written, no denied tool reaches the client', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    const failures = [];
    for (const [what, body] of Object.entries(listBodies)) {
      const r = await sessionPost(ctx.envoy.url, gid, body);
      const shown = forbidden.filter((n) => new RegExp(`"name"\\s*:\\s*"${n}"`).test(r.text));
      if (shown.length > 0) failures.push(`${what}: reply shows ${shown.join(', ')}\n    request: ${body}\n    reply (HTTP ${r.status}): ${r.text.slice(0, 160).replace(/\n/g, '\\n')}`);
    }
    assert.deepEqual(failures, []);
  });
}


gatewaySuite('pass-through: allowTools with a JSON backend', {
  backend: () => startBackend({ json: true }),
  config: { allowTools: ['echo', 'weather', 'image', 'slow_progress'] },
}, (test, ctx) => {
  const allowed = ALL_TOOLS.filter((t) => ['echo', 'weather', 'image', 'slow_progress'].includes(t));

  test('listTools is filtered; allowed calls work; a denied call never reaches the backend', async () => {
    const s = await ctx.connect();
    const { tools } = await s.client.listTools();
    assert.deepEqual(tools.map((t) => t.name), allowed);
    assert.ok(tools.find((t) => t.name === 'echo').inputSchema.properties.text, 'tool definitions kept whole');
    assert.equal((await s.client.callTool({ name: 'echo', arguments: { text: 'ok' } })).content[0].text, 'ok');
    const from = ctx.backend.requests.length;
    await assert.rejects(s.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } }), (err) => {
      assert.equal(err.code, -32602);
      assert.match(err.message, /Tool not allowed: add/);
      return true;
    });
    assert.deepEqual(ctx.backend.requests.slice(from), [], 'the backend saw the denied call');
    assert.ok(!ctx.backend.requests.some((r) => r.body?.params?.name === 'add'));
  });

  test('raw tools/list: body rewritten, content-length matches, id kept exactly', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    // (The SDK backend itself rejects ids beyond 2^53, so no huge number here.)
    for (const id of ['"list-1"', '9007199254740991', '0', '"ü"']) {
      const body = `{"jsonrpc":"2.0","id":${id},"method":"tools/list"}`;
      const r = await sessionPost(ctx.envoy.url, gid, body);
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers['content-type'], /application\/json/);
      assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.text), 'content-length of the rewritten body');
      assert.deepEqual(r.json.result.tools.map((t) => t.name), allowed, `tools/list with id ${id} not filtered`);
      assert.deepEqual(r.json.id, JSON.parse(id));
    }
    // A denied call answered locally with the client's id, HTTP 200.
    const d = await sessionPost(ctx.envoy.url, gid, '{"jsonrpc":"2.0","id":"d-1","method":"tools/call","params":{"name":"fail","arguments":{}}}');
    assert.equal(d.status, 200);
    assert.deepEqual(d.json, { jsonrpc: '2.0', id: 'd-1', error: { code: -32602, message: 'Tool not allowed: fail' } });
  });

  test('paginated tools/list: every page filtered, cursors kept; a backend error passes unchanged', async () => {
    ctx.backend.setPageSize(3);
    try {
      const s = await ctx.connect();
      const names = [];
      let cursor;
      let pages = 0;
      do {
        const page = await s.client.listTools(cursor === undefined ? {} : { cursor });
        names.push(...page.tools.map((t) => t.name));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== undefined && pages < 20);
      assert.equal(pages, Math.ceil(ALL_TOOLS.length / 3));
      assert.deepEqual(names, allowed);
      const { gid } = await rawSession(ctx.envoy.url);
      const r = await sessionPost(ctx.envoy.url, gid, rpc(8, 'tools/list', { cursor: 'bm90IGEgbnVtYmVy' }));
      assert.equal(r.json?.error?.code, -32602, r.text);
      assert.match(r.json.error.message, /Invalid cursor/);
      assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.text));
    } finally {
      ctx.backend.setPageSize(0);
    }
  });

  test('x-envoy-allow-mcp-tools narrows the set and never reaches the backend', async () => {
    const s = await ctx.connect({ headers: { 'x-envoy-allow-mcp-tools': ' echo , fail,add ' } });
    const { tools } = await s.client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ['echo']);
    assert.equal((await s.client.callTool({ name: 'echo', arguments: { text: 'n' } })).content[0].text, 'n');
    for (const name of ['weather', 'fail', 'add']) {
      await assert.rejects(s.client.callTool({ name, arguments: {} }), new RegExp(`Tool not allowed: ${name}`));
    }
    assert.ok(!ctx.backend.requests.some((r) => 'x-envoy-allow-mcp-tools' in r.headers), 'the header reached the backend');
    assert.ok(!ctx.backend.requests.some((r) => r.body?.method === 'tools/call' && ['weather', 'fail', 'add'].includes(r.body.params?.name)));
  });

  policyInvariantTests(test, ctx, { all: ALL_TOOLS, allowed, denied: { name: 'add', args: { a: 1, b: 2 } }, allowedCall: { name: 'echo', args: { text: 'x' } } });
});

gatewaySuite('pass-through: allowTools with an SSE backend', {
  backend: () => startFullBackend({ logOnToolsList: true }),
  config: { allowTools: ['echo', 'progress', 'ask'] },
}, (test, ctx) => {
  test('listTools filtered; the log notification in the same SSE reply arrives untouched', async () => {
    const s = await ctx.connect({ sampling: true });
    const { tools } = await s.client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ['echo', 'progress', 'ask']);
    await waitFor(() => s.notifications.find((n) => n.method === 'notifications/message' && n.params?.data === 'listing tools'), 'the log notification');
    const progress = [];
    const r = await s.client.callTool({ name: 'progress', arguments: { steps: 2 } }, undefined, { onprogress: (p) => progress.push(p) });
    assert.equal(r.content[0].text, 'done after 2 steps');
    assert.equal(progress.length, 2);
    assert.match((await s.client.callTool({ name: 'ask', arguments: { question: 'q' } })).content[0].text, /answer to "q"/);
    const from = ctx.backend.requests.length;
    await assert.rejects(s.client.callTool({ name: 'weather', arguments: { city: 'x' } }), /Tool not allowed: weather/);
    assert.deepEqual(ctx.backend.requests.slice(from), []);
  });

  test('raw: two events in the reply, only the result\'s is filtered', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    const r = await sessionPost(ctx.envoy.url, gid, rpc('L', 'tools/list'));
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'], /text\/event-stream/);
    const events = parseSse(r.text);
    assert.equal(events.length, 2, r.text);
    assert.deepEqual(JSON.parse(events[0].data), note('notifications/message', { level: 'info', logger: 'tools/list', data: 'listing tools' }));
    const res = JSON.parse(events[1].data);
    assert.equal(res.id, 'L');
    assert.deepEqual(res.result.tools.map((t) => t.name), ['echo', 'progress', 'ask']);
  });

  policyInvariantTests(test, ctx, { all: FULL_TOOLS, allowed: ['echo', 'progress', 'ask'], denied: { name: 'weather', args: { city: 'x' } }, allowedCall: { name: 'echo', args: { text: 'x' } } });
});

gatewaySuite('pass-through: tools/list over a scripted SSE stream (exact bytes)', {
  backend: () => startSseScriptBackend(),
  config: { allowTools: ['keep_a', 'keep_b'] },
}, (test, ctx) => {
  test('events before and after the result pass byte for byte; the result is rewritten; chunks stream', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    const script = ctx.backend.toolsListScript(41);
    const gate = ctx.backend.hold('tools/list');
    const stream = await openStream(ctx.envoy.url, {
      method: 'POST',
      body: '{"jsonrpc":"2.0","id":41,"method":"tools/list"}',
      headers: { accept: 'application/json, text/event-stream', [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL },
    });
    // Streamed, not buffered: every event written before the pause reaches the client while
    // the backend still holds the rest of its reply (a buffering gateway would deliver nothing).
    await gate.reached;
    await stream.waitFor((t) => t.length >= script.before.length, 'the events before the pause, while the backend holds the result');
    assert.equal(stream.text(), script.before);
    gate.release();
    await waitFor(() => stream.ended(), 'the end of the SSE reply', 10000);
    const text = stream.text();
    // Everything the backend wrote before the result event, unchanged.
    assert.ok(text.startsWith(script.before), `prefix changed:\n${JSON.stringify(text.slice(0, script.before.length + 40))}`);
    assert.ok(text.endsWith(script.after), `suffix changed:\n${JSON.stringify(text.slice(-script.after.length - 40))}`);
    const middle = parseSse(text.slice(script.before.length, text.length - script.after.length));
    assert.equal(middle.length, 1, `the result event: ${text}`);
    assert.equal(middle[0].id, 'ev-3');
    const res = JSON.parse(middle[0].data);
    assert.equal(res.id, 41);
    assert.deepEqual(res.result.tools.map((t) => t.name), ['keep_a', 'keep_b']);
    assert.equal(res.result.nextCursor, 'page-2');
  });

  test('a non-tools/list SSE reply streams through untouched, chunk by chunk', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    const [first, second] = ctx.backend.slowCallScript(5);
    const gate = ctx.backend.hold('tools/call');
    const stream = await openStream(ctx.envoy.url, {
      method: 'POST',
      body: '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"keep_a","arguments":{}}}',
      headers: { accept: 'application/json, text/event-stream', [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL },
    });
    // The progress event reaches the client while the backend still holds the result.
    await gate.reached;
    await stream.waitFor((t) => t.length >= first.length, 'the progress event, while the backend holds the result');
    assert.equal(stream.text(), first);
    gate.release();
    await waitFor(() => stream.ended(), 'the end of the SSE reply', 10000);
    assert.equal(stream.text(), first + second);
  });
});

// ---------------------------------------------------------------------------------------------
// 9. Origin and CORS.

describe('pass-through: Origin checks and CORS', () => {
  let backend;
  let listed; // cors.allowOrigins: ['https://app.example']
  let loopback; // default: loopback origins only
  before(async () => {
    backend = await startBackend();
    listed = await startGateway(backend, { server: { cors: { allowOrigins: ['https://app.example'] } } });
    loopback = await startGateway(backend);
  });
  after(async () => {
    await listed?.stop();
    await loopback?.stop();
    await backend?.close();
  });
  const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(listed, () => withEnvoyLog(loopback, fn)));

  const preflight = (envoy, origin) => rawRequest(envoy.url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, mcp-session-id, mcp-protocol-version' },
  });

  function assertPreflightOk(r, origin) {
    assert.equal(r.status, 204, `${origin}: HTTP ${r.status}: ${r.text}`);
    assert.equal(r.headers['access-control-allow-origin'], origin);
    const methods = (r.headers['access-control-allow-methods'] ?? '').split(',').map((m) => m.trim());
    for (const m of ['GET', 'POST', 'DELETE']) assert.ok(methods.includes(m), `${m} in ${methods}`);
    const allowHeaders = (r.headers['access-control-allow-headers'] ?? '').toLowerCase();
    for (const h of ['content-type', 'mcp-session-id', 'mcp-protocol-version']) assert.ok(allowHeaders.includes(h), `${h} in ${allowHeaders}`);
    assert.equal(r.text, '');
  }

  test('preflight from the configured origin and from loopback origins (default) → 204, answered locally', async () => {
    const from = backend.requests.length;
    assertPreflightOk(await preflight(listed, 'https://app.example'), 'https://app.example');
    for (const origin of ['http://localhost', 'http://localhost:5173', 'https://localhost:8443', 'http://127.0.0.1:3000', 'http://[::1]:6274']) {
      assertPreflightOk(await preflight(loopback, origin), origin);
    }
    assert.deepEqual(backend.requests.slice(from), []);
  });

  test('a foreign origin → 403 before the backend (POST, GET, DELETE, OPTIONS)', async () => {
    const from = backend.requests.length;
    const cases = [
      [listed, 'https://evil.example'], [listed, 'http://localhost:5173'], [listed, 'https://app.example.evil.com'],
      [listed, 'http://app.example'], [loopback, 'https://evil.example'], [loopback, 'http://localhost.evil.example'],
      [loopback, 'http://127.0.0.1.nip.io'], [loopback, 'null'], [loopback, 'file://'], [loopback, 'https://app.example'],
    ];
    for (const [envoy, origin] of cases) {
      const init = await postJson(envoy.url, rpc(1, 'initialize', INIT_PARAMS), { origin });
      assert.equal(init.status, 403, `POST from ${origin}: HTTP ${init.status}: ${init.text}`);
      assert.equal(init.headers[SESSION_HEADER], undefined);
      assert.equal(init.headers['access-control-allow-origin'], undefined);
      for (const method of ['GET', 'DELETE']) {
        const r = await rawRequest(envoy.url, { method, headers: { origin, accept: 'text/event-stream' } });
        assert.equal(r.status, 403, `${method} from ${origin}: HTTP ${r.status}`);
      }
      const p = await preflight(envoy, origin);
      assert.equal(p.status, 403, `OPTIONS from ${origin}: HTTP ${p.status}`);
      assert.equal(p.headers['access-control-allow-origin'], undefined);
    }
    assert.deepEqual(backend.requests.slice(from), [], 'the backend saw a refused request');
  });

  test('SDK client from an allowed origin: every response carries the CORS headers', async () => {
    for (const [envoy, origin] of [[listed, 'https://app.example'], [loopback, 'http://localhost:5173']]) {
      const log = [];
      const s = await connect(envoy.url, { headers: { Origin: origin }, fetch: nodeFetch(log) });
      try {
        assert.equal((await s.client.callTool({ name: 'echo', arguments: { text: 'cors' } })).content[0].text, 'cors');
        await s.client.listTools();
        await waitFor(() => log.some((e) => e.method === 'GET'), 'the GET stream');
        await s.transport.terminateSession();
      } finally {
        await s.client.close().catch(() => {});
      }
      assert.deepEqual([...new Set(log.map((e) => e.method))].sort(), ['DELETE', 'GET', 'POST']);
      for (const e of log) {
        assert.equal(e.headers['access-control-allow-origin'], origin, `${e.method} → ${e.status}`);
        assert.match(e.headers['access-control-expose-headers'] ?? '', /mcp-session-id/i, `${e.method} → ${e.status}`);
      }
      assert.ok(backend.requests.some((r) => r.headers.origin === origin), 'the origin header goes on to the backend');
    }
  });

  test('local replies to an allowed origin carry the CORS headers too (unknown-session 404)', async () => {
    const r = await postJson(listed.url, rpc(1, 'ping'), { origin: 'https://app.example', [SESSION_HEADER]: randomBytes(16).toString('base64url') });
    assertGateway404(r, 'unknown session');
    assert.equal(r.headers['access-control-allow-origin'], 'https://app.example');
    assert.match(r.headers['access-control-expose-headers'] ?? '', /mcp-session-id/i);
  });

  test('no Origin: served normally, no CORS headers', async () => {
    const s = await connect(listed.url, { fetch: nodeFetch() });
    try {
      assert.equal((await s.client.callTool({ name: 'echo', arguments: { text: 'plain' } })).content[0].text, 'plain');
    } finally {
      await s.client.close().catch(() => {});
    }
    const r = await postJson(listed.url, rpc(1, 'initialize', INIT_PARAMS));
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
    // OPTIONS without Origin is no CORS preflight: answered locally with the methods the
    // pass-through endpoint serves, and no CORS headers.
    const from = backend.requests.length;
    const o = await rawRequest(listed.url, { method: 'OPTIONS' });
    assert.equal(o.status, 204, `OPTIONS without Origin: ${o.status}`);
    assert.equal(o.headers.allow, 'GET, POST, DELETE, OPTIONS');
    assert.equal(o.text, '');
    assert.equal(o.headers['access-control-allow-origin'], undefined);
    assert.deepEqual(backend.requests.slice(from), [], 'OPTIONS reached the backend');
  });
});

// ---------------------------------------------------------------------------------------------
// 10. Stateless backends.

gatewaySuite('pass-through: a stateless backend', {
  backend: () => startBackend({ stateless: true }),
}, (test, ctx) => {
  test('SDK client works; no session id is issued or sent', async () => {
    const s = await ctx.connect();
    assert.equal(s.transport.sessionId, undefined);
    assert.deepEqual((await s.client.listTools()).tools.map((t) => t.name), ALL_TOOLS);
    assert.equal((await s.client.callTool({ name: 'echo', arguments: { text: 'stateless' } })).content[0].text, 'stateless');
    const progress = [];
    const r = await s.client.callTool({ name: 'slow_progress', arguments: {} }, undefined, { onprogress: (p) => progress.push(p) });
    assert.equal(r.content[0].text, 'done after 2 steps');
    assert.equal(progress.length, 2);
    const init = await postJson(ctx.envoy.url, rpc(1, 'initialize', INIT_PARAMS));
    assert.equal(init.status, 200);
    assert.equal(init.headers[SESSION_HEADER], undefined);
    assert.ok(!ctx.backend.requests.some((q) => q.headers[SESSION_HEADER] !== undefined));
  });

  test('with allowTools: filtered list and local denial', async () => {
    // Same backend, a second gateway with a policy.
    const envoy = await startGateway(ctx.backend, { allowTools: ['echo'] });
    try {
      await withEnvoyLog(envoy, async () => {
        const s = await connect(envoy.url);
        try {
          assert.deepEqual((await s.client.listTools()).tools.map((t) => t.name), ['echo']);
          await assert.rejects(s.client.callTool({ name: 'add', arguments: { a: 1, b: 1 } }), /Tool not allowed: add/);
        } finally {
          await s.client.close().catch(() => {});
        }
      });
    } finally {
      await envoy.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Security schemes apply in pass-through mode too.

gatewaySuite('pass-through: security schemes', {
  backend: () => startBackend(),
  config: {
    server: {
      securitySchemes: [
        { id: 'ClientBearer', type: 'http', scheme: 'bearer' },
        { id: 'BackendKey', type: 'apiKey', in: 'header', name: 'x-api-key', defaultCredential: 'k-backend' },
      ],
      defaultDownstreamSecurity: { id: 'ClientBearer', required: true },
      defaultUpstreamSecurity: { id: 'BackendKey' },
    },
  },
}, (test, ctx) => {
  test('no client credential → 401 before the backend; with one, the backend gets its own key only', async () => {
    const from = ctx.backend.requests.length;
    const r = await postJson(ctx.envoy.url, rpc(1, 'initialize', INIT_PARAMS));
    assert.equal(r.status, 401, r.text);
    assert.match(r.headers['www-authenticate'] ?? '', /^Bearer realm="mcp"/);
    assert.deepEqual(ctx.backend.requests.slice(from), []);
    const s = await ctx.connect({ headers: { Authorization: 'Bearer client-secret' } });
    assert.equal((await s.client.callTool({ name: 'echo', arguments: { text: 'auth' } })).content[0].text, 'auth');
    await waitFor(() => ctx.backend.requests.slice(from).some((q) => q.method === 'GET'), 'the GET stream');
    const seen = ctx.backend.requests.slice(from);
    assert.ok(seen.length >= 4);
    for (const q of seen) {
      assert.equal(q.headers['x-api-key'], 'k-backend', `${q.method} ${q.body?.method ?? ''}`);
      assert.equal(q.headers.authorization, undefined, `${q.method} ${q.body?.method ?? ''} carried the client's credential`);
    }
    // A later request of the session without the credential is refused too.
    const gid = s.transport.sessionId;
    const n = ctx.backend.requests.length;
    const un = await sessionPost(ctx.envoy.url, gid, rpc(9, 'ping'));
    assert.equal(un.status, 401);
    assert.equal(ctx.backend.requests.length, n);
  });
});
