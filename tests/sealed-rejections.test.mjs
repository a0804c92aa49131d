// E2E: what a sealed session id (`server.sessionKeys`) must not open. Each case gets the
// gateway's own 404 (JSON-RPC -32001 "Session not found") on POST, GET and DELETE, and no
// backend sees a request: a tampered id, an id sealed under a key that is not configured, an id
// older than server.sessionMaxAge, an id presented with another credential, an id presented on
// a route to another backend (another URL, or the same URL behind another cluster). Key
// rotation: an id sealed under the old key opens while that key is configured second, and not
// once it is removed. A bad key refuses the plugin at load, naming its index, echoing nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFullBackend } from '../examples/backend/full-server.mjs';
import { rawRequest, startEnvoy, startEnvoyExpectFailure, tail, withEnvoyLog } from './support/envoy.mjs';
import {
  assertGateway404, flipChar, headerRoutedYaml, newSessionKey, rawSession, rpc, sealedConfig, sessionPost, sleep, toolNames,
} from './support/fleet.mjs';

const TEST_TIMEOUT = 60000;
const LIST = rpc(7, 'tools/list');

/** Asserts that POST, GET and DELETE with `gid` all get the gateway's 404 and reach no backend. */
async function assertRefused(url, gid, backends, what, headers = {}) {
  const before = backends.map((b) => b.requests.length);
  assertGateway404(await sessionPost(url, gid, LIST, headers), `${what} (POST)`);
  assertGateway404(await rawRequest(url, { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': gid, ...headers } }), `${what} (GET)`);
  assertGateway404(await rawRequest(url, { method: 'DELETE', headers: { 'mcp-session-id': gid, ...headers } }), `${what} (DELETE)`);
  assert.deepEqual(backends.map((b) => b.requests.length), before, `${what}: a backend was contacted`);
}

/** Asserts that a tools/list with `gid` is answered by the backend. */
async function assertOpens(url, gid, what, headers = {}) {
  const r = await sessionPost(url, gid, LIST, headers);
  assert.equal(r.status, 200, `${what}: HTTP ${r.status}: ${r.text}`);
  assert.ok(toolNames(r).includes('echo'), `${what}: ${r.text}`);
}

describe('sealed ids: tampered, unknown key, too old, another credential', () => {
  const key = newSessionKey();
  let backend;
  let main;
  let shortAge;
  let otherKey;
  before(async () => {
    backend = await startFullBackend({ json: true });
    const opts = { backendPort: backend.port, componentLogLevel: 'wasm:debug' };
    main = await startEnvoy({ pluginConfig: sealedConfig(backend, [key]), ...opts });
    shortAge = await startEnvoy({ pluginConfig: sealedConfig(backend, [key], { sessionMaxAge: 1 }), ...opts });
    otherKey = await startEnvoy({ pluginConfig: sealedConfig(backend, [newSessionKey()]), ...opts });
  });
  after(async () => {
    for (const e of [main, shortAge, otherKey]) await e?.stop();
    await backend?.close();
  });
  const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(main, fn));

  test('a tampered id: any changed character (version, key id, nonce, ciphertext, tag), truncated, extended', async () => {
    const gid = await rawSession(main.url);
    await assertOpens(main.url, gid, 'the genuine id');
    const n = gid.length;
    const forged = {
      version: flipChar(gid, 0), 'key id': flipChar(gid, 3), nonce: flipChar(gid, 20), ciphertext: flipChar(gid, 60),
      'ciphertext (end)': flipChar(gid, n - 30), tag: flipChar(gid, n - 5), truncated: gid.slice(0, n - 4), extended: `${gid}AAAA`,
      'a shared-data id': 'AAAAAQAAAAAAAAAAAAAAAAAAAAA', empty: '',
    };
    for (const [what, id] of Object.entries(forged)) {
      assert.notEqual(id, gid);
      await assertRefused(main.url, id, [backend], what);
    }
    await assertOpens(main.url, gid, 'the genuine id, afterwards');
    const log = main.log();
    assert.match(log, /sealed session id refused: bad tag/);
    assert.match(log, /sealed session id refused: malformed/);
    assert.equal(log.includes(gid), false, 'no log line holds the id');
    assert.equal(log.includes(key), false, 'no log line holds the key');
  });

  test('an id sealed under a key this Envoy does not hold', async () => {
    const gid = await rawSession(main.url);
    await assertRefused(otherKey.url, gid, [backend], 'unknown key');
    assert.match(otherKey.log(), /sealed session id refused: unknown key/);
    await assertOpens(main.url, gid, 'the same id where its key is');
  });

  test('an id older than server.sessionMaxAge (1 s), while an Envoy with the default one day still opens it', async () => {
    const gid = await rawSession(main.url);
    await sleep(1500); // 1.5 × sessionMaxAge
    await assertRefused(shortAge.url, gid, [backend], 'older than sessionMaxAge');
    assert.match(shortAge.log(), /sealed session id refused: older than sessionMaxAge/);
    await assertOpens(main.url, gid, 'same keys, same backend, sessionMaxAge one day');
  });

  test('an id presented with another credential (or none) than the one that opened the session', async () => {
    const alice = { authorization: 'Bearer alice-token' };
    const gid = await rawSession(main.url, alice);
    await assertOpens(main.url, gid, 'the opening credential', alice);
    await assertRefused(main.url, gid, [backend], 'another credential', { authorization: 'Bearer mallory-token' });
    await assertRefused(main.url, gid, [backend], 'no credential');
    assert.match(main.log(), /sealed session id refused: another credential/);
    // And a session opened without a credential cannot be taken over by adding one.
    const anon = await rawSession(main.url);
    await assertRefused(main.url, anon, [backend], 'a credential added', alice);
    await assertOpens(main.url, gid, 'the opening credential, afterwards', alice);
  });
});

describe('sealed ids: bound to the backend they were issued for', () => {
  const key = newSessionKey();
  let one;
  let two;
  let envoy;
  before(async () => {
    one = await startFullBackend({ json: true });
    two = await startFullBackend({ json: true });
    // route-a and route-c reach the same backend URL through different clusters; route-b another backend.
    const rule = (route, backend) => ({ _match_route_: [route], ...sealedConfig(backend, [key]) });
    const pluginConfig = { _rules_: [rule('route-a', one), rule('route-b', two), rule('route-c', one)] };
    const yaml = headerRoutedYaml(pluginConfig, { 'route-a': 'cluster_a', 'route-b': 'cluster_b', 'route-c': 'cluster_c' },
      { cluster_a: one.port, cluster_b: two.port, cluster_c: one.port });
    envoy = await startEnvoy({ configYaml: yaml, componentLogLevel: 'wasm:debug' });
  });
  after(async () => {
    await envoy?.stop();
    await one?.close();
    await two?.close();
  });

  it('an id from one route is refused on a route to another backend, and on the same URL behind another cluster', { timeout: TEST_TIMEOUT }, () => withEnvoyLog(envoy, async () => {
    const a = { 'x-route': 'route-a' };
    const gid = await rawSession(envoy.url, a);
    await assertOpens(envoy.url, gid, 'its own route', a);
    await assertRefused(envoy.url, gid, [one, two], 'another backend', { 'x-route': 'route-b' });
    await assertRefused(envoy.url, gid, [one, two], 'another cluster, same URL', { 'x-route': 'route-c' });
    assert.match(envoy.log(), /sealed session id refused: another backend/);
    // Each route serves its own sessions with the same keys.
    for (const route of ['route-b', 'route-c']) {
      const h = { 'x-route': route };
      await assertOpens(envoy.url, await rawSession(envoy.url, h), route, h);
    }
    await assertOpens(envoy.url, gid, 'its own route, afterwards', a);
  }));
});

describe('sealed ids: key rotation across restarts', () => {
  const keyA = newSessionKey();
  const keyB = newSessionKey();
  let backend;
  let envoy;
  before(async () => { backend = await startFullBackend({ json: true }); });
  after(async () => {
    await envoy?.stop();
    await backend?.close();
  });

  /** Replaces the running Envoy by one with `keys`, on the same port. */
  async function restartWith(keys) {
    const port = envoy?.port ?? 0;
    await envoy?.stop();
    envoy = await startEnvoy({ pluginConfig: sealedConfig(backend, keys), backendPort: backend.port, listenPort: port });
  }

  /** The key id of a sealed id (bytes 1..4 of the token). */
  const keyIdOf = (gid) => Buffer.from(gid, 'base64url').subarray(1, 5).toString('hex');

  it('[A] seals; [B, A] still opens it and seals with B; [B] alone refuses it and opens B\'s', { timeout: TEST_TIMEOUT }, async () => {
    await restartWith([keyA]);
    const old = await rawSession(envoy.url);
    await assertOpens(envoy.url, old, '[A]');

    await restartWith([keyB, keyA]);
    await assertOpens(envoy.url, old, 'the old id under [B, A]');
    const fresh = await rawSession(envoy.url);
    assert.notEqual(keyIdOf(fresh), keyIdOf(old), 'the first key seals');

    await restartWith([keyB]);
    await withEnvoyLog(envoy, async () => {
      await assertRefused(envoy.url, old, [backend], 'the old id once its key is removed');
      await assertOpens(envoy.url, fresh, 'the new id under [B]');
    });
  });
});

describe('sealed ids: a bad key refuses the plugin', () => {
  it('names the entry, and no log line holds key material', { timeout: TEST_TIMEOUT }, async () => {
    const good = newSessionKey();
    const short = Buffer.alloc(16, 7).toString('base64');
    const pluginConfig = { server: { name: 'bad', type: 'mcp-passthrough', mcpServerURL: 'http://127.0.0.1:9/mcp', sessionKeys: [good, short] } };
    const { exitCode, log } = await startEnvoyExpectFailure({ pluginConfig, backendPort: 9 });
    assert.notEqual(exitCode, 0);
    const lines = log.split('\n').filter((l) => l.includes('wasm log'));
    assert.ok(lines.some((l) => /server\.sessionKeys\[1\]: decodes to 16 bytes/.test(l)), `plugin lines:\n${lines.join('\n')}\n${tail(log, 30)}`);
    for (const l of lines) {
      assert.equal(l.includes(good), false, 'a plugin log line holds a key');
      assert.equal(l.includes(short), false, 'a plugin log line holds a key');
    }
  });
});
