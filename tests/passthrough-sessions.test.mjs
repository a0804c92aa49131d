// E2E: pass-through session ids in real Envoy. The backend's Mcp-Session-Id is replaced by a
// gateway id (26 chars base64url: a slot number and 128 random bits) that every Envoy worker
// maps back; unknown, malformed or idle-expired gateway ids get a local 404 (JSON-RPC -32001
// "Session not found") without contacting the backend; DELETE ends the mapping; a backend's
// own 404 passes through and drops it.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startBackend } from '../examples/backend/server.mjs';
import { BACKEND_SESSION_NOT_FOUND, startFullBackend } from '../examples/backend/full-server.mjs';
import { nodeFetch, postJson, rawRequest } from './support/envoy.mjs';
import {
  GATEWAY_ID, SESSION_HEADER, PROTOCOL, sleep, rpc, INIT_PARAMS, connect, waitFor, newBackendId,
  assertGateway404, assertHttp404, parseSse, messagesOf, openStream, rawSession, sessionPost,
  requestsOf, workerConnections, pool, gatewaySuite,
} from './support/passthrough.mjs';

// ---------------------------------------------------------------------------------------------
// 2. Session ids.

gatewaySuite('pass-through: session ids (gateway ids outside, backend ids inside)', {
  backend: () => startFullBackend({ resumable: true }),
}, (test, ctx) => {
  test('the client gets a gateway id of the documented shape, never the backend\'s', async () => {
    const log = [];
    const known = new Set(ctx.backend.issuedSessionIds);
    const s = await ctx.connect({ fetch: nodeFetch(log) });
    const bid = newBackendId(ctx.backend, known);
    const gid = s.transport.sessionId;
    assert.match(gid, GATEWAY_ID);
    assert.notEqual(gid, bid);
    assert.ok(!ctx.backend.issuedSessionIds.has(gid));
    // A slot number (3 bytes, below server.maxSessions: 10,000 by default), then 128 random bits.
    const slot = Buffer.from(gid.slice(0, 4), 'base64url');
    const tag = Buffer.from(gid.slice(4), 'base64url');
    assert.equal(slot.length, 3);
    assert.ok(slot.readUIntBE(0, 3) < 10000, `slot ${slot.readUIntBE(0, 3)}`);
    assert.equal(tag.length, 16, '128 random bits');
    assert.equal(slot.toString('base64url') + tag.toString('base64url'), gid, 'canonical base64url without padding');
    await s.client.callTool({ name: 'echo', arguments: { text: 'x' } });
    for (const e of log) {
      for (const [k, v] of Object.entries(e.headers)) assert.ok(!String(v).includes(bid), `backend id in response header ${k} of ${e.method}`);
      if (e.headers[SESSION_HEADER] !== undefined) assert.equal(e.headers[SESSION_HEADER], gid);
    }
    // Another session: another gateway id and another backend id.
    const known2 = new Set(ctx.backend.issuedSessionIds);
    const s2 = await ctx.connect();
    const bid2 = newBackendId(ctx.backend, known2);
    assert.notEqual(s2.transport.sessionId, gid);
    assert.notEqual(bid2, bid);
    // 64 fresh ids: all distinct, all well-formed, bits look random (every position varies).
    const ids = await pool(Array.from({ length: 64 }), 8, async () => (await rawSession(ctx.envoy.url)).gid);
    assert.equal(new Set(ids).size, 64);
    for (const id of ids) assert.match(id, GATEWAY_ID);
    // Characters 6.. encode only the random bits (the first 32 bits are the slot).
    for (let i = 4; i < 25; i++) assert.ok(new Set(ids.map((id) => id[i])).size > 8, `position ${i} hardly varies`);
  });

  test('the backend receives its own id on every later POST, GET and DELETE', async () => {
    const known = new Set(ctx.backend.issuedSessionIds);
    const from = ctx.backend.requests.length;
    const s = await ctx.connect();
    const bid = newBackendId(ctx.backend, known);
    await s.client.listTools();
    await s.client.callTool({ name: 'echo', arguments: { text: 'mapped' } });
    await waitFor(() => requestsOf(ctx.backend, bid).some((r) => r.method === 'GET'), 'the GET stream at the backend');
    await s.transport.terminateSession();
    const mine = ctx.backend.requests.slice(from);
    const init = mine.filter((r) => r.body?.method === 'initialize');
    assert.equal(init.length, 1);
    assert.equal(init[0].headers[SESSION_HEADER], undefined, 'initialize carries no session id');
    const later = mine.filter((r) => r !== init[0]);
    assert.deepEqual([...new Set(later.map((r) => r.method))].sort(), ['DELETE', 'GET', 'POST']);
    for (const r of later) assert.equal(r.headers[SESSION_HEADER], bid, `${r.method} ${r.body?.method ?? ''} carried ${r.headers[SESSION_HEADER]}`);
    assert.deepEqual(later.filter((r) => r.method === 'POST').map((r) => r.body?.method),
      ['notifications/initialized', 'tools/list', 'tools/call']);
  });

  test('Last-Event-ID on a GET reaches the backend unchanged; the backend replays through the gateway', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    const bid = [...ctx.backend.issuedSessionIds].at(-1);
    const call = await sessionPost(ctx.envoy.url, gid, rpc(7, 'tools/call', { name: 'progress', arguments: { steps: 3 }, _meta: { progressToken: 'tok' } }));
    assert.equal(call.status, 200, call.text);
    const events = parseSse(call.text);
    const withIds = events.filter((e) => e.id !== undefined && e.data !== '');
    assert.ok(withIds.length >= 5, `SSE events with ids: ${call.text}`); // 3 progress, 1 log, 1 result
    const lastSeen = withIds[1].id; // "lost" the connection after the second progress event
    const from = ctx.backend.requests.length;
    const stream = await openStream(ctx.envoy.url, {
      headers: { accept: 'text/event-stream', [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL, 'last-event-id': lastSeen },
    });
    try {
      assert.equal(stream.status, 200);
      assert.match(stream.headers['content-type'], /text\/event-stream/);
      await stream.waitFor((t) => parseSse(t).some((e) => e.data.includes('"id":7')), 'the replayed result');
      const replayed = parseSse(stream.text()).filter((e) => e.data !== '');
      assert.deepEqual(replayed.map((e) => e.id), withIds.slice(2).map((e) => e.id));
      assert.deepEqual(replayed.map((e) => JSON.parse(e.data)), withIds.slice(2).map((e) => JSON.parse(e.data)));
    } finally {
      stream.close();
    }
    const gets = ctx.backend.requests.slice(from).filter((r) => r.method === 'GET');
    assert.equal(gets.length, 1);
    assert.equal(gets[0].headers['last-event-id'], lastSeen);
    assert.equal(gets[0].headers[SESSION_HEADER], bid);
  });

  test('GET stream: server-initiated messages are forwarded as they happen (stream stays open)', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    const stream = await openStream(ctx.envoy.url, {
      headers: { accept: 'text/event-stream', [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL },
    });
    try {
      assert.equal(stream.status, 200);
      assert.match(stream.headers['content-type'], /text\/event-stream/);
      assert.equal(stream.headers[SESSION_HEADER] ?? gid, gid);
      const call = await sessionPost(ctx.envoy.url, gid, rpc(3, 'tools/call', { name: 'log_levels', arguments: {} }));
      assert.equal(call.status, 200, call.text);
      await stream.waitFor((t) => t.includes('a error message'), 'the log notifications on the GET stream');
      assert.equal(stream.ended(), false, 'the GET stream is still open');
      const logs = parseSse(stream.text()).filter((e) => e.data !== '').map((e) => JSON.parse(e.data));
      assert.deepEqual(logs.map((m) => m.params?.level), ['debug', 'info', 'warning', 'error']);
      // A second batch on the same open stream.
      await sessionPost(ctx.envoy.url, gid, rpc(4, 'tools/call', { name: 'log_levels', arguments: {} }));
      await stream.waitFor((t) => parseSse(t).filter((e) => e.data.includes('a error message')).length === 2, 'the second batch');
    } finally {
      stream.close();
    }
  });

  test('SDK resumption: resumptionToken from a call, replay with Last-Event-ID via the gateway', async () => {
    const s = await ctx.connect();
    const tokens = [];
    const r = await s.client.callTool({ name: 'progress', arguments: { steps: 2 } }, undefined, {
      onprogress: () => {}, resumptionToken: undefined, onresumptiontoken: (t) => tokens.push(t),
    });
    assert.equal(r.content[0].text, 'done after 2 steps');
    assert.ok(tokens.length >= 3, `resumption tokens: ${tokens}`);
    const from = ctx.backend.requests.length;
    // The SDK resumes a stream with a GET carrying Last-Event-ID.
    await s.transport.resumeStream(tokens[0]);
    await waitFor(() => ctx.backend.requests.slice(from).find((q) => q.method === 'GET' && q.headers['last-event-id'] === tokens[0]),
      'the resumed GET at the backend');
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Two workers: ids minted on one are honoured on the other.

gatewaySuite('pass-through: sessions across Envoy workers (--concurrency 2)', {
  backend: () => startFullBackend(),
  envoy: { concurrency: 2 },
}, (test, ctx) => {
  /** A raw request on a new connection, and which worker accepted it. */
  /**
   * Runs fn (one request on a new connection) and names the worker that served it, by the
   * workers' connection counters. A stray connection of an earlier test (an SDK client's
   * reconnecting GET stream) can land in the same window: then the request is repeated.
   */
  async function onWorker(fn) {
    let moved = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = await workerConnections(ctx.envoy);
      const reply = await fn();
      const after = await workerConnections(ctx.envoy);
      moved = after.map((n, i) => n - (before[i] ?? 0));
      if (moved.reduce((a, b) => a + b, 0) === 1) return { reply, worker: moved.findIndex((d) => d === 1) };
    }
    assert.fail(`one connection expected per request, per worker: ${moved}`);
  }

  test('an id minted on worker A is used on worker B (both directions), by stats', async () => {
    assert.equal((await workerConnections(ctx.envoy)).length, 2, 'two workers');
    const seen = new Set(); // "minted->used" pairs
    for (let attempt = 0; attempt < 12 && seen.size < 4; attempt++) {
      const init = await onWorker(() => postJson(ctx.envoy.url, rpc(1, 'initialize', INIT_PARAMS)));
      const gid = init.reply.headers[SESSION_HEADER];
      assert.match(gid ?? '', GATEWAY_ID);
      for (let i = 0; i < 6; i++) {
        const call = await onWorker(() => sessionPost(ctx.envoy.url, gid, rpc(i + 2, 'tools/call', { name: 'echo', arguments: { text: `w${i}` } })));
        assert.equal(call.reply.status, 200, `worker ${init.worker} minted, worker ${call.worker} used: ${call.reply.text}`);
        assert.equal(messagesOf(call.reply).at(-1)?.result?.content?.[0]?.text, `w${i}`);
        seen.add(`${init.worker}->${call.worker}`);
      }
    }
    assert.ok(seen.has('0->1') && seen.has('1->0'), `cross-worker use seen: ${[...seen]}`);
  });

  test('SDK clients on a new TCP connection per request: every request with a valid id succeeds', async () => {
    const before = await workerConnections(ctx.envoy);
    const logs = [];
    const sessions = await pool(Array.from({ length: 12 }), 6, async () => {
      const log = [];
      logs.push(log);
      return ctx.connect({ fetch: nodeFetch(log) });
    });
    await pool(sessions.flatMap((s, i) => Array.from({ length: 8 }, (_, j) => [s, `${i}.${j}`])), 16, async ([s, tag]) => {
      const r = await s.client.callTool({ name: 'echo', arguments: { text: tag } });
      assert.equal(r.content[0].text, tag);
    });
    const after = await workerConnections(ctx.envoy);
    const served = after.map((n, i) => n - (before[i] ?? 0));
    assert.ok(served.every((n) => n > 10), `connections per worker: ${served}`);
    for (const log of logs) {
      const ports = new Set(log.map((e) => e.localPort));
      assert.equal(ports.size, log.length, 'each request on its own connection');
      for (const e of log) assert.ok(e.status < 400, `${e.method} → ${e.status}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Many sessions at once.

gatewaySuite('pass-through: 200 concurrent sessions', {
  backend: () => startBackend(),
  envoy: { concurrency: 2 },
}, (test, ctx) => {
  test('200 sessions initialized concurrently, each calls a tool: distinct ids, mapped 1:1', async () => {
    const N = 200;
    const from = ctx.backend.requests.length;
    const sessions = await pool(Array.from({ length: N }, (_, i) => `client-${i}`), 25, async (tag) => {
      const s = await connect(ctx.envoy.url);
      ctx.clients.push(s);
      return { tag, s, gid: s.transport.sessionId };
    });
    const results = await pool(sessions, 25, async ({ tag, s }) => (await s.client.callTool({ name: 'echo', arguments: { text: tag } })).content[0].text);
    assert.deepEqual(results, sessions.map((x) => x.tag));
    const gids = sessions.map((x) => x.gid);
    for (const g of gids) assert.match(g ?? '', GATEWAY_ID);
    assert.equal(new Set(gids).size, N, 'distinct gateway ids');
    // tag → backend id, from what the backend received.
    const calls = ctx.backend.requests.slice(from).filter((r) => r.body?.method === 'tools/call');
    assert.equal(calls.length, N);
    const byTag = new Map(calls.map((r) => [r.body.params.arguments.text, r.headers[SESSION_HEADER]]));
    const bids = sessions.map((x) => byTag.get(x.tag));
    assert.equal(new Set(bids).size, N, 'distinct backend ids');
    for (const b of bids) assert.ok(ctx.backend.issuedSessionIds.has(b), `unknown backend id ${b}`);
    for (const g of gids) assert.ok(!ctx.backend.issuedSessionIds.has(g));
    await Promise.all(sessions.map(({ s }) => s.client.close().catch(() => {})));
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Idle expiry.

gatewaySuite('pass-through: idle expiry (sessionIdleTimeout 2 s)', {
  backend: () => startBackend(),
  config: { server: { sessionIdleTimeout: 2 } },
}, (test, ctx) => {
  test('idle past the timeout → 404 from the gateway, backend not contacted', async () => {
    const known = new Set(ctx.backend.issuedSessionIds);
    const { gid } = await rawSession(ctx.envoy.url);
    const bid = newBackendId(ctx.backend, known);
    const ok = await sessionPost(ctx.envoy.url, gid, rpc(2, 'tools/call', { name: 'echo', arguments: { text: 'a' } }));
    assert.equal(ok.status, 200, ok.text);
    await sleep(2600);
    const from = ctx.backend.requests.length;
    assertGateway404(await sessionPost(ctx.envoy.url, gid, rpc(3, 'tools/call', { name: 'echo', arguments: { text: 'b' } })), 'POST after idle');
    assertGateway404(await rawRequest(ctx.envoy.url, { method: 'GET', headers: { accept: 'text/event-stream', [SESSION_HEADER]: gid } }), 'GET after idle');
    assertGateway404(await rawRequest(ctx.envoy.url, { method: 'DELETE', headers: { [SESSION_HEADER]: gid } }), 'DELETE after idle');
    assert.deepEqual(ctx.backend.requests.slice(from), [], 'backend contacted');
    assert.ok(ctx.backend.sessions.has(bid), 'the backend session itself is untouched');
  });

  test('a session used every 0.5 s for 3 s stays valid, then expires once idle', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    const t0 = Date.now();
    let n = 0;
    while (Date.now() - t0 < 3200) {
      await sleep(500);
      const r = await sessionPost(ctx.envoy.url, gid, rpc(10 + n, 'ping'));
      assert.equal(r.status, 200, `request ${n} at ${Date.now() - t0} ms: ${r.text}`);
      n++;
    }
    assert.ok(n >= 6);
    await sleep(2600);
    assertGateway404(await sessionPost(ctx.envoy.url, gid, rpc(99, 'ping')), 'after going idle');
  });

  test('SDK client: a call after the idle timeout fails with HTTP 404', async () => {
    const s = await ctx.connect();
    await s.client.callTool({ name: 'echo', arguments: { text: 'a' } });
    await sleep(2600);
    await assertHttp404(s.client.callTool({ name: 'echo', arguments: { text: 'b' } }));
  });
});

// ---------------------------------------------------------------------------------------------
// 6. DELETE and forged ids.

gatewaySuite('pass-through: DELETE ends the session; forged ids are refused', {
  backend: () => startFullBackend(),
}, (test, ctx) => {
  test('terminateSession: forwarded with the backend id, then the gateway id is unknown', async () => {
    const known = new Set(ctx.backend.issuedSessionIds);
    const s = await ctx.connect();
    const bid = newBackendId(ctx.backend, known);
    const gid = s.transport.sessionId;
    await s.client.callTool({ name: 'echo', arguments: { text: 'before' } });
    await s.transport.terminateSession();
    const del = ctx.backend.requests.filter((r) => r.method === 'DELETE');
    assert.equal(del.length, 1);
    assert.equal(del[0].headers[SESSION_HEADER], bid);
    assert.ok(!ctx.backend.sessions.has(bid), 'the backend ended its session');
    const from = ctx.backend.requests.length;
    assertGateway404(await sessionPost(ctx.envoy.url, gid, rpc(5, 'tools/call', { name: 'echo', arguments: { text: 'after' } })), 'POST after DELETE');
    assertGateway404(await rawRequest(ctx.envoy.url, { method: 'GET', headers: { accept: 'text/event-stream', [SESSION_HEADER]: gid } }), 'GET after DELETE');
    assertGateway404(await rawRequest(ctx.envoy.url, { method: 'DELETE', headers: { [SESSION_HEADER]: gid } }), 'DELETE after DELETE');
    assert.deepEqual(ctx.backend.requests.slice(from), []);
  });

  test('forged ids → 404 from the gateway on POST, GET and DELETE; the backend sees nothing', async () => {
    const known = new Set(ctx.backend.issuedSessionIds);
    const live = await rawSession(ctx.envoy.url);
    const liveBid = newBackendId(ctx.backend, known);
    const flip = (id) => (id[0] === 'A' ? 'B' : 'A') + id.slice(1);
    const forged = {
      'random 26-char base64url': randomBytes(3).toString('base64url') + randomBytes(16).toString('base64url'),
      'a live id\'s slot with another 128-bit tag': live.gid.slice(0, 4) + randomBytes(16).toString('base64url'),
      'a live id with one character changed': flip(live.gid),
      'a live id, lower-cased': live.gid.toLowerCase() === live.gid ? flip(live.gid.toLowerCase()) : live.gid.toLowerCase(),
      'a live id + one character': `${live.gid}A`,
      'garbage': 'not a session; <script>',
      'the backend\'s own id of a live session': liveBid,
      'an empty header': '',
      'a 10 KB value': 'x'.repeat(10 * 1024),
      '26 chars outside the alphabet': '!'.repeat(26),
      'a key-prefix lookalike': '../session/AAAAAAAAAAAAAAA',
    };
    const from = ctx.backend.requests.length;
    for (const [what, id] of Object.entries(forged)) {
      assertGateway404(await sessionPost(ctx.envoy.url, id, rpc(1, 'tools/list')), `POST, ${what}`);
      assertGateway404(await rawRequest(ctx.envoy.url, { method: 'GET', headers: { accept: 'text/event-stream', [SESSION_HEADER]: id } }), `GET, ${what}`);
      assertGateway404(await rawRequest(ctx.envoy.url, { method: 'DELETE', headers: { [SESSION_HEADER]: id } }), `DELETE, ${what}`);
    }
    assert.deepEqual(ctx.backend.requests.slice(from).map((r) => `${r.method} ${r.headers[SESSION_HEADER]}`), []);
    // The live session still works.
    const ok = await sessionPost(ctx.envoy.url, live.gid, rpc(2, 'tools/call', { name: 'echo', arguments: { text: 'still here' } }));
    assert.equal(ok.status, 200, ok.text);
    assert.equal(messagesOf(ok).at(-1).result.content[0].text, 'still here');
  });
});

// ---------------------------------------------------------------------------------------------
// 7. The backend forgot the session.

gatewaySuite('pass-through: a session the backend forgot', {
  backend: () => startFullBackend(),
}, (test, ctx) => {
  test('the backend\'s 404 reaches the client; afterwards the gateway id is unknown', async () => {
    const known = new Set(ctx.backend.issuedSessionIds);
    const { gid } = await rawSession(ctx.envoy.url);
    const bid = newBackendId(ctx.backend, known);
    assert.ok(await ctx.backend.dropSession(bid));
    const from = ctx.backend.requests.length;
    const r = await sessionPost(ctx.envoy.url, gid, rpc(3, 'tools/call', { name: 'echo', arguments: { text: 'x' } }));
    assert.equal(r.status, 404, r.text);
    assert.equal(r.json?.error?.message, BACKEND_SESSION_NOT_FOUND, 'the backend\'s own 404 body');
    assert.equal(r.headers[SESSION_HEADER], undefined);
    assert.deepEqual(ctx.backend.requests.slice(from).map((q) => q.headers[SESSION_HEADER]), [bid]);
    // The mapping was dropped with the backend's 404.
    assertGateway404(await sessionPost(ctx.envoy.url, gid, rpc(4, 'ping')), 'after the backend 404');
    assert.equal(ctx.backend.requests.length, from + 1);
  });

  test('SDK client: a call in a session the backend dropped fails with HTTP 404', async () => {
    const known = new Set(ctx.backend.issuedSessionIds);
    const s = await ctx.connect();
    const bid = newBackendId(ctx.backend, known);
    await s.client.callTool({ name: 'echo', arguments: { text: 'ok' } });
    await ctx.backend.dropSession(bid);
    await assertHttp404(s.client.callTool({ name: 'echo', arguments: { text: 'gone' } }));
  });
});
