// Trace context from the client to the backend, in both modes (README "Observability",
// trace context): one trace id end to end. Terminating mode copies the request's context onto
// every dispatched backend call, and into a modern backend's `_meta`; `_meta` (SEP-414) wins
// over the header when both are valid. Pass-through forwards the request's own headers, and
// makes a modern request's header agree with its `_meta`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startBackend } from '../examples/backend/server.mjs';
import { startModernBackend } from '../examples/backend/modern-server.mjs';
import { nodeFetch, startEnvoy, wasmFailures, withEnvoyLog } from './support/envoy.mjs';
import { connectClient, meta, modernPost } from './support/modern.mjs';

const TP = '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01';
const TP2 = '00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01';
const traceId = (tp) => tp?.split('-')[1];
const since = (backend, from) => backend.requests.slice(from).filter((r) => r.method === 'POST');

/** An SDK 1.x client sending `headers` on every request. */
async function v1Client(url, headers, host) {
  const client = new ClientV1({ name: 'trace-e2e', version: '1.0.0' });
  await client.connect(new TransportV1(new URL(url), { fetch: nodeFetch([], { host }), requestInit: { headers } }));
  return client;
}

describe('trace context from client to backend', () => {
  const ctx = {};
  before(async () => {
    ctx.legacy = await startBackend();
    ctx.modern = await startModernBackend({ legacy: 'reject' });
    const config = (b) => ({
      server: { name: 'trace-term', type: 'mcp-proxy', mcpServerURL: b.url, timeout: 5000 },
      _rules_: [{ _match_domain_: ['pt.test'], server: { name: 'trace-pt', type: 'mcp-passthrough', mcpServerURL: b.url } }],
    });
    ctx.legacyGw = await startEnvoy({ backendPort: ctx.legacy.port, pluginConfig: config(ctx.legacy) });
    ctx.modernGw = await startEnvoy({ backendPort: ctx.modern.port, pluginConfig: config(ctx.modern) });
  });
  after(async () => {
    for (const e of [ctx.legacyGw, ctx.modernGw]) await e?.stop();
    for (const b of [ctx.legacy, ctx.modern]) await b?.close();
  });
  const t = (title, gw, fn) => it(title, { timeout: 30000 }, () => withEnvoyLog(ctx[gw], fn));

  t('terminating → legacy backend (SDK 1.x client, header): every dispatched call carries the trace', 'legacyGw', async () => {
    const client = await v1Client(ctx.legacyGw.url, { traceparent: TP, tracestate: 'vendor=1' });
    try {
      const from = ctx.legacy.requests.length;
      const r = await client.callTool({ name: 'echo', arguments: { text: 'traced' } });
      assert.equal(r.content[0].text, 'traced');
      const posts = since(ctx.legacy, from);
      // Discover, initialize, initialized and the call: four backend requests, one trace.
      assert.deepEqual(posts.map((p) => p.body?.method), ['server/discover', 'initialize', 'notifications/initialized', 'tools/call']);
      for (const p of posts) {
        assert.equal(p.headers.traceparent, TP, `${p.body?.method}: ${JSON.stringify(p.headers)}`);
        assert.equal(p.headers.tracestate, 'vendor=1');
      }
    } finally {
      await client.close();
    }
  });

  t('terminating → modern backend: header only → header and _meta carry it (SDK v2 client)', 'modernGw', async () => {
    const client = await connectClient('v2 pinned', ctx.modernGw.url, { headers: { traceparent: TP } });
    try {
      const from = ctx.modern.requests.length;
      const calls = ctx.modern.calls.length;
      await client.callTool({ name: 'echo', arguments: { text: 'traced' } });
      const call = since(ctx.modern, from).find((p) => p.body?.method === 'tools/call');
      assert.equal(call.headers.traceparent, TP);
      assert.equal(call.body.params._meta.traceparent, TP);
      // The backend SDK read the same context from _meta.
      assert.equal(ctx.modern.calls[calls].meta?.traceparent, TP);
    } finally {
      await client.close();
    }
  });

  t('terminating → modern backend: _meta wins; header and _meta then agree (raw requests)', 'modernGw', async () => {
    const url = ctx.modernGw.url;
    const cases = [
      ['_meta only', meta({ traceparent: TP2, tracestate: 'm=1' }), {}, TP2, 'm=1'],
      ['both, different', meta({ traceparent: TP2 }), { traceparent: TP, tracestate: 'h=1' }, TP2, undefined],
      ['both, invalid _meta value', meta({ traceparent: 'junk' }), { traceparent: TP }, TP, undefined],
    ];
    for (const [what, m, headers, want, state] of cases) {
      const from = ctx.modern.requests.length;
      const r = await modernPost(url, 1, 'tools/call', { name: 'echo', arguments: { text: 'x' }, _meta: m }, headers);
      assert.equal(r.status, 200, `${what}: ${r.text}`);
      const call = since(ctx.modern, from).find((p) => p.body?.method === 'tools/call');
      assert.equal(call.headers.traceparent, want, what);
      assert.equal(call.body.params._meta.traceparent, want, what);
      assert.equal(call.headers.tracestate, state, what);
      assert.equal(call.body.params._meta.tracestate, state, what);
    }
    const from = ctx.modern.requests.length;
    await modernPost(url, 2, 'tools/call', { name: 'echo', arguments: { text: 'x' } }, { traceparent: TP.toUpperCase() });
    const call = since(ctx.modern, from).find((p) => p.body?.method === 'tools/call');
    assert.equal(call.headers.traceparent, undefined, 'an invalid traceparent is not passed on');
    assert.equal(call.body.params._meta.traceparent, undefined);
  });

  t('pass-through → legacy backend (SDK 1.x client, header): the request carries its own trace', 'legacyGw', async () => {
    const client = await v1Client(ctx.legacyGw.url, { traceparent: TP }, 'pt.test');
    try {
      const from = ctx.legacy.requests.length;
      await client.callTool({ name: 'echo', arguments: { text: 'traced' } });
      const call = since(ctx.legacy, from).find((p) => p.body?.method === 'tools/call');
      assert.equal(traceId(call.headers.traceparent), traceId(TP));
    } finally {
      await client.close();
    }
  });

  t('pass-through → modern backend: the header is made to agree with _meta; the body is untouched', 'modernGw', async () => {
    const url = ctx.modernGw.url;
    const cases = [
      ['_meta only', meta({ traceparent: TP2, tracestate: 'm=1' }), {}, TP2, 'm=1'],
      ['both, different', meta({ traceparent: TP2 }), { traceparent: TP, tracestate: 'h=1' }, TP2, undefined],
      ['header only', meta(), { traceparent: TP, tracestate: 'h=1' }, TP, 'h=1'],
      ['both, equal', meta({ traceparent: TP }), { traceparent: TP, tracestate: 'h=1' }, TP, 'h=1'],
    ];
    for (const [what, m, headers, want, state] of cases) {
      const from = ctx.modern.requests.length;
      const r = await modernPost(url, 1, 'tools/call', { name: 'echo', arguments: { text: 'x' }, _meta: m }, { host: 'pt.test', ...headers });
      assert.equal(r.status, 200, `${what}: ${r.text}`);
      const call = since(ctx.modern, from).find((p) => p.body?.method === 'tools/call');
      assert.equal(call.headers.traceparent, want, what);
      assert.equal(call.headers.tracestate, state, what);
      assert.deepEqual(call.body.params._meta, m, `${what}: the body reaches the backend as sent`);
    }
  });

  t('no wasm failure in the Envoy logs', 'legacyGw', async () => {
    for (const e of [ctx.legacyGw, ctx.modernGw]) assert.deepEqual(wasmFailures(e.log()), []);
  });
});
