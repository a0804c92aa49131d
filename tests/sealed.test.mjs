// E2E: sealed session ids (`server.sessionKeys`) make a pass-through session work on any Envoy
// that holds the keys. Two Envoy processes (distinct --base-id, --disable-hot-restart: no
// shared memory, no shared data) front one full SDK backend; one SDK client whose fetch sends
// each request to the next Envoy in turn keeps a whole session (initialize, tools, resources,
// the GET stream, DELETE), and keeps it when one Envoy is replaced by a fresh process in the
// middle. Without keys the same client loses its session at the second request: the control
// that shows the test measures what it claims.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BACKEND_SESSION_NOT_FOUND, FULL_TOOLS, NOTE_IDS, startFullBackend } from '../examples/backend/full-server.mjs';
import { postJson, startEnvoy, wasmFailures, withEnvoyLog } from './support/envoy.mjs';
import {
  PROTOCOL, SEALED_ID, SESSION_HEADER, newSessionKey, note, roundRobinFetch, sealedConfig, sessionPost, waitFor,
} from './support/fleet.mjs';

const TEST_TIMEOUT = 90000;

/** An SDK client on `ports` in turn; notifications land in `notifications`, exchanges in `served`. */
async function fleetClient(url, ports) {
  const served = [];
  const notifications = [];
  const errors = [];
  const client = new Client({ name: 'fleet-e2e', version: '1.0.0' }, { capabilities: {} });
  client.fallbackNotificationHandler = async (n) => { notifications.push(n); };
  client.onerror = (e) => errors.push(e);
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: roundRobinFetch(ports, served),
    // A GET stream cut by a stopped Envoy is reopened promptly, on the next Envoy in turn.
    reconnectionOptions: { initialReconnectionDelay: 50, maxReconnectionDelay: 500, reconnectionDelayGrowFactor: 1.5, maxRetries: 40 },
  });
  await client.connect(transport);
  return { client, transport, served, notifications, errors };
}

/** The one backend session opened since `known` (a copy of issuedSessionIds taken before). */
function newBackendId(backend, known) {
  const fresh = [...backend.issuedSessionIds].filter((id) => !known.has(id));
  assert.equal(fresh.length, 1, `expected one new backend session, got ${fresh.length}`);
  return fresh[0];
}

/** Subscribes, touches and waits for notifications/resources/updated on the GET stream. */
async function updateArrives(s, uri) {
  await s.client.subscribeResource({ uri });
  const from = s.notifications.length;
  const r = await s.client.callTool({ name: 'touch', arguments: { uri } });
  assert.equal(r.content[0].text, `touched ${uri}`);
  await waitFor(() => s.notifications.slice(from).some((n) => n.method === 'notifications/resources/updated' && n.params?.uri === uri),
    `notifications/resources/updated for ${uri} on the GET stream`, 10000);
  await s.client.unsubscribeResource({ uri });
}

/** Asserts no log holds key material, the sealed id, or a wasm failure. */
function assertCleanLogs(envoys, secrets) {
  for (const e of envoys) {
    const log = e.log();
    assert.deepEqual(wasmFailures(log), [], `wasm failures in ${e.url}`);
    for (const s of secrets) assert.equal(log.includes(s), false, `the log of ${e.url} holds a secret or a session id`);
  }
}

describe('sealed session ids: one SDK client across two Envoy processes', () => {
  const key = newSessionKey();
  let backend;
  let a;
  let b;
  const extra = [];
  before(async () => {
    backend = await startFullBackend();
    a = await startEnvoy({ pluginConfig: sealedConfig(backend, [key]), backendPort: backend.port });
    b = await startEnvoy({ pluginConfig: sealedConfig(backend, [key]), backendPort: backend.port });
  });
  after(async () => {
    for (const e of extra) await e.stop();
    await a?.stop();
    await b?.stop();
    await backend?.close();
  });
  const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(a, () => withEnvoyLog(b, fn)));

  test('initialize, tools, resources, prompts, the GET stream and DELETE, alternating between the Envoys', async () => {
    const known = new Set(backend.issuedSessionIds);
    const from = backend.requests.length;
    const s = await fleetClient(a.url, [a.port, b.port]);
    try {
      const gid = s.transport.sessionId;
      assert.match(gid ?? '', SEALED_ID);
      const bid = newBackendId(backend, known);
      assert.equal(s.client.getServerVersion()?.name, 'full-backend');

      const { tools } = await s.client.listTools();
      assert.deepEqual(tools.map((t) => t.name), FULL_TOOLS);
      assert.deepEqual(await s.client.callTool({ name: 'echo', arguments: { text: 'across the fleet' } }),
        { content: [{ type: 'text', text: 'across the fleet' }] });
      const { resources } = await s.client.listResources();
      for (const id of NOTE_IDS) assert.ok(resources.some((r) => r.uri === `memo://notes/${id}`));
      assert.equal((await s.client.readResource({ uri: 'memo://readme' })).contents[0].text, 'Hello from the full backend');
      const { prompts } = await s.client.listPrompts();
      assert.deepEqual(prompts.map((p) => p.name).sort(), ['greet', 'summarize']);
      await s.client.ping();
      await waitFor(() => backend.requests.slice(from).some((r) => r.method === 'GET' && r.headers[SESSION_HEADER] === bid), 'the GET stream at the backend');
      await updateArrives(s, 'memo://readme');

      // Both Envoys served the session, every exchange succeeded, and the backend only ever
      // saw its own session id.
      const ok = s.served.filter((e) => e.status >= 200 && e.status < 300);
      assert.equal(ok.length, s.served.length, JSON.stringify(s.served));
      for (const port of [a.port, b.port]) {
        assert.ok(ok.filter((e) => e.port === port && e.method === 'POST').length >= 4, `port ${port}: ${JSON.stringify(s.served)}`);
      }
      assert.ok(ok.some((e) => e.method === 'GET'), 'the GET stream went through the fleet');
      const mine = backend.requests.slice(from).filter((r) => r.headers[SESSION_HEADER] !== undefined);
      assert.ok(mine.length >= 10);
      for (const r of mine) assert.equal(r.headers[SESSION_HEADER], bid);

      // DELETE reaches the backend with its own id and ends the backend session. A sealed id
      // cannot be revoked: presented again, it opens, and the backend's own 404 comes back.
      await s.transport.terminateSession();
      const del = backend.requests.slice(from).filter((r) => r.method === 'DELETE');
      assert.equal(del.length, 1);
      assert.equal(del[0].headers[SESSION_HEADER], bid);
      assert.equal(backend.sessions.has(bid), false);
      for (const e of [a, b]) {
        const after = await sessionPost(e.url, gid, { jsonrpc: '2.0', id: 9, method: 'tools/list' });
        assert.equal(after.status, 404, after.text);
        assert.match(after.text, new RegExp(BACKEND_SESSION_NOT_FOUND.replace(/[()]/g, '\\$&')));
      }
      assertCleanLogs([a, b], [key, gid]);
    } finally {
      await s.client.close();
    }
  });

  test('restart: one Envoy is replaced by a new process in the middle of the session, which goes on', async () => {
    const known = new Set(backend.issuedSessionIds);
    const from = backend.requests.length;
    const s = await fleetClient(a.url, [a.port, b.port]);
    try {
      const bid = newBackendId(backend, known);
      await waitFor(() => backend.requests.slice(from).some((r) => r.method === 'GET' && r.headers[SESSION_HEADER] === bid), 'the GET stream at the backend');
      assert.equal((await s.client.callTool({ name: 'echo', arguments: { text: 'before' } })).content[0].text, 'before');
      // Replace the Envoy that holds the GET stream: the stream is cut, the client reopens it.
      const get = s.served.find((e) => e.method === 'GET' && e.status === 200);
      const old = get.port === a.port ? a : b;
      const pid = old.pid;
      await old.stop();
      const fresh = await startEnvoy({ pluginConfig: sealedConfig(backend, [key]), backendPort: backend.port, listenPort: old.port });
      extra.push(fresh);
      assert.notEqual(fresh.pid, pid);
      assert.equal(fresh.port, old.port);
      const mark = s.served.length;

      const { tools } = await s.client.listTools();
      assert.deepEqual(tools.map((t) => t.name), FULL_TOOLS);
      for (const text of ['after 1', 'after 2', 'after 3']) {
        assert.equal((await s.client.callTool({ name: 'echo', arguments: { text } })).content[0].text, text);
      }
      assert.equal((await s.client.readResource({ uri: 'memo://notes/alpha' })).contents[0].text, 'note alpha');
      await updateArrives(s, 'memo://logo');
      const later = s.served.slice(mark).filter((e) => e.method === 'POST');
      assert.ok(later.some((e) => e.port === fresh.port && e.status === 200), `the new process served the session: ${JSON.stringify(later)}`);
      assert.ok(later.every((e) => e.status >= 200 && e.status < 300), JSON.stringify(later));
      // Still the one backend session, and the gateway id never changed.
      assert.equal(newBackendId(backend, known), bid);
      assert.ok(backend.sessions.has(bid));
      await s.transport.terminateSession();
      assert.equal(backend.sessions.has(bid), false);
      assertCleanLogs([fresh], [key]);
    } finally {
      await s.client.close();
    }
  });
});

describe('control: without sessionKeys the same client cannot use two Envoys', () => {
  let backend;
  let a;
  let b;
  before(async () => {
    backend = await startFullBackend();
    const config = { server: { name: 'fleet', type: 'mcp-passthrough', mcpServerURL: backend.url } };
    a = await startEnvoy({ pluginConfig: config, backendPort: backend.port });
    b = await startEnvoy({ pluginConfig: config, backendPort: backend.port });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await backend?.close();
  });

  it('the shared-data id issued by one Envoy is unknown to the other: 404 at the second request', { timeout: TEST_TIMEOUT }, async () => {
    const init = await postJson(a.url, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'c', version: '0' } } });
    const gid = init.headers[SESSION_HEADER];
    assert.match(gid ?? '', /^[A-Za-z0-9_-]{26}$/);
    assert.equal((await sessionPost(a.url, gid, note('notifications/initialized'))).status, 202);
    assert.equal((await sessionPost(b.url, gid, note('notifications/initialized'))).status, 404);
    await assert.rejects(fleetClient(a.url, [a.port, b.port]), (err) => /\b404\b/.test(`${err.code} ${err.message}`));
  });
});
