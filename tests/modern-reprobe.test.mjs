// E2E: terminating mode (`mcp-proxy`) learns each backend's era once (server/discover,
// cached 300 s in shared data). A cached era that turns out wrong — a legacy backend replaced
// by a modern-only one (its kept session's call refused, initialize → -32022), or a modern one
// replaced by a legacy one (the modern call refused with 400 and no modern error) — is probed
// again with discover, once, within the same client request. The replacement listens on the same port, so the
// gateway's configuration (and its cache key) is unchanged.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBackend } from '../examples/backend/server.mjs';
import { startModernBackend } from '../examples/backend/modern-server.mjs';
import { startEnvoy, withEnvoyLog } from './support/envoy.mjs';
import { eventually } from './support/wait.mjs';
import { MODERN, modernPost, postsSince, sleep, stopGateway, termConfig } from './support/modern.mjs';

const TEST_TIMEOUT = 20000;

describe('a cached era that turns out wrong is probed again, within one client request', () => {
  /** Gateway in front of whatever listens on one port; `swap(start)` replaces the backend. */
  const g = {};
  before(async () => {
    g.backend = await startBackend();
    g.port = g.backend.port;
    g.envoy = await startEnvoy({ pluginConfig: termConfig(g.backend), backendPort: g.port });
  });
  after(async () => {
    await g.backend?.close();
    await stopGateway(g.envoy);
  });
  const swap = async (start) => {
    await g.backend.close();
    g.backend = await start(g.port);
  };
  const call = async (id) => {
    const reply = await modernPost(g.envoy.url, id, 'tools/call', { name: 'echo', arguments: { text: `call ${id}` } });
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.json.result.content, [{ type: 'text', text: `call ${id}` }], reply.text);
  };
  const methods = (from = 0) => postsSince(g.backend, from).map((r) => r.body?.method);
  const etest = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(g.envoy, fn));

  etest('legacy learned, then a modern-only backend on the same port: kept session refused → initialize → -32022 → discover → call', async () => {
    await call(1);
    assert.deepEqual(methods(), ['server/discover', 'initialize', 'notifications/initialized', 'tools/call']);
    await call(2);
    assert.deepEqual(methods(), ['server/discover', 'initialize', 'notifications/initialized', 'tools/call', 'tools/call'],
      'the legacy era and the backend session are kept');
    await swap((port) => startModernBackend({ legacy: 'reject', port }));
    await call(3);
    assert.deepEqual(methods(), ['tools/call', 'initialize', 'server/discover', 'tools/call']);
    await call(4);
    assert.deepEqual(methods(), ['tools/call', 'initialize', 'server/discover', 'tools/call', 'tools/call'], 'the modern era is cached now');
    await sleep(50);
    assert.deepEqual(g.backend.requests.filter((r) => r.method !== 'POST'), [], 'no session, so no DELETE');
  });

  etest('modern learned, then an SDK 1.x stateful backend on the same port: call refused → discover → handshake → call', async () => {
    await swap((port) => startBackend({ port }));
    await call(5);
    // Legacy again: the session kept from the first backend is tried (this backend never issued
    // it: 404), then a handshake.
    assert.deepEqual(methods(), ['tools/call', 'server/discover', 'tools/call', 'initialize', 'notifications/initialized', 'tools/call']);
    assert.equal(postsSince(g.backend, 0)[0].headers['mcp-protocol-version'], MODERN, 'the first try was modern');
    const from = g.backend.requests.length;
    await call(6);
    assert.deepEqual(methods(from), ['tools/call'], 'the legacy era and the new backend session are kept');
    assert.equal(postsSince(g.backend, from)[0].headers['mcp-session-id'], postsSince(g.backend, 0).at(-2).headers['mcp-session-id']);
  });
});
