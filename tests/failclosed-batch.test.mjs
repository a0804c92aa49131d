// E2E, pass-through mode: JSON-RPC batches (arrays; protocol 2025-03-26 allows them, and the
// TypeScript SDK server accepts them). Every tools/call in a batch is checked: a denied tool
// anywhere refuses the whole batch (-32602 "Tool not allowed: <name>" for that id, nothing
// forwarded); each tool's downstream credential requirement holds (a required credential
// missing for ANY tool → 401); tools that need different upstream credentials cannot share one
// forwarded request (400, -32600). Before the fix, only the first tools/call chose the
// credentials: `[echo, add]` ran `add` without the credential it requires.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertNotExecuted, assertRpcError, gwTest, messagesOf, openSession, ptConfig, rpc, sessionPost, startGateway,
  startRecordingBackend,
} from './support/failclosed.mjs';

const echo = (id, text = 'e') => rpc(id, 'tools/call', { name: 'echo', arguments: { text } });
const add = (id) => rpc(id, 'tools/call', { name: 'add', arguments: { a: 1, b: 2 } });

describe('fail-closed batches: allowTools', () => {
  let backend;
  let envoy;
  before(async () => {
    backend = await startRecordingBackend('ts');
    envoy = await startGateway(backend, ptConfig(backend, { allowTools: ['echo'] }));
  });
  after(async () => {
    await envoy?.stop();
    await backend?.close();
  });

  gwTest('a denied tools/call anywhere in a batch refuses the whole batch (-32602 for its id), nothing forwarded', () => envoy, async () => {
    const gid = await openSession(envoy.url);
    const batches = {
      'denied last': [echo(1), add(2)],
      'denied first': [add(3), echo(4)],
      'denied in the middle, after a notification': [echo(5), { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 1 } }, add(6), rpc(7, 'ping')],
      'denied after a tools/list': [rpc(8, 'tools/list'), add(9)],
    };
    const deniedIds = { 'denied last': 2, 'denied first': 3, 'denied in the middle, after a notification': 6, 'denied after a tools/list': 9 };
    for (const [what, batch] of Object.entries(batches)) {
      const before = await backend.executed();
      const from = backend.requests.length;
      const r = await sessionPost(envoy.url, gid, batch);
      await assertNotExecuted(backend, ['add', 'echo'], before, what);
      assert.deepEqual(backend.requests.slice(from).map((q) => q.text), [], `${what}: forwarded`);
      assert.equal(r.status, 200, `${what}: HTTP ${r.status}: ${r.text}`);
      const errors = messagesOf(r).filter((m) => m.error);
      assert.deepEqual(errors, [{ jsonrpc: '2.0', id: deniedIds[what], error: { code: -32602, message: 'Tool not allowed: add' } }], `${what}: ${r.text}`);
    }
  });

  gwTest('control: a batch of allowed calls is forwarded and answered', () => envoy, async () => {
    const gid = await openSession(envoy.url);
    const before = await backend.executed();
    const r = await sessionPost(envoy.url, gid, [echo(11, 'x'), echo(12, 'y')]);
    assert.equal(r.status, 200, r.text);
    const texts = Object.fromEntries(messagesOf(r).map((m) => [m.id, m.result?.content?.[0]?.text]));
    assert.deepEqual(texts, { 11: 'x', 12: 'y' });
    assert.deepEqual((await backend.executed()).slice(before.length), ['echo', 'echo']);
  });
});

describe('fail-closed batches: per-tool credentials', () => {
  let backend;
  let envoy;
  const schemes = [
    { id: 'AddKey', type: 'apiKey', in: 'header', name: 'x-add-key' },
    { id: 'BackendA', type: 'apiKey', in: 'header', name: 'x-backend-key', defaultCredential: 'key-a' },
    { id: 'BackendB', type: 'http', scheme: 'bearer', defaultCredential: 'key-b' },
  ];
  before(async () => {
    backend = await startRecordingBackend('ts');
    envoy = await startGateway(backend, ptConfig(backend, {
      server: { securitySchemes: schemes, defaultUpstreamSecurity: { id: 'BackendA' } },
      tools: [
        // add: the client must present x-add-key; the backend then gets key-a as for everything else.
        { name: 'add', security: { id: 'AddKey', required: true } },
        // image: the backend wants a different credential (Bearer key-b).
        { name: 'image', requestTemplate: { security: { id: 'BackendB' } } },
      ],
    }));
  });
  after(async () => {
    await envoy?.stop();
    await backend?.close();
  });

  gwTest('a required credential missing for ANY tool of the batch → 401, nothing forwarded', () => envoy, async () => {
    const gid = await openSession(envoy.url);
    for (const [what, batch] of Object.entries({ '[echo, add]': [echo(21), add(22)], '[add, echo]': [add(23), echo(24)] })) {
      const before = await backend.executed();
      const from = backend.requests.length;
      const r = await sessionPost(envoy.url, gid, batch);
      await assertNotExecuted(backend, ['add', 'echo'], before, `${what} without x-add-key`);
      assert.deepEqual(backend.requests.slice(from).map((q) => q.text), [], `${what}: forwarded`);
      assertRpcError(r, 401, -32001, `${what} without x-add-key`);
      assert.match(r.headers['www-authenticate'] ?? '', /^ApiKey realm="mcp"/, `${what}: WWW-Authenticate`);
    }
    // With the credential the same batch runs.
    const before = await backend.executed();
    const ok = await sessionPost(envoy.url, gid, [echo(25), add(26)], { 'x-add-key': 'client-add' });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual((await backend.executed()).slice(before.length).sort(), ['add', 'echo']);
  });

  gwTest('tools needing different upstream credentials in one batch → 400 -32600, nothing forwarded', () => envoy, async () => {
    const gid = await openSession(envoy.url);
    const image = (id) => rpc(id, 'tools/call', { name: 'image', arguments: {} });
    for (const [what, batch] of Object.entries({ '[echo, image]': [echo(31), image(32)], '[image, echo]': [image(33), echo(34)] })) {
      const before = await backend.executed();
      const from = backend.requests.length;
      const r = await sessionPost(envoy.url, gid, batch);
      await assertNotExecuted(backend, ['image', 'echo'], before, what);
      assert.deepEqual(backend.requests.slice(from).map((q) => `${q.text} (x-backend-key ${q.headers['x-backend-key']}, authorization ${q.headers.authorization})`), [], `${what}: forwarded`);
      assertRpcError(r, 400, -32600, what);
    }
    // Each alone carries its own credential.
    const from = backend.requests.length;
    assert.equal((await sessionPost(envoy.url, gid, image(35))).status, 200);
    assert.equal((await sessionPost(envoy.url, gid, echo(36))).status, 200);
    const seen = backend.requests.slice(from).map((q) => [q.body?.params?.name, q.headers['x-backend-key'] ?? null, q.headers.authorization ?? null]);
    assert.deepEqual(seen, [['image', null, 'Bearer key-b'], ['echo', 'key-a', null]]);
  });
});
