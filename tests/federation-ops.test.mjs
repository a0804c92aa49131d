// E2E: operating a federated server.
//   - kept backend sessions per backend (two SDK 1.x stateful backends, each with its own
//     credential): once warm, a call costs one backend request on its backend; idle past
//     server.backendSessionIdleTimeout, each session is ended with DELETE at its own backend's
//     URL, carrying that backend's credential;
//   - with backendSessionIdleTimeout 0 a list still gets its answer, and each backend session
//     its DELETE right after;
//   - stats: the server's backend requests by step are what its backends received, calls are
//     counted under the names clients see (learned from the merged list), and the access log
//     says the answer was federated.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBackend } from '../examples/backend/server.mjs';
import { withEnvoyLog } from './support/envoy.mjs';
import { connectClient, stopGateway } from './support/modern.mjs';
import { hubConfig, startHub, startTrio } from './support/federation.mjs';
import { eventually } from './support/wait.mjs';
import { scrape, table } from './support/stats.mjs';

const TEST_TIMEOUT = 30000;
const IDLE_S = 1;

/** A backend entry with its own x-backend-key. */
function withKey(name, url, cluster, key) {
  return {
    name, mcpServerURL: url, cluster,
    securitySchemes: [{ id: 'Key', type: 'apiKey', in: 'header', name: 'x-backend-key', defaultCredential: key }],
    defaultUpstreamSecurity: { id: 'Key' },
  };
}

describe('federation: kept backend sessions, per backend', () => {
  const ctx = {};
  before(async () => {
    ctx.trio = await startTrio();
    ctx.other = await startBackend({ path: '/other/mcp' });
    const backends = [
      withKey('one', ctx.trio.legacy.url, 'legacy', 'key-one'),
      withKey('two', ctx.other.url, 'other', 'key-two'),
    ];
    ctx.envoy = await startHub(ctx.trio, hubConfig(backends, { backendSessionIdleTimeout: IDLE_S }), { other: ctx.other.port });
  });
  after(async () => {
    await ctx.other?.close();
    await ctx.trio?.close();
    await stopGateway(ctx.envoy);
  });

  it('one request per call once warm; idle sessions ended at their own backend with its credential', { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, async () => {
    const one = ctx.trio.legacy;
    const two = ctx.other;
    const client = await connectClient('SDK 1.x', ctx.envoy.url);
    try {
      await client.callTool({ name: 'one__echo', arguments: { text: 'warm' } });
      await client.callTool({ name: 'two__echo', arguments: { text: 'warm' } });
      for (const [b, name] of [[one, 'one__echo'], [two, 'two__echo']]) {
        const from = b.requests.length;
        const r = await client.callTool({ name, arguments: { text: name } });
        assert.equal(r.content[0].text, name);
        assert.deepEqual(b.requests.slice(from).map((q) => `${q.method} ${q.body?.method}`), ['POST tools/call'], name);
      }
    } finally {
      await client.close();
    }
    // The sweep runs every second on every worker: the DELETEs come within a few idle periods.
    const deletes = (b) => b.requests.filter((q) => q.method === 'DELETE');
    await eventually(() => deletes(one).length > 0 && deletes(two).length > 0, IDLE_S * 1000 * 8);
    assert.deepEqual(deletes(one).map((q) => [q.path, q.headers['x-backend-key']]), [['/mcp', 'key-one']]);
    assert.deepEqual(deletes(two).map((q) => [q.path, q.headers['x-backend-key']]), [['/other/mcp', 'key-two']]);
  }));
});

describe('federation: backendSessionIdleTimeout 0 (no kept sessions)', () => {
  const ctx = {};
  before(async () => {
    ctx.trio = await startTrio();
    ctx.envoy = await startHub(ctx.trio, hubConfig([withKey('one', ctx.trio.legacy.url, 'legacy', 'key-one')], { backendSessionIdleTimeout: 0 }));
  });
  after(async () => {
    await ctx.trio?.close();
    await stopGateway(ctx.envoy);
  });

  it('every list and call is answered; each backend session is ended with DELETE right after', { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, async () => {
    // The DELETE is dispatched from the root context, before the merged list is answered.
    const b = ctx.trio.legacy;
    const client = await connectClient('SDK 1.x', ctx.envoy.url);
    try {
      for (let i = 0; i < 2; i++) {
        const from = b.requests.length;
        const { tools } = await client.listTools();
        assert.ok(tools.some((t) => t.name === 'one__echo'), tools.map((t) => t.name).join(' '));
        await eventually(() => b.requests.slice(from).some((q) => q.method === 'DELETE'), 5000);
        const seen = b.requests.slice(from).map((q) => `${q.method} ${q.body?.method ?? ''}`.trim());
        assert.deepEqual(seen.filter((x) => x !== 'POST server/discover'),
          ['POST initialize', 'POST notifications/initialized', 'POST tools/list', 'DELETE'], `list ${i}`);
      }
      const r = await client.callTool({ name: 'one__echo', arguments: { text: 'cold' } });
      assert.equal(r.content[0].text, 'cold');
    } finally {
      await client.close();
    }
  }));
});

describe('federation: stats and access log', () => {
  const ctx = {};
  before(async () => {
    ctx.trio = await startTrio();
    ctx.envoy = await startHub(ctx.trio, hubConfig([
      { name: 'modern', prefix: 'm', mcpServerURL: ctx.trio.modern.url, cluster: 'modern' },
      { name: 'legacy', prefix: 'leg', mcpServerURL: ctx.trio.legacy.url, cluster: 'legacy' },
    ]));
  });
  after(async () => {
    await ctx.trio?.close();
    await stopGateway(ctx.envoy);
  });

  it('backend requests by step, tool calls by visible name, mcp_backend_era federated', { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, async () => {
    const client = await connectClient('SDK 1.x', ctx.envoy.url);
    try {
      await client.listTools();
      await client.callTool({ name: 'm__echo', arguments: { text: 'a' } });
      await client.callTool({ name: 'leg__echo', arguments: { text: 'b' } });
      await client.callTool({ name: 'leg__echo', arguments: { text: 'c' } });
    } finally {
      await client.close();
    }
    const samples = await scrape(ctx.envoy);
    const posts = [ctx.trio.modern, ctx.trio.legacy].flatMap((b) => b.requests.filter((r) => r.method === 'POST').map((r) => r.body?.method));
    const n = (m) => posts.filter((x) => x === m).length;
    assert.deepEqual(table(samples, 'mcp_backend_requests_total', ['mcp_step'], { mcp_server: 'hub' }), {
      discover: n('server/discover'),
      initialize: n('initialize'),
      notification: n('notifications/initialized'),
      call: n('tools/list') + n('tools/call'),
    });
    assert.deepEqual(table(samples, 'mcp_tool_calls_total', ['mcp_tool', 'outcome'], { mcp_server: 'hub' }), { 'm__echo|ok': 1, 'leg__echo|ok': 2 });
    const lines = await eventually(() => {
      const l = ctx.envoy.accessLog().filter((x) => x.includes('era=federated'));
      return l.length > 0 ? l : null;
    }, 5000);
    assert.ok(lines, `access log: ${ctx.envoy.accessLog().join('\n')}`);
  }));
});
