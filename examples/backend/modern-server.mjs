// Example MCP server on the TypeScript SDK v2 (`@modelcontextprotocol/server` 2.4), which
// speaks the stateless 2026-07-28 revision: no initialize, no session, `_meta` on every request.
//
//   node examples/backend/modern-server.mjs [--port 8080] [--legacy reject|stateless] [--cache-ttl MS]
//
// `--legacy reject` makes a modern-only server (it refuses `initialize`); without it the server
// is dual-era (2025 clients are served statelessly too). Every request is recorded in `requests`
// and every tool run in `calls`, so tests can count backend requests per client call and prove
// which tool ran.
import http from 'node:http';
import * as z from 'zod/v4';
import { McpServer, acceptedContent, createMcpHandler, inputRequired } from '@modelcontextprotocol/server';
import { closeHttpServer, isMain, listen, parseArgs, readBody, serveUntilSignal } from './common.mjs';

/** Tools of the modern example server, in registration order. */
export const MODERN_TOOLS = ['echo', 'add', 'confirm', 'slow', 'héllo', '工具', 'region'];

/**
 * A server factory (the v2 handler calls it per request) with the example tools. `calls`
 * records each tool run as { name, args, inputResponses, requestState }.
 */
function serverFactory({ name, calls, cacheHints, setup }) {
  return () => {
    const server = new McpServer({ name, version: '2.0.0' }, {
      capabilities: { tools: { listChanged: true } },
      ...(cacheHints ? { cacheHints } : {}),
    });
    const record = (tool, args, ctx) => calls.push({
      name: tool, args, inputResponses: ctx?.mcpReq?.inputResponses, requestState: ctx?.mcpReq?.requestState?.(),
      meta: ctx?.mcpReq?._meta,
    });
    server.registerTool('echo', { description: 'Returns its text argument', inputSchema: z.object({ text: z.string() }) },
      async ({ text }, ctx) => { record('echo', { text }, ctx); return { content: [{ type: 'text', text }] }; });
    server.registerTool('add', { description: 'Adds two numbers', inputSchema: z.object({ a: z.number(), b: z.number() }) },
      async ({ a, b }, ctx) => { record('add', { a, b }, ctx); return { content: [{ type: 'text', text: String(a + b) }] }; });
    // Multi round-trip (basic/patterns/mrtr): the first call asks the client to confirm through
    // an embedded elicitation; the retry carries inputResponses and the echoed requestState.
    server.registerTool('confirm', { description: 'Deploys after the user confirms', inputSchema: z.object({ env: z.string() }) },
      async ({ env }, ctx) => {
        record('confirm', { env }, ctx);
        const schema = z.object({ confirm: z.boolean() });
        const answer = acceptedContent(ctx.mcpReq.inputResponses, 'confirm', schema);
        if (answer?.confirm !== true) {
          return inputRequired({
            inputRequests: { confirm: inputRequired.elicit({ message: `Deploy to ${env}?`, requestedSchema: schema }) },
            requestState: `state-for-${env}`,
          });
        }
        return { content: [{ type: 'text', text: `deployed to ${env} (state ${ctx.mcpReq.requestState()})` }] };
      });
    // Progress before the result turns the answer into an SSE stream.
    server.registerTool('slow', { description: 'Reports progress, then answers', inputSchema: z.object({}) },
      async (_args, ctx) => {
        record('slow', {}, ctx);
        const token = ctx.mcpReq._meta?.progressToken;
        if (token !== undefined) await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: 1, total: 2 } });
        return { content: [{ type: 'text', text: 'slow done' }] };
      });
    // Names outside SEP-986's recommended characters: their Mcp-Name goes base64-encoded. (The
    // SDK warns about such names on every registration, and the factory runs per request.)
    const warn = console.warn;
    console.warn = () => {};
    try {
      for (const n of ['héllo', '工具']) {
        server.registerTool(n, { description: `A tool named ${n}`, inputSchema: z.object({}) },
          async (_args, ctx) => { record(n, {}, ctx); return { content: [{ type: 'text', text: `hi from ${n}` }] }; });
      }
    } finally {
      console.warn = warn;
    }
    // SEP-2243: the region argument is mirrored into the Mcp-Param-Region header.
    server.registerTool('region', { description: 'Mirrors an argument into a header', inputSchema: z.object({ region: z.string().meta({ 'x-mcp-header': 'Region' }) }) },
      async ({ region }, ctx) => { record('region', { region }, ctx); return { content: [{ type: 'text', text: `region=${region}` }] }; });
    if (setup) setup(server, record);
    return server;
  };
}

/** Sends a fetch-style Response on a node:http response, streaming its body. */
async function sendResponse(response, res) {
  const headers = {};
  response.headers.forEach((v, k) => { headers[k] = v; });
  res.writeHead(response.status, headers);
  if (!response.body) return res.end();
  const reader = response.body.getReader();
  res.on('close', () => { reader.cancel().catch(() => {}); });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
  } catch { /* the client went away */ }
  res.end();
}

/**
 * Starts the v2 example backend on 127.0.0.1.
 * @param {object} [opts]
 * @param {number} [opts.port=0]
 * @param {'reject'|'stateless'|undefined} [opts.legacy] 'reject' = modern-only; default dual-era.
 * @param {object} [opts.cacheHints] McpServer cacheHints, e.g. {'tools/list': {ttlMs, cacheScope}}.
 * @param {(record, req, res) => (boolean|Promise<boolean>)} [opts.onRequest] sees each request
 *   first; returning true means it answered `res` itself.
 * @param {(server, record) => void} [opts.setup] registers more tools (record(tool, args, ctx)
 *   adds to `calls`).
 * @returns {Promise<{port: number, url: string, requests: object[], calls: object[],
 *   notifyToolsChanged: () => void, close: () => Promise<void>}>}
 */
export async function startModernBackend({ port = 0, legacy, cacheHints, onRequest, name = 'modern-backend', setup } = {}) {
  const requests = [];
  const calls = [];
  const handler = createMcpHandler(serverFactory({ name, calls, cacheHints, setup }), legacy ? { legacy } : {});
  const httpServer = http.createServer(async (req, res) => {
    const text = req.method === 'POST' ? await readBody(req) : '';
    let body = text === '' ? undefined : text;
    try { body = JSON.parse(text); } catch { /* keep the text */ }
    const record = { method: req.method, path: req.url, headers: { ...req.headers }, body, text };
    requests.push(record);
    if (onRequest && await onRequest(record, req, res)) return;
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const request = new Request(`http://127.0.0.1${req.url}`, {
      method: req.method, headers, body: req.method === 'POST' ? text : undefined, signal: controller.signal,
    });
    try {
      await sendResponse(await handler.fetch(request), res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err?.message ?? err));
    }
  });
  const actualPort = await listen(httpServer, port, '127.0.0.1');
  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}/mcp`,
    requests,
    calls,
    /** Sends notifications/tools/list_changed on every open subscriptions/listen stream. */
    notifyToolsChanged: () => handler.notify.toolsChanged(),
    close: async () => {
      await handler.close?.();
      await closeHttpServer(httpServer);
    },
  };
}

if (isMain(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  const ttl = args['cache-ttl'] !== undefined ? Number(args['cache-ttl']) : undefined;
  const backend = await startModernBackend({
    port: Number(args.port ?? 8080),
    legacy: typeof args.legacy === 'string' ? args.legacy : undefined,
    cacheHints: ttl !== undefined ? { 'tools/list': { ttlMs: ttl, cacheScope: 'public' } } : undefined,
  });
  serveUntilSignal(backend, 'MCP 2026-07-28 backend');
}
