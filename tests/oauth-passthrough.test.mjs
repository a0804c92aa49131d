// E2E: the OAuth resource server in pass-through mode (the request itself goes to the backend),
// in real Envoy running examples/envoy/jwt-authn.yaml in front of the SDK 1.x backend (stateful,
// JSON answers; it records every request and every tool run):
//   - metadata, 401 for every method without a verified token, forged headers authorize nothing;
//   - tools/list answers filtered per caller, 403 for refused calls (a batch with several: one
//     403 naming the union of their scopes, nothing forwarded);
//   - sessions bound to the token's iss/sub, not to the token (a refreshed token keeps its session);
//   - the client's token never reaches the backend: jwt_authn's `forward: false` removes it, and
//     with `forward: true` the filter still does, unless `passthroughAuthHeader` opts in.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBackend } from '../examples/backend/server.mjs';
import { postJson, rawRequest, withEnvoyLog } from './support/envoy.mjs';
import { INIT_PARAMS, PROTOCOL, SESSION_HEADER, assertRpcError, messagesOf, note, rpc } from './support/failclosed.mjs';
import { bearer, parseChallenge, startOAuthGateway } from './support/oauth.mjs';

const TEST_TIMEOUT = 30000;

/** initialize + notifications/initialized with `headers`: the gateway session id. */
async function openSession(url, headers) {
  const init = await postJson(url, rpc(1, 'initialize', INIT_PARAMS), headers);
  assert.equal(init.status, 200, `initialize: ${init.status} ${init.text}`);
  const gid = init.headers[SESSION_HEADER];
  assert.ok(gid, 'no session id');
  const ack = await postJson(url, note('notifications/initialized'), { ...headers, [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL });
  assert.equal(ack.status, 202, ack.text);
  return gid;
}

/** POST in session `gid` with a token. */
const inSession = (url, gid, token, body) => postJson(url, body, { ...bearer(token), [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL });

describe('OAuth resource server, pass-through mode', () => {
  let backend;
  let gw;
  before(async () => {
    backend = await startBackend({ json: true });
    gw = await startOAuthGateway(backend, { type: 'mcp-passthrough' });
  });
  after(async () => {
    await backend?.close();
    await gw?.stop();
  });
  const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(gw.envoy, fn));

  test('metadata is served locally; every method without a verified token gets 401', async () => {
    const doc = await rawRequest(`${gw.origin}/.well-known/oauth-protected-resource/mcp`, { method: 'GET' });
    assert.equal(doc.status, 200, doc.text);
    assert.equal(doc.json.resource, gw.resource);
    const expired = await gw.token('math', { exp: Math.floor(Date.now() / 1000) - 3600 });
    for (const method of ['POST', 'GET', 'DELETE']) {
      for (const auth of [{}, bearer(expired), { 'x-jwt-payload': Buffer.from('{"scope":"mcp:tools"}').toString('base64url') }]) {
        const r = await rawRequest(gw.url, {
          method, body: method === 'POST' ? JSON.stringify(rpc(1, 'initialize', INIT_PARAMS)) : undefined,
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', [SESSION_HEADER]: 'x', ...auth },
        });
        assert.equal(r.status, 401, `${method} ${JSON.stringify(auth)}: ${r.text}`);
        const c = parseChallenge(r.headers['www-authenticate']);
        assert.equal(c.params.resource_metadata, `${gw.origin}/.well-known/oauth-protected-resource/mcp`);
        assert.equal(c.params.error, auth.authorization ? 'invalid_token' : undefined, `${method} ${JSON.stringify(auth)}`);
      }
    }
    assert.equal(backend.requests.length, 0, 'the backend was contacted');
  });

  test('tools/list answers are filtered per caller', async () => {
    for (const [who, tools] of Object.entries({ reader: ['echo'], math: ['echo', 'add'], ops: ['weather'], dev: ['echo'] })) {
      const token = await gw.token(who);
      const gid = await openSession(gw.url, bearer(token));
      const r = await inSession(gw.url, gid, token, rpc(2, 'tools/list', {}));
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.result.tools.map((t) => t.name), tools, who);
    }
  });

  test('a refused call gets 403; a batch with several refused calls one 403 naming all their scopes', async () => {
    const token = await gw.token('reader');
    const gid = await openSession(gw.url, bearer(token));
    const runs = backend.calls.length;
    const posts = backend.requests.length;
    const single = await inSession(gw.url, gid, token, rpc(3, 'tools/call', { name: 'add', arguments: { a: 1, b: 2 } }));
    assertRpcError(single, 403, -32003, 'single', { id: 3 });
    const c1 = parseChallenge(single.headers['www-authenticate']);
    assert.deepEqual([c1.params.error, c1.params.scope], ['insufficient_scope', 'mcp:tools mcp:math']);
    const batch = [
      rpc(4, 'tools/call', { name: 'echo', arguments: { text: 'allowed' } }),
      rpc(5, 'tools/call', { name: 'add', arguments: { a: 1, b: 2 } }),
      rpc(6, 'tools/call', { name: 'weather', arguments: { city: 'Oslo' } }),
    ];
    const r = await inSession(gw.url, gid, token, batch);
    assertRpcError(r, 403, -32003, 'batch', { id: 5 });
    assert.match(r.json.error.message, /add, weather/);
    const c2 = parseChallenge(r.headers['www-authenticate']);
    assert.equal(c2.params.error, 'insufficient_scope');
    assert.deepEqual(c2.params.scope.split(' ').sort(), ['mcp:admin', 'mcp:math', 'mcp:tools']);
    assert.equal(backend.calls.length, runs, 'a tool of a refused request ran');
    assert.equal(backend.requests.length, posts, 'a refused request was forwarded');
    // The caller's own tools still run in the same session.
    const ok = await inSession(gw.url, gid, token, rpc(7, 'tools/call', { name: 'echo', arguments: { text: 'hi' } }));
    assert.equal(messagesOf(ok)[0]?.result?.content?.[0]?.text, 'hi', ok.text);
  });

  test('sessions are bound to the token\'s subject: a refreshed token keeps the session, another subject gets 404', async () => {
    const first = await gw.token({ sub: 'alice', scope: 'mcp:tools' });
    const gid = await openSession(gw.url, bearer(first));
    const refreshed = await gw.token({ sub: 'alice', scope: 'mcp:tools', jti: 'second' });
    assert.notEqual(refreshed, first);
    const again = await inSession(gw.url, gid, refreshed, rpc(8, 'tools/call', { name: 'echo', arguments: { text: 'again' } }));
    assert.equal(messagesOf(again)[0]?.result?.content?.[0]?.text, 'again', again.text);
    const runs = backend.calls.length;
    const mallory = await gw.token({ sub: 'mallory', scope: 'mcp:tools' });
    const stolen = await inSession(gw.url, gid, mallory, rpc(9, 'tools/call', { name: 'echo', arguments: { text: 'stolen' } }));
    assertRpcError(stolen, 404, -32001, 'another subject');
    assert.equal(backend.calls.length, runs);
  });

  test('no client token reaches the backend', () => {
    assert.ok(backend.requests.length > 0);
    assert.deepEqual(backend.requests.filter((r) => r.headers.authorization !== undefined).map((r) => r.headers.authorization), []);
  });
});

describe('OAuth pass-through: the filter removes the token even when jwt_authn forwards it', () => {
  const cases = [
    { title: 'jwt_authn forward: true → the filter removes Authorization', server: {}, arrives: false },
    { title: 'forward: true and passthroughAuthHeader: true → the token is passed on (explicit, outside the MCP spec)', server: { passthroughAuthHeader: true }, arrives: true },
  ];
  for (const c of cases) {
    it(c.title, { timeout: TEST_TIMEOUT }, async () => {
      const backend = await startBackend({ json: true });
      const gw = await startOAuthGateway(backend, { type: 'mcp-passthrough', server: c.server, jwt: { forward: true } });
      try {
        await withEnvoyLog(gw.envoy, async () => {
          const token = await gw.token('reader');
          const gid = await openSession(gw.url, bearer(token));
          const r = await inSession(gw.url, gid, token, rpc(2, 'tools/list', {}));
          assert.deepEqual(r.json.result.tools.map((t) => t.name), ['echo']);
          const seen = backend.requests.map((q) => q.headers.authorization);
          assert.equal(seen.length, 3);
          assert.deepEqual(seen, c.arrives ? [`Bearer ${token}`, `Bearer ${token}`, `Bearer ${token}`] : [undefined, undefined, undefined]);
        });
      } finally {
        await backend.close();
        await gw.stop();
      }
    });
  }
});
