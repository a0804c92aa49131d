// E2E: terminating mode keeps backend sessions across client requests (2025-era backends), so
// that a client call costs one backend request in steady state:
//   - per backend kind, the backend requests of one client call once warm: SDK 1.x stateful
//     (its kept session), SDK 1.x stateless (no handshake at all), SDK v2 modern (one POST);
//   - a kept session the backend no longer knows (404) is re-initialized and the call retried,
//     within the same client request;
//   - two different upstream credentials never share a backend session;
//   - a kept session idle past server.backendSessionIdleTimeout is ended with DELETE, carrying
//     the credential it was opened with; with the timeout 0 nothing is kept (a handshake and a
//     DELETE per call, the pre-reuse behaviour).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startBackend } from '../examples/backend/server.mjs';
import { startModernBackend } from '../examples/backend/modern-server.mjs';
import { startEnvoy, withEnvoyLog } from './support/envoy.mjs';
import { eventually } from './support/wait.mjs';

const TEST_TIMEOUT = 30000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Terminating config for `backend`; `server` overrides. */
function config(backend, server = {}, top = {}) {
  return { server: { name: 'reuse', type: 'mcp-proxy', mcpServerURL: backend.url, timeout: 5000, ...server }, ...top };
}

async function connect(url, headers) {
  const client = new Client({ name: 'reuse-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), headers ? { requestInit: { headers } } : undefined));
  return client;
}

/** The backend's requests since `from`, as `POST <method>` / `DELETE`. */
const seen = (backend, from) => backend.requests.slice(from).map((r) => (r.method === 'POST' ? `POST ${r.body?.method}` : r.method));

/** One gateway per test body; both stopped afterwards. */
async function withGateway(backend, pluginConfig, fn) {
  const envoy = await startEnvoy({ pluginConfig, backendPort: backend.port });
  try {
    await withEnvoyLog(envoy, () => fn(envoy));
  } finally {
    await envoy.stop();
    await backend.close();
  }
}

describe('backend requests per client call, once warm', () => {
  const kinds = {
    'SDK 1.x stateful': { start: () => startBackend(), warm: ['POST server/discover', 'POST initialize', 'POST notifications/initialized', 'POST tools/call'] },
    'SDK 1.x stateless': { start: () => startBackend({ stateless: true }), warm: ['POST server/discover', 'POST initialize', 'POST notifications/initialized', 'POST tools/call'] },
    'SDK v2 modern-only': { start: () => startModernBackend({ legacy: 'reject' }), warm: ['POST server/discover', 'POST tools/call'] },
  };
  for (const [kind, { start, warm }] of Object.entries(kinds)) {
    it(`${kind}: the first call learns what it must, then exactly one request per call`, { timeout: TEST_TIMEOUT }, async () => {
      const backend = await start();
      await withGateway(backend, config(backend), async (envoy) => {
        const client = await connect(envoy.url);
        try {
          const from = backend.requests.length;
          await client.callTool({ name: 'echo', arguments: { text: 'warm' } });
          assert.deepEqual(seen(backend, from), warm);
          for (let i = 0; i < 5; i++) {
            const before = backend.requests.length;
            const r = await client.callTool({ name: 'echo', arguments: { text: `n${i}` } });
            assert.equal(r.content[0].text, `n${i}`);
            assert.deepEqual(seen(backend, before), ['POST tools/call'], `call ${i}`);
            const list = backend.requests.length;
            await client.listTools();
            assert.deepEqual(seen(backend, list), ['POST tools/list'], `list ${i}`);
          }
        } finally {
          await client.close();
        }
      });
    });
  }
});

describe('a kept session the backend no longer knows', () => {
  it('404 → initialize again and retry, within the same client request', { timeout: TEST_TIMEOUT }, async () => {
    const backend = await startBackend();
    await withGateway(backend, config(backend), async (envoy) => {
      const client = await connect(envoy.url);
      try {
        await client.callTool({ name: 'echo', arguments: { text: 'a' } });
        const [sid] = [...backend.sessions.keys()];
        assert.ok(sid, 'a backend session is open');
        // The backend forgets the session (as on a restart or its own expiry).
        await backend.sessions.get(sid).transport.close();
        assert.equal(backend.sessions.has(sid), false);
        const from = backend.requests.length;
        const r = await client.callTool({ name: 'echo', arguments: { text: 'after' } });
        assert.equal(r.content[0].text, 'after');
        assert.deepEqual(seen(backend, from), ['POST tools/call', 'POST initialize', 'POST notifications/initialized', 'POST tools/call']);
        const [stale, , , retried] = backend.requests.slice(from);
        assert.equal(stale.headers['mcp-session-id'], sid);
        assert.notEqual(retried.headers['mcp-session-id'], sid);
        assert.ok(backend.sessions.has(retried.headers['mcp-session-id']), 'the new session is open');
        // And it is the one kept from now on.
        const next = backend.requests.length;
        await client.callTool({ name: 'echo', arguments: { text: 'again' } });
        assert.deepEqual(seen(backend, next), ['POST tools/call']);
        assert.equal(backend.requests.at(-1).headers['mcp-session-id'], retried.headers['mcp-session-id']);
      } finally {
        await client.close();
      }
    });
  });
});

describe('credentials', () => {
  it('two different upstream credentials never share a backend session', { timeout: TEST_TIMEOUT }, async () => {
    const backend = await startBackend();
    const pluginConfig = config(backend, {
      securitySchemes: [
        { id: 'ClientBearer', type: 'http', scheme: 'bearer' },
        { id: 'BackendKey', type: 'apiKey', in: 'header', name: 'x-backend-key' },
      ],
      defaultDownstreamSecurity: { id: 'ClientBearer', passthrough: true },
      defaultUpstreamSecurity: { id: 'BackendKey' },
    });
    await withGateway(backend, pluginConfig, async (envoy) => {
      const alice = await connect(envoy.url, { authorization: 'Bearer alice-token' });
      const bob = await connect(envoy.url, { authorization: 'Bearer bob-token' });
      try {
        const from = backend.requests.length;
        for (const c of [alice, bob, alice, bob, alice]) await c.callTool({ name: 'echo', arguments: { text: 'x' } });
        const calls = backend.requests.slice(from).filter((r) => r.body?.method === 'tools/call');
        const sessionOf = {};
        for (const r of calls) {
          const key = r.headers['x-backend-key'];
          assert.ok(['alice-token', 'bob-token'].includes(key), `credential ${key}`);
          sessionOf[key] ??= r.headers['mcp-session-id'];
          assert.equal(r.headers['mcp-session-id'], sessionOf[key], `${key} keeps its own session`);
        }
        assert.notEqual(sessionOf['alice-token'], sessionOf['bob-token']);
        // Each session was opened with its own credential.
        const inits = backend.requests.slice(from).filter((r) => r.body?.method === 'initialize').map((r) => r.headers['x-backend-key']);
        assert.deepEqual(inits.sort(), ['alice-token', 'bob-token']);
      } finally {
        await alice.close();
        await bob.close();
      }
    });
  });
});

describe('ending kept sessions', () => {
  it('idle past server.backendSessionIdleTimeout → DELETE with the opening credential; the next call shakes hands again', { timeout: TEST_TIMEOUT }, async () => {
    const backend = await startBackend();
    const idleS = 1;
    const pluginConfig = config(backend, {
      backendSessionIdleTimeout: idleS,
      securitySchemes: [{ id: 'BackendKey', type: 'apiKey', in: 'header', name: 'x-backend-key', defaultCredential: 'svc-key' }],
      defaultUpstreamSecurity: { id: 'BackendKey' },
    });
    await withGateway(backend, pluginConfig, async (envoy) => {
      const client = await connect(envoy.url);
      try {
        await client.callTool({ name: 'echo', arguments: { text: 'a' } });
        const sid = backend.requests.findLast((r) => r.body?.method === 'tools/call').headers['mcp-session-id'];
        // The sweep runs every second on every worker: the DELETE comes within a few idle periods.
        await eventually(() => backend.requests.some((r) => r.method === 'DELETE'), idleS * 1000 * 8);
        const del = backend.requests.filter((r) => r.method === 'DELETE');
        assert.equal(del.length, 1, 'exactly one DELETE');
        assert.equal(del[0].headers['mcp-session-id'], sid);
        assert.equal(del[0].headers['x-backend-key'], 'svc-key');
        assert.equal(del[0].path, '/mcp');
        await eventually(() => !backend.sessions.has(sid), 5000);
        const from = backend.requests.length;
        await client.callTool({ name: 'echo', arguments: { text: 'b' } });
        assert.deepEqual(seen(backend, from), ['POST initialize', 'POST notifications/initialized', 'POST tools/call']);
      } finally {
        await client.close();
      }
    });
  });

  it('backendSessionIdleTimeout 0 keeps nothing: a handshake and a DELETE for every call', { timeout: TEST_TIMEOUT }, async () => {
    const backend = await startBackend();
    await withGateway(backend, config(backend, { backendSessionIdleTimeout: 0 }), async (envoy) => {
      const client = await connect(envoy.url);
      try {
        await client.callTool({ name: 'echo', arguments: { text: 'warm' } });
        await sleep(100);
        const from = backend.requests.length;
        await client.callTool({ name: 'echo', arguments: { text: 'x' } });
        await eventually(() => seen(backend, from).includes('DELETE'), 5000);
        assert.deepEqual(seen(backend, from), ['POST initialize', 'POST notifications/initialized', 'POST tools/call', 'DELETE']);
        const [, , call, del] = backend.requests.slice(from);
        assert.equal(del.headers['mcp-session-id'], call.headers['mcp-session-id']);
      } finally {
        await client.close();
      }
    });
  });
});
