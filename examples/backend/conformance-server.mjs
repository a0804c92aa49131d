// MCP server for the MCP conformance suite (`@modelcontextprotocol/conformance` 0.1.16, the
// *server* scenarios): every tool, resource, prompt and utility those scenarios call, on
// `@modelcontextprotocol/sdk` with the Streamable HTTP transport, stateful sessions and
// SSE-framed replies. It follows the suite's own reference server
// (examples/servers/typescript/everything-server.ts in modelcontextprotocol/conformance).
//
//   node examples/backend/conformance-server.mjs [--port 3000] [--trace] [--sdk-priming]
//
// --trace prints one JSON line per HTTP exchange (request and response as written);
// --sdk-priming keeps the SDK's own rule for SSE priming events (see primeEveryStream).
//
// then: conformance server --url http://127.0.0.1:3000/mcp
//
// What the scenarios expect, and where it lives here:
//   tools       test_simple_text, test_image_content, test_audio_content, test_embedded_resource,
//               test_multiple_content_types, test_tool_with_logging (3 info logs, ~50 ms apart),
//               test_tool_with_progress (0/50/100 of 100), test_error_handling (isError),
//               test_sampling (sampling/createMessage), test_elicitation,
//               test_elicitation_sep1034_defaults, test_elicitation_sep1330_enums (elicitation/create),
//               test_reconnection (closes its SSE stream mid-call; SEP-1699),
//               json_schema_2020_12_tool (raw 2020-12 inputSchema in tools/list; SEP-1613)
//   resources   test://static-text, test://static-binary, test://watched-resource,
//               template test://template/{id}/data; resources/subscribe + unsubscribe
//   prompts     test_simple_prompt, test_prompt_with_arguments (arg1, arg2; arg1 completable),
//               test_prompt_with_embedded_resource (resourceUri), test_prompt_with_image
//   utilities   logging/setLevel (levels filter the tools' logs), completion/complete, ping
//   security    DNS-rebinding protection: a non-loopback Host or Origin gets 403
//
// Requests a tool makes of the client (sampling, elicitation) and its logs and progress go on
// the tool call's own SSE stream (related to the request), not on the standalone GET stream:
// a client may not have opened that one yet when the tool runs.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import * as z from 'zod/v4';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import {
  CreateMessageResultSchema, ElicitResultSchema, ListToolsRequestSchema, SetLevelRequestSchema, SubscribeRequestSchema, UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { closeHttpServer, closeSessions, handleStateful, isMain, listen, readBody, sendJsonRpcError, serveUntilSignal } from './common.mjs';

/** A 1×1 red PNG, base64 (the suite's own test image). */
export const TEST_IMAGE_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
/** A minimal WAV file, base64. */
export const TEST_AUDIO_BASE64 = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';

/** SEP-1613: the raw JSON Schema 2020-12 that tools/list must carry unchanged. */
const JSON_SCHEMA_2020_12_INPUT_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } },
  },
  properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
  additionalProperties: false,
};

/** RFC 5424 severities in MCP's order (logging/setLevel filters below the chosen one). */
const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** Loopback host names (URL.hostname form: IPv6 in brackets). */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Hostname of a Host header or an Origin, or undefined when it does not parse. */
function hostnameOf(value, { origin = false } = {}) {
  try {
    return new URL(origin ? value : `http://${value}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * In-memory event store (SEP-1699 resumability): events of one stream are replayed after a
 * Last-Event-ID. Ids are `<streamId>::<sequence>`, so they sort within a stream.
 */
function createEventStore() {
  const events = new Map();
  let seq = 0;
  return {
    events,
    async storeEvent(streamId, message) {
      const eventId = `${streamId}::${String(++seq).padStart(12, '0')}`;
      events.set(eventId, { streamId, message });
      return eventId;
    },
    async getStreamIdForEventId(eventId) {
      return events.get(eventId)?.streamId ?? eventId.split('::')[0];
    },
    async replayEventsAfter(lastEventId, { send }) {
      const streamId = lastEventId.split('::')[0];
      const later = [...events.entries()]
        .filter(([id, e]) => e.streamId === streamId && id > lastEventId)
        .sort(([a], [b]) => a.localeCompare(b));
      for (const [id, { message }] of later) {
        if (Object.keys(message).length > 0) await send(id, message); // skip priming events
      }
      return streamId;
    },
  };
}

/**
 * One McpServer (one per session) with everything the conformance server scenarios use.
 * `session` carries the session's state: { logLevel, subscriptions:Set, transport }.
 */
export function createConformanceServer(session = { logLevel: 'debug', subscriptions: new Set() }) {
  const mcp = new McpServer(
    { name: 'mcp-conformance-test-server', version: '1.0.0' },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
        completions: {},
      },
    },
  );

  /** A log message on the tool call's stream, unless logging/setLevel filtered its level out. */
  const log = (extra, level, data) => {
    if (LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(session.logLevel)) return Promise.resolve();
    return extra.sendNotification({
      method: 'notifications/message',
      params: { level, logger: 'conformance-test-server', data },
    });
  };

  // ===== tools =====

  mcp.registerTool('test_simple_text', { description: 'Tests simple text content response' },
    async () => ({ content: [{ type: 'text', text: 'This is a simple text response for testing.' }] }));

  mcp.registerTool('test_image_content', { description: 'Tests image content response' },
    async () => ({ content: [{ type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' }] }));

  mcp.registerTool('test_audio_content', { description: 'Tests audio content response' },
    async () => ({ content: [{ type: 'audio', data: TEST_AUDIO_BASE64, mimeType: 'audio/wav' }] }));

  mcp.registerTool('test_embedded_resource', { description: 'Tests embedded resource content response' },
    async () => ({
      content: [{
        type: 'resource',
        resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' },
      }],
    }));

  mcp.registerTool('test_multiple_content_types', {
    description: 'Tests response with multiple content types (text, image, resource)',
  }, async () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' },
      {
        type: 'resource',
        resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) },
      },
    ],
  }));

  mcp.registerTool('test_tool_with_logging', {
    description: 'Tests tool that emits log messages during execution',
  }, async (extra) => { // no inputSchema: the handler gets only `extra`
    await log(extra, 'info', 'Tool execution started');
    await sleep(50);
    await log(extra, 'info', 'Tool processing data');
    await sleep(50);
    await log(extra, 'info', 'Tool execution completed');
    return { content: [{ type: 'text', text: 'Tool with logging executed successfully' }] };
  });

  mcp.registerTool('test_tool_with_progress', {
    description: 'Tests tool that reports progress notifications',
  }, async (extra) => {
    const progressToken = extra._meta?.progressToken;
    for (const progress of [0, 50, 100]) {
      if (progressToken !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress, total: 100, message: `Completed step ${progress} of 100` },
        });
      }
      if (progress < 100) await sleep(50);
    }
    return { content: [{ type: 'text', text: String(progressToken ?? 'no progress token') }] };
  });

  mcp.registerTool('test_error_handling', { description: 'Tests error response handling' }, async () => {
    throw new Error('This tool intentionally returns an error for testing'); // → isError: true
  });

  mcp.registerTool('test_reconnection', {
    description: 'Tests SSE stream disconnection and client reconnection (SEP-1699): closes the '
      + 'stream mid-call and sends the result after the client reconnects',
  }, async (extra) => {
    // The SDK offers extra.closeSSEStream only to clients that can resume (>= 2025-11-25);
    // like the suite's reference server, close the stream whatever the client said.
    if (extra.closeSSEStream) extra.closeSSEStream();
    else session.transport?.closeSSEStream(extra.requestId);
    await sleep(100);
    return {
      content: [{
        type: 'text',
        text: 'Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure.',
      }],
    };
  });

  mcp.registerTool('test_sampling', {
    description: 'Tests server-initiated sampling (LLM completion request)',
    inputSchema: { prompt: z.string().describe('The prompt to send to the LLM') },
  }, async ({ prompt }, extra) => {
    const result = await extra.sendRequest({
      method: 'sampling/createMessage',
      params: { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 },
    }, CreateMessageResultSchema);
    const text = result.content?.type === 'text' ? result.content.text : JSON.stringify(result.content);
    return { content: [{ type: 'text', text: `LLM response: ${text}` }] };
  });

  /** elicitation/create on the tool call's stream; the result as the suite's text line. */
  const elicit = async (extra, params, prefix) => {
    const result = await extra.sendRequest({ method: 'elicitation/create', params }, ElicitResultSchema);
    return { content: [{ type: 'text', text: `${prefix}: action=${result.action}, content=${JSON.stringify(result.content ?? {})}` }] };
  };

  mcp.registerTool('test_elicitation', {
    description: 'Tests server-initiated elicitation (user input request)',
    inputSchema: { message: z.string().describe('The message to show the user') },
  }, async ({ message }, extra) => elicit(extra, {
    message,
    requestedSchema: {
      type: 'object',
      properties: {
        username: { type: 'string', description: "User's response" },
        email: { type: 'string', description: "User's email address" },
      },
      required: ['username', 'email'],
    },
  }, 'User response'));

  mcp.registerTool('test_elicitation_sep1034_defaults', {
    description: 'Tests elicitation with default values per SEP-1034',
  }, async (extra) => elicit(extra, {
    message: 'Please review and update the form fields with defaults',
    requestedSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', description: 'User name', default: 'John Doe' },
        age: { type: 'integer', description: 'User age', default: 30 },
        score: { type: 'number', description: 'User score', default: 95.5 },
        status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
        verified: { type: 'boolean', description: 'Verification status', default: true },
      },
      required: [],
    },
  }, 'Elicitation completed'));

  mcp.registerTool('test_elicitation_sep1330_enums', {
    description: 'Tests elicitation with enum schema improvements per SEP-1330',
  }, async (extra) => elicit(extra, {
    message: 'Please select options from the enum fields',
    requestedSchema: {
      type: 'object',
      properties: {
        untitledSingle: { type: 'string', description: 'Select one option', enum: ['option1', 'option2', 'option3'] },
        titledSingle: {
          type: 'string',
          description: 'Select one option with titles',
          oneOf: [
            { const: 'value1', title: 'First Option' },
            { const: 'value2', title: 'Second Option' },
            { const: 'value3', title: 'Third Option' },
          ],
        },
        legacyEnum: {
          type: 'string',
          description: 'Select one option (legacy)',
          enum: ['opt1', 'opt2', 'opt3'],
          enumNames: ['Option One', 'Option Two', 'Option Three'],
        },
        untitledMulti: {
          type: 'array',
          description: 'Select multiple options',
          minItems: 1,
          maxItems: 3,
          items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
        },
        titledMulti: {
          type: 'array',
          description: 'Select multiple options with titles',
          minItems: 1,
          maxItems: 3,
          items: {
            anyOf: [
              { const: 'value1', title: 'First Choice' },
              { const: 'value2', title: 'Second Choice' },
              { const: 'value3', title: 'Third Choice' },
            ],
          },
        },
      },
      required: [],
    },
  }, 'Elicitation completed'));

  // Validated with this zod schema on tools/call; advertised with the raw 2020-12 schema below.
  mcp.registerTool('json_schema_2020_12_tool', {
    description: 'Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)',
    inputSchema: {
      name: z.string().optional(),
      address: z.object({ street: z.string().optional(), city: z.string().optional() }).optional(),
    },
  }, async (args) => ({ content: [{ type: 'text', text: `JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}` }] }));

  // McpServer converts zod to JSON Schema and so drops $schema/$defs: wrap its tools/list
  // handler (installed by the first registerTool) and put the raw schema back.
  const listTools = mcp.server._requestHandlers.get('tools/list');
  mcp.server.setRequestHandler(ListToolsRequestSchema, async (request, extra) => {
    const result = await listTools(request, extra);
    return {
      ...result,
      tools: result.tools.map((t) => (t.name === 'json_schema_2020_12_tool' ? { ...t, inputSchema: JSON_SCHEMA_2020_12_INPUT_SCHEMA } : t)),
    };
  });

  // ===== resources =====

  mcp.registerResource('static-text', 'test://static-text', {
    title: 'Static Text Resource', description: 'A static text resource for testing', mimeType: 'text/plain',
  }, async () => ({
    contents: [{ uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
  }));

  mcp.registerResource('static-binary', 'test://static-binary', {
    title: 'Static Binary Resource', description: 'A static binary resource (image) for testing', mimeType: 'image/png',
  }, async () => ({ contents: [{ uri: 'test://static-binary', mimeType: 'image/png', blob: TEST_IMAGE_BASE64 }] }));

  mcp.registerResource('template', new ResourceTemplate('test://template/{id}/data', {
    list: undefined,
    complete: { id: (value) => ['123', '456', '789'].filter((id) => id.startsWith(value ?? '')) },
  }), {
    title: 'Resource Template', description: 'A resource template with parameter substitution', mimeType: 'application/json',
  }, async (uri, { id }) => ({
    contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }],
  }));

  mcp.registerResource('watched-resource', 'test://watched-resource', {
    title: 'Watched Resource', description: 'A resource clients can subscribe to', mimeType: 'text/plain',
  }, async () => ({ contents: [{ uri: 'test://watched-resource', mimeType: 'text/plain', text: 'Watched resource content' }] }));

  mcp.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    session.subscriptions.add(request.params.uri);
    // A first update for the subscriber, on the session's standalone stream (dropped when the
    // client has none open).
    mcp.server.sendResourceUpdated({ uri: request.params.uri }).catch(() => {});
    return {};
  });

  mcp.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    session.subscriptions.delete(request.params.uri);
    return {};
  });

  // ===== prompts =====

  mcp.registerPrompt('test_simple_prompt', {
    title: 'Simple Test Prompt', description: 'A simple prompt without arguments',
  }, async () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }] }));

  mcp.registerPrompt('test_prompt_with_arguments', {
    title: 'Prompt With Arguments',
    description: 'A prompt with required arguments',
    argsSchema: {
      // completion/complete for arg1 offers the values that start with what was typed.
      arg1: completable(z.string().describe('First test argument'),
        (value) => ['paris', 'park', 'party', 'test', 'testValue1'].filter((v) => v.startsWith(value ?? ''))),
      arg2: z.string().describe('Second test argument'),
    },
  }, async ({ arg1, arg2 }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }],
  }));

  mcp.registerPrompt('test_prompt_with_embedded_resource', {
    title: 'Prompt With Embedded Resource',
    description: 'A prompt that includes an embedded resource',
    argsSchema: { resourceUri: z.string().describe('URI of the resource to embed') },
  }, async ({ resourceUri }) => ({
    messages: [
      { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
      { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
    ],
  }));

  mcp.registerPrompt('test_prompt_with_image', {
    title: 'Prompt With Image', description: 'A prompt that includes image content',
  }, async () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
    ],
  }));

  // ===== logging =====

  mcp.server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    session.logLevel = request.params.level;
    return {};
  });

  return mcp;
}

/**
 * Records one exchange for `trace`: request line, headers and body; response status, headers
 * and body as written (SSE chunks as they go out), and how it ended (`finished`, or closed
 * before the end). The record is handed over at once and filled in as the response goes;
 * `record.done` (not enumerable) resolves when it has ended.
 */
function traceExchange(req, res, text, trace, seq) {
  const started = Date.now();
  const record = {
    seq, at: new Date(started).toISOString(), method: req.method, path: req.url,
    headers: { ...req.headers }, body: text, status: undefined, responseHeaders: undefined,
    response: '', ms: undefined, end: undefined,
  };
  const writeHead = res.writeHead;
  res.writeHead = function (status, ...rest) {
    record.status = status;
    const out = writeHead.call(this, status, ...rest);
    record.responseHeaders = { ...this.getHeaders() };
    return out;
  };
  const write = res.write;
  res.write = function (chunk, ...rest) {
    if (chunk !== undefined && typeof chunk !== 'function') record.response += Buffer.from(chunk).toString('utf8');
    return write.call(this, chunk, ...rest);
  };
  const end = res.end;
  res.end = function (chunk, ...rest) {
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') record.response += Buffer.from(chunk).toString('utf8');
    return end.call(this, chunk, ...rest);
  };
  let settle;
  // Not enumerable: records stay plain JSON.
  Object.defineProperty(record, 'done', { value: new Promise((resolve) => { settle = resolve; }) });
  const finish = (how) => {
    if (record.end !== undefined) return;
    record.end = how;
    record.ms = Date.now() - started;
    record.status ??= res.statusCode;
    settle(record);
  };
  res.on('finish', () => finish('finished'));
  res.on('close', () => finish('closed before the response ended'));
  trace(record);
}

/**
 * SEP-1699 priming events for every client. The SDK (1.32) opens a POST SSE stream with a
 * priming event (`id` + `retry`, empty data) — what makes a stream resumable — only when the
 * request's MCP-Protocol-Version is >= 2025-11-25, since older clients choke on empty data.
 * The suite's server-sse-polling scenario sends its raw POST with `2025-03-26`, so without
 * this it cannot test disconnect/resume at all (two WARNINGs and an INFO). This wraps the
 * transport's (private) writePrimingEvent so that every POST stream gets one; the SDK clients
 * of the other scenarios negotiate 2025-11-25 and get priming events anyway.
 */
function primeEveryStream(transport) {
  const web = transport._webStandardTransport;
  if (typeof web?.writePrimingEvent !== 'function') return; // another SDK layout: leave it be
  const writePrimingEvent = web.writePrimingEvent.bind(web);
  web.writePrimingEvent = (controller, encoder, streamId, protocolVersion) =>
    writePrimingEvent(controller, encoder, streamId, protocolVersion < '2025-11-25' ? '2025-11-25' : protocolVersion);
}

/**
 * Starts the conformance backend on 127.0.0.1.
 * @param {object} [opts]
 * @param {number} [opts.port=0] 0 picks a free port.
 * @param {string} [opts.path='/mcp']
 * @param {boolean} [opts.primeAllStreams=true] SEP-1699 priming events whatever the client's
 *   protocol version (see primeEveryStream).
 * @param {(record: object) => void} [opts.trace] gets one record per HTTP exchange (filled in
 *   as the response is written; `record.done` resolves when it ended; see traceExchange).
 * @returns {Promise<{port: number, url: string, sessions: Map, close: () => Promise<void>}>}
 */
export async function startConformanceBackend({ port = 0, path: mcpPath = '/mcp', primeAllStreams = true, trace } = {}) {
  /** Open sessions by id: { server, transport, state }. */
  const sessions = new Map();
  let seq = 0;

  function handle(req, res, body) {
    return handleStateful(req, res, body, {
      sessions,
      sid: req.headers['mcp-session-id'] || undefined, // an empty Mcp-Session-Id names no session
      open: () => {
        const state = { logLevel: 'debug', subscriptions: new Set(), transport: undefined };
        const server = createConformanceServer(state);
        const transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          eventStore: createEventStore(),
          retryInterval: 1000, // SEP-1699: the priming event's `retry`, how soon clients reconnect
          onsessioninitialized: (id) => { sessions.set(id, { server, transport, state }); },
        });
        state.transport = transport;
        if (primeAllStreams) primeEveryStream(transport);
        transport.onclose = () => {
          const id = transport.sessionId;
          if (id && sessions.get(id)?.transport === transport) sessions.delete(id);
          server.close().catch(() => {});
        };
        return { server, transport };
      },
    });
  }

  const httpServer = http.createServer(async (req, res) => {
    try {
      const text = req.method === 'POST' ? await readBody(req) : '';
      if (trace) traceExchange(req, res, text, trace, ++seq);
      if (req.url.split('?')[0] !== mcpPath) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('not found');
      }
      // DNS-rebinding protection (what the SDK's createMcpExpressApp does for the Host header,
      // plus the Origin): only loopback names, any port.
      const host = hostnameOf(req.headers.host ?? '');
      if (!LOOPBACK.has(host)) return sendJsonRpcError(res, 403, -32000, `Invalid Host: ${req.headers.host ?? '(none)'}`);
      const origin = req.headers.origin;
      if (origin !== undefined && !LOOPBACK.has(hostnameOf(origin, { origin: true }))) {
        return sendJsonRpcError(res, 403, -32000, `Invalid Origin: ${origin}`);
      }
      let body;
      if (req.method === 'POST') {
        try { body = JSON.parse(text); } catch { return sendJsonRpcError(res, 400, -32700, 'Parse error'); }
      }
      await handle(req, res, body);
    } catch (err) {
      sendJsonRpcError(res, 500, -32603, `Internal server error: ${err?.message ?? err}`);
    }
  });

  const actualPort = await listen(httpServer, port, '127.0.0.1');
  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}${mcpPath}`,
    sessions,
    /** Closes every session and the listener, dropping open connections. */
    close: async () => {
      await closeSessions(sessions);
      await closeHttpServer(httpServer);
    },
  };
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const traceOn = args.includes('--trace');
  const backend = await startConformanceBackend({
    port: portAt >= 0 ? Number(args[portAt + 1]) : 3000,
    primeAllStreams: !args.includes('--sdk-priming'),
    trace: traceOn ? (r) => r.done.then(() => process.stdout.write(`${JSON.stringify(r)}\n`)) : undefined,
  });
  serveUntilSignal(backend, 'MCP conformance backend');
}
