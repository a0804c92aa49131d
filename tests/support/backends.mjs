// Misbehaving MCP backends for e2e tests: plain node:http servers on 127.0.0.1, each
// { port, url, requests, close() }. `requests` records {method, path, headers, body, text}.
import http from 'node:http';
import { closeHttpServer, listen } from '../../examples/backend/common.mjs';
import { freePort } from './envoy.mjs';

/** A JSON-RPC success response to msg. */
export function rpcResult(msg, result) {
  return { jsonrpc: '2.0', id: msg.id ?? null, result };
}

/** A JSON-RPC error response to msg. */
export function rpcError(msg, code, message, data) {
  return { jsonrpc: '2.0', id: msg?.id ?? null, error: data === undefined ? { code, message } : { code, message, data } };
}

/** A plausible initialize result echoing the requested protocol version. */
export function initializeResult(msg, name = 'scripted-backend') {
  return {
    protocolVersion: msg.params?.protocolVersion ?? '2025-06-18',
    capabilities: { tools: {} },
    serverInfo: { name, version: '0.0.0' },
  };
}

/** Writes a JSON body with the given status. */
export function sendJson(res, body, status = 200, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Writes messages as one SSE-framed body (`event: message` + `data:` per message). */
export function sendSse(res, messages, status = 200) {
  res.writeHead(status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.end(messages.map((m) => `event: message\ndata: ${typeof m === 'string' ? m : JSON.stringify(m)}\n\n`).join(''));
}

/**
 * Starts a node:http server; handler(record, req, res) is called once the body is read.
 * close() drops open connections, so hanging requests do not keep it alive.
 */
export async function startHttpBackend(handler) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body = text === '' ? undefined : text;
      try { body = JSON.parse(text); } catch { /* keep text */ }
      const record = { method: req.method, path: req.url, headers: { ...req.headers }, body, text };
      requests.push(record);
      try {
        await handler(record, req, res);
      } catch (err) {
        if (!res.headersSent) sendJson(res, rpcError(undefined, -32603, `backend handler threw: ${err.message}`), 500);
      }
    });
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    port,
    url: `http://127.0.0.1:${port}/mcp`,
    requests,
    server,
    close: () => closeHttpServer(server),
  };
}

/** Accepts requests, reads them, and never answers. */
export function startHangingBackend() {
  return startHttpBackend(() => {});
}

/** A port with nothing listening on it (free a moment ago). */
export async function closedPort() {
  const port = await freePort();
  return { port, url: `http://127.0.0.1:${port}/mcp`, requests: [], close: async () => {} };
}

/**
 * A backend answered message by message: handler(msg, req, res) for each POSTed JSON-RPC body.
 * The handler may write `res` itself, or return an object (sent as 200 application/json) or
 * `{ sse: [messages...] }` (sent SSE-framed). Returning undefined for a message without an id
 * answers 202; for a request it leaves `res` alone (the handler owns it, e.g. to hang).
 * Non-POST requests get 405.
 */
export function startScriptedBackend(handler) {
  return startHttpBackend(async ({ method, body }, req, res) => {
    if (method !== 'POST') {
      res.writeHead(405, { allow: 'POST' });
      return res.end();
    }
    const out = await handler(body, req, res);
    if (res.headersSent || res.writableEnded) return;
    if (out === undefined) {
      if (body && typeof body === 'object' && !Array.isArray(body) && body.id === undefined) {
        res.writeHead(202);
        res.end();
      }
      return;
    }
    if (out && typeof out === 'object' && Array.isArray(out.sse)) return sendSse(res, out.sse);
    return sendJson(res, out);
  });
}

/**
 * A well-behaved minimal backend built on startScriptedBackend: answers initialize, accepts
 * notifications, and lets `onCall(msg)` answer everything else (return a full JSON-RPC message).
 */
export function startMinimalBackend(onCall) {
  return startScriptedBackend((msg) => {
    if (msg?.method === 'initialize') return rpcResult(msg, initializeResult(msg));
    if (msg?.id === undefined) return undefined;
    return onCall(msg);
  });
}

/** Answers initialize with JSON-RPC -32602 "Unsupported protocol version". */
export function startVersionRejectingBackend() {
  return startScriptedBackend((msg) => {
    if (msg?.method === 'initialize') {
      return rpcError(msg, -32602, 'Unsupported protocol version', {
        supported: ['1999-01-01'], requested: msg.params?.protocolVersion,
      });
    }
    if (msg?.id === undefined) return undefined;
    return rpcError(msg, -32600, 'Server not initialized');
  });
}

/** Answers every POST with the given HTTP status and a short text body. */
export function startErrorBackend(status = 500) {
  return startHttpBackend((_rec, _req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(`backend error ${status}`);
  });
}

/** Resets the connection (TCP RST) as soon as a request has been read. */
export function startResetBackend() {
  return startHttpBackend((_rec, req) => {
    if (typeof req.socket.resetAndDestroy === 'function') req.socket.resetAndDestroy();
    else req.socket.destroy();
  });
}

/** Answers 200 application/json with a body that is not JSON. */
export function startGarbageBackend() {
  return startHttpBackend((_rec, _req, res) => {
    sendJson(res, 'not json');
  });
}

/**
 * Starts `command ...args <port>` (a backend that takes its port as the last argument) and
 * resolves once 127.0.0.1:port accepts TCP connections. close() stops the child by its pid
 * (SIGTERM, SIGKILL after 2 s); a process 'exit' hook SIGKILLs it should the test process end
 * without calling close().
 * @returns {Promise<{port: number, url: string, baseUrl: string, pid: number,
 *   output: () => string, close: () => Promise<void>}>}
 */
export async function startChildBackend(command, args = [], { urlPath = '/mcp', readyTimeoutMs = 20000, what = command } = {}) {
  const { spawn } = await import('node:child_process');
  const net = await import('node:net');
  const port = await freePort();
  const child = spawn(command, [...args, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => { output += c; });
  child.stderr.on('data', (c) => { output += c; });
  const exited = new Promise((resolve) => { child.once('exit', resolve); child.once('error', resolve); });
  let gone = false;
  exited.then(() => { gone = true; });
  const killSync = () => { if (!gone) { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } } };
  process.once('exit', killSync);
  const close = async () => {
    process.removeListener('exit', killSync);
    if (gone) return;
    try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ }
    const timer = setTimeout(killSync, 2000);
    await exited;
    clearTimeout(timer);
  };
  const canConnect = () => new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await canConnect())) {
    if (gone || Date.now() > deadline) {
      await close();
      throw new Error(`${what} did not listen on 127.0.0.1:${port}${gone ? ' (it exited)' : ''}\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  return { port, url: `${baseUrl}${urlPath}`, baseUrl, pid: child.pid, output: () => output, close };
}

/**
 * Starts `python3 <script> <port>` (e.g. examples/backend/sse_server.py, the Python SDK's
 * FastMCP over SSE) with startChildBackend.
 */
export function startPythonBackend(script, { python = 'python3', urlPath = '/sse', readyTimeoutMs = 20000 } = {}) {
  return startChildBackend(python, [script], { urlPath, readyTimeoutMs, what: script });
}

/**
 * A stateful Streamable-HTTP backend that answers in SSE written piece by piece with pauses,
 * for byte-exact checks of a gateway that rewrites SSE in flight. initialize issues
 * `Mcp-Session-Id: scripted-<n>`; notifications get 202; `tools/list` answers with
 * `toolsListScript(id)` (events before the result — a comment, CRLF lines, a server request
 * that reuses the client's id, a response to another id — a pause, the result event split
 * over three writes with multi-line data, one event after it); `tools/call` answers with
 * `slowCallScript(id)` (a progress event, a pause, the result). Other methods: `{}`.
 * A pause is 400 ms, unless `hold('tools/list' | 'tools/call')` was called before: then the
 * next such pause lasts until the test calls `release()` (`reached` resolves when the
 * script gets there), so a test can see what the client received during the pause.
 */
export function startSseScriptBackend() {
  const tools = ['keep_a', 'drop_me', 'keep_b'].map((name) => ({ name, description: `tool ${name}`, inputSchema: { type: 'object', properties: {} } }));
  const toolsListScript = (id) => {
    const idText = JSON.stringify(id);
    const result = JSON.stringify({ tools, nextCursor: 'page-2' });
    return {
      before: ': scripted stream\n\n'
        + 'event: message\nid: ev-1\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"listing"}}\n\n'
        + 'id: ev-1b\r\ndata: {"jsonrpc":"2.0","method":"notifications/progress",\r\ndata: "params":{"progressToken":"p","progress":1}}\r\n\r\n'
        + `event: message\nid: ev-2\ndata: {"jsonrpc":"2.0","id":${idText},"method":"roots/list"}\n\n`
        + `event: message\nid: ev-2b\ndata: {"jsonrpc":"2.0","id":999,"result":${result}}\n\n`,
      result: [`event: message\nid: ev-3\ndata: {"jsonrpc":"2.0",`, `"id":${idText},\ndata:  "result":${result.slice(0, 40)}`, `${result.slice(40)}}\n\n`],
      after: 'event: message\nid: ev-4\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"after"}}\n\n',
    };
  };
  const slowCallScript = (id) => [
    'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":1,"total":2}}\n\n',
    `event: message\ndata: {"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"slow"}]}}\n\n`,
  ];
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Pending holds by method: { reached, release, resolveReached, released }. */
  const holds = new Map();
  const hold = (method) => {
    let resolveReached;
    let release;
    const reached = new Promise((resolve) => { resolveReached = resolve; });
    const released = new Promise((resolve) => { release = resolve; });
    holds.set(method, { resolveReached, released });
    return { reached, release };
  };
  const pause = async (method) => {
    const h = holds.get(method);
    if (!h) return sleep(400);
    holds.delete(method);
    h.resolveReached();
    return h.released;
  };
  let sessions = 0;
  const backend = startHttpBackend(async ({ method, body }, _req, res) => {
    if (method !== 'POST') {
      res.writeHead(405, { allow: 'POST' });
      return res.end();
    }
    if (body?.method === 'initialize') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': `scripted-${++sessions}` });
      return res.end(`event: message\ndata: ${JSON.stringify(rpcResult(body, initializeResult(body, 'sse-script')))}\n\n`);
    }
    if (body?.id === undefined) {
      res.writeHead(202);
      return res.end();
    }
    if (body.method === 'tools/list') {
      const s = toolsListScript(body.id);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(s.before);
      await pause('tools/list');
      for (const piece of s.result) {
        res.write(piece);
        await sleep(30);
      }
      return res.end(s.after);
    }
    if (body.method === 'tools/call') {
      const [first, second] = slowCallScript(body.id);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(first);
      await pause('tools/call');
      return res.end(second);
    }
    return sendSse(res, [rpcResult(body, {})]);
  });
  return backend.then((b) => Object.assign(b, { toolsListScript, slowCallScript, hold }));
}
