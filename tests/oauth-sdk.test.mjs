// E2E: the TypeScript SDK v2 client (`@modelcontextprotocol/client` 2.4) with a static bearer
// token through its auth provider interface (`authProvider: { token }`), against the OAuth
// resource server of examples/envoy/jwt-authn.yaml in both modes, in front of the SDK v2
// backend. Each caller connects (pinned to 2026-07-28, or negotiating the legacy era), sees
// only its tools, runs them, and is refused the others; without a token it cannot connect and
// learns where the resource metadata is.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startModernBackend } from '../examples/backend/modern-server.mjs';
import { nodeFetch, withEnvoyLog } from './support/envoy.mjs';
import { MODERN } from './support/modern.mjs';
import { parseChallenge, startOAuthGateway } from './support/oauth.mjs';

const TEST_TIMEOUT = 30000;
const MODES = { 'v2 pinned 2026-07-28': { pin: MODERN }, 'v2 legacy': 'legacy' };

/** An SDK v2 client whose auth provider hands out `token` (undefined = none); `log` gets each HTTP exchange. */
async function connect(url, mode, token, log = []) {
  const client = new Client({ name: 'oauth-sdk-e2e', version: '1.0.0' }, { versionNegotiation: { mode } });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    authProvider: { token: async () => token },
    fetch: nodeFetch(log),
  });
  await client.connect(transport);
  return client;
}

for (const type of ['mcp-proxy', 'mcp-passthrough']) {
  describe(`SDK v2 client with a bearer token, ${type}`, () => {
    let backend;
    let gw;
    before(async () => {
      backend = await startModernBackend();
      gw = await startOAuthGateway(backend, { type });
    });
    after(async () => {
      await backend?.close();
      await gw?.stop();
    });
    const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(gw.envoy, fn));

    for (const [label, mode] of Object.entries(MODES)) {
      test(`${label}: each caller lists and runs only its tools`, async () => {
        const expected = { reader: ['echo'], math: ['add', 'echo'], ops: ['region'] };
        for (const [who, tools] of Object.entries(expected)) {
          const client = await connect(gw.url, mode, await gw.token(who));
          try {
            const listed = (await client.listTools()).tools.map((t) => t.name).sort();
            assert.deepEqual(listed, tools, `${who} via ${label}`);
            if (tools.includes('echo')) {
              const r = await client.callTool({ name: 'echo', arguments: { text: `hi ${who}` } });
              assert.equal(r.content[0].text, `hi ${who}`);
            }
          } finally {
            await client.close();
          }
        }
      });

      test(`${label}: a refused call fails with 403 insufficient_scope and never runs`, async () => {
        const log = [];
        const client = await connect(gw.url, mode, await gw.token('reader'), log);
        const runs = backend.calls.length;
        try {
          await assert.rejects(client.callTool({ name: 'add', arguments: { a: 1, b: 2 } }));
        } finally {
          await client.close();
        }
        assert.equal(backend.calls.length, runs, 'the refused tool ran');
        const refused = log.find((e) => e.status === 403);
        assert.ok(refused, `no 403 among ${log.map((e) => e.status).join(', ')}`);
        const c = parseChallenge(refused.headers['www-authenticate']);
        assert.deepEqual([c.params.error, c.params.scope], ['insufficient_scope', 'mcp:tools mcp:math']);
        assert.equal(refused.requestHeaders.authorization?.startsWith('Bearer '), true, 'the auth provider sent no token');
      });

      test(`${label}: without a token the client cannot connect and is pointed at the metadata`, async () => {
        const log = [];
        const before = backend.requests.length;
        await assert.rejects(connect(gw.url, mode, undefined, log));
        const denied = log.find((e) => e.status === 401);
        assert.ok(denied, `no 401 among ${log.map((e) => e.status).join(', ')}`);
        const c = parseChallenge(denied.headers['www-authenticate']);
        assert.equal(c.params.resource_metadata, `${gw.origin}/.well-known/oauth-protected-resource/mcp`);
        // Only POSTs count: an earlier client's GET stream or DELETE (the SDK sends them without
        // awaiting) may still land, and this client never got far enough to send either.
        const since = backend.requests.slice(before).filter((r) => r.method === 'POST');
        assert.deepEqual(since.map((r) => `${r.method} ${r.body?.method}`), [], 'the backend was contacted');
      });
    }

    test('the backend never saw a client token', () => {
      assert.ok(backend.requests.length > 0);
      assert.deepEqual(backend.requests.filter((r) => r.headers.authorization !== undefined).length, 0);
    });
  });
}
