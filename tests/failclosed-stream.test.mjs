// E2E: server→client streams under a policy.
//   - Pass-through: a GET stream is filtered like a POST answer — a backend that replays a
//     tools/list answer on a GET with Last-Event-ID must not show denied tools.
//   - Both modes: a huge SSE event made of ~350k empty `data:` lines (~2 MiB) in a tools/list
//     answer (pass-through) or on the legacy SSE channel (terminating mode, transport "sse")
//     completes without freezing the worker: the next request on the same Envoy
//     (--concurrency 1) is answered, and Envoy's log shows no wasm failure.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { closeHttpServer, listen } from '../examples/backend/common.mjs';
import { initializeResult, rpcResult, sendJson, startHttpBackend } from './support/backends.mjs';
import { rawRequest, postJson } from './support/envoy.mjs';
import {
  PROTOCOL, SESSION_HEADER, assertNoWasmFailure, gwTest, messagesOf, openSession, ptConfig, rpc, sessionPost,
  startGateway, termConfig,
} from './support/failclosed.mjs';

const TOOLS = ['echo', 'add', 'secret'].map((name) => ({ name, description: `tool ${name}`, inputSchema: { type: 'object', properties: {} } }));
const ALLOW = ['echo'];
/** ~2 MiB of empty data lines, then the blank line that ends the event. */
const HUGE_EVENT = `${'data:\n'.repeat(350000)}\n`;
const sseHead = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const sseMessage = (msg, id) => `event: message\n${id ? `id: ${id}\n` : ''}data: ${JSON.stringify(msg)}\n\n`;

/**
 * A stateful Streamable HTTP backend: initialize issues `Mcp-Session-Id: replay-<n>`;
 * tools/list answers in SSE (with `hugeFirst()`, after HUGE_EVENT) as event `list-<id>`; a GET
 * with Last-Event-ID replays the last tools/list answer of that session and ends the stream.
 */
function startReplayBackend({ hugeFirst = () => false } = {}) {
  let sessions = 0;
  const lastList = new Map(); // backend session id → the tools/list answer
  return startHttpBackend(({ method, body, headers }, _req, res) => {
    const sid = headers[SESSION_HEADER];
    if (method === 'GET') {
      const answer = lastList.get(sid);
      if (!headers['last-event-id'] || !answer) {
        res.writeHead(405, { allow: 'POST' });
        return res.end();
      }
      res.writeHead(200, sseHead);
      return res.end(sseMessage(answer, `list-${answer.id}`));
    }
    if (method !== 'POST') {
      res.writeHead(405, { allow: 'GET, POST' });
      return res.end();
    }
    if (body?.method === 'initialize') return sendJson(res, rpcResult(body, initializeResult(body, 'replay')), 200, { [SESSION_HEADER]: `replay-${++sessions}` });
    if (body?.id === undefined) {
      res.writeHead(202);
      return res.end();
    }
    if (body.method === 'tools/list') {
      const answer = rpcResult(body, { tools: TOOLS });
      lastList.set(sid, answer);
      res.writeHead(200, sseHead);
      if (hugeFirst()) res.write(HUGE_EVENT);
      return res.end(sseMessage(answer, `list-${body.id}`));
    }
    return sendJson(res, rpcResult(body, {}));
  });
}

/** Tool names in every tools/list result of a reply. */
const listed = (reply) => messagesOf(reply).flatMap((m) => m.result?.tools ?? []).map((t) => t.name);

describe('fail-closed streams: pass-through GET replays are filtered', () => {
  let backend;
  let envoy;
  before(async () => {
    backend = await startReplayBackend();
    envoy = await startGateway(backend, ptConfig(backend, { allowTools: ALLOW }));
  });
  after(async () => {
    await envoy?.stop();
    await backend?.close();
  });

  gwTest('a GET with Last-Event-ID replaying a tools/list answer delivers the filtered list', () => envoy, async () => {
    const gid = await openSession(envoy.url);
    const post = await sessionPost(envoy.url, gid, rpc('L1', 'tools/list'));
    assert.equal(post.status, 200, post.text);
    assert.deepEqual(listed(post), ALLOW, 'the POST answer is filtered');
    const get = await rawRequest(envoy.url, {
      method: 'GET',
      headers: { accept: 'text/event-stream', [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL, 'last-event-id': 'list-L0' },
    });
    assert.equal(get.status, 200, get.text);
    assert.match(get.headers['content-type'] ?? '', /text\/event-stream/);
    assert.ok(backend.requests.some((q) => q.method === 'GET' && q.headers['last-event-id'] === 'list-L0'), 'the GET reached the backend');
    const replayed = messagesOf(get);
    assert.deepEqual(replayed.map((m) => m.id), ['L1'], get.text);
    assert.deepEqual(listed(get), ALLOW, `the replayed list shows denied tools: ${get.text}`);
  });
});

describe('fail-closed streams: a huge SSE event of empty data lines (pass-through)', () => {
  let backend;
  let envoy;
  before(async () => {
    backend = await startReplayBackend({ hugeFirst: () => true });
    envoy = await startGateway(backend, ptConfig(backend, { allowTools: ALLOW }), { concurrency: 1 });
  });
  after(async () => {
    await envoy?.stop();
    await backend?.close();
  });

  gwTest('the tools/list answer after it is delivered filtered; the next request is answered; no wasm failure', () => envoy, async (t) => {
    const gid = await openSession(envoy.url);
    const t0 = Date.now();
    const r = await rawRequest(envoy.url, {
      body: JSON.stringify(rpc(1, 'tools/list')),
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL },
      timeoutMs: 45000,
    });
    t.diagnostic(`tools/list with the huge event took ${Date.now() - t0} ms (reported, not asserted)`);
    assert.equal(r.status, 200);
    assert.deepEqual(listed(r), ALLOW);
    const next = await sessionPost(envoy.url, gid, rpc(2, 'ping'));
    assert.equal(next.status, 200, next.text);
    assert.deepEqual(next.json, { jsonrpc: '2.0', id: 2, result: {} });
    assertNoWasmFailure(envoy);
  });
});

/**
 * A legacy HTTP+SSE backend (GET /sse + POST /messages) that writes HUGE_EVENT on the stream
 * before its tools/list answer.
 */
async function startHugeSseBackend() {
  const streams = new Map();
  let next = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://127.0.0.1');
      if (req.method === 'GET' && url.pathname === '/sse') {
        const sid = `s${++next}`;
        streams.set(sid, res);
        res.on('close', () => streams.delete(sid));
        res.writeHead(200, sseHead);
        return res.write(`event: endpoint\ndata: /messages?sid=${sid}\n\n`);
      }
      const stream = streams.get(url.searchParams.get('sid') ?? '');
      if (req.method !== 'POST' || url.pathname !== '/messages' || !stream) {
        res.writeHead(404);
        return res.end();
      }
      let msg;
      try { msg = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { msg = undefined; }
      res.writeHead(202);
      res.end('Accepted');
      if (msg?.method === 'initialize') stream.write(sseMessage(rpcResult(msg, initializeResult(msg, 'huge-sse'))));
      else if (msg?.method === 'tools/list') stream.write(HUGE_EVENT + sseMessage(rpcResult(msg, { tools: TOOLS })));
      else if (msg?.id !== undefined) stream.write(sseMessage(rpcResult(msg, {})));
    });
  });
  const port = await listen(server, 0, '127.0.0.1');
  return { port, url: `http://127.0.0.1:${port}/sse`, close: () => closeHttpServer(server) };
}

describe('fail-closed streams: a huge SSE event of empty data lines (terminating mode, transport sse)', () => {
  let backend;
  let envoy;
  before(async () => {
    backend = await startHugeSseBackend();
    envoy = await startGateway(backend, termConfig(backend, { server: { transport: 'sse', timeout: 40000 }, allowTools: ALLOW }), { concurrency: 1 });
  });
  after(async () => {
    await envoy?.stop();
    await backend?.close();
  });

  gwTest('tools/list completes (filtered); the next request on the same worker is answered; no wasm failure', () => envoy, async (t) => {
    const t0 = Date.now();
    const r = await rawRequest(envoy.url, {
      body: JSON.stringify(rpc(1, 'tools/list')),
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': PROTOCOL },
      timeoutMs: 45000,
    });
    t.diagnostic(`tools/list with the huge event took ${Date.now() - t0} ms (reported, not asserted)`);
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.deepEqual(listed(r), ALLOW, r.text.slice(0, 300));
    const next = await postJson(envoy.url, rpc(2, 'ping'), { 'mcp-protocol-version': PROTOCOL });
    assert.equal(next.status, 200, next.text);
    assert.deepEqual(next.json, { jsonrpc: '2.0', id: 2, result: {} });
    assertNoWasmFailure(envoy);
  });
});
