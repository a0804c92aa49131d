// E2E: terminating mode (`mcp-proxy`), what modern (2026-07-28) clients get as results, in
// real Envoy: `resultType` on every result, `ttlMs`/`cacheScope` on list results (the
// backend's values when it sent valid ones, else 0 / private; private when the
// x-envoy-allow-mcp-tools header narrowed the list), and `input_required` passed through to
// modern clients only (a legacy client cannot answer it: -32603).
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { startBackend } from '../examples/backend/server.mjs';
import { startModernBackend } from '../examples/backend/modern-server.mjs';
import { startSseBackend } from '../examples/backend/sse-server.mjs';
import { rpcResult, startScriptedBackend } from './support/backends.mjs';
import { postJson } from './support/envoy.mjs';
import { ALLOW_HEADER, ALLOW_HOST, MODERN, assertRefused, connectClient, gatewayFor, modernPost, rpc, termConfig } from './support/modern.mjs';

const ECHO = { name: 'echo', arguments: { text: 'x' } };
/** The version header of a 2025-era client after initialize. */
const LEGACY_HEADERS = { 'mcp-protocol-version': '2025-06-18' };

/** What the scripted backend's `ask` tool always answers. */
const INPUT_REQUIRED = {
  resultType: 'input_required',
  inputRequests: { ok: { method: 'elicitation/create', params: { mode: 'form', message: 'OK?', requestedSchema: { type: 'object', properties: {} } } } },
  requestState: 'opaque-state',
};
/**
 * A scripted modern backend: discover says 2026-07-28; tools/list carries malformed caching
 * hints; tools/call `ask` always needs input, anything else answers without resultType.
 */
function startScriptedModern() {
  return startScriptedBackend((msg) => {
    if (msg?.method === 'server/discover') return rpcResult(msg, { resultType: 'complete', supportedVersions: [MODERN], capabilities: { tools: {} } });
    if (msg?.method === 'tools/list') return rpcResult(msg, { tools: [{ name: 'ask', inputSchema: { type: 'object' } }], ttlMs: 'soon', cacheScope: 'everyone' });
    if (msg?.method === 'tools/call') return rpcResult(msg, msg.params.name === 'ask' ? INPUT_REQUIRED : { content: [{ type: 'text', text: 'plain' }] });
    return undefined;
  });
}

describe('resultType, ttlMs and cacheScope', () => {
  describe('modern backend with cacheHints tools/list 60 s public', () => {
    const g = gatewayFor(() => startModernBackend({ legacy: 'reject', cacheHints: { 'tools/list': { ttlMs: 60000, cacheScope: 'public' } } }));
    g.test('passed through as the backend said', async () => {
      const r = (await modernPost(g.envoy.url, 1, 'tools/list')).json.result;
      assert.equal(r.resultType, 'complete');
      assert.equal(r.ttlMs, 60000);
      assert.equal(r.cacheScope, 'public');
      assert.ok(r.tools.length > 1);
    });
    g.test(`narrowed by ${ALLOW_HEADER}: the filtered list becomes private`, async () => {
      const r = (await modernPost(g.envoy.url, 2, 'tools/list', {}, { [ALLOW_HEADER]: 'echo' })).json.result;
      assert.deepEqual(r.tools.map((t) => t.name), ['echo']);
      assert.equal(r.ttlMs, 60000);
      assert.equal(r.cacheScope, 'private');
    });
    g.test('narrowed by the configuration (the same for every caller): stays public', async () => {
      const r = (await modernPost(g.envoy.url, 3, 'tools/list', {}, { host: ALLOW_HOST })).json.result;
      assert.deepEqual(r.tools.map((t) => t.name), ['echo']);
      assert.equal(r.cacheScope, 'public');
    });
  });

  describe('legacy backend (SDK 1.x stateless)', () => {
    const g = gatewayFor(() => startBackend({ stateless: true, json: true }));
    g.test('a modern client gets resultType complete, ttlMs 0, cacheScope private', async () => {
      const list = (await modernPost(g.envoy.url, 1, 'tools/list')).json.result;
      assert.equal(list.resultType, 'complete');
      assert.equal(list.ttlMs, 0);
      assert.equal(list.cacheScope, 'private');
      const call = (await modernPost(g.envoy.url, 2, 'tools/call', ECHO)).json.result;
      assert.equal(call.resultType, 'complete');
      assert.equal(call.ttlMs, undefined, 'only list results carry caching hints');
      assert.deepEqual(call.content, [{ type: 'text', text: 'x' }]);
    });
    g.test('a legacy client gets the legacy shape', async () => {
      const list = (await postJson(g.envoy.url, rpc(1, 'tools/list'), LEGACY_HEADERS)).json.result;
      assert.equal(list.resultType, undefined);
      assert.equal(list.ttlMs, undefined);
    });
  });

  describe('legacy HTTP+SSE backend (transport sse: always legacy, never probed)', () => {
    const g = gatewayFor(startSseBackend, (b) => termConfig(b, { server: { transport: 'sse' } }));
    g.test('a modern client gets resultType and the safe hints; no discover is sent', async () => {
      const client = await connectClient('v2 pinned', g.envoy.url);
      try {
        const list = await client.listTools();
        assert.ok(list.tools.some((t) => t.name === 'echo'));
        assert.equal(list.ttlMs, 0);
        assert.equal(list.cacheScope, 'private');
        const r = await client.callTool({ name: 'echo', arguments: { text: 'sse' } });
        assert.deepEqual(r.content, [{ type: 'text', text: 'sse' }]);
      } finally {
        await client.close();
      }
      const raw = (await modernPost(g.envoy.url, 1, 'tools/call', ECHO)).json.result;
      assert.equal(raw.resultType, 'complete');
      assert.ok(g.backend.requests.length > 0);
      assert.ok(g.backend.requests.every((r) => r.method === 'GET' || r.url.startsWith('/messages')), 'only the SSE channel and its message POSTs');
    });
  });

  describe('modern backend with malformed hints', () => {
    const g = gatewayFor(startScriptedModern);
    g.test('ttlMs not a number and an unknown cacheScope are replaced by 0 / private', async () => {
      const r = (await modernPost(g.envoy.url, 1, 'tools/list')).json.result;
      assert.deepEqual(r, { resultType: 'complete', ttlMs: 0, cacheScope: 'private', tools: [{ name: 'ask', inputSchema: { type: 'object' } }] });
    });
  });
});

describe('input_required from a backend that always needs input', () => {
  const g = gatewayFor(startScriptedModern);
  g.test('input_required reaches a modern client unchanged; a legacy client gets -32603', async () => {
    const modern = await modernPost(g.envoy.url, 1, 'tools/call', { name: 'ask', arguments: {} });
    assert.equal(modern.status, 200);
    assert.deepEqual(modern.json.result, INPUT_REQUIRED);
    const legacy = await postJson(g.envoy.url, rpc(2, 'tools/call', { name: 'ask', arguments: {} }), LEGACY_HEADERS);
    assertRefused(legacy, 200, -32603, 'legacy input_required');
    assert.match(legacy.json.error.message, /input_required/);
    const plain = await modernPost(g.envoy.url, 3, 'tools/call', { name: 'other', arguments: {} });
    assert.deepEqual(plain.json.result, { resultType: 'complete', content: [{ type: 'text', text: 'plain' }] });
  });
});
