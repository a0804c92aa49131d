// E2E: the federated list cache (shared data), proven by counting the backends' tools/list
// requests. SDK 1.x clients drive it (the SDK v2 client caches lists itself, by ttlMs).
//   - a modern backend's list that says `cacheScope: "public"` is kept for its ttlMs (every
//     Envoy worker sees it) and fetched again once that passed; a private one never is;
//   - a legacy backend's list only with server.listCacheTtl;
//   - `notifications/tools/list_changed` from a backend (on a tool call's response stream)
//     drops its cached list, for the SDK v2 and the SDK 1.x backend alike;
//   - two upstream credentials never share a cached list, even when their entries collide in a slot;
//   - the merged answer's ttlMs is no longer than its shortest part, and private if any is.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { nodeFetch, startEnvoy, withEnvoyLog } from './support/envoy.mjs';
import { modernPost, sleep, stopGateway } from './support/modern.mjs';
import { ALL_TOOLS, MODERN_TOOLS, announceV1, announceV2, federationYaml, hubConfig, rpcsSince, startHub, startTrio, trioBackends } from './support/federation.mjs';

const TEST_TIMEOUT = 30000;
const TTL_MS = 1500;

/** An SDK 1.x client on a fresh connection per request (so Envoy's workers share the load). */
async function connect(url, headers) {
  const client = new Client({ name: 'fed-cache-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: nodeFetch(), ...(headers ? { requestInit: { headers } } : {}) }));
  return client;
}

/** Lists once with a new client; returns the tool names. */
async function listOnce(url, headers) {
  const client = await connect(url, headers);
  try {
    return (await client.listTools()).tools.map((t) => t.name);
  } finally {
    await client.close();
  }
}

/** The tools/list requests of the modern and the legacy backend that `fn` caused. */
async function listsDuring(trio, fn) {
  const m = trio.modern.requests.length;
  const l = trio.legacy.requests.length;
  await fn();
  return { modern: rpcsSince(trio.modern, m, 'tools/list'), legacy: rpcsSince(trio.legacy, l, 'tools/list') };
}

function hub(ctx, { cacheScope = 'public', server = {}, concurrency = 1 } = {}) {
  before(async () => {
    ctx.trio = await startTrio({
      modern: { cacheHints: { 'tools/list': { ttlMs: TTL_MS, cacheScope } }, setup: announceV2 },
      legacy: { setup: announceV1 },
    });
    const config = hubConfig(trioBackends(ctx.trio).slice(0, 2), server);
    const clusters = { modern: ctx.trio.modern.port, legacy: ctx.trio.legacy.port };
    ctx.envoy = await startEnvoy({ configYaml: federationYaml(config, clusters, ctx.trio.sse.port), concurrency });
  });
  after(async () => {
    await ctx.trio?.close();
    await stopGateway(ctx.envoy);
  });
  return (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, fn));
}

describe('federation cache: a public modern list, a legacy list not opted in', () => {
  const ctx = {};
  const test = hub(ctx, { concurrency: 4 });

  test('the modern list is fetched once for many requests on every worker; the legacy one each time', async () => {
    const seen = await listsDuring(ctx.trio, async () => {
      for (let i = 0; i < 12; i++) assert.equal((await listOnce(ctx.envoy.url)).length, MODERN_TOOLS.length + ALL_TOOLS.length + 2); // + announce twice
    });
    assert.deepEqual(seen, { modern: 1, legacy: 12 });
    // Several workers took those connections (so the one fetch was shared across workers).
    const stats = (await ctx.envoy.admin('/stats?filter=worker_.*downstream_cx_total')).text;
    const busy = [...stats.matchAll(/listener\.127\.0\.0\.1_\d+\.worker_(\d+)\.downstream_cx_total: (\d+)/g)].filter((m) => Number(m[2]) > 0);
    assert.ok(busy.length >= 2, `connections spread over workers: ${stats}`);
  });

  test('the merged answer: ttlMs within the modern part, private for the legacy part', async () => {
    const r = await modernPost(ctx.envoy.url, 1, 'tools/list');
    assert.equal(r.status, 200, r.text);
    // The legacy part was not cached (ttlMs 0): the merged list is stale at once, and private.
    assert.equal(r.json.result.ttlMs, 0);
    assert.equal(r.json.result.cacheScope, 'private');
  });

  test('never past its TTL: fetched again once ttlMs passed', async () => {
    await listOnce(ctx.envoy.url);
    await sleep(TTL_MS + 200);
    const seen = await listsDuring(ctx.trio, async () => {
      await listOnce(ctx.envoy.url);
      await listOnce(ctx.envoy.url);
    });
    assert.equal(seen.modern, 1);
  });

  test('list_changed on a call of the modern backend drops its cached list', async () => {
    await listOnce(ctx.envoy.url);
    const cached = await listsDuring(ctx.trio, () => listOnce(ctx.envoy.url));
    assert.equal(cached.modern, 0, 'cached before');
    const client = await connect(ctx.envoy.url);
    try {
      const r = await client.callTool({ name: 'm__announce', arguments: {} });
      assert.equal(r.content[0].text, 'announced');
    } finally {
      await client.close();
    }
    const after = await listsDuring(ctx.trio, async () => {
      await listOnce(ctx.envoy.url);
      await listOnce(ctx.envoy.url);
    });
    assert.equal(after.modern, 1, 'fetched again once, then cached');
  });
});

describe('federation cache: a private modern list is never kept', () => {
  const ctx = {};
  const test = hub(ctx, { cacheScope: 'private' });
  test('each list asks the backend', async () => {
    const seen = await listsDuring(ctx.trio, async () => {
      for (let i = 0; i < 3; i++) await listOnce(ctx.envoy.url);
    });
    assert.equal(seen.modern, 3);
  });
});

describe('federation cache: legacy lists with server.listCacheTtl', () => {
  const ctx = {};
  const test = hub(ctx, { server: { listCacheTtl: 60 } });

  test('kept; dropped on list_changed from the SDK 1.x backend', async () => {
    const first = await listsDuring(ctx.trio, async () => {
      for (let i = 0; i < 4; i++) await listOnce(ctx.envoy.url);
    });
    assert.deepEqual(first, { modern: 1, legacy: 1 });
    const client = await connect(ctx.envoy.url);
    try {
      const r = await client.callTool({ name: 'leg__announce', arguments: {} });
      assert.equal(r.content[0].text, 'announced');
    } finally {
      await client.close();
    }
    const after = await listsDuring(ctx.trio, async () => {
      for (let i = 0; i < 3; i++) await listOnce(ctx.envoy.url);
    });
    assert.deepEqual(after, { modern: 0, legacy: 1 });
  });

  test('the merged answer: the legacy opt-in counts as private, ttlMs at most the shortest part', async () => {
    const r = await modernPost(ctx.envoy.url, 2, 'tools/list');
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.result.ttlMs > 0 && r.json.result.ttlMs <= TTL_MS, `ttlMs ${r.json.result.ttlMs}`);
    assert.equal(r.json.result.cacheScope, 'private');
  });
});

describe('federation cache: never shared between upstream credentials', () => {
  const ctx = {};
  // The client's key (x-client-key) is what the gateway sends the backends (x-api-key).
  const test = hub(ctx, {
    server: {
      securitySchemes: [
        { id: 'ClientKey', type: 'apiKey', in: 'header', name: 'x-client-key' },
        { id: 'BackendKey', type: 'apiKey', in: 'header', name: 'x-api-key' },
      ],
      defaultDownstreamSecurity: { id: 'ClientKey', passthrough: true, required: true },
      defaultUpstreamSecurity: { id: 'BackendKey' },
      listCacheTtl: 60,
    },
  });

  test('each credential gets its own cached list', async () => {
    const keysSince = (from) => ctx.trio.modern.requests.slice(from)
      .filter((r) => r.body?.method === 'tools/list').map((r) => r.headers['x-api-key']);
    const from = ctx.trio.modern.requests.length;
    await listOnce(ctx.envoy.url, { 'x-client-key': 'alice' });
    await listOnce(ctx.envoy.url, { 'x-client-key': 'bob' });
    await listOnce(ctx.envoy.url, { 'x-client-key': 'alice' });
    await listOnce(ctx.envoy.url, { 'x-client-key': 'bob' });
    assert.deepEqual(keysSince(from), ['alice', 'bob']);
  });

  test('a slot collision is a miss, never another credential\'s list', async () => {
    // 48 credentials, two backends each, 256 slots per server: some entries share a slot
    // (p ≈ 1 − e^-18). A colliding entry names another owner, so the lookup misses: every
    // credential's list is fetched, with that credential, exactly once.
    const keys = Array.from({ length: 48 }, (_, i) => `cred-${i}`);
    const from = { modern: ctx.trio.modern.requests.length, legacy: ctx.trio.legacy.requests.length };
    let names = null;
    for (const [i, key] of keys.entries()) {
      const r = await modernPost(ctx.envoy.url, 100 + i, 'tools/list', {}, { 'x-client-key': key });
      assert.equal(r.status, 200, r.text);
      const got = r.json.result.tools.map((t) => t.name).sort();
      names ??= got;
      assert.deepEqual(got, names, `${key}: the merged list`);
    }
    assert.ok(names.some((n) => n.startsWith('m__')) && names.some((n) => n.startsWith('leg__')), names.join(' '));
    for (const side of ['modern', 'legacy']) {
      const seen = ctx.trio[side].requests.slice(from[side])
        .filter((r) => r.method === 'POST' && r.body?.method === 'tools/list').map((r) => r.headers['x-api-key']);
      assert.deepEqual(seen, keys, `${side}: each credential's list fetched with it, once`);
    }
  });
});

describe('federation cache: a merged answer of public parts only', () => {
  const ctx = {};
  before(async () => {
    ctx.trio = await startTrio({ modern: { cacheHints: { 'tools/list': { ttlMs: TTL_MS, cacheScope: 'public' } } } });
    ctx.envoy = await startHub(ctx.trio, hubConfig(trioBackends(ctx.trio).slice(0, 1)));
  });
  after(async () => {
    await ctx.trio?.close();
    await stopGateway(ctx.envoy);
  });
  it('is public, with the part\'s ttlMs (less what it spent in the cache)', { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, async () => {
    const first = await modernPost(ctx.envoy.url, 1, 'tools/list');
    assert.equal(first.json.result.ttlMs, TTL_MS, first.text);
    assert.equal(first.json.result.cacheScope, 'public');
    await sleep(300);
    const second = await modernPost(ctx.envoy.url, 2, 'tools/list');
    assert.ok(second.json.result.ttlMs < TTL_MS - 200 && second.json.result.ttlMs > 0, `ttlMs ${second.json.result.ttlMs}`);
    assert.equal(second.json.result.cacheScope, 'public');
  }));
});

describe('federation cache: two backends at one URL with one credential', () => {
  const ctx = {};
  before(async () => {
    ctx.trio = await startTrio({ modern: { cacheHints: { 'tools/list': { ttlMs: 60000, cacheScope: 'public' } } } });
    const twin = (name) => ({ name, mcpServerURL: ctx.trio.modern.url, cluster: 'modern' });
    ctx.envoy = await startHub(ctx.trio, hubConfig([twin('a'), twin('b')]));
  });
  after(async () => {
    await ctx.trio?.close();
    await stopGateway(ctx.envoy);
  });
  it('keep one cached list each (they do not evict each other)', { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, async () => {
    const seen = await listsDuring(ctx.trio, async () => {
      for (let i = 0; i < 4; i++) assert.equal((await listOnce(ctx.envoy.url)).length, 2 * MODERN_TOOLS.length);
    });
    assert.equal(seen.modern, 2);
  }));
});
