// E2E, pass-through mode: gateway sessions fail closed.
//   - server.maxSessions bounds live sessions: the one over the limit gets 503 (JSON-RPC error
//     naming the limit) and no session id; expiry or DELETE frees places again.
//   - a gateway session id is bound to the downstream credential that opened it (the
//     configured downstream scheme's credential, or without a scheme the raw Authorization
//     header): another credential gets 404 (-32001) and the backend is not contacted.
//   - DELETE drops the mapping only once the backend accepted it (2xx, or 404 = already gone);
//     a backend that refuses DELETE (405, allowed by the spec) keeps the session usable.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { rpcResult, initializeResult, sendJson, startHttpBackend } from './support/backends.mjs';
import { postJson, rawRequest } from './support/envoy.mjs';
import {
  INIT_PARAMS, PROTOCOL, SESSION_HEADER, assertRpcError, gwTest, messagesOf, openSession, ptConfig, rpc, sessionPost,
  sleep, startGateway, startRecordingBackend,
} from './support/failclosed.mjs';

const echo = (id, text = 'e') => rpc(id, 'tools/call', { name: 'echo', arguments: { text } });

/** Polls fn() until it returns a truthy value or timeoutMs passes; returns the last value. */
async function poll(fn, timeoutMs, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > deadline) return v;
    await sleep(everyMs);
  }
}

describe('fail-closed sessions: server.maxSessions', () => {
  const IDLE_S = 2;
  let backend;
  let envoy;
  before(async () => {
    backend = await startRecordingBackend('ts');
    envoy = await startGateway(backend, ptConfig(backend, { server: { maxSessions: 3, sessionIdleTimeout: IDLE_S } }));
  });
  after(async () => {
    await envoy?.stop();
    await backend?.close();
  });

  /**
   * Asserts the over-the-limit reply: HTTP 503, a JSON-RPC error (its code is not pinned: any
   * integer JSON-RPC error code) whose message names the limit, no session id anywhere.
   */
  function assertOverLimit(r, knownBackendIds, what) {
    assert.equal(r.status, 503, `${what}: HTTP ${r.status}: ${r.text.slice(0, 200)}`);
    assert.equal(r.json?.jsonrpc, '2.0', `${what}: ${r.text}`);
    assert.ok(Number.isInteger(r.json.error?.code) && r.json.error.code < 0, `${what}: error code ${r.json.error?.code}`);
    assert.match(r.json.error.message, /limit|maximum|too many/i, `${what}: ${r.text}`);
    assert.equal(r.headers[SESSION_HEADER], undefined, `${what}: a session id was handed out`);
    for (const bid of knownBackendIds) assert.ok(!JSON.stringify(r.headers).includes(bid) && !r.text.includes(bid), `${what}: backend id exposed`);
  }

  gwTest('maxSessions 3: the 4th initialize → 503 naming the limit, no session id; DELETE frees a place', () => envoy, async () => {
    const gids = [];
    for (let i = 0; i < 3; i++) gids.push(await openSession(envoy.url));
    const r = await postJson(envoy.url, rpc(4, 'initialize', INIT_PARAMS));
    assertOverLimit(r, backend.issuedSessionIds, '4th session');
    // The three live sessions still work.
    for (const gid of gids) assert.equal((await sessionPost(envoy.url, gid, echo(5))).status, 200);
    // DELETE one: a new session is possible again, and then the limit holds again.
    const del = await rawRequest(envoy.url, { method: 'DELETE', headers: { [SESSION_HEADER]: gids[0], 'mcp-protocol-version': PROTOCOL } });
    assert.equal(del.status, 200, `DELETE: HTTP ${del.status}: ${del.text}`);
    gids[0] = await openSession(envoy.url);
    assertOverLimit(await postJson(envoy.url, rpc(6, 'initialize', INIT_PARAMS)), backend.issuedSessionIds, 'after DELETE + one new session');
    // Let them all go idle: once expired, new sessions work again.
    await sleep(IDLE_S * 1000);
    const fresh = await poll(async () => {
      const init = await postJson(envoy.url, rpc(7, 'initialize', INIT_PARAMS));
      return init.status === 200 ? init : undefined;
    }, IDLE_S * 1000 * 5);
    assert.ok(fresh, 'no new session within 5 idle timeouts after the others expired');
    assert.ok(fresh.headers[SESSION_HEADER], 'the new session got an id');
  });
});

/** Gateways whose sessions must stay with the credential that opened them. */
for (const [title, server] of [
  ['a downstream bearer scheme', { securitySchemes: [{ id: 'ClientBearer', type: 'http', scheme: 'bearer' }], defaultDownstreamSecurity: { id: 'ClientBearer' } }],
  ['no scheme: the raw Authorization header counts', {}],
]) {
  describe(`fail-closed sessions: bound to the opening credential (${title})`, () => {
    let backend;
    let envoy;
    before(async () => {
      backend = await startRecordingBackend('ts');
      envoy = await startGateway(backend, ptConfig(backend, { server }));
    });
    after(async () => {
      await envoy?.stop();
      await backend?.close();
    });

    gwTest('opened with Bearer A, used with Bearer B → 404 -32001 on POST, GET, DELETE; backend not contacted; A still works', () => envoy, async () => {
      const A = { authorization: 'Bearer token-A' };
      const B = { authorization: 'Bearer token-B' };
      const gid = await openSession(envoy.url, A);
      const before = await backend.executed();
      const from = backend.requests.length;
      const post = await sessionPost(envoy.url, gid, echo(1, 'as B'), B);
      const get = await rawRequest(envoy.url, { method: 'GET', headers: { ...B, accept: 'text/event-stream', [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL }, timeoutMs: 5000 }).catch((e) => ({ status: 0, headers: {}, text: String(e) }));
      const del = await rawRequest(envoy.url, { method: 'DELETE', headers: { ...B, [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL } });
      assert.deepEqual(backend.requests.slice(from).map((q) => `${q.method} ${q.body?.method ?? ''}`), [], 'requests with Bearer B reached the backend');
      assert.deepEqual((await backend.executed()).slice(before.length), [], 'the backend ran a call made with Bearer B');
      assertRpcError(post, 404, -32001, 'POST with Bearer B');
      assertRpcError(get, 404, -32001, 'GET with Bearer B');
      assertRpcError(del, 404, -32001, 'DELETE with Bearer B');
      const ok = await sessionPost(envoy.url, gid, echo(2, 'as A'), A);
      assert.equal(ok.status, 200, ok.text);
      assert.equal(messagesOf(ok).at(-1)?.result?.content?.[0]?.text, 'as A');
    });
  });
}

describe('fail-closed sessions: DELETE keeps the mapping until the backend accepts it', () => {
  let backend;
  let envoy;
  let deleteStatus = 405;
  let sessions = 0;
  before(async () => {
    backend = await startHttpBackend(({ method, body, headers }, _req, res) => {
      if (method === 'DELETE') {
        res.writeHead(deleteStatus, deleteStatus === 405 ? { allow: 'GET, POST' } : {});
        return res.end();
      }
      if (method !== 'POST') {
        res.writeHead(405, { allow: 'POST, DELETE' });
        return res.end();
      }
      if (body?.method === 'initialize') return sendJson(res, rpcResult(body, initializeResult(body, 'delete-script')), 200, { [SESSION_HEADER]: `backend-${++sessions}` });
      if (body?.id === undefined) {
        res.writeHead(202);
        return res.end();
      }
      return sendJson(res, rpcResult(body, { session: headers[SESSION_HEADER] ?? null }));
    });
    envoy = await startGateway(backend, ptConfig(backend));
  });
  after(async () => {
    await envoy?.stop();
    await backend?.close();
  });

  const del = (gid) => rawRequest(envoy.url, { method: 'DELETE', headers: { [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL } });

  gwTest('backend answers DELETE 405 → the gateway session still works afterwards', () => envoy, async () => {
    deleteStatus = 405;
    const gid = await openSession(envoy.url);
    const bid = `backend-${sessions}`;
    const d = await del(gid);
    assert.equal(d.status, 405, `DELETE: HTTP ${d.status}: ${d.text}`);
    const after405 = await sessionPost(envoy.url, gid, rpc(2, 'ping'));
    assert.equal(after405.status, 200, `after a refused DELETE: HTTP ${after405.status}: ${after405.text}`);
    assert.deepEqual(after405.json?.result, { session: bid });
  });

  for (const status of [200, 204, 404]) {
    gwTest(`backend answers DELETE ${status} → the gateway id then gets 404, backend not contacted`, () => envoy, async () => {
      deleteStatus = status;
      const gid = await openSession(envoy.url);
      const d = await del(gid);
      assert.equal(d.status, status, `DELETE: HTTP ${d.status}: ${d.text}`);
      const from = backend.requests.length;
      assertRpcError(await sessionPost(envoy.url, gid, rpc(3, 'ping')), 404, -32001, `after DELETE ${status}`);
      assert.deepEqual(backend.requests.slice(from), []);
    });
  }
});
