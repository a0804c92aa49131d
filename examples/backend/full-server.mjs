// A feature-complete MCP server (Streamable HTTP, stateful) for the pass-through e2e tests:
// tools (text, image, structured output, isError, progress + log notifications, sampling),
// resources (static, a template with list/complete, subscriptions with
// `notifications/resources/updated`), prompts with completable arguments, logging with
// `logging/setLevel`, and optional resumability (an in-memory event store: SSE events carry
// ids and a GET with `Last-Event-ID` replays what followed).
//
//   node examples/backend/full-server.mjs [--port 8080] [--json] [--resumable]
//
// Test hooks: every request is recorded (method, path, headers, body); `dropSession(id)`
// forgets a session the way a backend restart or its own idle expiry would, so that the next
// request with that id gets the backend's 404 (body message "Session not found (backend)",
// distinct from the gateway's own 404).
import * as z from 'zod/v4';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import {
  CreateMessageResultSchema, ListToolsRequestSchema, SubscribeRequestSchema, UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {
  closeHttpServer, closeSessions, createMcpHttpServer, handleStateful, isMain, listen, parseArgs, serveUntilSignal, sessionTransport,
} from './common.mjs';
import { TINY_PNG_BASE64, registerWeatherTool } from './server.mjs';

export { TINY_PNG_BASE64 };

/** Tools of the full server, in registration order. */
export const FULL_TOOLS = ['echo', 'image', 'weather', 'fail', 'progress', 'log_levels', 'ask', 'touch'];
/** Names offered by the `greet` prompt's completable `name` argument. */
export const GREET_NAMES = ['Alice', 'Alan', 'Albert', 'Bob'];
/** Ids listed by the `memo://notes/{id}` resource template. */
export const NOTE_IDS = ['alpha', 'beta', 'gamma'];
/** The backend's own 404 message for a session it does not know. */
export const BACKEND_SESSION_NOT_FOUND = 'Session not found (backend)';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A minimal ordered in-memory EventStore (ids `<stream>.<n>`, replay per stream). */
export class MemoryEventStore {
  constructor() {
    this.events = []; // { id, streamId, message }
    this.seq = 0;
  }

  async storeEvent(streamId, message) {
    const id = `${streamId}.${++this.seq}`;
    this.events.push({ id, streamId, message });
    return id;
  }

  async getStreamIdForEventId(eventId) {
    return this.events.find((e) => e.id === eventId)?.streamId;
  }

  async replayEventsAfter(lastEventId, { send }) {
    const at = this.events.findIndex((e) => e.id === lastEventId);
    if (at < 0) return '';
    const { streamId } = this.events[at];
    for (const e of this.events.slice(at + 1)) {
      // Priming events (empty messages) are not replayed.
      if (e.streamId === streamId && e.message && Object.keys(e.message).length > 0) await send(e.id, e.message);
    }
    return streamId;
  }
}

/**
 * An McpServer with every feature the tests exercise. `subscriptions` (a Set of URIs) is
 * shared with the caller; `logOnToolsList` makes tools/list send a log notification on its
 * own SSE stream before the result (so that a reply mixes a notification and the result).
 */
export function createFullServer({ subscriptions = new Set(), logOnToolsList = false } = {}) {
  const server = new McpServer(
    { name: 'full-backend', version: '1.0.0' },
    { capabilities: { logging: {}, completions: {} } },
  );

  // ---- tools
  server.registerTool('echo', {
    description: 'Returns its text argument',
    inputSchema: { text: z.string() },
  }, async ({ text }) => ({ content: [{ type: 'text', text }] }));

  server.registerTool('image', { description: 'Returns a 1x1 PNG' },
    async () => ({ content: [{ type: 'image', data: TINY_PNG_BASE64, mimeType: 'image/png' }] }));

  registerWeatherTool(server);

  server.registerTool('fail', { description: 'Always reports a tool-level error' },
    async () => ({ content: [{ type: 'text', text: 'this tool always fails' }], isError: true }));

  server.registerTool('progress', {
    description: 'Sends `steps` progress notifications and a log message (on its own SSE stream) before its result',
    inputSchema: { steps: z.number().int().min(1).max(20) },
  }, async ({ steps }, extra) => {
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= steps; i++) {
      if (token !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress: i, total: steps, message: `step ${i}/${steps}` },
        });
      }
      await sleep(10);
    }
    await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', logger: 'progress', data: `finished ${steps} steps` } });
    return { content: [{ type: 'text', text: `done after ${steps} steps` }] };
  });

  server.registerTool('log_levels', {
    description: 'Sends one session-level log message per level (debug, info, warning, error); the session\'s logging/setLevel filters them',
  }, async (extra) => {
    for (const level of ['debug', 'info', 'warning', 'error']) {
      // Session-level (not tied to this request): they travel on the standalone GET stream.
      await server.server.sendLoggingMessage({ level, logger: 'log_levels', data: `a ${level} message` }, extra.sessionId);
    }
    return { content: [{ type: 'text', text: 'logged' }] };
  });

  server.registerTool('ask', {
    description: 'Asks the client to sample an answer (sampling/createMessage); via "request" rides on this call\'s SSE stream, via "session" on the GET stream',
    inputSchema: { question: z.string(), via: z.enum(['request', 'session']).optional() },
  }, async ({ question, via = 'request' }, extra) => {
    const params = {
      messages: [{ role: 'user', content: { type: 'text', text: question } }],
      maxTokens: 64,
      systemPrompt: 'Answer briefly.',
    };
    const result = via === 'session'
      ? await server.server.createMessage(params)
      : await extra.sendRequest({ method: 'sampling/createMessage', params }, CreateMessageResultSchema);
    const text = result.content?.type === 'text' ? result.content.text : JSON.stringify(result.content);
    return { content: [{ type: 'text', text: `sampled (${result.model}): ${text}` }] };
  });

  server.registerTool('touch', {
    description: 'Marks a resource as changed: subscribers get notifications/resources/updated (on the GET stream, after this call returns)',
    inputSchema: { uri: z.string() },
  }, async ({ uri }) => {
    const subscribed = subscriptions.has(uri);
    if (subscribed) setTimeout(() => { server.server.sendResourceUpdated({ uri }).catch(() => {}); }, 30);
    return { content: [{ type: 'text', text: subscribed ? `touched ${uri}` : `touched ${uri} (no subscriber)` }] };
  });

  // ---- resources
  server.registerResource('readme', 'memo://readme', {
    title: 'Read me', description: 'A static text resource', mimeType: 'text/plain',
  }, async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Hello from the full backend' }] }));

  server.registerResource('logo', 'memo://logo', {
    description: 'A static binary resource', mimeType: 'image/png',
  }, async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: TINY_PNG_BASE64 }] }));

  server.registerResource('note', new ResourceTemplate('memo://notes/{id}', {
    list: async () => ({ resources: NOTE_IDS.map((id) => ({ uri: `memo://notes/${id}`, name: `note ${id}`, mimeType: 'text/plain' })) }),
    complete: { id: (value) => NOTE_IDS.filter((id) => id.startsWith(value)) },
  }), { description: 'Notes by id', mimeType: 'text/plain' },
  async (uri, { id }) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: `note ${id}` }] }));

  server.server.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  // ---- prompts
  server.registerPrompt('greet', {
    title: 'Greeting',
    description: 'Greets someone',
    argsSchema: {
      name: completable(z.string(), (value) => GREET_NAMES.filter((n) => n.toLowerCase().startsWith(value.toLowerCase()))),
      style: z.string().optional(),
    },
  }, ({ name, style }) => ({
    description: `Greeting for ${name}`,
    messages: [{ role: 'user', content: { type: 'text', text: `Say hello to ${name}${style ? ` in a ${style} style` : ''}.` } }],
  }));

  server.registerPrompt('summarize', { description: 'Summarize the notes' }, () => ({
    messages: [{ role: 'user', content: { type: 'resource', resource: { uri: 'memo://readme', mimeType: 'text/plain', text: 'Hello from the full backend' } } }],
  }));

  if (logOnToolsList) {
    const listAll = server.server._requestHandlers.get('tools/list');
    server.server.setRequestHandler(ListToolsRequestSchema, async (request, extra) => {
      await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', logger: 'tools/list', data: 'listing tools' } });
      return listAll(request, extra);
    });
  }
  return server;
}

/**
 * Starts the full backend on 127.0.0.1.
 * @param {object} [opts]
 * @param {number} [opts.port=0]
 * @param {boolean} [opts.json=false] application/json replies instead of SSE.
 * @param {boolean} [opts.resumable=false] an event store: SSE event ids, Last-Event-ID replay.
 * @param {boolean} [opts.logOnToolsList=false] tools/list sends a log notification first.
 * @param {string} [opts.path='/mcp']
 * @returns {Promise<{port: number, url: string, requests: Array<{method: string, path: string,
 *   headers: object, body: any, text: string}>, sessions: Map, issuedSessionIds: Set<string>,
 *   subscriptions: (sessionId: string) => Set<string>|undefined, dropSession: (id: string) => Promise<boolean>,
 *   close: () => Promise<void>}>}
 */
export async function startFullBackend({ port = 0, host = '127.0.0.1', json = false, resumable = false, logOnToolsList = false, path: mcpPath = '/mcp' } = {}) {
  /** Open sessions by backend id: { server, transport, subscriptions }. */
  const sessions = new Map();
  const issuedSessionIds = new Set();
  const requests = [];

  function handle(req, res, body) {
    return handleStateful(req, res, body, {
      sessions,
      sid: req.headers['mcp-session-id'], // even an empty one: 404
      notFound: BACKEND_SESSION_NOT_FOUND,
      open: () => {
        const subscriptions = new Set();
        const server = createFullServer({ subscriptions, logOnToolsList });
        const transport = sessionTransport({
          sessions, issued: issuedSessionIds, server, entry: { subscriptions },
          enableJsonResponse: json,
          eventStore: resumable ? new MemoryEventStore() : undefined,
        });
        return { server, transport };
      },
    });
  }

  const httpServer = createMcpHttpServer({ mcpPath, requests, handle });

  const actualPort = await listen(httpServer, port, host);
  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}${mcpPath}`,
    requests,
    sessions,
    issuedSessionIds,
    /** The resource URIs a session subscribed to. */
    subscriptions: (id) => sessions.get(id)?.subscriptions,
    /** Forgets a session (closing its streams): later requests with its id get 404. */
    dropSession: async (id) => {
      const entry = sessions.get(id);
      if (!entry) return false;
      sessions.delete(id);
      await entry.transport.close().catch(() => {});
      await entry.server.close().catch(() => {});
      return true;
    },
    close: async () => {
      await closeSessions(sessions);
      await closeHttpServer(httpServer);
    },
  };
}

if (isMain(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  const backend = await startFullBackend({ port: Number(args.port ?? 8080), json: !!args.json, resumable: !!args.resumable });
  serveUntilSignal(backend, 'full MCP backend');
}
