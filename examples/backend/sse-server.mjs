// Example MCP server over the legacy HTTP+SSE transport (MCP 2024-11-05), built on the
// TypeScript SDK's SSEServerTransport + McpServer. Backend for the gateway's `transport: "sse"`
// e2e tests and demos.
//
//   node examples/backend/sse-server.mjs [--port 8081]
//
// GET /sse opens a stream (one transport + server per stream) whose first event is
// `event: endpoint` with `/messages?sessionId=<uuid>`; POST /messages?sessionId=… delivers a
// client message, answered 202 — the JSON-RPC response travels on the stream. The tools are
// the example server's (echo, add, image, weather, fail, slow_progress, fillers).
import http from 'node:http';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { closeHttpServer, isMain, listen, serveUntilSignal } from './common.mjs';
import { ALL_TOOLS, TINY_PNG_BASE64, createMcpServer } from './server.mjs';

export { ALL_TOOLS, TINY_PNG_BASE64 };

/**
 * Starts the SSE example backend on 127.0.0.1.
 * @param {object} [opts]
 * @param {number} [opts.port=0] 0 picks a free port.
 * @returns {Promise<{port: number, url: string, requests: Array<{method: string, url: string,
 *   headers: object}>, calls: Array<{name: string, arguments: any}>, transports: Map<string, SSEServerTransport>, close: () => Promise<void>}>}
 */
export async function startSseBackend({ port = 0 } = {}) {
  /** Open streams by session id. */
  const transports = new Map();
  /** Every request seen: HTTP method, url (path + query), headers. */
  const requests = [];
  /** Every tool execution, in order: { name, arguments }. */
  const calls = [];

  const httpServer = http.createServer(async (req, res) => {
    requests.push({ method: req.method, url: req.url, headers: { ...req.headers } });
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      if (req.method === 'GET' && url.pathname === '/sse') {
        const transport = new SSEServerTransport('/messages', res);
        const server = createMcpServer({ onToolCall: (c) => calls.push(c) });
        transports.set(transport.sessionId, transport);
        let closed = false;
        transport.onclose = () => { // the stream ended (gateway reset it, or close())
          if (closed) return; // server.close() closes the transport again
          closed = true;
          transports.delete(transport.sessionId);
          server.close().catch(() => {});
        };
        await server.connect(transport); // start(): 200 text/event-stream + the endpoint event
        return;
      }
      if (req.method === 'POST' && url.pathname === '/messages') {
        const transport = transports.get(url.searchParams.get('sessionId') ?? '');
        if (!transport) {
          res.writeHead(404, { 'content-type': 'text/plain' });
          return res.end('unknown session');
        }
        await transport.handlePostMessage(req, res);
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    } catch (err) {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`internal error: ${err?.message ?? err}`);
      }
    }
  });

  const actualPort = await listen(httpServer, port, '127.0.0.1');
  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}/sse`,
    requests,
    calls,
    transports,
    /** Closes every stream and the listener, dropping open connections. */
    close: async () => {
      for (const transport of [...transports.values()]) await transport.close().catch(() => {});
      transports.clear();
      await closeHttpServer(httpServer);
    },
  };
}

if (isMain(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const backend = await startSseBackend({ port: i > 0 ? Number(process.argv[i + 1]) : 8081 });
  serveUntilSignal(backend, 'MCP SSE backend');
}
