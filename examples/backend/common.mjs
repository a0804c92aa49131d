// Plumbing shared by the example backends (server.mjs, full-server.mjs, conformance-server.mjs,
// sse-server.mjs): request bodies, JSON-RPC error replies, the recording HTTP server, stateful
// session routing, listening and closing, and the command-line entry point.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

/** Reads a request body as UTF-8 text. */
export function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Answers with a JSON-RPC error (id null), unless the headers went out already. */
export function sendJsonRpcError(res, status, code, message) {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/**
 * A node:http server for Streamable HTTP that records every request in `requests` as {method,
 * path, headers, body (parsed JSON, or the raw text), text} and offers it to `onRequest(record,
 * req, res)` first (true: it answered `res` itself). Then a path other than `mcpPath` gets 404,
 * a POST whose body is not JSON -32700, and the rest goes to `handle(req, res, body)` (body
 * undefined when there is none); a throw is answered 500.
 */
export function createMcpHttpServer({ mcpPath, requests, onRequest, handle }) {
  return http.createServer(async (req, res) => {
    try {
      const text = req.method === 'POST' ? await readBody(req) : '';
      let body;
      let parsedOk = false;
      if (text !== '') {
        try { body = JSON.parse(text); parsedOk = true; } catch { body = text; }
      }
      const record = { method: req.method, path: req.url, headers: { ...req.headers }, body, text };
      requests.push(record);
      if (onRequest && await onRequest(record, req, res)) return;
      if (req.url.split('?')[0] !== mcpPath) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('not found');
      }
      if (req.method === 'POST' && !parsedOk) return sendJsonRpcError(res, 400, -32700, 'Parse error');
      await handle(req, res, parsedOk ? body : undefined);
    } catch (err) {
      sendJsonRpcError(res, 500, -32603, `Internal server error: ${err?.message ?? err}`);
    }
  });
}

/**
 * The same as createMcpHttpServer, on the SDK's Express app (createMcpExpressApp: Host
 * validation, then express.json(), which also inflates `Content-Encoding: gzip`/`deflate`
 * bodies). Every request is recorded on arrival, before Express reads it (so one that Express
 * itself refuses is recorded too); `body` is what express.json() made of it and `text` that
 * re-serialized.
 */
export function createMcpExpressServer({ mcpPath, requests, onRequest, handle }) {
  const app = createMcpExpressApp();
  const records = new WeakMap(); // request → its record (Express keeps node's request object)
  app.use(async (req, res) => {
    try {
      const body = req.method === 'POST' ? req.body : undefined;
      const record = Object.assign(records.get(req), { body, text: body === undefined ? '' : JSON.stringify(body) });
      if (onRequest && await onRequest(record, req, res)) return;
      if (req.url.split('?')[0] !== mcpPath) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('not found');
      }
      await handle(req, res, body);
    } catch (err) {
      sendJsonRpcError(res, 500, -32603, `Internal server error: ${err?.message ?? err}`);
    }
  });
  return http.createServer((req, res) => {
    const record = { method: req.method, path: req.url, headers: { ...req.headers }, body: undefined, text: '' };
    requests.push(record);
    records.set(req, record);
    app(req, res);
  });
}

/**
 * Stateful Streamable HTTP: a request naming session `sid` goes to that session's transport
 * (404 `notFound` when `sessions` has none); a POSTed initialize (`sid` undefined) to the
 * `{ server, transport }` that `open()` makes, once the server is connected; anything else 400.
 */
export async function handleStateful(req, res, body, { sessions, sid, open, notFound = 'Session not found' }) {
  if (sid !== undefined) {
    const entry = sessions.get(sid);
    if (!entry) return sendJsonRpcError(res, 404, -32001, notFound);
    return entry.transport.handleRequest(req, res, body);
  }
  if (req.method === 'POST' && isInitializeRequest(body)) {
    const { server, transport } = open();
    await server.connect(transport);
    return transport.handleRequest(req, res, body);
  }
  return sendJsonRpcError(res, 400, -32000, 'Bad Request: No valid session ID provided');
}

/**
 * A stateful Streamable HTTP transport for `server` (random UUID session ids; `options` as for
 * StreamableHTTPServerTransport): once initialized, `{ server, transport, ...entry }` is in
 * `sessions` under its id and the id in `issued`; closing it takes the session out again.
 */
export function sessionTransport({ sessions, issued, server, entry = {}, ...options }) {
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    ...options,
    onsessioninitialized: (id) => { sessions.set(id, { server, transport, ...entry }); issued.add(id); },
  });
  transport.onclose = () => { if (transport.sessionId) sessions.delete(transport.sessionId); };
  return transport;
}

/** Starts `httpServer` listening on host:port; resolves to the port it got (port 0 picks one). */
export async function listen(httpServer, port, host) {
  await new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, resolve);
  });
  return httpServer.address().port;
}

/** Closes the listener, dropping open connections. */
export function closeHttpServer(httpServer) {
  return new Promise((resolve) => {
    httpServer.close(() => resolve());
    httpServer.closeAllConnections();
  });
}

/** Closes every session's transport and server (errors ignored) and empties `sessions`. */
export async function closeSessions(sessions) {
  for (const { transport, server } of [...sessions.values()]) {
    await transport.close().catch(() => {});
    await server.close().catch(() => {});
  }
  sessions.clear();
}

/** `--name value` pairs and bare `--flag`s (true) of a command line; other words are skipped. */
export function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[a.slice(2)] = true;
    else { out[a.slice(2)] = next; i++; }
  }
  return out;
}

/** Whether the module at `moduleUrl` (its import.meta.url) is the script node was started with. */
export function isMain(moduleUrl) {
  return !!process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}

/** Prints `<what> listening on <url>` and closes the backend, then exits, on SIGINT or SIGTERM. */
export function serveUntilSignal(backend, what) {
  process.stdout.write(`${what} listening on ${backend.url}\n`);
  const stop = async () => { await backend.close(); process.exit(0); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
