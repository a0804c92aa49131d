// E2E: terminating mode over a legacy HTTP+SSE backend (`server.transport: "sse"`, the MCP
// 2024-11-05 transport) in real Envoy. The client's POST becomes `GET /sse` to the backend; the
// filter reads the stream (endpoint → initialize → initialized → the call, answers arriving as
// `message` events) and replies with one JSON-RPC response. Backends: two independent real SSE
// servers (TypeScript SDK SSEServerTransport, Python SDK FastMCP) driven by the SDK client, and
// a scripted raw SSE server (plain node:http) for every framing, ordering and failure case.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { closeHttpServer, listen } from '../examples/backend/common.mjs';
import { ALL_TOOLS, TINY_PNG_BASE64, startSseBackend } from '../examples/backend/sse-server.mjs';
import { rpcError, rpcResult, startHttpBackend, startPythonBackend } from './support/backends.mjs';
import { ROOT, postJson, startEnvoy, tail, wasmFailures, withEnvoyLog } from './support/envoy.mjs';
import { eventually as pollUntil } from './support/wait.mjs';

const SERVER_NAME = 'sse-demo';
const TIMEOUT_MS = 3000;
const TEST_TIMEOUT = 20000;
const ALLOW_HEADER = 'x-envoy-allow-mcp-tools';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const sorted = (a) => [...a].sort();
const rpc = (id, method, params) => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
const callEcho = (id, text) => rpc(id, 'tools/call', { name: 'echo', arguments: { text } });

/** Higress-style plugin config with transport sse for an SSE URL on 127.0.0.1. */
function sseConfig(url, { server = {}, ...top } = {}) {
  return {
    server: { name: SERVER_NAME, type: 'mcp-proxy', transport: 'sse', mcpServerURL: url, timeout: TIMEOUT_MS, ...server },
    ...top,
  };
}

/** Starts Envoy in front of an SSE backend ({port, url}). */
function startGateway(backend, overrides) {
  return startEnvoy({ pluginConfig: sseConfig(backend.url, overrides), backendPort: backend.port });
}

/** An SDK client connected to the gateway; `headers` go on every request. */
async function connect(url, headers) {
  const client = new Client({ name: 'sse-e2e-client', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), headers ? { requestInit: { headers } } : undefined);
  await client.connect(transport);
  return client;
}

/** Asserts that promise rejects with a JSON-RPC error of the given code (and message). */
async function assertRpcError(promise, code, messageRe) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `expected JSON-RPC error ${code}, got ${err.code}: ${err.message}`);
    if (messageRe) assert.match(err.message, messageRe);
    return true;
  });
}

/** Asserts a raw reply is HTTP 200 application/json JSON-RPC with the given id. */
function assertJsonReply(reply, id) {
  assert.equal(reply.status, 200, `HTTP ${reply.status}: ${reply.text}`);
  assert.match(reply.headers['content-type'] ?? '', /^application\/json/);
  assert.ok(reply.json, `reply is not JSON: ${JSON.stringify(reply.text)}`);
  assert.equal(reply.json.jsonrpc, '2.0');
  assert.deepEqual(reply.json.id, id, `id: ${reply.text.slice(0, 300)}`);
}

/** Polls cond() every 25 ms until it is true or ms elapsed; returns its last value. */
const eventually = (cond, ms = 2000) => pollUntil(cond, ms, 25);

/** Wasm VM reloads (failure_policy FAIL_RELOAD re-creates a trapped VM): their total. */
async function vmReloads(envoy) {
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
function realServerSuite(ctx, startBackend, allowTools) {
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
async function assertEcho(client, text) {
  const result = await client.callTool({ name: 'echo', arguments: { text } });
  assert.deepEqual(result.content, [{ type: 'text', text }]);
  assert.notEqual(result.isError, true);
}

/** Asserts that tools/call image returns the example PNG intact. */
async function assertImage(client) {
  const result = await client.callTool({ name: 'image', arguments: {} });
  assert.deepEqual(result.content, [{ type: 'image', data: TINY_PNG_BASE64, mimeType: 'image/png' }]);
}

/** A describe-level `it` whose failures carry the Envoy log of `envoyOf()`. */
const itWithLog = (envoyOf) => (title, fn, timeout = TEST_TIMEOUT) =>
  it(title, { timeout }, () => withEnvoyLog(envoyOf(), fn));

// ---------------------------------------------------------------------------------------------
// Real SSE server 1: the TypeScript SDK's SSEServerTransport + McpServer.

describe('sse transport: TypeScript SDK SSEServerTransport backend', () => {
  const ctx = {};
  realServerSuite(ctx, startSseBackend, ['echo', 'image', 'fail', 'weather']);
  const test = itWithLog(() => ctx.envoy);
  const gets = (from) => ctx.backend.requests.slice(from).filter((r) => r.method === 'GET');
  const posts = (from) => ctx.backend.requests.slice(from).filter((r) => r.method === 'POST');

  test('connect: the gateway answers initialize itself, naming server.name', async () => {
    assert.equal(ctx.client.getServerVersion()?.name, SERVER_NAME);
    assert.ok(ctx.client.getServerCapabilities()?.tools, 'tools capability');
  });

  test('tools/list returns every backend tool with its schemas', async () => {
    const { tools } = await ctx.client.listTools();
    assert.deepEqual(sorted(tools.map((t) => t.name)), sorted(ALL_TOOLS));
    const echo = tools.find((t) => t.name === 'echo');
    assert.equal(echo.inputSchema.properties.text.type, 'string');
    assert.equal(tools.find((t) => t.name === 'weather').outputSchema?.properties?.temperature?.type, 'number');
  });

  test('each call opens one GET /sse stream, POSTs initialize/initialized/call to the announced endpoint, then drops the stream', async () => {
    const from = ctx.backend.requests.length;
    const result = await ctx.client.callTool({ name: 'echo', arguments: { text: 'x' } });
    assert.deepEqual(result.content, [{ type: 'text', text: 'x' }]);
    const [get, ...more] = gets(from);
    assert.equal(more.length, 0, 'exactly one stream');
    assert.equal(get.url, '/sse');
    assert.match(get.headers.accept ?? '', /text\/event-stream/);
    assert.equal(get.headers['content-type'], undefined, 'the GET carries no content-type');
    assert.ok(!get.headers['content-length'] || get.headers['content-length'] === '0', 'the GET carries no body');
    assert.equal(get.headers.host, `127.0.0.1:${ctx.backend.port}`);
    const p = posts(from);
    assert.equal(p.length, 3, `POSTs: ${p.map((r) => r.url).join(', ')}`);
    for (const r of p) {
      assert.match(r.url, /^\/messages\?sessionId=[0-9a-f-]{36}$/);
      assert.match(r.headers['content-type'] ?? '', /^application\/json/);
    }
    assert.equal(new Set(p.map((r) => r.url)).size, 1, 'all POSTs go to the one announced endpoint');
    assert.ok(await eventually(() => ctx.backend.transports.size === 0), 'the backend stream is closed after the reply');
  });

  test('tools/call echo returns the text content', async () => {
    await assertEcho(ctx.client, 'héllo "gateway" \\ ✓\n\ttabs & <tags> \u2028 😀');
  });

  test('tools/call image returns the PNG intact', async () => {
    await assertImage(ctx.client);
  });

  test('tools/call fail comes back as a result with isError: true', async () => {
    const result = await ctx.client.callTool({ name: 'fail', arguments: {} });
    assert.equal(result.isError, true);
    assert.deepEqual(result.content, [{ type: 'text', text: 'this tool always fails' }]);
  });

  test('tools/call weather returns structuredContent', async () => {
    await ctx.client.listTools(); // lets the SDK client validate against the outputSchema
    const result = await ctx.client.callTool({ name: 'weather', arguments: { city: 'Zürich' } });
    assert.deepEqual(result.structuredContent, { city: 'Zürich', temperature: 21.5, conditions: 'sunny' });
  });

  test('tools/call slow_progress: progress/log messages on the stream are skipped', async () => {
    const reply = await postJson(ctx.envoy.url, rpc('p', 'tools/call', { name: 'slow_progress', arguments: {}, _meta: { progressToken: 'tok' } }));
    assertJsonReply(reply, 'p');
    assert.deepEqual(reply.json.result.content, [{ type: 'text', text: 'done after 2 steps' }]);
  });

  test('the client id comes back unchanged (big number, string)', async () => {
    for (const [idText, check] of [['12345678901234567890', /"id"\s*:\s*12345678901234567890\s*[,}]/], ['"s-1"', /"id"\s*:\s*"s-1"/]]) {
      const reply = await postJson(ctx.envoy.url, `{"jsonrpc":"2.0","id":${idText},"method":"tools/list"}`);
      assert.equal(reply.status, 200, reply.text);
      assert.match(reply.text, check);
      assert.ok(reply.json.result?.tools?.length > 0, reply.text.slice(0, 200));
    }
  });

  test('eight concurrent calls each get their own answer', async () => {
    const texts = Array.from({ length: 8 }, (_, i) => `concurrent-${i}-${'z'.repeat(i * 50)}`);
    const replies = await Promise.all(texts.map((t, i) => postJson(ctx.envoy.url, callEcho(100 + i, t))));
    replies.forEach((reply, i) => {
      assertJsonReply(reply, 100 + i);
      assert.deepEqual(reply.json.result?.content, [{ type: 'text', text: texts[i] }]);
    });
    assert.ok(await eventually(() => ctx.backend.transports.size === 0), 'every backend stream is closed');
  });

  test('initialize, ping, notifications and unknown methods are answered without opening a stream', async () => {
    const from = ctx.backend.requests.length;
    const init = await postJson(ctx.envoy.url, rpc(1, 'initialize', { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw', version: '0' } }));
    assertJsonReply(init, 1);
    assert.equal(init.json.result.protocolVersion, '2024-11-05');
    assert.equal(init.json.result.serverInfo.name, SERVER_NAME);
    const ping = await postJson(ctx.envoy.url, rpc(2, 'ping'));
    assert.deepEqual(ping.json, { jsonrpc: '2.0', id: 2, result: {} });
    const note = await postJson(ctx.envoy.url, { jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal(note.status, 202, note.text);
    const unknown = await postJson(ctx.envoy.url, rpc(3, 'resources/list'));
    assert.equal(unknown.json?.error?.code, -32601, unknown.text);
    await sleep(100);
    assert.deepEqual(ctx.backend.requests.slice(from), [], 'the backend saw nothing');
  });

  test('allowTools from config: tools/list filtered, other tools refused without a stream', async () => {
    const client = await connect(ctx.restricted.url);
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(sorted(tools.map((t) => t.name)), ['echo', 'fail', 'image', 'weather']);
      const from = ctx.backend.requests.length;
      await assertRpcError(client.callTool({ name: 'add', arguments: { a: 1, b: 2 } }), -32602, /Tool not allowed: add/);
      await assertRpcError(client.callTool({ name: 'slow_progress', arguments: {} }), -32602, /Tool not allowed: slow_progress/);
      await sleep(100);
      assert.deepEqual(ctx.backend.requests.slice(from), [], 'no stream opened for a refused call');
      const img = await client.callTool({ name: 'image', arguments: {} });
      assert.equal(img.content[0].data, TINY_PNG_BASE64);
    } finally {
      await client.close();
    }
  });

  test('the allow header narrows the config and never reaches the backend', async () => {
    const client = await connect(ctx.restricted.url, { [ALLOW_HEADER]: 'echo, add' });
    try {
      const from = ctx.backend.requests.length;
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ['echo']);
      await assertRpcError(client.callTool({ name: 'image', arguments: {} }), -32602, /Tool not allowed: image/);
      await assertRpcError(client.callTool({ name: 'add', arguments: { a: 1, b: 2 } }), -32602, /Tool not allowed: add/);
      const result = await client.callTool({ name: 'echo', arguments: { text: 'narrowed' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'narrowed' }]);
      const seen = ctx.backend.requests.slice(from);
      assert.equal(seen.filter((r) => r.method === 'GET').length, 2, 'streams only for the list and the allowed call');
      for (const r of seen) assert.equal(r.headers[ALLOW_HEADER], undefined, `${ALLOW_HEADER} reached the backend`);
    } finally {
      await client.close();
    }
  });

  test('the allow header alone (no allowTools config) restricts the tools', async () => {
    const client = await connect(ctx.envoy.url, { [ALLOW_HEADER]: 'weather,fail' });
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(sorted(tools.map((t) => t.name)), ['fail', 'weather']);
      await assertRpcError(client.callTool({ name: 'echo', arguments: { text: 'no' } }), -32602, /Tool not allowed: echo/);
    } finally {
      await client.close();
    }
  });

  test('the access log names the server and the tool of a tools/call over SSE', async () => {
    await ctx.client.callTool({ name: 'echo', arguments: { text: 'logged' } });
    const want = `server=${SERVER_NAME} tool=echo`;
    const line = await eventually(() => ctx.envoy.accessLog().find((l) => l.includes(want)), 3000);
    assert.ok(line, `no access log line with "${want}" in:\n${ctx.envoy.accessLog().join('\n')}`);
    assert.match(line, / 200 server=sse-demo tool=echo method=tools\/call error=- era=legacy /);
  });

  test('no wasm failure in the Envoy logs', async () => {
    assert.deepEqual(wasmFailures(ctx.envoy.log()), []);
    assert.deepEqual(wasmFailures(ctx.restricted.log()), []);
  });
});

// ---------------------------------------------------------------------------------------------
// Real SSE server 2: the Python SDK's FastMCP over SSE (a separate process).

describe('sse transport: Python SDK FastMCP backend', () => {
  const ctx = {};
  realServerSuite(ctx, () => startPythonBackend(path.join(ROOT, 'examples', 'backend', 'sse_server.py')), ['echo', 'image']);
  const test = itWithLog(() => ctx.envoy);

  test('the Python server is up and announces its endpoint', async () => {
    assert.match(ctx.backend.output(), /py-sse listening on http:\/\/127\.0\.0\.1:\d+\/sse/);
  });

  test('tools/list returns echo, image, fail', async () => {
    const { tools } = await ctx.client.listTools();
    assert.deepEqual(sorted(tools.map((t) => t.name)), ['echo', 'fail', 'image']);
    assert.equal(tools.find((t) => t.name === 'echo').inputSchema.properties.text.type, 'string');
  });

  test('tools/call echo returns the text', async () => {
    await assertEcho(ctx.client, 'pyth✓n "sse" \\ 😀');
  });

  test('tools/call image returns the PNG intact', async () => {
    await assertImage(ctx.client);
  });

  test('tools/call fail comes back with isError: true', async () => {
    const result = await ctx.client.callTool({ name: 'fail', arguments: {} });
    assert.equal(result.isError, true);
    assert.match(result.content[0].text, /this tool always fails/);
  });

  test('allowTools from config: list filtered, fail refused', async () => {
    const client = await connect(ctx.restricted.url);
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(sorted(tools.map((t) => t.name)), ['echo', 'image']);
      await assertRpcError(client.callTool({ name: 'fail', arguments: {} }), -32602, /Tool not allowed: fail/);
      const result = await client.callTool({ name: 'echo', arguments: { text: 'ok' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'ok' }]);
    } finally {
      await client.close();
    }
  });

  test('allowTools from the header', async () => {
    const client = await connect(ctx.envoy.url, { [ALLOW_HEADER]: 'fail' });
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ['fail']);
      await assertRpcError(client.callTool({ name: 'echo', arguments: { text: 'no' } }), -32602, /Tool not allowed: echo/);
      const result = await client.callTool({ name: 'fail', arguments: {} });
      assert.equal(result.isError, true);
    } finally {
      await client.close();
    }
  });

  test('no wasm failure in the Envoy logs', async () => {
    assert.deepEqual(wasmFailures(ctx.envoy.log()), []);
    assert.deepEqual(wasmFailures(ctx.restricted.log()), []);
  });
});

// ---------------------------------------------------------------------------------------------
// The scripted raw SSE backend: plain node:http, one hand-written stream per GET /sse.

/** Tools of the scripted backend. */
const RAW_TOOLS = [
  { name: 'echo', description: 'echo', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
  { name: 'big', description: 'a text of `size` bytes', inputSchema: { type: 'object', properties: { size: { type: 'number' } } } },
];

/** The protocol answer to a POSTed message (undefined for notifications). */
function protocolAnswer(msg) {
  if (!msg || typeof msg !== 'object' || msg.id === undefined) return undefined;
  switch (msg.method) {
    case 'initialize':
      return rpcResult(msg, { protocolVersion: '2024-11-05', capabilities: { tools: {} }, serverInfo: { name: 'raw-sse', version: '0.0.0' } });
    case 'tools/list':
      return rpcResult(msg, { tools: RAW_TOOLS });
    case 'tools/call':
      if (msg.params?.name === 'echo') return rpcResult(msg, { content: [{ type: 'text', text: msg.params.arguments?.text ?? '' }] });
      if (msg.params?.name === 'big') return rpcResult(msg, { content: [{ type: 'text', text: 'b'.repeat(msg.params.arguments?.size ?? 5000) }] });
      return rpcError(msg, -32602, `Unknown tool: ${msg.params?.name}`);
    default:
      return rpcError(msg, -32601, `Method not found: ${msg.method}`);
  }
}

/**
 * Events a messy server interleaves: comments, pings, unknown events (even carrying the awaited
 * id), id/retry/unknown fields, notifications, responses to other ids (a stale id, a string
 * id, a server→client request reusing the awaited id), non-JSON data, `data:` without space.
 */
function noiseText(eol, awaitedId, { afterEndpoint = true, foreignEndpoint } = {}) {
  const other = awaitedId === 1 ? 2 : 1;
  const lines = [
    ': a comment', ':', '',
    'event: ping', 'data: {}', '',
    'event: weird', `data: {"jsonrpc":"2.0","id":${awaitedId},"result":{"bogus":"unknown event type"}}`, '',
    'id: 41', 'retry: 5000', 'foo: bar',
    'data: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"no event field"}}', '',
    'event: message', `data: {"jsonrpc":"2.0","id":${other},"result":{"bogus":"another id"}}`, '',
    'event: message', `data: {"jsonrpc":"2.0","id":"${awaitedId}","result":{"bogus":"a string id"}}`, '',
    'event: message', `data: {"jsonrpc":"2.0","id":${awaitedId},"method":"roots/list"}`, '',
    'event: message', 'data: {"jsonrpc":"2.0","id":99,"error":{"code":-32000,"message":"not yours"}}', '',
    'event: message', 'data: not json at all', '',
    'event:message', 'data:{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}', '',
  ];
  if (afterEndpoint && foreignEndpoint) lines.push('event: endpoint', `data: ${foreignEndpoint}`, '');
  return lines.join(eol) + eol;
}

/** One open GET /sse stream of the scripted backend. */
class RawStream {
  constructor(server, sc, sid, req, res) {
    Object.assign(this, { server, sc, sid, req, res });
    this.eol = sc.eol ?? '\n';
    this.queue = Promise.resolve();
    this.closed = false;
    this.posts = [];
    this.timers = [];
    res.on('error', () => {});
    res.on('close', () => {
      this.closed = true;
      this.closedAt = Date.now();
      for (const t of this.timers) clearInterval(t);
    });
  }

  get defaultEndpoint() { return `/messages?sid=${this.sid}`; }

  /** Sends the response headers now (default 200 text/event-stream). */
  head(status = 200, headers = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }) {
    this.res.writeHead(status, headers);
    this.res.flushHeaders();
  }

  /** Queues raw text (byte by byte with sc.bytewise); resolves once written. */
  write(text) {
    const buf = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
    this.queue = this.queue.then(async () => {
      if (this.sc.bytewise) {
        const step = this.sc.chunkBytes ?? 1;
        for (let i = 0; i < buf.length; i += step) {
          if (this.closed) return;
          this.res.write(buf.subarray(i, i + step));
          await sleep(1);
        }
      } else if (!this.closed) {
        this.res.write(buf);
      }
    });
    return this.queue;
  }

  /** An event: `event:` line (unless name is null), one `data:` line per line of data. */
  event(name, data) {
    const e = this.eol;
    const head = name === null ? '' : `event: ${name}${e}`;
    return this.write(head + String(data).split('\n').map((l) => `data: ${l}${e}`).join('') + e);
  }

  /** A JSON-RPC message event (pretty-printed over several data lines with sc.multiline). */
  message(obj) {
    return this.event('message', this.sc.multiline ? JSON.stringify(obj, null, 2) : JSON.stringify(obj));
  }

  endpoint(data = this.defaultEndpoint) { return this.event('endpoint', data); }

  noise(awaitedId, opts) { return this.write(noiseText(this.eol, awaitedId, opts)); }

  /** Writes `text` every `ms` while the stream is open. */
  every(ms, text) {
    this.timers.push(setInterval(() => { if (!this.closed) this.res.write(text); }, ms));
  }

  /** Ends the stream gracefully once everything queued is written. */
  end() {
    this.queue = this.queue.then(() => { if (!this.closed) this.res.end(); });
    return this.queue;
  }
}

/** Acknowledges a POST (202 Accepted unless told otherwise). */
function ack(res, status = 202) {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(status >= 200 && status < 300 ? 'Accepted' : `error ${status}`);
}

/** Default stream opening: 200 text/event-stream, optional preamble, the endpoint event. */
function defaultOpen(s) {
  s.head();
  if (s.sc.preamble) s.write(s.sc.preamble(s));
  return s.endpoint(s.sc.endpoint ? s.sc.endpoint(s) : undefined);
}

/**
 * Default POST handling: acknowledge (sc.postStatus(msg), 202), then the protocol answer on the
 * stream (sc.answer(msg) overrides; undefined sends nothing). sc.answerFirst writes the answer
 * before acknowledging; sc.noise interleaves noise before each answer.
 */
async function defaultPost(s, msg, res) {
  const sc = s.sc;
  const status = sc.postStatus ? sc.postStatus(msg) : 202;
  const answer = status >= 200 && status < 300 ? (sc.answer ?? protocolAnswer)(msg) : undefined;
  const send = () => {
    if (answer === undefined) return Promise.resolve();
    if (sc.noise) s.noise(msg.id, { foreignEndpoint: sc.foreignEndpoint });
    return s.message(answer);
  };
  if (sc.answerFirst) {
    await send();
    await sleep(40);
    ack(res, status);
  } else {
    ack(res, status);
    await sleep(5);
    await send();
  }
}

/**
 * The scripted backend. setScenario(sc) decides how the next streams behave:
 *   sc.open(s)            → replaces defaultOpen (s: RawStream)
 *   sc.post(s, msg, res)  → replaces defaultPost
 *   eol, bytewise (chunks of chunkBytes, default 1, 1 ms apart), multiline, noise, preamble(s), endpoint(s), postStatus(msg),
 *   answer(msg), answerFirst, foreignEndpoint — options of the defaults.
 */
async function startRawSseBackend() {
  const requests = [];
  const streams = [];
  const bySid = new Map();
  let scenario = {};
  let nextSid = 1;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body;
      try { body = JSON.parse(text); } catch { body = text === '' ? undefined : text; }
      const url = new URL(req.url, 'http://127.0.0.1');
      const rec = { method: req.method, url: req.url, path: url.pathname, headers: { ...req.headers }, body, text, at: Date.now() };
      requests.push(rec);
      try {
        if (req.method === 'GET' && url.pathname === '/sse') {
          const sid = `s${nextSid++}`;
          const s = new RawStream(server, scenario, sid, req, res);
          streams.push(s);
          bySid.set(sid, s);
          await (scenario.open ?? defaultOpen)(s);
          return;
        }
        if (req.method === 'POST' && url.pathname === '/messages') {
          const s = bySid.get(url.searchParams.get('sid') ?? '');
          if (!s) return ack(res, 404);
          s.posts.push(rec);
          await (s.sc.post ?? defaultPost)(s, body, res, rec);
          return;
        }
        ack(res, 404);
      } catch (err) {
        if (!res.headersSent) ack(res, 500);
        process.stderr.write(`scripted SSE backend: ${err?.stack ?? err}\n`);
      }
    });
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    port,
    url: `http://127.0.0.1:${port}/sse`,
    requests,
    streams,
    setScenario: (sc) => { scenario = sc; },
    close: () => {
      for (const s of streams) for (const t of s.timers) clearInterval(t);
      return closeHttpServer(server);
    },
  };
}

describe('sse transport: scripted raw SSE backend', () => {
  const ctx = {};
  before(async () => {
    ctx.backend = await startRawSseBackend();
    ctx.foreign = await startHttpBackend((_rec, _req, res) => { res.writeHead(202); res.end(); });
    ctx.envoy = await startGateway(ctx.backend);
    ctx.small = await startGateway(ctx.backend, { server: { maxResponseBytes: 1024 } });
  });
  after(async () => {
    await ctx.envoy?.stop();
    await ctx.small?.stop();
    await ctx.backend?.close();
    await ctx.foreign?.close();
  });
  let nextId = 1000;

  /**
   * Runs one case: sets the scenario, POSTs `request` (default: echo), and checks the reply
   * is `result` (deepEqual) or an error with `code` and `message` regex. Only silence cases
   * (SILENT) bound the time: every other reply proves by its content that it did not come
   * from the deadline (a deadline reply is `timeout: ...`, which their regexes exclude).
   * Returns { reply, elapsed, streams, requests, posts } for extra checks.
   */
  async function runCase(envoy, sc, { request, expect, minMs = 0, maxMs = Infinity, headers } = {}) {
    const id = nextId++;
    const body = request ? request(id) : callEcho(id, 'raw ✓ échø 😀');
    const fromReq = ctx.backend.requests.length;
    const fromStream = ctx.backend.streams.length;
    const fromForeign = ctx.foreign.requests.length;
    ctx.backend.setScenario(sc);
    const started = Date.now();
    const reply = await postJson(envoy.url, body, headers);
    const elapsed = Date.now() - started;
    assertJsonReply(reply, id);
    if (expect.error) {
      assert.ok(reply.json.error, `expected an error, got ${reply.text.slice(0, 300)}`);
      assert.equal(reply.json.error.code, expect.error.code, `error: ${reply.text.slice(0, 300)}`);
      if (expect.error.message) assert.match(reply.json.error.message, expect.error.message);
    } else {
      assert.ok(reply.json.result, `expected a result, got ${reply.text.slice(0, 300)}`);
      assert.deepEqual(reply.json.result, expect.result);
    }
    assert.ok(elapsed >= minMs, `reply after ${elapsed} ms, expected ≥ ${minMs} ms`);
    assert.ok(elapsed <= maxMs, `reply after ${elapsed} ms, expected ≤ ${maxMs} ms`);
    assert.deepEqual(ctx.foreign.requests.slice(fromForeign), [], 'nothing reached the foreign listener');
    const streams = ctx.backend.streams.slice(fromStream);
    // POSTs by stream (a late POST of an earlier case may still arrive meanwhile).
    return { reply, elapsed, streams, requests: ctx.backend.requests.slice(fromReq), posts: streams.flatMap((s) => s.posts) };
  }

  const test = itWithLog(() => ctx.envoy);
  const echoResult = (text = 'raw ✓ échø 😀') => ({ content: [{ type: 'text', text }] });
  const ok = { result: echoResult() };
  const internal = (message) => ({ error: { code: -32603, message } });
  const postMethods = (posts) => posts.map((p) => p.body?.method);
  // Silence cases end at server.timeout, enforced by the root tick: not before it, and long
  // before a request that nothing ends would (never). Margins scale with the timeout.
  const SILENT = { minMs: TIMEOUT_MS * 0.9, maxMs: TIMEOUT_MS * 2.5 };

  // --- happy paths --------------------------------------------------------------------------

  test('plain stream: the whole exchange, headers and bodies as the legacy transport wants', async () => {
    const clientHeaders = {
      'x-trace-id': 'trace-123', 'mcp-session-id': 'client-session', 'mcp-protocol-version': '2025-06-18',
      authorization: 'Bearer client-secret',
    };
    const { posts, requests, streams } = await runCase(ctx.envoy, {}, { expect: ok, headers: clientHeaders });
    const get = requests.find((r) => r.method === 'GET');
    assert.equal(get.method, 'GET');
    assert.equal(get.url, '/sse');
    assert.match(get.headers.accept ?? '', /text\/event-stream/);
    assert.equal(get.text, '', 'the GET has no body');
    assert.equal(get.headers['content-type'], undefined);
    assert.equal(get.headers.host, `127.0.0.1:${ctx.backend.port}`);
    // The GET is the client's request: ordinary headers pass; session, version and credential do not.
    assert.equal(get.headers['x-trace-id'], 'trace-123');
    for (const h of ['mcp-session-id', 'mcp-protocol-version', 'authorization']) assert.equal(get.headers[h], undefined, `GET carries ${h}`);
    // The POSTs are built by the gateway: no client header at all.
    for (const p of posts) {
      for (const h of ['x-trace-id', 'mcp-session-id', 'authorization']) assert.equal(p.headers[h], undefined, `POST carries ${h}`);
    }
    assert.deepEqual(postMethods(posts), ['initialize', 'notifications/initialized', 'tools/call']);
    const [init, note, call] = posts;
    for (const p of posts) {
      assert.equal(p.url, `/messages?sid=${streams[0].sid}`);
      assert.match(p.headers['content-type'] ?? '', /^application\/json/);
      assert.equal(p.headers.host, `127.0.0.1:${ctx.backend.port}`);
    }
    assert.equal(init.body.id, 1);
    assert.equal(typeof init.body.params.protocolVersion, 'string');
    assert.equal(note.body.id, undefined, 'notifications/initialized is a notification');
    assert.equal(call.body.id, 2);
    assert.deepEqual(call.body.params, { name: 'echo', arguments: { text: 'raw ✓ échø 😀' } });
    for (const p of [note, call]) assert.equal(p.headers['mcp-protocol-version'], '2024-11-05', 'the version the backend agreed to');
    assert.ok(await eventually(() => streams[0].closed), 'the backend stream is closed after the reply');
  });

  test('tools/list over the scripted stream', async () => {
    await runCase(ctx.envoy, {}, { request: (id) => rpc(id, 'tools/list'), expect: { result: { tools: RAW_TOOLS } } });
  });

  test('byte-by-byte writes of the whole stream (UTF-8 split inside characters)', async () => {
    const { posts } = await runCase(ctx.envoy, { bytewise: true }, { expect: ok });
    assert.deepEqual(postMethods(posts), ['initialize', 'notifications/initialized', 'tools/call']);
  });

  test('CRLF line endings', async () => {
    await runCase(ctx.envoy, { eol: '\r\n' }, { expect: ok });
  });

  test('CR-only line endings', async () => {
    await runCase(ctx.envoy, { eol: '\r' }, { expect: ok });
  });

  test('CRLF, byte by byte (chunks split between CR and LF)', async () => {
    await runCase(ctx.envoy, { eol: '\r\n', bytewise: true }, { expect: ok });
  });

  test('multi-line data: JSON spread over several data lines', async () => {
    await runCase(ctx.envoy, { multiline: true }, { expect: ok });
  });

  test('comments, pings, unknown events and other JSON-RPC messages interleaved everywhere', async () => {
    const foreignEndpoint = `http://127.0.0.1:${ctx.foreign.port}/steal`;
    const sc = {
      noise: true,
      multiline: true,
      foreignEndpoint, // a second endpoint event after the first: ignored, not followed
      preamble: (s) => noiseText(s.eol, 1, { afterEndpoint: false }) + noiseText(s.eol, 2, { afterEndpoint: false }),
    };
    const { posts } = await runCase(ctx.envoy, sc, { expect: ok });
    assert.deepEqual(postMethods(posts), ['initialize', 'notifications/initialized', 'tools/call']);
    // Byte-split as well: 3-byte chunks (splitting CRLF pairs and UTF-8 sequences at varying
    // places) of a lighter mix, so the ~2.5 KB of stream fits in server.timeout.
    await runCase(ctx.envoy, {
      noise: true, foreignEndpoint, eol: '\r\n', bytewise: true, chunkBytes: 3,
      preamble: (s) => noiseText(s.eol, 1, { afterEndpoint: false }),
    }, { expect: ok });
  });

  test('answers on the stream before the POST is acknowledged', async () => {
    await runCase(ctx.envoy, { answerFirst: true }, { expect: ok });
  });

  test('an absolute endpoint URL on the same origin is used', async () => {
    const { posts, streams } = await runCase(ctx.envoy, {
      endpoint: (s) => `http://127.0.0.1:${ctx.backend.port}/messages?sid=${s.sid}`,
    }, { expect: ok });
    assert.equal(posts.length, 3);
    for (const p of posts) assert.equal(p.url, `/messages?sid=${streams[0].sid}`);
  });

  test('a relative endpoint (no leading slash) resolves against the SSE path', async () => {
    const { posts, streams } = await runCase(ctx.envoy, { endpoint: (s) => `messages?sid=${s.sid}` }, { expect: ok });
    assert.equal(posts.length, 3);
    for (const p of posts) assert.equal(p.url, `/messages?sid=${streams[0].sid}`);
  });

  test('a 5 KB event is fine under the default maxResponseBytes', async () => {
    await runCase(ctx.envoy, {}, {
      request: (id) => rpc(id, 'tools/call', { name: 'big', arguments: { size: 5000 } }),
      expect: { result: { content: [{ type: 'text', text: 'b'.repeat(5000) }] } },
    });
  });

  test('a leading byte-order mark is ignored (WHATWG SSE)', async () => {
    await runCase(ctx.envoy, { preamble: () => '\uFEFF' }, { expect: ok });
  });

  test("the backend's JSON-RPC error on the call is passed through", async () => {
    await runCase(ctx.envoy, {
      answer: (msg) => (msg.method === 'tools/call' ? rpcError(msg, -32042, 'custom failure', { why: 'test' }) : protocolAnswer(msg)),
    }, { expect: { error: { code: -32042, message: /^custom failure$/ } } });
  });

  test('a tool refused by the allow header opens no stream', async () => {
    const from = ctx.backend.requests.length;
    const reply = await postJson(ctx.envoy.url, rpc(7, 'tools/call', { name: 'big', arguments: {} }), { [ALLOW_HEADER]: 'echo' });
    assertJsonReply(reply, 7);
    assert.equal(reply.json.error?.code, -32602);
    assert.match(reply.json.error.message, /Tool not allowed: big/);
    await sleep(100);
    assert.deepEqual(ctx.backend.requests.slice(from), []);
  });

  // --- protocol version -----------------------------------------------------------------------

  test('the backend rejecting the protocol version on initialize → -32602', async () => {
    const { posts } = await runCase(ctx.envoy, {
      answer: (msg) => (msg.method === 'initialize'
        ? rpcError(msg, -32602, 'Unsupported protocol version', { supported: ['1999-01-01'], requested: msg.params?.protocolVersion })
        : protocolAnswer(msg)),
    }, { expect: { error: { code: -32602 } } });
    assert.deepEqual(postMethods(posts), ['initialize'], 'no call after a refused initialize');
  });

  test('the backend answering initialize with an unknown protocol version → -32602', async () => {
    await runCase(ctx.envoy, {
      answer: (msg) => (msg.method === 'initialize'
        ? rpcResult(msg, { protocolVersion: '1999-01-01', capabilities: {}, serverInfo: { name: 'old', version: '0' } })
        : protocolAnswer(msg)),
    }, { expect: { error: { code: -32602 } } });
  });

  // --- stream status / content-type ---------------------------------------------------------

  for (const status of [404, 500]) {
    test(`the stream answered HTTP ${status} → -32603`, async () => {
      const { posts } = await runCase(ctx.envoy, {
        open: (s) => { s.res.writeHead(status, { 'content-type': 'text/plain' }); s.res.end(`nope ${status}`); },
      }, { expect: internal(new RegExp(`backend SSE stream failed: HTTP ${status}`)) });
      assert.deepEqual(posts, []);
    });
  }

  test('the stream answered 200 application/json → -32603 naming the content-type', async () => {
    await runCase(ctx.envoy, {
      open: (s) => { s.res.writeHead(200, { 'content-type': 'application/json' }); s.res.end('{"jsonrpc":"2.0","id":1,"result":{}}'); },
    }, { expect: internal(/backend SSE stream failed: content-type application\/json.* is not text\/event-stream/) });
  });

  test('the stream answered 200 without a content-type, kept open → -32603 naming the content-type', async () => {
    await runCase(ctx.envoy, {
      open: (s) => { s.res.writeHead(200, {}); s.res.flushHeaders(); s.endpoint(); },
    }, { expect: internal(/backend SSE stream failed: content-type .* is not text\/event-stream/) });
  });

  // --- the endpoint's origin (SSRF) -----------------------------------------------------------

  const foreignEndpoints = () => [
    ['another port', `http://127.0.0.1:${ctx.foreign.port}/messages?sid=x`],
    ['another host', `http://localhost:${ctx.backend.port}/messages?sid=x`],
    ['another scheme', `https://127.0.0.1:${ctx.backend.port}/messages?sid=x`],
    ['scheme-relative, another port', `//127.0.0.1:${ctx.foreign.port}/messages?sid=x`],
  ];
  test('an endpoint on another origin is refused and nothing is POSTed anywhere', async () => {
    for (const [what, url] of foreignEndpoints()) {
      const { posts } = await runCase(ctx.envoy, { endpoint: () => url }, {
        expect: internal(/backend endpoint refused: endpoint .* is on another origin than server\.mcpServerURL \(refused\)/),
      });
      assert.deepEqual(posts, [], `${what}: the backend got no POST`);
    }
    await sleep(200);
    assert.deepEqual(ctx.foreign.requests, [], 'the foreign listener never got a request');
  });

  test('the refusal names the foreign endpoint', async () => {
    const url = `http://127.0.0.1:${ctx.foreign.port}/messages?sid=y`;
    const { reply } = await runCase(ctx.envoy, { endpoint: () => url }, { expect: internal(/refused/) });
    assert.ok(reply.json.error.message.includes(`endpoint ${url} is on another origin`), reply.json.error.message);
  });

  // --- early close ----------------------------------------------------------------------------

  test('the stream closed right after its headers → closed before the initialize answer', async () => {
    await runCase(ctx.envoy, { open: (s) => { s.head(); s.end(); } }, {
      expect: internal(/backend SSE stream closed before the initialize answer/),
    });
  });

  test('the stream closed after the endpoint event → closed before the initialize answer', async () => {
    await runCase(ctx.envoy, { open: (s) => { defaultOpen(s); return s.end(); } }, {
      expect: internal(/backend SSE stream closed before the initialize answer/),
    });
  });

  test('the stream closed after the initialize answer → closed before the notification answer', async () => {
    await runCase(ctx.envoy, {
      post: async (s, msg, res) => {
        if (msg.method === 'initialize') {
          ack(res);
          await s.message(protocolAnswer(msg));
          return s.end();
        }
        setTimeout(() => ack(res), 500); // the notification's ack comes after the close
      },
    }, { expect: internal(/backend SSE stream closed before the notification answer/) });
  });

  test('the stream closed when the call is POSTed → closed before the call answer', async () => {
    const { posts } = await runCase(ctx.envoy, {
      post: async (s, msg, res) => {
        if (msg.method === 'tools/call') {
          ack(res);
          return s.end();
        }
        return defaultPost(s, msg, res);
      },
    }, { expect: internal(/backend SSE stream closed before the call answer/) });
    assert.deepEqual(postMethods(posts), ['initialize', 'notifications/initialized', 'tools/call']);
  });

  // An abrupt end (TCP RST) rather than a graceful close. Before the stream's headers, Envoy
  // answers the GET itself (503) and the filter reads that as a failed stream: -32603. After
  // them, Envoy sends its own 502 straight to the client, bypassing the filter chain (log:
  // "Sending local reply with details upstream_reset_after_response_started{...} directly to
  // the encoder"), so the filter gets no chance to answer in JSON-RPC; the README allows "an
  // HTTP status with a reason". Either way the answer must be prompt and the gateway healthy.
  const reset = (s) => (typeof s.res.socket.resetAndDestroy === 'function' ? s.res.socket.resetAndDestroy() : s.res.socket.destroy());

  test('the stream reset (TCP RST) before its headers → -32603', async () => {
    await runCase(ctx.envoy, { open: (s) => reset(s) }, { expect: internal(/backend SSE stream failed: HTTP 503/) });
  });

  /**
   * A reset after the stream's headers: JSON-RPC -32603 caused by the reset (not the deadline:
   * its message is no timeout), or Envoy's 502 naming the reset.
   */
  async function resetCase(sc) {
    ctx.backend.setScenario(sc);
    const reply = await postJson(ctx.envoy.url, callEcho(77, 'reset'));
    if (reply.status === 200) {
      assertJsonReply(reply, 77);
      assert.equal(reply.json.error?.code, -32603, reply.text);
      assert.doesNotMatch(reply.json.error.message, /timeout/, 'the reset ended the exchange, not server.timeout');
    } else {
      assert.equal(reply.status, 502, `HTTP ${reply.status}: ${reply.text}`);
      assert.match(reply.text, /reset/);
    }
  }

  test('the stream reset (TCP RST) after the endpoint event → a prompt -32603 or HTTP 502', async () => {
    await resetCase({
      open: async (s) => { await defaultOpen(s); reset(s); },
      post: () => {}, // POSTs hang: only the reset can end the exchange before the deadline
    });
  });

  test('the stream reset (TCP RST) when the call is POSTed → a prompt -32603 or HTTP 502', async () => {
    await resetCase({
      post: async (s, msg, res) => {
        if (msg.method !== 'tools/call') return defaultPost(s, msg, res);
        reset(s);
        setTimeout(() => ack(res), 200);
      },
    });
  });

  // --- POST acknowledgements --------------------------------------------------------------------

  for (const [method, step] of [['initialize', 'initialize'], ['notifications/initialized', 'notification'], ['tools/call', 'call']]) {
    test(`the endpoint answering the ${step} POST with HTTP 500 → -32603`, async () => {
      const { posts } = await runCase(ctx.envoy, { postStatus: (msg) => (msg.method === method ? 500 : 202) }, {
        expect: internal(new RegExp(`backend endpoint POST \\(${step}\\) answered HTTP 500`)),
      });
      assert.equal(posts.at(-1).body.method, method, 'nothing is POSTed after the failed step');
    });
  }

  // --- silence: the root tick enforces server.timeout ------------------------------------------

  test('no response headers at all → timeout: no SSE stream', async () => {
    await runCase(ctx.envoy, { open: () => {} }, { expect: internal(/timeout: no SSE stream/), ...SILENT });
  });

  test('headers and keep-alives but no endpoint event → timeout: no endpoint event', async () => {
    await runCase(ctx.envoy, {
      open: (s) => { s.head(); s.every(200, ': keep-alive\n\nevent: ping\ndata: {}\n\n'); },
    }, { expect: internal(/timeout: no endpoint event within server\.timeout/), ...SILENT });
  });

  test('endpoint, but initialize is never answered on the stream → timeout: no answer', async () => {
    const { posts } = await runCase(ctx.envoy, { answer: () => undefined }, {
      expect: internal(/timeout: no answer within server\.timeout/), ...SILENT,
    });
    assert.deepEqual(postMethods(posts), ['initialize']);
  });

  test('the call is never answered on the stream (pings keep coming) → timeout: no answer', async () => {
    const { posts } = await runCase(ctx.envoy, {
      open: (s) => { defaultOpen(s); s.every(150, 'event: ping\ndata: {}\n\n'); },
      answer: (msg) => (msg.method === 'tools/call' ? undefined : protocolAnswer(msg)),
    }, { expect: internal(/timeout: no answer within server\.timeout/), ...SILENT });
    assert.deepEqual(postMethods(posts), ['initialize', 'notifications/initialized', 'tools/call']);
  });

  test('the initialize POST is never acknowledged nor answered → timeout', async () => {
    await runCase(ctx.envoy, { post: () => {} }, { expect: internal(/timeout/), ...SILENT });
  });

  test('three silent streams at once all time out on schedule', async () => {
    const sc = { open: (s) => s.head() };
    const cases = [0, 1, 2].map(() => runCase(ctx.envoy, sc, { expect: internal(/timeout: no endpoint event/), ...SILENT }));
    await Promise.all(cases);
  });

  // --- maxResponseBytes (the second gateway: server.maxResponseBytes 1024) ----------------------

  test('maxResponseBytes 1024: small events still work', async () => {
    await withEnvoyLog(ctx.small, () => runCase(ctx.small, {}, { expect: ok }));
  });

  test('maxResponseBytes 1024: a 5 KB data line in the call answer → exceeded', async () => {
    await withEnvoyLog(ctx.small, () => runCase(ctx.small, {}, {
      request: (id) => rpc(id, 'tools/call', { name: 'big', arguments: { size: 5000 } }),
      expect: internal(/backend SSE stream exceeded server\.maxResponseBytes/),
    }));
  });

  test('maxResponseBytes 1024: a 5 KB unknown event before the endpoint → exceeded', async () => {
    await withEnvoyLog(ctx.small, () => runCase(ctx.small, {
      preamble: (s) => `event: junk${s.eol}data: ${'j'.repeat(5000)}${s.eol}${s.eol}`,
    }, { expect: internal(/backend SSE stream exceeded server\.maxResponseBytes/) }));
  });

  test('maxResponseBytes 1024: many short data lines adding up past the bound → exceeded', async () => {
    await withEnvoyLog(ctx.small, () => runCase(ctx.small, {
      preamble: (s) => `event: message${s.eol}${`data: ${'m'.repeat(60)}${s.eol}`.repeat(40)}${s.eol}`,
    }, { expect: internal(/backend SSE stream exceeded server\.maxResponseBytes/) }));
  });

  test('maxResponseBytes 1024: an unterminated 5 KB line on an open stream → exceeded at once', async () => {
    await withEnvoyLog(ctx.small, () => runCase(ctx.small, {
      open: (s) => { s.head(); s.endpoint(); s.write(`data: ${'u'.repeat(5000)}`); },
      post: () => {},
    }, { expect: internal(/backend SSE stream exceeded server\.maxResponseBytes/) }));
  });

  // --- afterwards -------------------------------------------------------------------------------

  test('after every case: no wasm failure in the Envoy logs, and a normal call still works', async () => {
    await sleep(300);
    for (const envoy of [ctx.envoy, ctx.small]) {
      const failures = wasmFailures(envoy.log());
      assert.deepEqual(failures, [], `wasm failures in ${envoy.url}:\n${tail(envoy.log(), 60)}`);
      assert.equal(await vmReloads(envoy), 0, 'no wasm VM was reloaded');
      await runCase(envoy, {}, { expect: ok });
    }
    const client = await connect(ctx.envoy.url);
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ['echo', 'big']);
      const result = await client.callTool({ name: 'echo', arguments: { text: 'still fine' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'still fine' }]);
    } finally {
      await client.close();
    }
  });
});
