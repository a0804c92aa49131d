// E2E matrix, terminating mode (`mcp-proxy`), dual-era: every client kind {SDK v2 pinned to
// 2026-07-28, SDK v2 auto, SDK v2 legacy, SDK 1.x} against every backend kind {SDK v2
// modern-only, SDK v2 dual-era, SDK 1.x stateful, SDK 1.x stateless, Python mcp 2.3.0}, in real
// Envoy. Each pair connects, lists tools, calls echo, and — through a `_rules_` entry (Host
// allow.test) with allowTools ['echo'] on the same Envoy — sees only echo listed and gets
// -32602 "Tool not allowed: add" for add, which the backend never runs.
//
// The gateway learns each backend's era once (server/discover) and speaks it: one modern POST
// per call to modern backends, initialize → initialized → call to legacy ones; the client's era
// is independent of the backend's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withEnvoyLog } from './support/envoy.mjs';
import {
  ALLOW_HOST, BACKEND_KINDS, CLIENT_KINDS, MODERN, K, assertRpcRejects, connectClient, postsSince,
  speaksModern, startGateway, stopGateway, termConfig,
} from './support/modern.mjs';

const TEST_TIMEOUT = 20000;
/** Backend kinds that speak 2026-07-28 (the gateway must reach them with one modern POST). */
const MODERN_BACKENDS = new Set(['v2 modern-only', 'v2 dual-era', 'Python 2.x']);

/** The text of a tools/call result's first content item. */
const textOf = (r) => r.content?.[0]?.text;

/**
 * What the backend saw for the latest echo call (backends that record requests): a modern POST
 * with the envelope, or a legacy call after its own initialize.
 */
function assertBackendEra(backendKind, backend, from) {
  if (!backend.requests) return; // the Python backend records tool runs only
  const posts = postsSince(backend, from);
  const call = posts.findLast((r) => r.body?.method === 'tools/call');
  assert.ok(call, `no tools/call reached the backend: ${JSON.stringify(posts.map((r) => r.body?.method))}`);
  if (MODERN_BACKENDS.has(backendKind)) {
    assert.equal(call.headers['mcp-protocol-version'], MODERN);
    assert.equal(call.body.params._meta[K.version], MODERN);
    assert.equal(posts.filter((r) => r.body?.method === 'initialize').length, 0, 'no handshake with a modern backend');
  } else {
    assert.equal(call.body.params._meta, undefined, 'a legacy backend gets no modern envelope');
    // The backend session of the first exchange is kept: later calls carry it without a new
    // handshake (a stateless backend gets none at all).
    const inits = backend.requests.filter((r) => r.body?.method === 'initialize').length;
    // One per server configuration: this Envoy's second one (the allow.test rule) keeps its own.
    assert.ok(inits >= 1 && inits <= 2, `one handshake per kept session, not one per call (saw ${inits})`);
    if (backend.issuedSessionIds?.size) assert.ok(backend.issuedSessionIds.has(call.headers['mcp-session-id']), 'the call carries a session the backend issued');
  }
}

for (const [backendKind, start] of Object.entries(BACKEND_KINDS)) {
  describe(`backend ${backendKind}`, () => {
    let backend;
    let envoy;
    before(async () => {
      backend = await start();
      envoy = await startGateway(backend, termConfig(backend, { allowRule: true }));
    });
    after(async () => {
      await backend?.close();
      await stopGateway(envoy);
    });

    for (const clientKind of Object.keys(CLIENT_KINDS)) {
      it(`${clientKind}: connect, list, call echo; allowTools [echo] refuses add`, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(envoy, async () => {
        const from = backend.requests?.length ?? 0;
        const client = await connectClient(clientKind, envoy.url);
        try {
          const listed = await client.listTools();
          const names = listed.tools.map((t) => t.name);
          assert.ok(names.includes('echo') && names.includes('add'), `tools: ${names}`);
          if (speaksModern(clientKind)) {
            // The v2 client checks resultType itself (and drops it); the caching hints stay.
            assert.equal(typeof listed.ttlMs, 'number');
            assert.ok(['public', 'private'].includes(listed.cacheScope), `cacheScope ${listed.cacheScope}`);
          }
          const echoed = await client.callTool({ name: 'echo', arguments: { text: `hi ${clientKind}` } });
          assert.equal(textOf(echoed), `hi ${clientKind}`);
          assert.notEqual(echoed.isError, true);
          assertBackendEra(backendKind, backend, from);
        } finally {
          await client.close();
        }

        const restricted = await connectClient(clientKind, envoy.url, { host: ALLOW_HOST });
        try {
          const listed = await restricted.listTools();
          assert.deepEqual(listed.tools.map((t) => t.name), ['echo']);
          const runsBefore = (await backend.runs()).length;
          await assertRpcRejects(restricted.callTool({ name: 'add', arguments: { a: 1, b: 2 } }), -32602, /Tool not allowed: add/);
          const echoed = await restricted.callTool({ name: 'echo', arguments: { text: 'allowed' } });
          assert.equal(textOf(echoed), 'allowed');
          // The refused call never ran: the only new run is the echo that followed it.
          assert.deepEqual((await backend.runs()).slice(runsBefore), ['echo']);
        } finally {
          await restricted.close();
        }
      }));
    }
  });
}
