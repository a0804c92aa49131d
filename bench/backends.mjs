// Canned MCP backends for `make bench`: plain node:http servers on 127.0.0.1 that answer at
// once with fixed, valid MCP responses and count every request they get, so the benchmark
// measures the gateway and not an MCP SDK. Four kinds:
//   stateful   legacy Streamable HTTP (≤ 2025-11-25) that issues Mcp-Session-Id at initialize and
//              insists on initialize → notifications/initialized → call; DELETE ends a session
//   stateless  legacy Streamable HTTP without sessions
//   modern     MCP 2026-07-28 only: server/discover, per-request `_meta` protocol version,
//              Mcp-Method / Mcp-Name headers checked against the body, results with resultType
//   sse        legacy HTTP+SSE (2024-11-05): GET /sse opens a stream whose first event,
//              `endpoint`, names the POST URL; answers travel as `message` events on the stream
//
// Run as a child process (`fork('bench/backends.mjs')`): it sends {ports} over IPC once
// listening, answers {type: 'counts'} with {counts, cpu}, and exits when the parent
// disconnects. The load generator runs in another process, so the two do not share a core.
import http from 'node:http';
import { closeHttpServer, isMain, listen, readBody } from '../examples/backend/common.mjs';

/** The protocol version of the legacy backends' answers (the client's is echoed when given). */
export const LEGACY_VERSION = '2025-06-18';
/** The modern protocol revision. */
export const MODERN_VERSION = '2026-07-28';
/** `_meta` key that marks a modern request. */
export const META_VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';
/** The one tool every backend offers. */
export const TOOL = { name: 'echo', description: 'Echoes its text', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } };
/** Fixed tools/call result of the legacy backends. */
const LEGACY_CALL_RESULT = JSON.stringify({ content: [{ type: 'text', text: 'hello from the canned backend' }] });
/** Fixed tools/call result of the modern backend. */
const MODERN_CALL_RESULT = JSON.stringify({ resultType: 'complete', content: [{ type: 'text', text: 'hello from the canned backend' }] });

const SERVER_INFO = { name: 'bench-canned', version: '0.0.0' };

function respond(res, status, text, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A JSON-RPC success whose result is already JSON text. */
function success(id, resultJson) {
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${resultJson}}`;
}

function failure(id, code, message) {
  return JSON.stringify({ jsonrpc: '2.0', id: id ?? null, error: { code, message } });
}

function rpcError(res, status, id, code, message) {
  respond(res, status, failure(id, code, message));
}

function accepted(res) {
  res.writeHead(202, { 'content-length': '0' });
  res.end();
}

function parse(text) {
  try { return JSON.parse(text); } catch { return undefined; }
}

function initializeResult(msg) {
  return JSON.stringify({
    protocolVersion: msg.params?.protocolVersion ?? LEGACY_VERSION,
    capabilities: { tools: {} },
    serverInfo: SERVER_INFO,
  });
}

/** The JSON-RPC response (text) of a legacy backend to a request `msg` (which has an id). */
function legacyReply(msg) {
  if (msg.method === 'initialize') return success(msg.id, initializeResult(msg));
  if (msg.method === 'tools/call') return success(msg.id, LEGACY_CALL_RESULT);
  if (msg.method === 'tools/list') return success(msg.id, JSON.stringify({ tools: [TOOL] }));
  if (msg.method === 'ping') return success(msg.id, '{}');
  return failure(msg.id, -32601, 'Method not found');
}

/** Answers a legacy message over HTTP: 202 for a notification, else 200 with its response. */
function answerLegacy(res, msg, headers) {
  if (msg.id === undefined) return accepted(res);
  return respond(res, 200, legacyReply(msg), headers);
}

/** A server that counts requests and hands POST bodies (parsed) to `handle`. */
async function counted(handle) {
  const stats = { requests: 0 };
  const server = http.createServer(async (req, res) => {
    stats.requests++;
    try {
      const text = req.method === 'POST' ? await readBody(req) : '';
      await handle(req, res, req.method === 'POST' ? parse(text) : undefined);
    } catch (err) {
      if (!res.headersSent) rpcError(res, 500, null, -32603, String(err?.message ?? err));
    }
  });
  server.keepAliveTimeout = 60000;
  const port = await listen(server, 0, '127.0.0.1');
  return { port, stats, close: () => closeHttpServer(server) };
}

/** Legacy Streamable HTTP without sessions. */
function statelessBackend() {
  return counted((req, res, msg) => {
    if (req.method !== 'POST') return rpcError(res, 405, null, -32000, 'Method not allowed');
    if (!msg || typeof msg !== 'object') return rpcError(res, 400, null, -32700, 'Parse error');
    return answerLegacy(res, msg);
  });
}

/** Legacy Streamable HTTP with sessions: initialize → notifications/initialized → calls; DELETE. */
function statefulBackend() {
  /** session id → whether notifications/initialized arrived. */
  const sessions = new Map();
  let next = 0;
  return counted((req, res, msg) => {
    const sid = req.headers['mcp-session-id'];
    if (req.method === 'DELETE') {
      if (!sessions.delete(sid)) return rpcError(res, 404, null, -32001, 'Session not found');
      res.writeHead(200, { 'content-length': '0' });
      return res.end();
    }
    if (req.method !== 'POST') return rpcError(res, 405, null, -32000, 'Method not allowed');
    if (!msg || typeof msg !== 'object') return rpcError(res, 400, null, -32700, 'Parse error');
    if (msg.method === 'initialize') {
      const id = `canned-${process.pid}-${++next}`;
      sessions.set(id, false);
      return answerLegacy(res, msg, { 'mcp-session-id': id });
    }
    if (sid === undefined) return rpcError(res, 400, msg.id, -32000, 'Bad Request: No valid session ID provided');
    if (!sessions.has(sid)) return rpcError(res, 404, msg.id, -32001, 'Session not found');
    if (msg.method === 'notifications/initialized') {
      sessions.set(sid, true);
      return accepted(res);
    }
    if (!sessions.get(sid)) return rpcError(res, 400, msg.id, -32000, 'Bad Request: session not initialized');
    return answerLegacy(res, msg);
  });
}

/** MCP 2026-07-28 only: legacy (initialize-era) requests are refused with -32022. */
function modernBackend() {
  return counted((req, res, msg) => {
    if (req.method !== 'POST') return rpcError(res, 405, null, -32000, 'Method not allowed');
    if (!msg || typeof msg !== 'object') return rpcError(res, 400, null, -32700, 'Parse error');
    const headerMethod = req.headers['mcp-method'];
    if (headerMethod !== undefined && headerMethod !== msg.method) {
      return rpcError(res, 400, msg.id, -32020, `Mcp-Method header ${headerMethod} does not match ${msg.method}`);
    }
    const headerName = req.headers['mcp-name'];
    if (headerName !== undefined && msg.method === 'tools/call' && headerName !== msg.params?.name) {
      return rpcError(res, 400, msg.id, -32020, 'Mcp-Name header does not match params.name');
    }
    if (msg.method === 'server/discover') {
      return respond(res, 200, success(msg.id, JSON.stringify({ supportedVersions: [MODERN_VERSION], capabilities: { tools: {} }, serverInfo: SERVER_INFO })));
    }
    if (msg.id === undefined) return accepted(res);
    if (msg.params?._meta?.[META_VERSION_KEY] !== MODERN_VERSION) {
      return rpcError(res, 400, msg.id, -32022, `Unsupported protocol version: this server speaks only ${MODERN_VERSION}`);
    }
    if (msg.method === 'tools/call') return respond(res, 200, success(msg.id, MODERN_CALL_RESULT));
    // Cacheable (caching.mdx): the federated path serves it from the gateway's list cache.
    if (msg.method === 'tools/list') {
      return respond(res, 200, success(msg.id, JSON.stringify({ resultType: 'complete', tools: [TOOL], ttlMs: 300000, cacheScope: 'public' })));
    }
    return rpcError(res, 404, msg.id, -32601, 'Method not found');
  });
}

/** Legacy HTTP+SSE: GET /sse opens a stream; POST /messages?sessionId= is answered on it. */
function sseBackend() {
  /** session id → the open stream's response. */
  const streams = new Map();
  let next = 0;
  return counted((req, res, msg) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/sse') {
      const id = String(++next);
      streams.set(id, res);
      res.on('close', () => streams.delete(id));
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(`event: endpoint\ndata: /messages?sessionId=${id}\n\n`);
      return;
    }
    if (req.method !== 'POST' || url.pathname !== '/messages') return rpcError(res, 404, null, -32000, 'not found');
    const stream = streams.get(url.searchParams.get('sessionId') ?? '');
    if (!stream) return rpcError(res, 404, null, -32001, 'unknown session');
    if (!msg || typeof msg !== 'object') return rpcError(res, 400, null, -32700, 'Parse error');
    res.writeHead(202, { 'content-length': '8' });
    res.end('Accepted');
    if (msg.id !== undefined) stream.write(`event: message\ndata: ${legacyReply(msg)}\n\n`);
  });
}

/**
 * Starts the four canned backends.
 * @returns {Promise<{ports: Record<string, number>, counts: () => Record<string, number>,
 *   close: () => Promise<void>}>}
 */
export async function startCannedBackends() {
  const backends = {
    stateful: await statefulBackend(),
    stateless: await statelessBackend(),
    modern: await modernBackend(),
    sse: await sseBackend(),
  };
  const entries = Object.entries(backends);
  return {
    ports: Object.fromEntries(entries.map(([k, b]) => [k, b.port])),
    counts: () => Object.fromEntries(entries.map(([k, b]) => [k, b.stats.requests])),
    close: async () => { for (const [, b] of entries) await b.close(); },
  };
}

if (isMain(import.meta.url)) {
  const backends = await startCannedBackends();
  if (!process.send) {
    process.stdout.write(`canned backends: ${JSON.stringify(backends.ports)}\n`);
  } else {
    process.on('message', (m) => {
      if (m?.type === 'counts') process.send({ type: 'counts', counts: backends.counts() });
    });
    process.on('disconnect', () => { backends.close().finally(() => process.exit(0)); });
    process.send({ type: 'ready', ports: backends.ports });
  }
}
