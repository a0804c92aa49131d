// E2E: one terminating-mode server over three SDK backends (server.backends): SDK v2
// modern-only, SDK 1.x stateful, SDK 1.x over the legacy HTTP+SSE transport.
//   - the merged list, in configuration order, every name prefixed (`m__echo`), for a 2025
//     client (SDK 1.x) and a 2026-07-28 one (SDK v2 pinned, which requires ttlMs/cacheScope);
//   - each call routed by its prefix to exactly one backend, with the prefix removed;
//   - policy on the prefixed names: x-envoy-allow-mcp-tools, the server's allowTools, and each
//     backend's own allowTools (on its own names);
//   - per-backend upstream credentials;
//   - OAuth rules (server.authorization, jwt_authn in front) on the prefixed names;
//   - examples/config/federation.json works as documented.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ALLOW_HEADER, assertRpcRejects, connectClient, modernPost, stopGateway } from './support/modern.mjs';
import { bearer, startOAuthGateway } from './support/oauth.mjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, startEnvoy, withEnvoyLog } from './support/envoy.mjs';
import { ALL_TOOLS, MODERN_TOOLS, federationYaml, hubConfig, prefixed, startHub, startTrio, trioBackends } from './support/federation.mjs';

const TEST_TIMEOUT = 30000;
const ALL = [...prefixed('m', MODERN_TOOLS), ...prefixed('leg', ALL_TOOLS), ...prefixed('sse', ALL_TOOLS)];

describe('federation: merged list and calls routed by prefix', () => {
  const ctx = {};
  before(async () => {
    ctx.trio = await startTrio();
    const backends = trioBackends(ctx.trio, {
      // Backend credentials: each backend gets its own key (x-api-key), whatever the client sent.
      modern: {
        securitySchemes: [{ id: 'Key', type: 'apiKey', in: 'header', name: 'x-api-key', defaultCredential: 'key-modern' }],
        defaultUpstreamSecurity: { id: 'Key' },
      },
      legacy: {
        securitySchemes: [{ id: 'Key', type: 'apiKey', in: 'header', name: 'x-api-key', defaultCredential: 'key-legacy' }],
        defaultUpstreamSecurity: { id: 'Key' },
      },
    });
    ctx.envoy = await startHub(ctx.trio, hubConfig(backends));
  });
  after(async () => {
    await ctx.trio?.close();
    await stopGateway(ctx.envoy);
  });
  const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, fn));

  for (const kind of ['SDK 1.x', 'v2 pinned']) {
    test(`${kind}: lists every backend's tools, prefixed, in configuration order`, async () => {
      const client = await connectClient(kind, ctx.envoy.url);
      try {
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((t) => t.name), ALL);
        // Entries are the backends' own, renamed: descriptions and schemas are kept.
        const echo = tools.find((t) => t.name === 'leg__echo');
        assert.equal(echo.description, 'Returns its text argument');
        assert.deepEqual(Object.keys(echo.inputSchema.properties), ['text']);
      } finally {
        await client.close();
      }
    });

    test(`${kind}: each call reaches exactly one backend, under the tool's own name`, async () => {
      const { modern, legacy, sse } = ctx.trio;
      const client = await connectClient(kind, ctx.envoy.url);
      try {
        const cases = [
          ['m__echo', { text: `${kind} to modern` }, modern, 'echo'],
          ['leg__add', { a: 2, b: 3 }, legacy, 'add'],
          ['sse__echo', { text: `${kind} to sse` }, sse, 'echo'],
        ];
        for (const [name, args, backend, own] of cases) {
          const before = [modern.calls.length, legacy.calls.length, sse.calls.length];
          const r = await client.callTool({ name, arguments: args });
          assert.equal(r.content[0].text, name === 'leg__add' ? '5' : args.text, name);
          const after = [modern.calls.length, legacy.calls.length, sse.calls.length];
          const ran = [modern, legacy, sse].filter((_, i) => after[i] !== before[i]);
          assert.deepEqual(ran, [backend], `${name} ran on exactly one backend`);
          assert.equal(backend.calls.at(-1).name, own, `${name} ran as ${own}`);
        }
      } finally {
        await client.close();
      }
    });

    test(`${kind}: a name without a known prefix is refused, no backend called`, async () => {
      const { modern, legacy, sse } = ctx.trio;
      const client = await connectClient(kind, ctx.envoy.url);
      try {
        const before = modern.calls.length + legacy.calls.length + sse.calls.length;
        for (const name of ['echo', 'gh__echo', 'm__', '__echo']) {
          await assertRpcRejects(client.callTool({ name, arguments: { text: 'x' } }), -32602, /Unknown tool/);
        }
        assert.equal(modern.calls.length + legacy.calls.length + sse.calls.length, before);
      } finally {
        await client.close();
      }
    });
  }

  test('each backend receives its own credential', async () => {
    const { modern, legacy } = ctx.trio;
    const m = modern.requests.length;
    const l = legacy.requests.length;
    const client = await connectClient('SDK 1.x', ctx.envoy.url);
    try {
      await client.listTools();
    } finally {
      await client.close();
    }
    const keys = (b, from) => [...new Set(b.requests.slice(from).map((r) => r.headers['x-api-key']))];
    assert.deepEqual(keys(modern, m), ['key-modern']);
    assert.deepEqual(keys(legacy, l), ['key-legacy']);
  });

  test('x-envoy-allow-mcp-tools names prefixed tools: the list and the calls follow it', async () => {
    const client = await connectClient('v2 pinned', ctx.envoy.url, { headers: { [ALLOW_HEADER]: 'm__echo, sse__add' } });
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ['m__echo', 'sse__add']);
      const r = await client.callTool({ name: 'sse__add', arguments: { a: 1, b: 1 } });
      assert.equal(r.content[0].text, '2');
      await assertRpcRejects(client.callTool({ name: 'leg__echo', arguments: { text: 'x' } }), -32602, /not allowed/);
    } finally {
      await client.close();
    }
  });
});

describe('federation: allowTools of the server (prefixed names) and of a backend (its own names)', () => {
  const ctx = {};
  before(async () => {
    ctx.trio = await startTrio();
    const backends = trioBackends(ctx.trio, { legacy: { allowTools: ['echo', 'add'] } });
    // The server's allowTools names what clients see; the legacy backend's, its own tools.
    const config = hubConfig(backends, { allowTools: ['m__echo', 'leg__echo', 'leg__add', 'leg__image', 'sse__weather'] });
    ctx.envoy = await startHub(ctx.trio, config);
  });
  after(async () => {
    await ctx.trio?.close();
    await stopGateway(ctx.envoy);
  });

  it('lists and calls only what both allow', { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, async () => {
    const client = await connectClient('SDK 1.x', ctx.envoy.url);
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ['m__echo', 'leg__echo', 'leg__add', 'sse__weather']);
      const r = await client.callTool({ name: 'leg__echo', arguments: { text: 'ok' } });
      assert.equal(r.content[0].text, 'ok');
      const before = ctx.trio.legacy.calls.length;
      // leg__image: the server allows it, the backend's own allowTools do not.
      await assertRpcRejects(client.callTool({ name: 'leg__image', arguments: {} }), -32602, /not allowed/);
      // m__add: the backend would, the server does not.
      await assertRpcRejects(client.callTool({ name: 'm__add', arguments: { a: 1, b: 2 } }), -32602, /not allowed/);
      assert.equal(ctx.trio.legacy.calls.length, before);
    } finally {
      await client.close();
    }
  }));
});

describe('federation: OAuth rules decide on the prefixed names', () => {
  const ctx = {};
  before(async () => {
    ctx.trio = await startTrio();
    const rules = [{ tools: ['m__echo'], scopes: ['mcp:tools'] }, { tools: ['leg__*'], scopes: ['mcp:admin'] }];
    ctx.gw = await startOAuthGateway(ctx.trio.sse, {
      server: { mcpServerURL: undefined, backends: trioBackends(ctx.trio).slice(0, 2) },
      authorization: { rules },
      clusters: { modern: ctx.trio.modern.port, legacy: ctx.trio.legacy.port },
    });
  });
  after(async () => {
    await ctx.trio?.close();
    await ctx.gw?.stop();
  });

  it('each caller lists and calls what its token allows', { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.gw.envoy, async () => {
    const reader = bearer(await ctx.gw.token('reader'));
    const list = await modernPost(ctx.gw.url, 1, 'tools/list', {}, reader);
    assert.deepEqual(list.json.result.tools.map((t) => t.name), ['m__echo'], list.text);
    assert.equal(list.json.result.cacheScope, 'private');
    const ok = await modernPost(ctx.gw.url, 2, 'tools/call', { name: 'm__echo', arguments: { text: 'hi' } }, reader);
    assert.equal(ok.json.result.content[0].text, 'hi', ok.text);
    const before = ctx.trio.legacy.calls.length;
    const denied = await modernPost(ctx.gw.url, 3, 'tools/call', { name: 'leg__echo', arguments: { text: 'x' } }, reader);
    assert.equal(denied.status, 403, denied.text);
    assert.match(denied.headers['www-authenticate'], /insufficient_scope/);
    assert.equal(ctx.trio.legacy.calls.length, before);
    const dev = bearer(await ctx.gw.token('dev'));
    const all = await modernPost(ctx.gw.url, 4, 'tools/list', {}, dev);
    assert.deepEqual(all.json.result.tools.map((t) => t.name), ['m__echo', ...prefixed('leg', ALL_TOOLS)], all.text);
  }));
});

describe('federation: examples/config/federation.json', () => {
  const ctx = {};
  before(async () => {
    ctx.trio = await startTrio();
    const config = JSON.parse(readFileSync(path.join(ROOT, 'examples', 'config', 'federation.json'), 'utf8'));
    // The example's URLs name fixed ports; here they point at the test's backends.
    config.server.backends[0].mcpServerURL = ctx.trio.modern.url;
    config.server.backends[1].mcpServerURL = ctx.trio.legacy.url;
    ctx.envoy = await startEnvoy({ configYaml: federationYaml(config, { modern_backend: ctx.trio.modern.port }, ctx.trio.legacy.port) });
  });
  after(async () => {
    await ctx.trio?.close();
    await stopGateway(ctx.envoy);
  });
  it('serves the merged list and calls as documented', { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, async () => {
    const client = await connectClient('SDK 1.x', ctx.envoy.url);
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), [...prefixed('m', MODERN_TOOLS), ...prefixed('tools', ['echo', 'add', 'weather'])]);
      const from = ctx.trio.legacy.requests.length;
      const r = await client.callTool({ name: 'tools__add', arguments: { a: 1, b: 2 } });
      assert.equal(r.content[0].text, '3');
      assert.deepEqual([...new Set(ctx.trio.legacy.requests.slice(from).map((q) => q.headers['x-api-key']))], ['k-tools']);
    } finally {
      await client.close();
    }
  }));
});
