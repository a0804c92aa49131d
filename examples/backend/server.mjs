// Example MCP server (Streamable HTTP) used as the gateway's backend in e2e tests and demos.
//
//   node examples/backend/server.mjs [--port 8080] [--host 127.0.0.1] [--stateless] [--json] [--page-size N]
//
// It listens on 127.0.0.1 unless --host says otherwise (examples/docker-compose.yaml passes
// --host 0.0.0.0 so that Envoy in another container can reach it).
//
// Stateful mode issues an Mcp-Session-Id per initialize (one transport per session); stateless
// mode builds a fresh server and transport for every POST. --json answers with application/json,
// otherwise replies are SSE-framed (and may carry progress/log events before the response).
import * as z from 'zod/v4';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import {
  closeHttpServer, closeSessions, createMcpExpressServer, createMcpHttpServer, handleStateful, isMain, listen, parseArgs, serveUntilSignal, sessionTransport,
} from './common.mjs';

/** A valid 1×1 PNG (one opaque red pixel), base64. */
export const TINY_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';

/** Names of the filler tools that make tools/list long enough to paginate. */
export const FILLER_TOOLS = ['tool_01', 'tool_02', 'tool_03', 'tool_04', 'tool_05'];

/** Every tool the example server offers, in registration order. */
export const ALL_TOOLS = ['echo', 'add', 'image', 'weather', 'fail', 'slow_progress', ...FILLER_TOOLS];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Registers the `weather` tool (structured output: city, temperature, conditions) on `server`. */
export function registerWeatherTool(server) {
  server.registerTool('weather', {
    description: 'Current weather for a city (structured output)',
    inputSchema: { city: z.string() },
    outputSchema: { city: z.string(), temperature: z.number(), conditions: z.string() },
  }, async ({ city }) => {
    const structuredContent = { city, temperature: 21.5, conditions: 'sunny' };
    return { content: [{ type: 'text', text: JSON.stringify(structuredContent) }], structuredContent };
  });
}

/**
 * Makes every tool registered on `server` from now on report each execution to
 * `onToolCall({ name, arguments })` before it runs (arguments: the validated input, or
 * undefined for a tool without inputSchema) — so tests can prove a refused call never ran.
 */
export function recordToolCalls(server, onToolCall) {
  const register = server.registerTool.bind(server);
  server.registerTool = (name, config, handler) => register(name, config, (...args) => {
    onToolCall({ name, arguments: config?.inputSchema ? args[0] : undefined });
    return handler(...args);
  });
  return server;
}

/**
 * An McpServer with the example tools; tools/list is paginated when pageSize() > 0;
 * `onToolCall` (optional) sees every tool execution (see recordToolCalls); `setup(server)`
 * (optional) registers more tools after the example ones.
 */
export function createMcpServer({ pageSize = () => 0, onToolCall, setup } = {}) {
  const server = new McpServer(
    { name: 'example-backend', version: '1.0.0' },
    { capabilities: { logging: {} } },
  );
  if (onToolCall) recordToolCalls(server, onToolCall);
  server.registerTool('echo', {
    description: 'Returns its text argument',
    inputSchema: { text: z.string().describe('Text to echo') },
  }, async ({ text }) => ({ content: [{ type: 'text', text }] }));

  server.registerTool('add', {
    description: 'Adds two numbers',
    inputSchema: { a: z.number(), b: z.number() },
  }, async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));

  server.registerTool('image', {
    description: 'Returns a 1x1 PNG',
  }, async () => ({ content: [{ type: 'image', data: TINY_PNG_BASE64, mimeType: 'image/png' }] }));

  registerWeatherTool(server);

  server.registerTool('fail', {
    description: 'Always reports a tool-level error (isError: true)',
  }, async () => ({ content: [{ type: 'text', text: 'this tool always fails' }], isError: true }));

  server.registerTool('slow_progress', {
    description: 'Sends two progress notifications and a log message before its result',
  }, async (extra) => { // no inputSchema: the handler gets only `extra`
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= 2; i++) {
      if (token !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress: i, total: 2, message: `step ${i}/2` },
        });
      }
      await sleep(20);
    }
    // Sent through extra so it rides on this request's SSE stream (a session-level log would
    // go to the standalone GET stream, which a gateway never opens).
    await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: 'slow_progress finishing' } });
    await sleep(20);
    return { content: [{ type: 'text', text: 'done after 2 steps' }] };
  });

  for (const name of FILLER_TOOLS) {
    server.registerTool(name, {
      description: `Filler tool ${name}`,
    }, async () => ({ content: [{ type: 'text', text: name }] }));
  }

  if (setup) setup(server);

  // McpServer does not paginate: wrap its tools/list handler (installed by the first
  // registerTool) and cut the full list into pages with an opaque offset cursor.
  const listAll = server.server._requestHandlers.get('tools/list');
  server.server.setRequestHandler(ListToolsRequestSchema, async (request, extra) => {
    const all = await listAll(request, extra);
    const size = pageSize();
    if (!(size > 0)) return all;
    let start = 0;
    const cursor = request.params?.cursor;
    if (cursor !== undefined) {
      start = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
      if (!Number.isInteger(start) || start < 0 || start > all.tools.length) {
        throw new McpError(ErrorCode.InvalidParams, `Invalid cursor: ${cursor}`);
      }
    }
    const end = start + size;
    const page = { tools: all.tools.slice(start, end) };
    if (end < all.tools.length) page.nextCursor = Buffer.from(String(end)).toString('base64url');
    return page;
  });
  return server;
}

/**
 * Starts the example backend (on 127.0.0.1 unless `host` says otherwise).
 * @param {object} [opts]
 * @param {number} [opts.port=0] 0 picks a free port.
 * @param {string} [opts.host='127.0.0.1'] listen address.
 * @param {boolean} [opts.stateless=false] no Mcp-Session-Id; a fresh server per request.
 * @param {boolean} [opts.json=false] application/json replies instead of SSE.
 * @param {number} [opts.pageSize=0] tools/list page size (0 = one page).
 * @param {string} [opts.path='/mcp']
 * @param {boolean} [opts.express=false] serve through the SDK's Express app (createMcpExpressApp,
 *   whose express.json() inflates gzip/deflate request bodies) instead of plain node:http.
 * @param {(record, req, res) => (boolean|void|Promise<boolean|void>)} [opts.onRequest] sees each
 *   request first; returning true means it answered `res` itself.
 * @param {(server) => void} [opts.setup] registers more tools on each session's server.
 * @returns {Promise<{port: number, url: string, requests: Array<{method: string, path: string,
 *   headers: object, body: any, text: string}>, calls: Array<{name: string, arguments: any}>,
 *   sessions: Map, issuedSessionIds: Set<string>,
 *   setPageSize: (n: number) => void,
 *   close: () => Promise<void>}>}
 */
export async function startBackend({ port = 0, host = '127.0.0.1', stateless = false, json = false, pageSize = 0, path: mcpPath = '/mcp', onRequest, express = false, setup } = {}) {
  let currentPageSize = pageSize;
  /** Every tool execution, in order: { name, arguments }. */
  const calls = [];
  const newServer = () => createMcpServer({ pageSize: () => currentPageSize, onToolCall: (c) => calls.push(c), setup });
  /** Open stateful sessions by id, and every id ever issued. */
  const sessions = new Map();
  const issuedSessionIds = new Set();
  /** Every request seen: HTTP method, path, headers, body (parsed JSON, or the raw text). */
  const requests = [];

  function handleSession(req, res, body) {
    return handleStateful(req, res, body, {
      sessions,
      sid: req.headers['mcp-session-id'] || undefined, // an empty Mcp-Session-Id names no session
      open: () => {
        const server = newServer();
        return { server, transport: sessionTransport({ sessions, issued: issuedSessionIds, server, enableJsonResponse: json }) };
      },
    });
  }

  async function handleStateless(req, res, body) {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'application/json' });
      return res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null }));
    }
    const server = newServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: json });
    res.on('close', () => { transport.close(); server.close(); });
    await server.connect(transport);
    return transport.handleRequest(req, res, body);
  }

  const createServer = express ? createMcpExpressServer : createMcpHttpServer;
  const httpServer = createServer({ mcpPath, requests, onRequest, handle: stateless ? handleStateless : handleSession });

  const actualPort = await listen(httpServer, port, host);
  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}${mcpPath}`,
    requests,
    calls,
    sessions,
    issuedSessionIds,
    /** Changes the tools/list page size for later requests (0 = no pagination). */
    setPageSize: (n) => { currentPageSize = n; },
    /** Closes every session and the listener, dropping open connections. */
    close: async () => {
      await closeSessions(sessions);
      await closeHttpServer(httpServer);
    },
  };
}

if (isMain(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  const backend = await startBackend({
    port: Number(args.port ?? 8080),
    host: typeof args.host === 'string' ? args.host : '127.0.0.1',
    stateless: !!args.stateless,
    json: !!args.json,
    pageSize: Number(args['page-size'] ?? 0),
  });
  serveUntilSignal(backend, 'MCP backend');
}
