// E2E: federation when backends fail. Next to the healthy SDK backends, one backend is down
// (nothing listens on its port) and one hangs (reads requests, never answers) past its own
// deadline (`backends[].timeout`), under both failure modes:
//   - open: the list holds the tools of the backends that answered, and `_meta` names the
//     others with their cause; calls to healthy backends work, calls to failed ones get -32603;
//   - closed: the list fails with -32603 naming the backend, without waiting for the others;
//   - a paginated backend is read whole; a client cursor is refused;
//   - a silent HTTP+SSE backend is ended by its deadline (the root tick runs for it).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closedPort, startHangingBackend, startHttpBackend } from './support/backends.mjs';
import { startEnvoy, withEnvoyLog } from './support/envoy.mjs';
import { assertRpcRejects, connectClient, modernPost, stopGateway } from './support/modern.mjs';
import { ALL_TOOLS, FEDERATION_META, MODERN_TOOLS, federationYaml, hubConfig, prefixed, startHub, startTrio, trioBackends } from './support/federation.mjs';

const TEST_TIMEOUT = 30000;
const HANG_TIMEOUT_MS = 400;

/** The trio plus a down and a hanging backend; `failureMode` as given. */
async function startFailingHub(ctx, failureMode, { withHang = true, withDown = true } = {}) {
  ctx.trio = await startTrio();
  ctx.down = await closedPort();
  ctx.hang = await startHangingBackend();
  const backends = trioBackends(ctx.trio);
  if (withDown) backends.splice(1, 0, { name: 'down', mcpServerURL: ctx.down.url, cluster: 'down' });
  if (withHang) backends.push({ name: 'hang', mcpServerURL: ctx.hang.url, cluster: 'hang', timeout: HANG_TIMEOUT_MS });
  ctx.envoy = await startHub(ctx.trio, hubConfig(backends, { failureMode }), { down: ctx.down.port, hang: ctx.hang.port });
}

async function stopAll(ctx) {
  await ctx.trio?.close();
  await ctx.hang?.close();
  await stopGateway(ctx.envoy);
}

describe('federation, failureMode open: one backend down, one hanging', () => {
  const ctx = {};
  before(() => startFailingHub(ctx, 'open'));
  after(() => stopAll(ctx));
  const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, fn));

  for (const kind of ['SDK 1.x', 'v2 pinned']) {
    test(`${kind}: the list has the answering backends' tools and names the others`, async () => {
      const client = await connectClient(kind, ctx.envoy.url);
      try {
        const hangSeen = ctx.hang.requests.length;
        const t0 = Date.now();
        const result = await client.listTools();
        const elapsed = Date.now() - t0;
        assert.deepEqual(result.tools.map((t) => t.name), [...prefixed('m', MODERN_TOOLS), ...prefixed('leg', ALL_TOOLS), ...prefixed('sse', ALL_TOOLS)]);
        const note = result._meta?.[FEDERATION_META];
        assert.deepEqual(note.unavailable.map((u) => u.backend), ['down', 'hang'], JSON.stringify(result._meta));
        assert.match(note.unavailable[1].cause, /timeout/);
        // The hanging backend got the request, and its own deadline (not the server's 5 s) ended it.
        assert.ok(ctx.hang.requests.length > hangSeen, 'the hanging backend was asked');
        assert.ok(elapsed < 4000, `answered after the hanging backend's deadline, not the server's (${elapsed} ms)`);
      } finally {
        await client.close();
      }
    });
  }

  test('calls to healthy backends work; calls to the failed ones get -32603', async () => {
    const client = await connectClient('v2 pinned', ctx.envoy.url);
    try {
      const r = await client.callTool({ name: 'leg__echo', arguments: { text: 'still here' } });
      assert.equal(r.content[0].text, 'still here');
      await assertRpcRejects(client.callTool({ name: 'down__echo', arguments: { text: 'x' } }), -32603, /backend/);
      await assertRpcRejects(client.callTool({ name: 'hang__echo', arguments: { text: 'x' } }), -32603, /timeout/);
    } finally {
      await client.close();
    }
  });

  test('the raw modern answer: ttlMs 0 and private when nothing may be cached', async () => {
    const r = await modernPost(ctx.envoy.url, 7, 'tools/list');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.id, 7);
    assert.equal(r.json.result.resultType, 'complete');
    assert.equal(r.json.result.ttlMs, 0);
    assert.equal(r.json.result.cacheScope, 'private');
    assert.equal(r.json.result._meta[FEDERATION_META].unavailable.length, 2);
  });
});

describe('federation, failureMode closed', () => {
  describe('a backend down', () => {
    const ctx = {};
    before(() => startFailingHub(ctx, 'closed', { withHang: false }));
    after(() => stopAll(ctx));
    for (const kind of ['SDK 1.x', 'v2 pinned']) {
      it(`${kind}: the list fails with -32603 naming it`, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, async () => {
        const client = await connectClient(kind, ctx.envoy.url);
        try {
          await assertRpcRejects(client.listTools(), -32603, /backend down failed: .*failureMode closed/);
          // Calls are routed by prefix and need no list: a healthy backend still answers.
          const r = await client.callTool({ name: 'm__echo', arguments: { text: 'ok' } });
          assert.equal(r.content[0].text, 'ok');
        } finally {
          await client.close();
        }
      }));
    }
  });

  describe('a backend hanging past its deadline', () => {
    const ctx = {};
    before(() => startFailingHub(ctx, 'closed', { withDown: false }));
    after(() => stopAll(ctx));
    it('the list fails with -32603 once its deadline passed', { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, async () => {
      const client = await connectClient('v2 pinned', ctx.envoy.url);
      try {
        const t0 = Date.now();
        await assertRpcRejects(client.listTools(), -32603, /backend hang failed: .*timeout/);
        assert.ok(Date.now() - t0 >= HANG_TIMEOUT_MS - 50, 'not before the deadline');
      } finally {
        await client.close();
      }
    }));
  });
});

describe('federation: a paginated backend and a client cursor', () => {
  const ctx = {};
  before(async () => {
    ctx.trio = await startTrio({ legacy: { pageSize: 3 } });
    ctx.envoy = await startHub(ctx.trio, hubConfig(trioBackends(ctx.trio).slice(0, 2)));
  });
  after(() => stopAll(ctx));
  it('every page of every backend is read into one merged page; a cursor is refused', { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, async () => {
    const from = ctx.trio.legacy.requests.length;
    const r = await modernPost(ctx.envoy.url, 1, 'tools/list');
    assert.deepEqual(r.json.result.tools.map((t) => t.name), [...prefixed('m', MODERN_TOOLS), ...prefixed('leg', ALL_TOOLS)], r.text);
    assert.equal(r.json.result.nextCursor, undefined);
    const pages = ctx.trio.legacy.requests.slice(from).filter((q) => q.body?.method === 'tools/list');
    assert.equal(pages.length, Math.ceil(ALL_TOOLS.length / 3));
    const bad = await modernPost(ctx.envoy.url, 2, 'tools/list', { cursor: pages[1].body.params.cursor });
    assert.equal(bad.json.error.code, -32602, bad.text);
  }));
});

describe('federation: a silent HTTP+SSE backend and the root tick', () => {
  const ctx = {};
  before(async () => {
    ctx.trio = await startTrio();
    // Answers the SSE GET with its headers, then says nothing (no endpoint event, ever).
    ctx.silent = await startHttpBackend((_rec, _req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': open\n\n');
    });
    const backends = [
      trioBackends(ctx.trio)[0],
      { name: 'silent', mcpServerURL: `http://127.0.0.1:${ctx.silent.port}/sse`, transport: 'sse', timeout: HANG_TIMEOUT_MS },
    ];
    // No kept sessions: nothing else runs the root tick, only the SSE backend's deadline does.
    const config = hubConfig(backends, { backendSessionIdleTimeout: 0 });
    ctx.envoy = await startEnvoy({ configYaml: federationYaml(config, { modern: ctx.trio.modern.port }, ctx.silent.port) });
  });
  after(async () => {
    await ctx.silent?.close();
    await stopAll(ctx);
  });
  it('its deadline ends its part: the list comes with the note', { timeout: 10000 }, () => withEnvoyLog(ctx.envoy, async () => {
    const r = await modernPost(ctx.envoy.url, 1, 'tools/list');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.result.tools.map((t) => t.name), prefixed('m', MODERN_TOOLS));
    const [down] = r.json.result._meta[FEDERATION_META].unavailable;
    assert.equal(down.backend, 'silent');
    assert.match(down.cause, /timeout/);
    assert.ok(ctx.silent.requests.some((q) => q.method === 'GET'), 'the SSE stream was opened');
  }));
});
