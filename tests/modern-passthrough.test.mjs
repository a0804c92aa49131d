// E2E: pass-through mode (`mcp-passthrough`) with MCP 2026-07-28 ("modern") clients, in real
// Envoy, against SDK v2 backends (modern-only and dual-era). The INTENDED behaviour (the lead
// is adding it; tests that fail today are listed in the report):
//  - v2 clients (pinned, auto) connect, list and call through the gateway;
//  - allowTools filters tools/list and keeps resultType/ttlMs/cacheScope; a denied call gets
//    -32602 locally and never reaches the backend; the policy is read from the body, so a
//    header naming another tool cannot talk it round;
//  - the gateway checks Mcp-Method / Mcp-Name against the body: a mismatch is 400 -32020 and
//    the backend is not contacted;
//  - modern requests have no session: a stale Mcp-Session-Id is not answered 404, and no
//    gateway session id is minted for modern answers;
//  - subscriptions/listen streams through: the ack, then notifications/tools/list_changed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startModernBackend } from '../examples/backend/modern-server.mjs';
import { withEnvoyLog } from './support/envoy.mjs';
import { eventually } from './support/wait.mjs';
import {
  ALLOW_HEADER, ALLOW_HOST, MODERN, assertRefused, assertRpcRejects, b64, connectClient, modernPost, passConfig, postsSince, sleep,
  startGateway, stopGateway,
} from './support/modern.mjs';

const TEST_TIMEOUT = 20000;
const SESSION_HEADER = 'mcp-session-id';
/** A gateway-shaped session id (22 chars base64url) that the gateway never issued. */
const STALE_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

const BACKENDS = {
  'v2 modern-only': () => startModernBackend({ legacy: 'reject', cacheHints: { 'tools/list': { ttlMs: 30000, cacheScope: 'public' } } }),
  'v2 dual-era': () => startModernBackend({ cacheHints: { 'tools/list': { ttlMs: 30000, cacheScope: 'public' } } }),
};

/** Pass-through config; Host allow.test gets allowTools ['echo']. */
function config(backend) {
  const c = passConfig(backend);
  c._rules_ = [{ _match_domain_: [ALLOW_HOST], server: { ...c.server, name: 'modern-pt-allow' }, allowTools: ['echo'] }];
  return c;
}

/** The names of the tools the backend ran since `from`. */
const runsSince = (backend, from) => backend.calls.slice(from).map((c) => c.name);

for (const [backendKind, start] of Object.entries(BACKENDS)) {
  describe(`pass-through, backend ${backendKind}`, () => {
    const g = {};
    before(async () => {
      g.backend = await start();
      g.envoy = await startGateway(g.backend, config(g.backend));
    });
    after(async () => {
      await g.backend?.close();
      await stopGateway(g.envoy);
    });
    const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(g.envoy, fn));

    for (const kind of ['v2 pinned', 'v2 auto']) {
      test(`${kind}: connect, list, call echo; no session id on any answer`, async () => {
        const log = [];
        const client = await connectClient(kind, g.envoy.url, { log });
        try {
          const names = (await client.listTools()).tools.map((t) => t.name);
          assert.ok(names.includes('echo') && names.includes('add'), `tools: ${names}`);
          const r = await client.callTool({ name: 'echo', arguments: { text: kind } });
          assert.deepEqual(r.content, [{ type: 'text', text: kind }]);
          assert.ok(log.length >= 2);
          for (const x of log) assert.equal(x.headers[SESSION_HEADER], undefined, `${x.method} answered with a session id`);
        } finally {
          await client.close();
        }
      });

      test(`${kind}: allowTools [echo] lists echo only and refuses add locally`, async () => {
        const client = await connectClient(kind, g.envoy.url, { host: ALLOW_HOST });
        try {
          const listed = await client.listTools();
          assert.deepEqual(listed.tools.map((t) => t.name), ['echo']);
          assert.equal(listed.ttlMs, 30000);
          assert.equal(listed.cacheScope, 'public');
          const from = g.backend.requests.length;
          const runs = g.backend.calls.length;
          await assertRpcRejects(client.callTool({ name: 'add', arguments: { a: 1, b: 2 } }), -32602, /Tool not allowed: add/);
          assert.equal(g.backend.requests.length, from, 'the backend was not contacted');
          assert.deepEqual(runsSince(g.backend, runs), []);
        } finally {
          await client.close();
        }
      });
    }

    if (backendKind === 'v2 dual-era') {
      for (const kind of ['v2 legacy', 'SDK 1.x']) {
        test(`${kind} (2025 era) still works against the dual-era backend`, async () => {
          const client = await connectClient(kind, g.envoy.url);
          try {
            const r = await client.callTool({ name: 'echo', arguments: { text: kind } });
            assert.deepEqual(r.content, [{ type: 'text', text: kind }]);
          } finally {
            await client.close();
          }
        });
      }
    }

    test('a filtered tools/list keeps resultType, ttlMs and cacheScope', async () => {
      const reply = await modernPost(g.envoy.url, 1, 'tools/list', {}, { host: ALLOW_HOST });
      assert.equal(reply.status, 200, reply.text);
      const r = reply.json.result;
      assert.deepEqual(r.tools.map((t) => t.name), ['echo']);
      assert.equal(r.resultType, 'complete');
      assert.equal(r.ttlMs, 30000);
      assert.equal(r.cacheScope, 'public');
    });

    // Inferred from terminating mode (not in the brief's list): a list narrowed by the
    // per-request header must not be shared across callers, so it becomes private.
    test(`a list narrowed by ${ALLOW_HEADER} becomes private`, async () => {
      const reply = await modernPost(g.envoy.url, 1, 'tools/list', {}, { [ALLOW_HEADER]: 'echo' });
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(reply.json.result.tools.map((t) => t.name), ['echo']);
      assert.equal(reply.json.result.ttlMs, 30000);
      assert.equal(reply.json.result.cacheScope, 'private');
    });

    for (const [title, method, params, headers] of [
      ['Mcp-Method differs from the body', 'tools/list', {}, { 'mcp-method': 'tools/call' }],
      ['Mcp-Method missing on a modern request', 'tools/list', {}, { 'mcp-method': undefined }],
      ['Mcp-Name differs from the body', 'tools/call', { name: 'echo', arguments: { text: 'x' } }, { 'mcp-name': 'add' }],
      ['Mcp-Name differs after decoding', 'tools/call', { name: 'echo', arguments: { text: 'x' } }, { 'mcp-name': b64('add') }],
      ['Mcp-Name missing on a modern tools/call', 'tools/call', { name: 'echo', arguments: { text: 'x' } }, { 'mcp-name': undefined }],
    ]) {
      test(`${title} → 400 -32020, backend not contacted`, async () => {
        const from = g.backend.requests.length;
        assertRefused(await modernPost(g.envoy.url, 2, method, params, headers), 400, -32020, title);
        await sleep(20);
        assert.equal(g.backend.requests.length, from);
      });
    }

    test('the policy is read from the body: Mcp-Name echo on a call of add is refused, add never runs', async () => {
      const from = g.backend.requests.length;
      const runs = g.backend.calls.length;
      const reply = await modernPost(g.envoy.url, 3, 'tools/call', { name: 'add', arguments: { a: 1, b: 2 } }, { host: ALLOW_HOST, 'mcp-name': 'echo' });
      assert.ok([-32020, -32602].includes(reply.json?.error?.code), `refused: HTTP ${reply.status} ${reply.text}`);
      await sleep(20);
      assert.equal(g.backend.requests.length, from, 'the backend was not contacted');
      assert.deepEqual(runsSince(g.backend, runs), []);
    });

    test('a modern request with a stale Mcp-Session-Id is served, and no session id is minted', async () => {
      const from = g.backend.requests.length;
      const reply = await modernPost(g.envoy.url, 4, 'tools/call', { name: 'echo', arguments: { text: 'stale' } }, { [SESSION_HEADER]: STALE_ID });
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(reply.json.result?.content, [{ type: 'text', text: 'stale' }], reply.text);
      assert.equal(reply.headers[SESSION_HEADER], undefined);
      const posts = postsSince(g.backend, from);
      assert.equal(posts.length, 1);
      assert.equal(posts[0].headers['mcp-protocol-version'], MODERN);
    });

    test('subscriptions/listen: the ack, then notifications/tools/list_changed', async () => {
      const changed = [];
      const client = await connectClient('v2 pinned', g.envoy.url);
      client.setNotificationHandler('notifications/tools/list_changed', (n) => { changed.push(n); });
      try {
        const sub = await client.listen({ toolsListChanged: true });
        try {
          assert.deepEqual(sub.honoredFilter, { toolsListChanged: true });
          assert.ok(await eventually(() => g.backend.requests.some((r) => r.body?.method === 'subscriptions/listen'), 2000));
          g.backend.notifyToolsChanged();
          assert.ok(await eventually(() => changed.length > 0, 5000), 'notifications/tools/list_changed arrived');
          assert.equal(changed[0].method, 'notifications/tools/list_changed');
        } finally {
          await sub.close();
        }
      } finally {
        await client.close();
      }
    });
  });
}
