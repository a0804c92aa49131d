// The scripted raw SSE backend of sse-scripted.test.mjs: plain node:http, one hand-written
// stream per GET /sse, so that every framing, ordering and failure case can be produced.
import http from 'node:http';
import { closeHttpServer, listen } from '../../examples/backend/common.mjs';
import { rpcError, rpcResult } from './backends.mjs';
import { sleep } from './sse.mjs';

// ---------------------------------------------------------------------------------------------
// The scripted raw SSE backend: plain node:http, one hand-written stream per GET /sse.

/** Tools of the scripted backend. */
export const RAW_TOOLS = [
  { name: 'echo', description: 'echo', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
  { name: 'big', description: 'a text of `size` bytes', inputSchema: { type: 'object', properties: { size: { type: 'number' } } } },
];

/** The protocol answer to a POSTed message (undefined for notifications). */
export function protocolAnswer(msg) {
  if (!msg || typeof msg !== 'object' || msg.id === undefined) return undefined;
  switch (msg.method) {
    case 'initialize':
      return rpcResult(msg, { protocolVersion: '2024-11-05', capabilities: { tools: {} }, serverInfo: { name: 'raw-sse', version: '0.0.0' } });
    case 'tools/list':
      return rpcResult(msg, { tools: RAW_TOOLS });
    case 'tools/call':
      if (msg.params?.name === 'echo') return rpcResult(msg, { content: [{ type: 'text', text: msg.params.arguments?.text ?? '' }] });
      if (msg.params?.name === 'big') return rpcResult(msg, { content: [{ type: 'text', text: 'b'.repeat(msg.params.arguments?.size ?? 5000) }] });
      return rpcError(msg, -32602, `Unknown tool: ${msg.params?.name}`);
    default:
      return rpcError(msg, -32601, `Method not found: ${msg.method}`);
  }
}

/**
 * Events a messy server interleaves: comments, pings, unknown events (even carrying the awaited
 * id), id/retry/unknown fields, notifications, responses to other ids (a stale id, a string
 * id, a server→client request reusing the awaited id), non-JSON data, `data:` without space.
 */
export function noiseText(eol, awaitedId, { afterEndpoint = true, foreignEndpoint } = {}) {
  const other = awaitedId === 1 ? 2 : 1;
  const lines = [
    ': a comment', ':', '',
    'event: ping', 'data: {}', '',
    'event: weird', `data: {"jsonrpc":"2.0","id":${awaitedId},"result":{"bogus":"unknown event type"}}`, '',
    'id: 41', 'retry: 5000', 'foo: bar',
    'data: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"no event field"}}', '',
    'event: message', `data: {"jsonrpc":"2.0","id":${other},"result":{"bogus":"another id"}}`, '',
    'event: message', `data: {"jsonrpc":"2.0","id":"${awaitedId}","result":{"bogus":"a string id"}}`, '',
    'event: message', `data: {"jsonrpc":"2.0","id":${awaitedId},"method":"roots/list"}`, '',
    'event: message', 'data: {"jsonrpc":"2.0","id":99,"error":{"code":-32000,"message":"not yours"}}', '',
    'event: message', 'data: not json at all', '',
    'event:message', 'data:{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}', '',
  ];
  if (afterEndpoint && foreignEndpoint) lines.push('event: endpoint', `data: ${foreignEndpoint}`, '');
  return lines.join(eol) + eol;
}

/** One open GET /sse stream of the scripted backend. */
class RawStream {
  constructor(server, sc, sid, req, res) {
    Object.assign(this, { server, sc, sid, req, res });
    this.eol = sc.eol ?? '\n';
    this.queue = Promise.resolve();
    this.closed = false;
    this.posts = [];
    this.timers = [];
    res.on('error', () => {});
    res.on('close', () => {
      this.closed = true;
      this.closedAt = Date.now();
      for (const t of this.timers) clearInterval(t);
    });
  }

  get defaultEndpoint() { return `/messages?sid=${this.sid}`; }

  /** Sends the response headers now (default 200 text/event-stream). */
  head(status = 200, headers = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }) {
    this.res.writeHead(status, headers);
    this.res.flushHeaders();
  }

  /** Queues raw text (byte by byte with sc.bytewise); resolves once written. */
  write(text) {
    const buf = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
    this.queue = this.queue.then(async () => {
      if (this.sc.bytewise) {
        const step = this.sc.chunkBytes ?? 1;
        for (let i = 0; i < buf.length; i += step) {
          if (this.closed) return;
          this.res.write(buf.subarray(i, i + step));
          await sleep(1);
        }
      } else if (!this.closed) {
        this.res.write(buf);
      }
    });
    return this.queue;
  }

  /** An event: `event:` line (unless name is null), one `data:` line per line of data. */
  event(name, data) {
    const e = this.eol;
    const head = name === null ? '' : `event: ${name}${e}`;
    return this.write(head + String(data).split('\n').map((l) => `data: ${l}${e}`).join('') + e);
  }

  /** A JSON-RPC message event (pretty-printed over several data lines with sc.multiline). */
  message(obj) {
    return this.event('message', this.sc.multiline ? JSON.stringify(obj, null, 2) : JSON.stringify(obj));
  }

  endpoint(data = this.defaultEndpoint) { return this.event('endpoint', data); }

  noise(awaitedId, opts) { return this.write(noiseText(this.eol, awaitedId, opts)); }

  /** Writes `text` every `ms` while the stream is open. */
  every(ms, text) {
    this.timers.push(setInterval(() => { if (!this.closed) this.res.write(text); }, ms));
  }

  /** Ends the stream gracefully once everything queued is written. */
  end() {
    this.queue = this.queue.then(() => { if (!this.closed) this.res.end(); });
    return this.queue;
  }
}

/** Acknowledges a POST (202 Accepted unless told otherwise). */
export function ack(res, status = 202) {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(status >= 200 && status < 300 ? 'Accepted' : `error ${status}`);
}

/** Default stream opening: 200 text/event-stream, optional preamble, the endpoint event. */
export function defaultOpen(s) {
  s.head();
  if (s.sc.preamble) s.write(s.sc.preamble(s));
  return s.endpoint(s.sc.endpoint ? s.sc.endpoint(s) : undefined);
}

/**
 * Default POST handling: acknowledge (sc.postStatus(msg), 202), then the protocol answer on the
 * stream (sc.answer(msg) overrides; undefined sends nothing). sc.answerFirst writes the answer
 * before acknowledging; sc.noise interleaves noise before each answer.
 */
export async function defaultPost(s, msg, res) {
  const sc = s.sc;
  const status = sc.postStatus ? sc.postStatus(msg) : 202;
  const answer = status >= 200 && status < 300 ? (sc.answer ?? protocolAnswer)(msg) : undefined;
  const send = () => {
    if (answer === undefined) return Promise.resolve();
    if (sc.noise) s.noise(msg.id, { foreignEndpoint: sc.foreignEndpoint });
    return s.message(answer);
  };
  if (sc.answerFirst) {
    await send();
    await sleep(40);
    ack(res, status);
  } else {
    ack(res, status);
    await sleep(5);
    await send();
  }
}

/**
 * The scripted backend. setScenario(sc) decides how the next streams behave:
 *   sc.open(s)            → replaces defaultOpen (s: RawStream)
 *   sc.post(s, msg, res)  → replaces defaultPost
 *   eol, bytewise (chunks of chunkBytes, default 1, 1 ms apart), multiline, noise, preamble(s), endpoint(s), postStatus(msg),
 *   answer(msg), answerFirst, foreignEndpoint — options of the defaults.
 */
export async function startRawSseBackend() {
  const requests = [];
  const streams = [];
  const bySid = new Map();
  let scenario = {};
  let nextSid = 1;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body;
      try { body = JSON.parse(text); } catch { body = text === '' ? undefined : text; }
      const url = new URL(req.url, 'http://127.0.0.1');
      const rec = { method: req.method, url: req.url, path: url.pathname, headers: { ...req.headers }, body, text, at: Date.now() };
      requests.push(rec);
      try {
        if (req.method === 'GET' && url.pathname === '/sse') {
          const sid = `s${nextSid++}`;
          const s = new RawStream(server, scenario, sid, req, res);
          streams.push(s);
          bySid.set(sid, s);
          await (scenario.open ?? defaultOpen)(s);
          return;
        }
        if (req.method === 'POST' && url.pathname === '/messages') {
          const s = bySid.get(url.searchParams.get('sid') ?? '');
          if (!s) return ack(res, 404);
          s.posts.push(rec);
          await (s.sc.post ?? defaultPost)(s, body, res, rec);
          return;
        }
        ack(res, 404);
      } catch (err) {
        if (!res.headersSent) ack(res, 500);
        process.stderr.write(`scripted SSE backend: ${err?.stack ?? err}\n`);
      }
    });
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    port,
    url: `http://127.0.0.1:${port}/sse`,
    requests,
    streams,
    setScenario: (sc) => { scenario = sc; },
    close: () => {
      for (const s of streams) for (const t of s.timers) clearInterval(t);
      return closeHttpServer(server);
    },
  };
}
