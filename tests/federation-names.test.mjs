// E2E: prefix modes and name conflicts. The SDK v2 modern backend and the SDK 1.x one both
// have `echo` and `add`; every other name is unique to one of them.
//   - conflict: only the shared names are prefixed; a unique name is called as it is, a
//     shared one only with its prefix (the bare name is ambiguous, -32602);
//   - never: nothing is prefixed; a shared name is listed once (from the first backend) and
//     `_meta` reports the conflict; calling it is refused at request time (-32602).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withEnvoyLog } from './support/envoy.mjs';
import { assertRpcRejects, connectClient, stopGateway } from './support/modern.mjs';
import { ALL_TOOLS, FEDERATION_META, MODERN_TOOLS, hubConfig, startHub, startTrio, trioBackends } from './support/federation.mjs';

const TEST_TIMEOUT = 30000;
const SHARED = ['echo', 'add'];

/** A hub over the modern and the legacy backend with `prefixMode`. */
function hubFor(ctx, prefixMode) {
  before(async () => {
    ctx.trio = await startTrio();
    const backends = trioBackends(ctx.trio).slice(0, 2);
    ctx.envoy = await startHub(ctx.trio, hubConfig(backends, { prefixMode }));
  });
  after(async () => {
    await ctx.trio?.close();
    await stopGateway(ctx.envoy);
  });
}

/** Calls `name` and returns which backend ran what. */
async function callAndSee(ctx, client, name, args) {
  const { modern, legacy } = ctx.trio;
  const m = modern.calls.length;
  const l = legacy.calls.length;
  const r = await client.callTool({ name, arguments: args });
  return { r, modern: modern.calls.slice(m).map((c) => c.name), legacy: legacy.calls.slice(l).map((c) => c.name) };
}

describe('federation, prefixMode conflict', () => {
  const ctx = {};
  hubFor(ctx, 'conflict');
  for (const kind of ['SDK 1.x', 'v2 pinned']) {
    it(`${kind}: prefixes only the shared names and routes both forms`, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, async () => {
      const client = await connectClient(kind, ctx.envoy.url);
      try {
        const { tools } = await client.listTools();
        const name = (p, t) => (SHARED.includes(t) ? `${p}__${t}` : t);
        assert.deepEqual(tools.map((t) => t.name), [...MODERN_TOOLS.map((t) => name('m', t)), ...ALL_TOOLS.map((t) => name('leg', t))]);
        assert.deepEqual(await callAndSee(ctx, client, 'image', {}).then(({ modern, legacy }) => ({ modern, legacy })), { modern: [], legacy: ['image'] });
        const slow = await callAndSee(ctx, client, 'slow', {});
        assert.deepEqual([slow.modern, slow.legacy], [['slow'], []]);
        const m = await callAndSee(ctx, client, 'm__echo', { text: 'to modern' });
        assert.deepEqual([m.r.content[0].text, m.modern, m.legacy], ['to modern', ['echo'], []]);
        const l = await callAndSee(ctx, client, 'leg__add', { a: 20, b: 22 });
        assert.deepEqual([l.r.content[0].text, l.modern, l.legacy], ['42', [], ['add']]);
        await assertRpcRejects(client.callTool({ name: 'echo', arguments: { text: 'x' } }), -32602, /Ambiguous tool: echo is listed by modern, legacy/);
        await assertRpcRejects(client.callTool({ name: 'nope', arguments: {} }), -32602, /Unknown tool/);
      } finally {
        await client.close();
      }
    }));
  }
});

describe('federation, prefixMode never', () => {
  const ctx = {};
  hubFor(ctx, 'never');
  for (const kind of ['SDK 1.x', 'v2 pinned']) {
    it(`${kind}: lists a shared name once, reports it, and refuses to call it`, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, async () => {
      const client = await connectClient(kind, ctx.envoy.url);
      try {
        const result = await client.listTools();
        assert.deepEqual(result.tools.map((t) => t.name), [...MODERN_TOOLS, ...ALL_TOOLS.filter((t) => !SHARED.includes(t))]);
        assert.deepEqual(result._meta?.[FEDERATION_META], {
          conflicts: [{ name: 'echo', backends: ['modern', 'legacy'] }, { name: 'add', backends: ['modern', 'legacy'] }],
        });
        const before = ctx.trio.modern.calls.length + ctx.trio.legacy.calls.length;
        await assertRpcRejects(client.callTool({ name: 'echo', arguments: { text: 'x' } }), -32602, /Ambiguous tool: echo .*prefixMode never/);
        await assertRpcRejects(client.callTool({ name: 'm__echo', arguments: { text: 'x' } }), -32602, /Unknown tool/);
        assert.equal(ctx.trio.modern.calls.length + ctx.trio.legacy.calls.length, before, 'no backend ran a refused call');
        const w = await callAndSee(ctx, client, 'weather', { city: 'Oslo' });
        assert.deepEqual([w.modern, w.legacy], [[], ['weather']]);
      } finally {
        await client.close();
      }
    }));
  }
});
