// E2E: pass-through Origin checks and CORS in real Envoy: preflights answered locally, foreign
// origins refused before the backend, CORS headers on proxied and local replies.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startBackend } from '../examples/backend/server.mjs';
import { nodeFetch, postJson, rawRequest, withEnvoyLog } from './support/envoy.mjs';
import {
  TEST_TIMEOUT, SESSION_HEADER, rpc, INIT_PARAMS, startGateway, connect, waitFor,
  assertGateway404,
} from './support/passthrough.mjs';

// ---------------------------------------------------------------------------------------------
// 9. Origin and CORS.

describe('pass-through: Origin checks and CORS', () => {
  let backend;
  let listed; // cors.allowOrigins: ['https://app.example']
  let loopback; // default: loopback origins only
  before(async () => {
    backend = await startBackend();
    listed = await startGateway(backend, { server: { cors: { allowOrigins: ['https://app.example'] } } });
    loopback = await startGateway(backend);
  });
  after(async () => {
    await listed?.stop();
    await loopback?.stop();
    await backend?.close();
  });
  const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(listed, () => withEnvoyLog(loopback, fn)));

  const preflight = (envoy, origin) => rawRequest(envoy.url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, mcp-session-id, mcp-protocol-version' },
  });

  function assertPreflightOk(r, origin) {
    assert.equal(r.status, 204, `${origin}: HTTP ${r.status}: ${r.text}`);
    assert.equal(r.headers['access-control-allow-origin'], origin);
    const methods = (r.headers['access-control-allow-methods'] ?? '').split(',').map((m) => m.trim());
    for (const m of ['GET', 'POST', 'DELETE']) assert.ok(methods.includes(m), `${m} in ${methods}`);
    const allowHeaders = (r.headers['access-control-allow-headers'] ?? '').toLowerCase();
    for (const h of ['content-type', 'mcp-session-id', 'mcp-protocol-version']) assert.ok(allowHeaders.includes(h), `${h} in ${allowHeaders}`);
    assert.equal(r.text, '');
  }

  test('preflight from the configured origin and from loopback origins (default) → 204, answered locally', async () => {
    const from = backend.requests.length;
    assertPreflightOk(await preflight(listed, 'https://app.example'), 'https://app.example');
    for (const origin of ['http://localhost', 'http://localhost:5173', 'https://localhost:8443', 'http://127.0.0.1:3000', 'http://[::1]:6274']) {
      assertPreflightOk(await preflight(loopback, origin), origin);
    }
    assert.deepEqual(backend.requests.slice(from), []);
  });

  test('a foreign origin → 403 before the backend (POST, GET, DELETE, OPTIONS)', async () => {
    const from = backend.requests.length;
    const cases = [
      [listed, 'https://evil.example'], [listed, 'http://localhost:5173'], [listed, 'https://app.example.evil.com'],
      [listed, 'http://app.example'], [loopback, 'https://evil.example'], [loopback, 'http://localhost.evil.example'],
      [loopback, 'http://127.0.0.1.nip.io'], [loopback, 'null'], [loopback, 'file://'], [loopback, 'https://app.example'],
    ];
    for (const [envoy, origin] of cases) {
      const init = await postJson(envoy.url, rpc(1, 'initialize', INIT_PARAMS), { origin });
      assert.equal(init.status, 403, `POST from ${origin}: HTTP ${init.status}: ${init.text}`);
      assert.equal(init.headers[SESSION_HEADER], undefined);
      assert.equal(init.headers['access-control-allow-origin'], undefined);
      for (const method of ['GET', 'DELETE']) {
        const r = await rawRequest(envoy.url, { method, headers: { origin, accept: 'text/event-stream' } });
        assert.equal(r.status, 403, `${method} from ${origin}: HTTP ${r.status}`);
      }
      const p = await preflight(envoy, origin);
      assert.equal(p.status, 403, `OPTIONS from ${origin}: HTTP ${p.status}`);
      assert.equal(p.headers['access-control-allow-origin'], undefined);
    }
    assert.deepEqual(backend.requests.slice(from), [], 'the backend saw a refused request');
  });

  test('SDK client from an allowed origin: every response carries the CORS headers', async () => {
    for (const [envoy, origin] of [[listed, 'https://app.example'], [loopback, 'http://localhost:5173']]) {
      const log = [];
      const s = await connect(envoy.url, { headers: { Origin: origin }, fetch: nodeFetch(log) });
      try {
        assert.equal((await s.client.callTool({ name: 'echo', arguments: { text: 'cors' } })).content[0].text, 'cors');
        await s.client.listTools();
        await waitFor(() => log.some((e) => e.method === 'GET'), 'the GET stream');
        await s.transport.terminateSession();
      } finally {
        await s.client.close().catch(() => {});
      }
      assert.deepEqual([...new Set(log.map((e) => e.method))].sort(), ['DELETE', 'GET', 'POST']);
      for (const e of log) {
        assert.equal(e.headers['access-control-allow-origin'], origin, `${e.method} → ${e.status}`);
        assert.match(e.headers['access-control-expose-headers'] ?? '', /mcp-session-id/i, `${e.method} → ${e.status}`);
      }
      assert.ok(backend.requests.some((r) => r.headers.origin === origin), 'the origin header goes on to the backend');
    }
  });

  test('local replies to an allowed origin carry the CORS headers too (unknown-session 404)', async () => {
    const r = await postJson(listed.url, rpc(1, 'ping'), { origin: 'https://app.example', [SESSION_HEADER]: randomBytes(16).toString('base64url') });
    assertGateway404(r, 'unknown session');
    assert.equal(r.headers['access-control-allow-origin'], 'https://app.example');
    assert.match(r.headers['access-control-expose-headers'] ?? '', /mcp-session-id/i);
  });

  test('no Origin: served normally, no CORS headers', async () => {
    const s = await connect(listed.url, { fetch: nodeFetch() });
    try {
      assert.equal((await s.client.callTool({ name: 'echo', arguments: { text: 'plain' } })).content[0].text, 'plain');
    } finally {
      await s.client.close().catch(() => {});
    }
    const r = await postJson(listed.url, rpc(1, 'initialize', INIT_PARAMS));
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
    // OPTIONS without Origin is no CORS preflight: answered locally with the methods the
    // pass-through endpoint serves, and no CORS headers.
    const from = backend.requests.length;
    const o = await rawRequest(listed.url, { method: 'OPTIONS' });
    assert.equal(o.status, 204, `OPTIONS without Origin: ${o.status}`);
    assert.equal(o.headers.allow, 'GET, POST, DELETE, OPTIONS');
    assert.equal(o.text, '');
    assert.equal(o.headers['access-control-allow-origin'], undefined);
    assert.deepEqual(backend.requests.slice(from), [], 'OPTIONS reached the backend');
  });
});
