// E2E: headers that must fail closed.
//   - x-envoy-allow-mcp-tools (pass-through): a value that names no tool (" , , ") allows NO
//     tool; an empty value adds no restriction (Higress); several copies each narrow the set.
//   - MCP-Protocol-Version (terminating mode): an unsupported version → 400, JSON-RPC -32022
//     with error.data {supported, requested}.
//   - Header values the gateway writes are checked: a query credential passed through to an
//     upstream header whose decoded value holds CR, LF or NUL → 400 -32600, in both modes,
//     backend not contacted.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_TOOLS } from '../examples/backend/server.mjs';
import { postJson } from './support/envoy.mjs';
import {
  PROTOCOL, assertRpcError, gwTest, messagesOf, openSession, ptConfig, rpc, sessionPost, startGateway,
  startRecordingBackend, termConfig,
} from './support/failclosed.mjs';

const ALLOW_HEADER = 'x-envoy-allow-mcp-tools';
const echo = (id) => rpc(id, 'tools/call', { name: 'echo', arguments: { text: 'e' } });
const add = (id) => rpc(id, 'tools/call', { name: 'add', arguments: { a: 1, b: 2 } });
const listed = (reply) => messagesOf(reply).flatMap((m) => m.result?.tools ?? []).map((t) => t.name);

describe('fail-closed headers: x-envoy-allow-mcp-tools (pass-through, no allowTools configured)', () => {
  let backend;
  let envoy;
  before(async () => {
    backend = await startRecordingBackend('ts');
    envoy = await startGateway(backend, ptConfig(backend));
  });
  after(async () => {
    await envoy?.stop();
    await backend?.close();
  });

  gwTest('" , , " names no tool → allows NO tools: tools/list empty, tools/call refused (-32602)', () => envoy, async () => {
    const h = { [ALLOW_HEADER]: ' , , ' };
    const gid = await openSession(envoy.url, h);
    const before = await backend.executed();
    const call = await sessionPost(envoy.url, gid, echo(1), h);
    assert.deepEqual((await backend.executed()).slice(before.length), [], 'the backend ran echo');
    assert.equal(call.status, 200, call.text);
    assert.deepEqual(call.json, { jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'Tool not allowed: echo' } });
    const list = await sessionPost(envoy.url, gid, rpc(2, 'tools/list'), h);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(listed(list), []);
  });

  gwTest('an empty value adds no restriction (every tool listed and callable)', () => envoy, async () => {
    const h = { [ALLOW_HEADER]: '' };
    const gid = await openSession(envoy.url, h);
    const list = await sessionPost(envoy.url, gid, rpc(3, 'tools/list'), h);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(listed(list), ALL_TOOLS);
    const before = await backend.executed();
    const r = await sessionPost(envoy.url, gid, add(4), h);
    assert.equal(r.status, 200, r.text);
    assert.equal(messagesOf(r).at(-1)?.result?.content?.[0]?.text, '3');
    assert.deepEqual((await backend.executed()).slice(before.length), ['add']);
  });

  gwTest('several copies of the header: each narrows (intersection)', () => envoy, async () => {
    const h = { [ALLOW_HEADER]: ['echo, add', 'add, image'] }; // → only add
    const gid = await openSession(envoy.url, h);
    const before = await backend.executed();
    const denied = await sessionPost(envoy.url, gid, echo(5), h);
    assert.deepEqual((await backend.executed()).slice(before.length), [], 'the backend ran echo');
    assert.equal(denied.status, 200, denied.text);
    assert.deepEqual(denied.json, { jsonrpc: '2.0', id: 5, error: { code: -32602, message: 'Tool not allowed: echo' } });
    const list = await sessionPost(envoy.url, gid, rpc(6, 'tools/list'), h);
    assert.deepEqual(listed(list), ['add']);
    const ok = await sessionPost(envoy.url, gid, add(7), h);
    assert.equal(messagesOf(ok).at(-1)?.result?.content?.[0]?.text, '3', ok.text);
  });
});

describe('fail-closed headers: MCP-Protocol-Version (terminating mode)', () => {
  let backend;
  let envoy;
  before(async () => {
    backend = await startRecordingBackend('ts');
    envoy = await startGateway(backend, termConfig(backend));
  });
  after(async () => {
    await envoy?.stop();
    await backend?.close();
  });

  gwTest('MCP-Protocol-Version: 1999-01-01 → 400 -32022 with data {supported, requested}; backend not contacted', () => envoy, async () => {
    for (const [what, body] of [['tools/list', rpc(1, 'tools/list')], ['tools/call', echo(2)], ['ping', rpc(3, 'ping')]]) {
      const from = backend.requests.length;
      const r = await postJson(envoy.url, body, { 'mcp-protocol-version': '1999-01-01' });
      assert.deepEqual(backend.requests.slice(from).map((q) => q.body?.method), [], `${what}: backend contacted`);
      assertRpcError(r, 400, -32022, what);
      const data = r.json.error.data;
      assert.ok(data && Array.isArray(data.supported) && data.supported.length > 0, `${what}: error.data.supported: ${r.text}`);
      assert.ok(data.supported.includes(PROTOCOL), `${what}: ${r.text}`);
      assert.equal(data.requested, '1999-01-01', `${what}: ${r.text}`);
    }
    // A supported version works.
    const ok = await postJson(envoy.url, rpc(4, 'tools/list'), { 'mcp-protocol-version': PROTOCOL });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(listed(ok), ALL_TOOLS);
  });
});

/** Downstream: a query credential passed through; upstream: a header scheme. */
const QUERY_TO_HEADER = {
  securitySchemes: [
    { id: 'QueryKey', type: 'apiKey', in: 'query', name: 'api_key' },
    { id: 'BackendKey', type: 'apiKey', in: 'header', name: 'x-api-key' },
  ],
  defaultDownstreamSecurity: { id: 'QueryKey', passthrough: true },
  defaultUpstreamSecurity: { id: 'BackendKey' },
};
const BAD_VALUES = {
  'CR LF': 'abc%0d%0aX-Injected:%20yes',
  'LF': 'abc%0aX-Injected:%20yes',
  'CR': 'abc%0dX',
  'NUL': 'abc%00def',
};

for (const [mode, makeConfig, first] of [
  ['pass-through', ptConfig, rpc(1, 'initialize', { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'x', version: '0' } })],
  ['terminating', termConfig, rpc(1, 'tools/list')],
]) {
  describe(`fail-closed headers: gateway-written header values (${mode})`, () => {
    let backend;
    let envoy;
    before(async () => {
      backend = await startRecordingBackend('ts');
      envoy = await startGateway(backend, makeConfig(backend, { server: QUERY_TO_HEADER }));
    });
    after(async () => {
      await envoy?.stop();
      await backend?.close();
    });

    gwTest('a query credential decoding to CR/LF/NUL → 400 -32600, backend not contacted', () => envoy, async () => {
      const failures = [];
      for (const [what, value] of Object.entries(BAD_VALUES)) {
        const from = backend.requests.length;
        const r = await postJson(`${envoy.url}?api_key=${value}`, first, { 'mcp-protocol-version': PROTOCOL });
        const reached = backend.requests.slice(from).map((q) => `${q.method} ${q.body?.method} x-api-key=${JSON.stringify(q.headers['x-api-key'])} x-injected=${q.headers['x-injected']}`);
        const problems = [];
        if (reached.length > 0) problems.push(`backend contacted: ${reached.join(' | ')}`);
        if (r.status !== 400) problems.push(`HTTP ${r.status}`);
        if (r.json?.error?.code !== -32600) problems.push(`code ${r.json?.error?.code}`);
        if (problems.length > 0) failures.push(`${what}: ${problems.join('; ')}: ${r.text.slice(0, 160)}`);
      }
      assert.deepEqual(failures, []);
    });

    gwTest('control: an ordinary query credential reaches the backend as x-api-key', () => envoy, async () => {
      const from = backend.requests.length;
      const r = await postJson(`${envoy.url}?api_key=good%20key`, first, { 'mcp-protocol-version': PROTOCOL });
      assert.equal(r.status, 200, r.text);
      const seen = backend.requests.slice(from);
      assert.ok(seen.length > 0);
      for (const q of seen) {
        assert.equal(q.headers['x-api-key'], 'good key', `${q.method} ${q.body?.method}`);
        assert.ok(!q.path.includes('api_key'), `the client's query credential travelled on: ${q.path}`);
      }
    });
  });
}
