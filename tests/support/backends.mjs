// Misbehaving MCP backends for e2e tests: plain node:http servers on 127.0.0.1, each
// { port, url, requests, close() }. `requests` records {method, path, headers, body, text}.
import http from 'node:http';
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
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    port,
    url: `http://127.0.0.1:${port}/mcp`,
    requests,
    server,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
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
