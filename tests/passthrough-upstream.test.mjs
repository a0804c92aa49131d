// E2E: what the backend receives in pass-through mode (`server.type: "mcp-passthrough"`).
// The README promises that `:path` and `:authority` of every request become those of
// `server.mcpServerURL`, and that an upstream `apiKey` credential `in: query` is appended to
// the backend URL (url-encoded, after any query mcpServerURL has). Here mcpServerURL names
// another host than the client's `Host` and another path than the client's, and the backend
// serves only that path: a request that keeps the client's path gets the backend's 404.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startBackend } from '../examples/backend/server.mjs';
import { postJson, rawRequest, startEnvoy, withEnvoyLog } from './support/envoy.mjs';
import { eventually } from './support/wait.mjs';

const TEST_TIMEOUT = 30000;
/** The backend's own path: nothing else on the backend answers MCP. */
const BACKEND_PATH = '/backend/mcp';
/** A host name that is not the client's Host (the cluster still points at 127.0.0.1). */
const BACKEND_HOST = 'mcp-upstream.test';
const PROTOCOL = '2025-06-18';
const INIT = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'upstream-e2e', version: '0' } },
};

/**
 * A backend on BACKEND_PATH, and Envoy in front of it with a pass-through config whose
 * mcpServerURL is `http://BACKEND_HOST:<port>BACKEND_PATH<query>`; `server` adds fields.
 */
function upstreamSuite(name, { query = '', server = {} }, body) {
  describe(name, () => {
    const ctx = {};
    before(async () => {
      ctx.backend = await startBackend({ path: BACKEND_PATH, json: true });
      ctx.authority = `${BACKEND_HOST}:${ctx.backend.port}`;
      ctx.envoy = await startEnvoy({
        backendPort: ctx.backend.port,
        pluginConfig: { server: { name: 'pt-upstream', type: 'mcp-passthrough', mcpServerURL: `http://${ctx.authority}${BACKEND_PATH}${query}`, ...server } },
      });
    });
    after(async () => {
      await ctx.envoy?.stop();
      await ctx.backend?.close();
    });
    const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, () => fn(ctx)));
    body(test, ctx);
  });
}

/**
 * A whole SDK session against `url` (initialize, initialized, tools/list, tools/call, the
 * standalone GET stream, DELETE); returns the backend requests it caused.
 */
async function sdkSession(ctx, url) {
  const from = ctx.backend.requests.length;
  const client = new Client({ name: 'upstream-e2e', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  try {
    assert.deepEqual((await client.callTool({ name: 'echo', arguments: { text: 'upstream' } })).content, [{ type: 'text', text: 'upstream' }]);
    assert.ok((await client.listTools()).tools.some((t) => t.name === 'echo'));
    const seenGet = await eventually(() => ctx.backend.requests.slice(from).some((r) => r.method === 'GET'), 5000);
    assert.ok(seenGet, 'the SDK client\'s GET stream reached the backend');
    await transport.terminateSession();
  } finally {
    await client.close().catch(() => {});
  }
  const seen = ctx.backend.requests.slice(from);
  assert.deepEqual([...new Set(seen.map((r) => r.method))].sort(), ['DELETE', 'GET', 'POST']);
  return seen;
}

/** `method path` of each request, for messages. */
const lines = (reqs) => reqs.map((r) => `${r.method} ${r.path} (host ${r.headers.host})`).join('\n');

upstreamSuite('pass-through upstream: path and authority become those of mcpServerURL', {}, (test, ctx) => {
  test('every request of an SDK session (POST, GET, DELETE) reaches the backend at its path and authority', async () => {
    const seen = await sdkSession(ctx, ctx.envoy.url);
    for (const r of seen) {
      assert.equal(r.path, BACKEND_PATH, lines(seen));
      assert.equal(r.headers.host, ctx.authority, lines(seen));
    }
  });

  test('a client on another path, with a query and its own Host: the backend still gets exactly mcpServerURL', async () => {
    const url = `http://127.0.0.1:${ctx.envoy.port}/some/where/else?client=1`;
    const from = ctx.backend.requests.length;
    const r = await postJson(url, INIT, { host: 'gateway.example:8443' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json?.result?.serverInfo?.name, 'example-backend', r.text);
    const seen = ctx.backend.requests.slice(from);
    assert.equal(seen.length, 1, lines(seen));
    assert.equal(seen[0].path, BACKEND_PATH);
    assert.equal(seen[0].headers.host, ctx.authority);
  });
});

upstreamSuite('pass-through upstream: an upstream apiKey credential in the query', {
  query: '?tenant=t1',
  server: {
    securitySchemes: [{ id: 'QueryKey', type: 'apiKey', in: 'query', name: 'api_key', defaultCredential: 'k q&1/é' }],
    defaultUpstreamSecurity: { id: 'QueryKey' },
  },
}, (test, ctx) => {
  const expected = `${BACKEND_PATH}?tenant=t1&api_key=k%20q%261%2F%C3%A9`;

  test('every request of an SDK session carries ?<query of mcpServerURL>&api_key=<url-encoded credential>', async () => {
    const seen = await sdkSession(ctx, ctx.envoy.url);
    for (const r of seen) {
      assert.equal(r.path, expected, lines(seen));
      assert.equal(r.headers.host, ctx.authority, lines(seen));
    }
  });

  test('a client\'s own api_key query parameter never replaces the configured one', async () => {
    const from = ctx.backend.requests.length;
    const r = await postJson(`${ctx.envoy.url}?api_key=from-client`, INIT);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(ctx.backend.requests.slice(from).map((q) => q.path), [expected]);
  });
});

upstreamSuite('pass-through upstream: the client\'s query credential passed through into the upstream query scheme', {
  server: {
    securitySchemes: [
      { id: 'ClientKey', type: 'apiKey', in: 'query', name: 'key' },
      { id: 'QueryKey', type: 'apiKey', in: 'query', name: 'api_key', defaultCredential: 'unused-default' },
    ],
    defaultDownstreamSecurity: { id: 'ClientKey', passthrough: true, required: true },
    defaultUpstreamSecurity: { id: 'QueryKey' },
  },
}, (test, ctx) => {
  test('without ?key= → 401 with the ApiKey challenge, and no backend request', async () => {
    const from = ctx.backend.requests.length;
    for (const method of ['POST', 'GET', 'DELETE']) {
      const r = method === 'POST'
        ? await postJson(ctx.envoy.url, INIT)
        : await rawRequest(ctx.envoy.url, { method, headers: { accept: 'text/event-stream' } });
      assert.equal(r.status, 401, `${method}: HTTP ${r.status}: ${r.text}`);
      assert.equal(r.headers['www-authenticate'], 'ApiKey realm="mcp", in="query", name="key"');
      assert.equal(r.json?.error?.code, -32001, r.text);
    }
    assert.deepEqual(ctx.backend.requests.slice(from), []);
  });

  test('with ?key=: the backend gets the client\'s key as api_key on every request, and never key=', async () => {
    const seen = await sdkSession(ctx, `${ctx.envoy.url}?key=client%20secret`);
    for (const r of seen) assert.equal(r.path, `${BACKEND_PATH}?api_key=client%20secret`, lines(seen));
  });
});
