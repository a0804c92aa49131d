// E2E: the gateway as an OAuth 2.1 resource server (MCP 2026-07-28 basic/authorization), in
// terminating mode, in real Envoy running examples/envoy/jwt-authn.yaml (jwt_authn verifies
// tokens signed by keys this test generates; the filter reads the verified claims from Envoy's
// dynamic metadata) in front of the SDK v2 backend, which records every request and tool run:
//   - the Protected Resource Metadata (RFC 9728) at both well-known paths, and what it says;
//   - 401 + WWW-Authenticate (resource_metadata, scope) for no token, an expired token, a wrong
//     audience or issuer, a bad signature, an unsigned token, garbage; forged claim headers
//     authorize nothing; the backend is never contacted;
//   - per-tool decisions: tools/list filtered per caller (and private), 403 insufficient_scope
//     with the needed scope for a call the token does not allow, the body deciding over Mcp-Name;
//   - the client's token never reaches the backend.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UnsecuredJWT } from 'jose';
import { startModernBackend } from '../examples/backend/modern-server.mjs';
import { postJson, rawRequest, withEnvoyLog } from './support/envoy.mjs';
import { MODERN, assertRefused, meta, modernPost, rpc } from './support/modern.mjs';
import { ISSUER, bearer, parseChallenge, startOAuthGateway } from './support/oauth.mjs';

const TEST_TIMEOUT = 30000;
const INIT = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'oauth-e2e', version: '1' } };

/** Names of the tools in a tools/list reply. */
const names = (reply) => reply.json?.result?.tools?.map((t) => t.name);

describe('OAuth resource server, terminating mode', () => {
  let backend;
  let gw;
  before(async () => {
    backend = await startModernBackend();
    // allowTools keeps `confirm` out for everyone: a static refusal stays -32602.
    gw = await startOAuthGateway(backend, { server: { allowTools: ['echo', 'add', 'region', 'slow'] } });
  });
  after(async () => {
    await backend?.close();
    await gw?.stop();
  });
  const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(gw.envoy, fn));
  const legacyList = (headers) => postJson(gw.url, rpc(1, 'tools/list', {}), headers);
  const modernCall = (id, name, args, headers) => modernPost(gw.url, id, 'tools/call', { name, arguments: args }, headers);

  test('publishes the Protected Resource Metadata at the path-inserted and the root well-known URI', async () => {
    for (const p of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const r = await rawRequest(`${gw.origin}${p}`, { method: 'GET' });
      assert.equal(r.status, 200, `${p}: ${r.text}`);
      assert.match(r.headers['content-type'], /^application\/json/);
      assert.deepEqual(r.json, {
        resource: gw.resource, authorization_servers: [ISSUER], scopes_supported: ['mcp:tools'],
        bearer_methods_supported: ['header'], resource_name: 'oauth-gw',
      });
    }
    const post = await rawRequest(`${gw.origin}/.well-known/oauth-protected-resource/mcp`, { method: 'POST', body: '{}' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET');
    const other = await rawRequest(`${gw.origin}/.well-known/oauth-protected-resource/other`, { method: 'GET' });
    assert.equal(other.status, 401, 'only the resource\'s own metadata paths are public');
    assert.equal(backend.requests.length, 0, 'metadata is answered by the gateway');
  });

  test('no token: 401 naming the metadata and the scopes; the metadata URL leads to the document', async () => {
    const before = backend.requests.length;
    for (const send of [() => legacyList({}), () => postJson(gw.url, rpc(0, 'initialize', INIT)), () => modernPost(gw.url, 1, 'server/discover')]) {
      const r = await send();
      assertRefused(r, 401, -32001, 'no token');
      const c = parseChallenge(r.headers['www-authenticate']);
      assert.equal(c.scheme, 'Bearer');
      assert.deepEqual(c.params, { resource_metadata: `${gw.origin}/.well-known/oauth-protected-resource/mcp`, scope: 'mcp:tools' });
      const doc = await rawRequest(c.params.resource_metadata, { method: 'GET' });
      assert.equal(doc.json.resource, gw.resource);
    }
    assert.equal(backend.requests.length, before, 'the backend was contacted');
  });

  test('browser clients: the metadata and the 401 carry CORS, and the challenge is readable', async () => {
    const origin = { origin: 'http://localhost:6274' };
    const doc = await rawRequest(`${gw.origin}/.well-known/oauth-protected-resource/mcp`, { method: 'GET', headers: origin });
    assert.equal(doc.status, 200);
    assert.equal(doc.headers['access-control-allow-origin'], 'http://localhost:6274');
    const r = await legacyList(origin);
    assert.equal(r.status, 401);
    assert.equal(r.headers['access-control-allow-origin'], 'http://localhost:6274');
    assert.match(r.headers['access-control-expose-headers'], /www-authenticate/i);
    const evil = await rawRequest(`${gw.origin}/.well-known/oauth-protected-resource/mcp`, { method: 'GET', headers: { origin: 'https://evil.example' } });
    assert.equal(evil.status, 403, 'an origin outside server.cors.allowOrigins is refused, as everywhere');
  });

  test('tokens that fail verification: 401 invalid_token (expired, audience, issuer, signature, unsigned, garbage)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad = {
      expired: await gw.token('math', { exp: now - 3600 }),
      'wrong audience': await gw.token('math', { audience: 'https://other.example/mcp' }),
      'wrong issuer': await gw.token('math', { issuer: 'https://evil.example' }),
      'foreign key': await gw.token('math', { key: gw.issuer.otherKey }),
      unsigned: new UnsecuredJWT({ scope: 'mcp:tools mcp:math' }).setIssuer(ISSUER).setAudience(gw.resource).setExpirationTime('10m').encode(),
      garbage: 'not-a-jwt',
    };
    const before = backend.requests.length;
    for (const [what, token] of Object.entries(bad)) {
      for (const r of [await legacyList(bearer(token)), await modernCall(2, 'echo', { text: 'x' }, bearer(token))]) {
        assertRefused(r, 401, -32001, what);
        const c = parseChallenge(r.headers['www-authenticate']);
        assert.equal(c.params.error, 'invalid_token', what);
        assert.equal(c.params.resource_metadata, `${gw.origin}/.well-known/oauth-protected-resource/mcp`, what);
        assert.equal(c.params.scope, 'mcp:tools', what);
      }
    }
    assert.equal(backend.requests.length, before, 'the backend was contacted');
  });

  test('hand-made claim headers authorize nothing, with no token or with an invalid one', async () => {
    const claims = Buffer.from(JSON.stringify({ iss: ISSUER, aud: gw.resource, sub: 'x', scope: 'mcp:tools mcp:math mcp:admin' })).toString('base64url');
    const forged = {
      'x-jwt-payload': claims, 'jwt-payload': claims, 'x-jwt-claims': claims, 'x-auth-request-user': 'admin',
      'x-forwarded-user': 'admin', 'x-envoy-allow-mcp-tools': 'echo,add', 'x-mcp-scopes': 'mcp:tools',
      'x-envoy-original-path': '/.well-known/oauth-protected-resource', 'x-envoy-internal': 'true',
    };
    const before = backend.requests.length;
    for (const auth of [{}, bearer('forged.token.value'), { authorization: `Bearer ${claims}` }]) {
      assertRefused(await legacyList({ ...forged, ...auth }), 401, -32001, `forged headers ${JSON.stringify(auth)}`);
      assertRefused(await modernCall(3, 'add', { a: 1, b: 2 }, { ...forged, ...auth }), 401, -32001, 'forged call');
    }
    assert.equal(backend.requests.length, before, 'the backend was contacted');
    assert.equal(backend.calls.length, 0);
  });

  test('tools/list shows each caller only the tools it may call, as a private list', async () => {
    const expect = { reader: ['echo'], math: ['echo', 'add'], ops: ['region'], dev: ['echo'] };
    for (const [who, tools] of Object.entries(expect)) {
      const token = await gw.token(who);
      const legacy = await legacyList(bearer(token));
      assert.equal(legacy.status, 200, `${who}: ${legacy.text}`);
      assert.deepEqual(names(legacy), tools, `${who} (legacy)`);
      const modern = await modernPost(gw.url, 4, 'tools/list', {}, bearer(token));
      assert.deepEqual(names(modern), tools, `${who} (modern)`);
      assert.equal(modern.json.result.cacheScope, 'private', `${who}: a per-caller list must not be shared`);
    }
  });

  test('a call the token does not allow: 403 insufficient_scope with the scope it needs; the backend never sees it', async () => {
    const runs = backend.calls.length;
    const posts = backend.requests.length;
    const cases = [
      ['reader', 'add', 'mcp:tools mcp:math'],
      ['ops', 'echo', 'mcp:tools'],
      ['dev', 'region', 'mcp:admin'], // scope held, claim org.groups lacks "ops"
    ];
    for (const [who, tool, scope] of cases) {
      const token = await gw.token(who);
      const args = tool === 'add' ? { a: 1, b: 2 } : tool === 'region' ? { region: 'eu' } : { text: 'x' };
      const replies = [
        await postJson(gw.url, rpc(5, 'tools/call', { name: tool, arguments: args }), bearer(token)),
        await modernCall(5, tool, args, { ...bearer(token), ...(tool === 'region' ? { 'mcp-param-region': 'eu' } : {}) }),
      ];
      for (const r of replies) {
        const err = assertRefused(r, 403, -32003, `${who} → ${tool}`);
        assert.equal(r.json.id, 5);
        assert.match(err.message, new RegExp(`insufficient_scope.*${tool}`));
        const c = parseChallenge(r.headers['www-authenticate']);
        assert.equal(c.scheme, 'Bearer');
        assert.equal(c.params.error, 'insufficient_scope', `${who} → ${tool}`);
        assert.equal(c.params.scope, scope, `${who} → ${tool}`);
        assert.equal(c.params.resource_metadata, `${gw.origin}/.well-known/oauth-protected-resource/mcp`);
      }
    }
    assert.equal(backend.calls.length, runs, 'a refused tool ran');
    assert.equal(backend.requests.length, posts, 'the backend was contacted');
    // A tool allowTools leaves out is refused as before, whoever calls (-32602, not 403).
    const r = await postJson(gw.url, rpc(6, 'tools/call', { name: 'confirm', arguments: { env: 'x' } }), bearer(await gw.token('ops')));
    assertRefused(r, 200, -32602, 'allowTools');
  });

  test('allowed calls run with the caller\'s claims; the body decides, never Mcp-Name', async () => {
    const math = await gw.token('math');
    const ok = await modernCall(7, 'add', { a: 2, b: 3 }, bearer(math));
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.result.content[0].text, '5');
    const ops = await gw.token('ops');
    const region = await modernCall(8, 'region', { region: 'eu' }, { ...bearer(ops), 'mcp-param-region': 'eu' });
    assert.equal(region.json?.result?.content?.[0]?.text, 'region=eu', region.text);
    const runs = backend.calls.length;
    // Mcp-Name naming an allowed tool cannot carry a call of a refused one, nor the reverse.
    const reader = await gw.token('reader');
    const forgedName = await modernPost(gw.url, 9, 'tools/call', { name: 'add', arguments: { a: 1, b: 1 } }, { ...bearer(reader), 'mcp-name': 'echo' });
    assertRefused(forgedName, 400, -32020, 'Mcp-Name echo, body add');
    const legacyForged = await postJson(gw.url, rpc(10, 'tools/call', { name: 'add', arguments: { a: 1, b: 1 } }), { ...bearer(reader), 'mcp-name': 'echo' });
    assertRefused(legacyForged, 400, -32020, 'legacy call: Mcp-Name echo, body add');
    // The reverse: a header naming the refused tool on a call of an allowed one is refused too.
    const reverse = await modernPost(gw.url, 11, 'tools/call', { name: 'echo', arguments: { text: 'x' } }, { ...bearer(reader), 'mcp-name': 'add' });
    assertRefused(reverse, 400, -32020, 'Mcp-Name add, body echo');
    assert.equal(backend.calls.length, runs, 'a refused tool ran');
  });

  test('no client token reaches the backend', async () => {
    const withAuth = backend.requests.filter((r) => r.headers.authorization !== undefined);
    assert.ok(backend.requests.length > 0, 'the backend saw no request at all');
    assert.deepEqual(withAuth.map((r) => r.headers.authorization), []);
    assert.ok(!backend.requests.some((r) => JSON.stringify(r.headers).includes('eyJ')), 'something token-like reached the backend');
  });

  test('a legacy client may open with initialize once it has a token (modern clients with server/discover)', async () => {
    const token = await gw.token('reader');
    const init = await postJson(gw.url, rpc(0, 'initialize', INIT), bearer(token));
    assert.equal(init.status, 200, init.text);
    const disc = await modernPost(gw.url, 1, 'server/discover', { _meta: meta() }, bearer(token));
    assert.equal(disc.status, 200, disc.text);
    assert.ok(disc.json.result.supportedVersions.includes(MODERN));
  });
});
