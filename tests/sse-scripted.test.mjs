// E2E: transport `sse` against a scripted raw SSE server (plain node:http, one hand-written
// stream per GET /sse; support/sse-raw-backend.mjs): every framing, ordering and failure case
// of the legacy HTTP+SSE backend exchange, in real Envoy.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { rpcError, rpcResult, startHttpBackend } from './support/backends.mjs';
import { postJson, tail, wasmFailures, withEnvoyLog } from './support/envoy.mjs';
import {
  TIMEOUT_MS, ALLOW_HEADER, sleep, rpc, callEcho, startGateway, connect, assertJsonReply,
  eventually, vmReloads, itWithLog,
} from './support/sse.mjs';
import {
  RAW_TOOLS, protocolAnswer, noiseText, ack, defaultOpen, defaultPost, startRawSseBackend,
} from './support/sse-raw-backend.mjs';

describe('sse transport: scripted raw SSE backend', () => {
  const ctx = {};
  before(async () => {
    ctx.backend = await startRawSseBackend();
    ctx.foreign = await startHttpBackend((_rec, _req, res) => { res.writeHead(202); res.end(); });
    ctx.envoy = await startGateway(ctx.backend);
    ctx.small = await startGateway(ctx.backend, { server: { maxResponseBytes: 1024 } });
  });
  after(async () => {
    await ctx.envoy?.stop();
    await ctx.small?.stop();
    await ctx.backend?.close();
    await ctx.foreign?.close();
  });
  let nextId = 1000;

  /**
   * Runs one case: sets the scenario, POSTs `request` (default: echo), and checks the reply
   * is `result` (deepEqual) or an error with `code` and `message` regex. Only silence cases
   * (SILENT) bound the time: every other reply proves by its content that it did not come
   * from the deadline (a deadline reply is `timeout: ...`, which their regexes exclude).
   * Returns { reply, elapsed, streams, requests, posts } for extra checks.
   */
  async function runCase(envoy, sc, { request, expect, minMs = 0, maxMs = Infinity, headers } = {}) {
    const id = nextId++;
    const body = request ? request(id) : callEcho(id, 'raw ✓ échø 😀');
    const fromReq = ctx.backend.requests.length;
    const fromStream = ctx.backend.streams.length;
    const fromForeign = ctx.foreign.requests.length;
    ctx.backend.setScenario(sc);
    const started = Date.now();
    const reply = await postJson(envoy.url, body, headers);
    const elapsed = Date.now() - started;
    assertJsonReply(reply, id);
    if (expect.error) {
      assert.ok(reply.json.error, `expected an error, got ${reply.text.slice(0, 300)}`);
      assert.equal(reply.json.error.code, expect.error.code, `error: ${reply.text.slice(0, 300)}`);
      if (expect.error.message) assert.match(reply.json.error.message, expect.error.message);
    } else {
      assert.ok(reply.json.result, `expected a result, got ${reply.text.slice(0, 300)}`);
      assert.deepEqual(reply.json.result, expect.result);
    }
    assert.ok(elapsed >= minMs, `reply after ${elapsed} ms, expected ≥ ${minMs} ms`);
    assert.ok(elapsed <= maxMs, `reply after ${elapsed} ms, expected ≤ ${maxMs} ms`);
    assert.deepEqual(ctx.foreign.requests.slice(fromForeign), [], 'nothing reached the foreign listener');
    const streams = ctx.backend.streams.slice(fromStream);
    // POSTs by stream (a late POST of an earlier case may still arrive meanwhile).
    return { reply, elapsed, streams, requests: ctx.backend.requests.slice(fromReq), posts: streams.flatMap((s) => s.posts) };
  }

  const test = itWithLog(() => ctx.envoy);
  const echoResult = (text = 'raw ✓ échø 😀') => ({ content: [{ type: 'text', text }] });
  const ok = { result: echoResult() };
  const internal = (message) => ({ error: { code: -32603, message } });
  const postMethods = (posts) => posts.map((p) => p.body?.method);
  // Silence cases end at server.timeout, enforced by the root tick: not before it, and long
  // before a request that nothing ends would (never). Margins scale with the timeout.
  const SILENT = { minMs: TIMEOUT_MS * 0.9, maxMs: TIMEOUT_MS * 2.5 };

  // --- happy paths --------------------------------------------------------------------------

  test('plain stream: the whole exchange, headers and bodies as the legacy transport wants', async () => {
    const clientHeaders = {
      'x-trace-id': 'trace-123', 'mcp-session-id': 'client-session', 'mcp-protocol-version': '2025-06-18',
      authorization: 'Bearer client-secret',
    };
    const { posts, requests, streams } = await runCase(ctx.envoy, {}, { expect: ok, headers: clientHeaders });
    const get = requests.find((r) => r.method === 'GET');
    assert.equal(get.method, 'GET');
    assert.equal(get.url, '/sse');
    assert.match(get.headers.accept ?? '', /text\/event-stream/);
    assert.equal(get.text, '', 'the GET has no body');
    assert.equal(get.headers['content-type'], undefined);
    assert.equal(get.headers.host, `127.0.0.1:${ctx.backend.port}`);
    // The GET is the client's request: ordinary headers pass; session, version and credential do not.
    assert.equal(get.headers['x-trace-id'], 'trace-123');
    for (const h of ['mcp-session-id', 'mcp-protocol-version', 'authorization']) assert.equal(get.headers[h], undefined, `GET carries ${h}`);
    // The POSTs are built by the gateway: no client header at all.
    for (const p of posts) {
      for (const h of ['x-trace-id', 'mcp-session-id', 'authorization']) assert.equal(p.headers[h], undefined, `POST carries ${h}`);
    }
    assert.deepEqual(postMethods(posts), ['initialize', 'notifications/initialized', 'tools/call']);
    const [init, note, call] = posts;
    for (const p of posts) {
      assert.equal(p.url, `/messages?sid=${streams[0].sid}`);
      assert.match(p.headers['content-type'] ?? '', /^application\/json/);
      assert.equal(p.headers.host, `127.0.0.1:${ctx.backend.port}`);
    }
    assert.equal(init.body.id, 1);
    assert.equal(typeof init.body.params.protocolVersion, 'string');
    assert.equal(note.body.id, undefined, 'notifications/initialized is a notification');
    assert.equal(call.body.id, 2);
    assert.deepEqual(call.body.params, { name: 'echo', arguments: { text: 'raw ✓ échø 😀' } });
    for (const p of [note, call]) assert.equal(p.headers['mcp-protocol-version'], '2024-11-05', 'the version the backend agreed to');
    assert.ok(await eventually(() => streams[0].closed), 'the backend stream is closed after the reply');
  });

  test('tools/list over the scripted stream', async () => {
    await runCase(ctx.envoy, {}, { request: (id) => rpc(id, 'tools/list'), expect: { result: { tools: RAW_TOOLS } } });
  });

  test('byte-by-byte writes of the whole stream (UTF-8 split inside characters)', async () => {
    const { posts } = await runCase(ctx.envoy, { bytewise: true }, { expect: ok });
    assert.deepEqual(postMethods(posts), ['initialize', 'notifications/initialized', 'tools/call']);
  });

  test('CRLF line endings', async () => {
    await runCase(ctx.envoy, { eol: '\r\n' }, { expect: ok });
  });

  test('CR-only line endings', async () => {
    await runCase(ctx.envoy, { eol: '\r' }, { expect: ok });
  });

  test('CRLF, byte by byte (chunks split between CR and LF)', async () => {
    await runCase(ctx.envoy, { eol: '\r\n', bytewise: true }, { expect: ok });
  });

  test('multi-line data: JSON spread over several data lines', async () => {
    await runCase(ctx.envoy, { multiline: true }, { expect: ok });
  });

  test('comments, pings, unknown events and other JSON-RPC messages interleaved everywhere', async () => {
    const foreignEndpoint = `http://127.0.0.1:${ctx.foreign.port}/steal`;
    const sc = {
      noise: true,
      multiline: true,
      foreignEndpoint, // a second endpoint event after the first: ignored, not followed
      preamble: (s) => noiseText(s.eol, 1, { afterEndpoint: false }) + noiseText(s.eol, 2, { afterEndpoint: false }),
    };
    const { posts } = await runCase(ctx.envoy, sc, { expect: ok });
    assert.deepEqual(postMethods(posts), ['initialize', 'notifications/initialized', 'tools/call']);
    // Byte-split as well: 3-byte chunks (splitting CRLF pairs and UTF-8 sequences at varying
    // places) of a lighter mix, so the ~2.5 KB of stream fits in server.timeout.
    await runCase(ctx.envoy, {
      noise: true, foreignEndpoint, eol: '\r\n', bytewise: true, chunkBytes: 3,
      preamble: (s) => noiseText(s.eol, 1, { afterEndpoint: false }),
    }, { expect: ok });
  });

  test('answers on the stream before the POST is acknowledged', async () => {
    await runCase(ctx.envoy, { answerFirst: true }, { expect: ok });
  });

  test('an absolute endpoint URL on the same origin is used', async () => {
    const { posts, streams } = await runCase(ctx.envoy, {
      endpoint: (s) => `http://127.0.0.1:${ctx.backend.port}/messages?sid=${s.sid}`,
    }, { expect: ok });
    assert.equal(posts.length, 3);
    for (const p of posts) assert.equal(p.url, `/messages?sid=${streams[0].sid}`);
  });

  test('a relative endpoint (no leading slash) resolves against the SSE path', async () => {
    const { posts, streams } = await runCase(ctx.envoy, { endpoint: (s) => `messages?sid=${s.sid}` }, { expect: ok });
    assert.equal(posts.length, 3);
    for (const p of posts) assert.equal(p.url, `/messages?sid=${streams[0].sid}`);
  });

  test('a 5 KB event is fine under the default maxResponseBytes', async () => {
    await runCase(ctx.envoy, {}, {
      request: (id) => rpc(id, 'tools/call', { name: 'big', arguments: { size: 5000 } }),
      expect: { result: { content: [{ type: 'text', text: 'b'.repeat(5000) }] } },
    });
  });

  test('a leading byte-order mark is ignored (WHATWG SSE)', async () => {
    await runCase(ctx.envoy, { preamble: () => '\uFEFF' }, { expect: ok });
  });

  test("the backend's JSON-RPC error on the call is passed through", async () => {
    await runCase(ctx.envoy, {
      answer: (msg) => (msg.method === 'tools/call' ? rpcError(msg, -32042, 'custom failure', { why: 'test' }) : protocolAnswer(msg)),
    }, { expect: { error: { code: -32042, message: /^custom failure$/ } } });
  });

  test('a tool refused by the allow header opens no stream', async () => {
    const from = ctx.backend.requests.length;
    const reply = await postJson(ctx.envoy.url, rpc(7, 'tools/call', { name: 'big', arguments: {} }), { [ALLOW_HEADER]: 'echo' });
    assertJsonReply(reply, 7);
    assert.equal(reply.json.error?.code, -32602);
    assert.match(reply.json.error.message, /Tool not allowed: big/);
    await sleep(100);
    assert.deepEqual(ctx.backend.requests.slice(from), []);
  });

  // --- protocol version -----------------------------------------------------------------------

  test('the backend rejecting the protocol version on initialize → -32602', async () => {
    const { posts } = await runCase(ctx.envoy, {
      answer: (msg) => (msg.method === 'initialize'
        ? rpcError(msg, -32602, 'Unsupported protocol version', { supported: ['1999-01-01'], requested: msg.params?.protocolVersion })
        : protocolAnswer(msg)),
    }, { expect: { error: { code: -32602 } } });
    assert.deepEqual(postMethods(posts), ['initialize'], 'no call after a refused initialize');
  });

  test('the backend answering initialize with an unknown protocol version → -32602', async () => {
    await runCase(ctx.envoy, {
      answer: (msg) => (msg.method === 'initialize'
        ? rpcResult(msg, { protocolVersion: '1999-01-01', capabilities: {}, serverInfo: { name: 'old', version: '0' } })
        : protocolAnswer(msg)),
    }, { expect: { error: { code: -32602 } } });
  });

  // --- stream status / content-type ---------------------------------------------------------

  for (const status of [404, 500]) {
    test(`the stream answered HTTP ${status} → -32603`, async () => {
      const { posts } = await runCase(ctx.envoy, {
        open: (s) => { s.res.writeHead(status, { 'content-type': 'text/plain' }); s.res.end(`nope ${status}`); },
      }, { expect: internal(new RegExp(`backend SSE stream failed: HTTP ${status}`)) });
      assert.deepEqual(posts, []);
    });
  }

  test('the stream answered 200 application/json → -32603 naming the content-type', async () => {
    await runCase(ctx.envoy, {
      open: (s) => { s.res.writeHead(200, { 'content-type': 'application/json' }); s.res.end('{"jsonrpc":"2.0","id":1,"result":{}}'); },
    }, { expect: internal(/backend SSE stream failed: content-type application\/json.* is not text\/event-stream/) });
  });

  test('the stream answered 200 without a content-type, kept open → -32603 naming the content-type', async () => {
    await runCase(ctx.envoy, {
      open: (s) => { s.res.writeHead(200, {}); s.res.flushHeaders(); s.endpoint(); },
    }, { expect: internal(/backend SSE stream failed: content-type .* is not text\/event-stream/) });
  });

  // --- the endpoint's origin (SSRF) -----------------------------------------------------------

  const foreignEndpoints = () => [
    ['another port', `http://127.0.0.1:${ctx.foreign.port}/messages?sid=x`],
    ['another host', `http://localhost:${ctx.backend.port}/messages?sid=x`],
    ['another scheme', `https://127.0.0.1:${ctx.backend.port}/messages?sid=x`],
    ['scheme-relative, another port', `//127.0.0.1:${ctx.foreign.port}/messages?sid=x`],
  ];
  test('an endpoint on another origin is refused and nothing is POSTed anywhere', async () => {
    for (const [what, url] of foreignEndpoints()) {
      const { posts } = await runCase(ctx.envoy, { endpoint: () => url }, {
        expect: internal(/backend endpoint refused: endpoint .* is on another origin than server\.mcpServerURL \(refused\)/),
      });
      assert.deepEqual(posts, [], `${what}: the backend got no POST`);
    }
    await sleep(200);
    assert.deepEqual(ctx.foreign.requests, [], 'the foreign listener never got a request');
  });

  test('the refusal names the foreign endpoint', async () => {
    const url = `http://127.0.0.1:${ctx.foreign.port}/messages?sid=y`;
    const { reply } = await runCase(ctx.envoy, { endpoint: () => url }, { expect: internal(/refused/) });
    assert.ok(reply.json.error.message.includes(`endpoint ${url} is on another origin`), reply.json.error.message);
  });

  // --- early close ----------------------------------------------------------------------------

  test('the stream closed right after its headers → closed before the initialize answer', async () => {
    await runCase(ctx.envoy, { open: (s) => { s.head(); s.end(); } }, {
      expect: internal(/backend SSE stream closed before the initialize answer/),
    });
  });

  test('the stream closed after the endpoint event → closed before the initialize answer', async () => {
    await runCase(ctx.envoy, { open: (s) => { defaultOpen(s); return s.end(); } }, {
      expect: internal(/backend SSE stream closed before the initialize answer/),
    });
  });

  test('the stream closed after the initialize answer → closed before the notification answer', async () => {
    await runCase(ctx.envoy, {
      post: async (s, msg, res) => {
        if (msg.method === 'initialize') {
          ack(res);
          await s.message(protocolAnswer(msg));
          return s.end();
        }
        setTimeout(() => ack(res), 500); // the notification's ack comes after the close
      },
    }, { expect: internal(/backend SSE stream closed before the notification answer/) });
  });

  test('the stream closed when the call is POSTed → closed before the call answer', async () => {
    const { posts } = await runCase(ctx.envoy, {
      post: async (s, msg, res) => {
        if (msg.method === 'tools/call') {
          ack(res);
          return s.end();
        }
        return defaultPost(s, msg, res);
      },
    }, { expect: internal(/backend SSE stream closed before the call answer/) });
    assert.deepEqual(postMethods(posts), ['initialize', 'notifications/initialized', 'tools/call']);
  });

  // An abrupt end (TCP RST) rather than a graceful close. Before the stream's headers, Envoy
  // answers the GET itself (503) and the filter reads that as a failed stream: -32603. After
  // them, Envoy sends its own 502 straight to the client, bypassing the filter chain (log:
  // "Sending local reply with details upstream_reset_after_response_started{...} directly to
  // the encoder"), so the filter gets no chance to answer in JSON-RPC; the README allows "an
  // HTTP status with a reason". Either way the answer must be prompt and the gateway healthy.
  const reset = (s) => (typeof s.res.socket.resetAndDestroy === 'function' ? s.res.socket.resetAndDestroy() : s.res.socket.destroy());

  test('the stream reset (TCP RST) before its headers → -32603', async () => {
    await runCase(ctx.envoy, { open: (s) => reset(s) }, { expect: internal(/backend SSE stream failed: HTTP 503/) });
  });

  /**
   * A reset after the stream's headers: JSON-RPC -32603 caused by the reset (not the deadline:
   * its message is no timeout), or Envoy's 502 naming the reset.
   */
  async function resetCase(sc) {
    ctx.backend.setScenario(sc);
    const reply = await postJson(ctx.envoy.url, callEcho(77, 'reset'));
    if (reply.status === 200) {
      assertJsonReply(reply, 77);
      assert.equal(reply.json.error?.code, -32603, reply.text);
      assert.doesNotMatch(reply.json.error.message, /timeout/, 'the reset ended the exchange, not server.timeout');
    } else {
      assert.equal(reply.status, 502, `HTTP ${reply.status}: ${reply.text}`);
      assert.match(reply.text, /reset/);
    }
  }

  test('the stream reset (TCP RST) after the endpoint event → a prompt -32603 or HTTP 502', async () => {
    await resetCase({
      open: async (s) => { await defaultOpen(s); reset(s); },
      post: () => {}, // POSTs hang: only the reset can end the exchange before the deadline
    });
  });

  test('the stream reset (TCP RST) when the call is POSTed → a prompt -32603 or HTTP 502', async () => {
    await resetCase({
      post: async (s, msg, res) => {
        if (msg.method !== 'tools/call') return defaultPost(s, msg, res);
        reset(s);
        setTimeout(() => ack(res), 200);
      },
    });
  });

  // --- POST acknowledgements --------------------------------------------------------------------

  for (const [method, step] of [['initialize', 'initialize'], ['notifications/initialized', 'notification'], ['tools/call', 'call']]) {
    test(`the endpoint answering the ${step} POST with HTTP 500 → -32603`, async () => {
      const { posts } = await runCase(ctx.envoy, { postStatus: (msg) => (msg.method === method ? 500 : 202) }, {
        expect: internal(new RegExp(`backend endpoint POST \\(${step}\\) answered HTTP 500`)),
      });
      assert.equal(posts.at(-1).body.method, method, 'nothing is POSTed after the failed step');
    });
  }

  // --- silence: the root tick enforces server.timeout ------------------------------------------

  test('no response headers at all → timeout: no SSE stream', async () => {
    await runCase(ctx.envoy, { open: () => {} }, { expect: internal(/timeout: no SSE stream/), ...SILENT });
  });

  test('headers and keep-alives but no endpoint event → timeout: no endpoint event', async () => {
    await runCase(ctx.envoy, {
      open: (s) => { s.head(); s.every(200, ': keep-alive\n\nevent: ping\ndata: {}\n\n'); },
    }, { expect: internal(/timeout: no endpoint event within server\.timeout/), ...SILENT });
  });

  test('endpoint, but initialize is never answered on the stream → timeout: no answer', async () => {
    const { posts } = await runCase(ctx.envoy, { answer: () => undefined }, {
      expect: internal(/timeout: no answer within server\.timeout/), ...SILENT,
    });
    assert.deepEqual(postMethods(posts), ['initialize']);
  });

  test('the call is never answered on the stream (pings keep coming) → timeout: no answer', async () => {
    const { posts } = await runCase(ctx.envoy, {
      open: (s) => { defaultOpen(s); s.every(150, 'event: ping\ndata: {}\n\n'); },
      answer: (msg) => (msg.method === 'tools/call' ? undefined : protocolAnswer(msg)),
    }, { expect: internal(/timeout: no answer within server\.timeout/), ...SILENT });
    assert.deepEqual(postMethods(posts), ['initialize', 'notifications/initialized', 'tools/call']);
  });

  test('the initialize POST is never acknowledged nor answered → timeout', async () => {
    await runCase(ctx.envoy, { post: () => {} }, { expect: internal(/timeout/), ...SILENT });
  });

  test('three silent streams at once all time out on schedule', async () => {
    const sc = { open: (s) => s.head() };
    const cases = [0, 1, 2].map(() => runCase(ctx.envoy, sc, { expect: internal(/timeout: no endpoint event/), ...SILENT }));
    await Promise.all(cases);
  });

  // --- maxResponseBytes (the second gateway: server.maxResponseBytes 1024) ----------------------

  test('maxResponseBytes 1024: small events still work', async () => {
    await withEnvoyLog(ctx.small, () => runCase(ctx.small, {}, { expect: ok }));
  });

  test('maxResponseBytes 1024: a 5 KB data line in the call answer → exceeded', async () => {
    await withEnvoyLog(ctx.small, () => runCase(ctx.small, {}, {
      request: (id) => rpc(id, 'tools/call', { name: 'big', arguments: { size: 5000 } }),
      expect: internal(/backend SSE stream exceeded server\.maxResponseBytes/),
    }));
  });

  test('maxResponseBytes 1024: a 5 KB unknown event before the endpoint → exceeded', async () => {
    await withEnvoyLog(ctx.small, () => runCase(ctx.small, {
      preamble: (s) => `event: junk${s.eol}data: ${'j'.repeat(5000)}${s.eol}${s.eol}`,
    }, { expect: internal(/backend SSE stream exceeded server\.maxResponseBytes/) }));
  });

  test('maxResponseBytes 1024: many short data lines adding up past the bound → exceeded', async () => {
    await withEnvoyLog(ctx.small, () => runCase(ctx.small, {
      preamble: (s) => `event: message${s.eol}${`data: ${'m'.repeat(60)}${s.eol}`.repeat(40)}${s.eol}`,
    }, { expect: internal(/backend SSE stream exceeded server\.maxResponseBytes/) }));
  });

  test('maxResponseBytes 1024: an unterminated 5 KB line on an open stream → exceeded at once', async () => {
    await withEnvoyLog(ctx.small, () => runCase(ctx.small, {
      open: (s) => { s.head(); s.endpoint(); s.write(`data: ${'u'.repeat(5000)}`); },
      post: () => {},
    }, { expect: internal(/backend SSE stream exceeded server\.maxResponseBytes/) }));
  });

  // --- afterwards -------------------------------------------------------------------------------

  test('after every case: no wasm failure in the Envoy logs, and a normal call still works', async () => {
    await sleep(300);
    for (const envoy of [ctx.envoy, ctx.small]) {
      const failures = wasmFailures(envoy.log());
      assert.deepEqual(failures, [], `wasm failures in ${envoy.url}:\n${tail(envoy.log(), 60)}`);
      assert.equal(await vmReloads(envoy), 0, 'no wasm VM was reloaded');
      await runCase(envoy, {}, { expect: ok });
    }
    const client = await connect(ctx.envoy.url);
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ['echo', 'big']);
      const result = await client.callTool({ name: 'echo', arguments: { text: 'still fine' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'still fine' }]);
    } finally {
      await client.close();
    }
  });
});
