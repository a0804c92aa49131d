// A bad plugin configuration must make the plugin refuse to start — never a request-time
// failure. With a static Envoy config, a refused wasm filter config stops Envoy at startup, so
// each case starts its own Envoy and expects it to exit, with the plugin's own log line naming
// the offending field (`wasm log <plugin>: server.timeout ...`). The last suite sets every
// optional field at once and shows each one taking effect.
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startSseBackend } from '../examples/backend/sse-server.mjs';
import { initializeResult, rpcResult, startMinimalBackend, startScriptedBackend } from './support/backends.mjs';
import { startEnvoy, startEnvoyExpectFailure, postJson, tail, withEnvoyLog } from './support/envoy.mjs';
import { eventually } from './support/wait.mjs';

/** Port of a backend that is never contacted (nothing here sends a request upstream). */
const BACKEND_PORT = 9;
/** The module under test: build/mcp-proxy.wasm unless MCP_PROXY_WASM names another. */
const WASM_PATH = process.env.MCP_PROXY_WASM;

/** A valid server block; cases break exactly one thing in a copy of it. */
const SERVER = {
  name: 'demo-server',
  type: 'mcp-proxy',
  transport: 'http',
  mcpServerURL: `http://127.0.0.1:${BACKEND_PORT}/mcp`,
  timeout: 5000,
};
const VALID = { server: SERVER, allowTools: ['echo'] };

/** VALID with server fields overridden (undefined deletes the field). */
function withServer(fields) {
  const server = { ...SERVER, ...fields };
  for (const [k, v] of Object.entries(fields)) if (v === undefined) delete server[k];
  return { ...VALID, server };
}

/** A field name as a whole word: `server` must not match inside `server.name`. */
const field = (name) => new RegExp(`(?<![\\w.])${name.replaceAll('.', '\\.')}(?![\\w.])`);
/** Whole-configuration errors (not JSON, not an object) name the configuration itself. */
const WHOLE = /configuration|JSON/i;

const DEEP = 100_000;

/** Invalid configurations: [label, plugin configuration (object, or raw text), what the log names]. */
const INVALID = [
  ['not JSON', '{"server": {"name": "demo-server"', WHOLE],
  ['empty string', '', WHOLE],
  ['JSON array at the top level', JSON.stringify([VALID]), WHOLE],
  [`${DEEP}-deep nesting`, JSON.stringify(VALID).replace(/}$/, `,"tools":${'['.repeat(DEEP)}${']'.repeat(DEEP)}}`), /configuration|JSON|tools/i],
  ['server missing', { allowTools: ['echo'] }, field('server')],
  ['server is a string', { ...VALID, server: 'demo-server' }, field('server')],
  ['server.name empty', withServer({ name: '' }), field('server.name')],
  ['server.type unknown', withServer({ type: 'rest-to-mcp' }), field('server.type')],
  ['server.transport grpc', withServer({ transport: 'grpc' }), field('server.transport')],
  ['server.mcpServerURL missing', withServer({ mcpServerURL: undefined }), field('server.mcpServerURL')],
  ['server.mcpServerURL ftp scheme', withServer({ mcpServerURL: 'ftp://127.0.0.1/mcp' }), field('server.mcpServerURL')],
  ['server.mcpServerURL not a URL', withServer({ mcpServerURL: 'not a url' }), field('server.mcpServerURL')],
  ['server.timeout a string', withServer({ timeout: '5000' }), field('server.timeout')],
  ['server.cluster a number', withServer({ cluster: 7 }), field('server.cluster')],
  ['server.stats a string', withServer({ stats: 'off' }), field('server.stats')],
  ['allowTools a string', { ...VALID, allowTools: 'echo' }, field('allowTools')],
  // server.authorization (OAuth resource server): a misspelt rule key must not silently allow.
  ['server.authorization without authorizationServers', withServer({ authorization: { resource: 'https://h/mcp' } }), field('server.authorization.authorizationServers')],
  ['server.authorization rule with `scope` for `scopes`', withServer({ authorization: { resource: 'https://h/mcp', authorizationServers: ['https://as'], rules: [{ tools: ['echo'], scope: ['x'] }] } }), /server\.authorization\.rules\[0\]\.scope is not a field/],
  // Security schemes and rules (credentials issue): each refuses the plugin at load.
  ['unknown downstream scheme id', withServer({ defaultDownstreamSecurity: { id: 'nope' } }), field('server.defaultDownstreamSecurity.id')],
  ['apiKey scheme without name', withServer({ securitySchemes: [{ id: 'k', type: 'apiKey', in: 'header' }] }), field('server.securitySchemes[0].name'.replace(/[[\]]/g, '\\$&'))],
  ['unknown scheme type', withServer({ securitySchemes: [{ id: 'k', type: 'oauth2' }] }), /server\.securitySchemes\[0\]\.type/],
  ['unknown apiKey in', withServer({ securitySchemes: [{ id: 'k', type: 'apiKey', in: 'cookie', name: 'n' }] }), /server\.securitySchemes\[0\]\.in/],
  ['unknown http scheme', withServer({ securitySchemes: [{ id: 'k', type: 'http', scheme: 'digest' }] }), /server\.securitySchemes\[0\]\.scheme/],
  ['rule with two match keys', { ...VALID, _rules_: [{ _match_route_: ['a'], _match_domain_: ['b'], server: SERVER }] }, /_rules_\[0\]/],
];

/** The plugin's own log lines (Envoy prefixes what proxy_log sends with `wasm log`). */
const pluginLines = (log) => log.split('\n').filter((l) => l.includes('wasm log'));

for (const [label, pluginConfig, names] of INVALID) {
  test(`refuses a configuration with ${label}`, async () => {
    const { exitCode, log } = await startEnvoyExpectFailure({ pluginConfig, backendPort: BACKEND_PORT, wasmPath: WASM_PATH });
    assert.notEqual(exitCode, 0, `Envoy should exit with an error\n${tail(log, 40)}`);
    const lines = pluginLines(log);
    assert.ok(
      lines.some((l) => names.test(l.slice(l.indexOf('wasm log')))),
      `no plugin log line matches ${names}; plugin lines:\n${lines.join('\n') || '(none)'}\n--- envoy log ---\n${tail(log, 40)}`,
    );
    assert.doesNotMatch(log, /mcp-proxy abort|Function: proxy_on_\w+ failed/, 'refusing a config must not trap');
  });
}

test('starts with a valid configuration and answers initialize', async () => {
  const envoy = await startEnvoy({ pluginConfig: VALID, backendPort: BACKEND_PORT, wasmPath: WASM_PATH });
  try {
    const res = await postJson(envoy.url, {
      jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'config-test', version: '1.0.0' } },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json?.id, 1, res.text);
    assert.ok(res.json?.result, res.text);
  } finally {
    await envoy.stop();
  }
});

// Every optional field set at once — and each one shown to take effect, against backends
// that record what they receive (three gateways: terminating over Streamable HTTP, terminating
// over legacy SSE, pass-through).
describe('starts with every optional field set, and each field takes effect', () => {
  const TIMEOUT_MS = 800;
  const ctx = {};
  before(async () => {
    // Streamable HTTP backend: `slow` never answers; everything else is echoed back.
    ctx.http = await startMinimalBackend((msg) => {
      if (msg.method === 'tools/list') return rpcResult(msg, { tools: ['echo', 'add', 'slow', 'big'].map((name) => ({ name, inputSchema: { type: 'object' } })) });
      if (msg.method === 'tools/call' && msg.params?.name === 'slow') return undefined;
      return rpcResult(msg, { content: [{ type: 'text', text: `called ${msg.params?.name}` }] });
    });
    ctx.sse = await startSseBackend();
    // Pass-through backend: a stateful session; tools/list answers with one SSE event of
    // ~3 KB, its first 2000 bytes written at once and the rest only after release().
    ctx.ptHold = {};
    ctx.pt = await startScriptedBackend(async (msg, _req, res) => {
      if (msg?.method === 'initialize') {
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'backend-session-1' });
        return res.end(JSON.stringify(rpcResult(msg, initializeResult(msg))));
      }
      if (msg?.method !== 'tools/list') return msg?.id === undefined ? undefined : rpcResult(msg, {});
      const tools = ['echo', 'add'].map((name) => ({ name, description: name.repeat(400), inputSchema: { type: 'object' } }));
      const text = `event: message\ndata: ${JSON.stringify(rpcResult(msg, { tools }))}\n\n`;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(text.slice(0, 2000));
      await new Promise((resolve) => { ctx.ptHold.release = resolve; });
      res.end(text.slice(2000));
    });
    ctx.httpAuthority = `opt-backend.test:${ctx.http.port}`;
    ctx.terminating = await startEnvoy({
      backendPort: ctx.http.port,
      wasmPath: WASM_PATH,
      pluginConfig: {
        server: {
          name: 'opt-server', type: 'mcp-proxy', transport: 'http',
          mcpServerURL: `http://${ctx.httpAuthority}/custom/mcp`,
          timeout: TIMEOUT_MS, cluster: 'mcp_backend', maxResponseBytes: 1024,
          allowTools: ['echo', 'add', 'slow'],
          cors: { allowOrigins: ['https://app.example'] },
          securitySchemes: [
            { id: 'ClientKey', type: 'apiKey', in: 'header', name: 'x-client-key' },
            { id: 'BackendKey', type: 'apiKey', in: 'header', name: 'x-api-key', defaultCredential: 'k-default' },
          ],
          defaultDownstreamSecurity: { id: 'ClientKey', passthrough: false, required: true },
          defaultUpstreamSecurity: { id: 'BackendKey', credential: 'k-server' },
          passthroughAuthHeader: true,
        },
        allowTools: ['echo', 'slow', 'big'],
        tools: [{ name: 'echo', security: { id: 'ClientKey', passthrough: true }, requestTemplate: { security: { id: 'BackendKey' } } }],
      },
    });
    ctx.legacy = await startEnvoy({
      backendPort: ctx.sse.port,
      wasmPath: WASM_PATH,
      pluginConfig: { server: { name: 'opt-sse', type: 'mcp-proxy', transport: 'sse', mcpServerURL: ctx.sse.url, timeout: 5000, cluster: 'no_such_cluster' } },
    });
    ctx.passthrough = await startEnvoy({
      backendPort: ctx.pt.port,
      wasmPath: WASM_PATH,
      pluginConfig: { server: { name: 'opt-pt', type: 'mcp-passthrough', mcpServerURL: ctx.pt.url, maxResponseBytes: 1024, sessionIdleTimeout: 1, stats: false }, allowTools: ['echo'] },
    });
  });
  after(async () => {
    for (const e of [ctx.terminating, ctx.legacy, ctx.passthrough]) await e?.stop();
    for (const b of [ctx.http, ctx.sse, ctx.pt]) await b?.close();
  });
  const it2 = (title, envoy, fn) => it(title, { timeout: 30000 }, () => withEnvoyLog(ctx[envoy], fn));
  const rpc = (id, method, params) => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
  const KEY = { 'x-client-key': 'client-k' };
  const call = (name, headers = {}) => postJson(ctx.terminating.url, rpc(`c-${name}`, 'tools/call', { name, arguments: {} }), { ...KEY, ...headers });
  const posts = (from) => ctx.http.requests.slice(from).filter((r) => r.method === 'POST');

  it2('server.name, mcpServerURL path and authority', 'terminating', async () => {
    const init = await postJson(ctx.terminating.url, rpc(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '0' } }), KEY);
    assert.equal(init.json?.result?.serverInfo?.name, 'opt-server', init.text);
    const from = ctx.http.requests.length;
    assert.equal((await call('echo')).json?.result?.content?.[0]?.text, 'called echo');
    const seen = posts(from);
    // The first call to the backend probes its era once (server/discover), at the same path.
    assert.deepEqual(seen.map((r) => r.body?.method).filter((m) => m !== 'server/discover'), ['initialize', 'notifications/initialized', 'tools/call']);
    for (const r of seen) {
      assert.equal(r.path, '/custom/mcp');
      assert.equal(r.headers.host, ctx.httpAuthority);
    }
  });

  it2('allowTools ∩ server.allowTools: only echo and slow are listed and callable', 'terminating', async () => {
    const list = await postJson(ctx.terminating.url, rpc(2, 'tools/list'), KEY);
    assert.deepEqual(list.json?.result?.tools?.map((t) => t.name), ['echo', 'slow'], list.text);
    for (const name of ['add', 'big']) {
      const r = await call(name);
      assert.equal(r.json?.error?.code, -32602, r.text);
      assert.equal(r.json.error.message, `Tool not allowed: ${name}`);
    }
  });

  it2('server.timeout: a call the backend never answers → -32603 timeout, no earlier than the deadline', 'terminating', async () => {
    const started = Date.now();
    const r = await call('slow');
    const elapsed = Date.now() - started;
    assert.equal(r.json?.error?.code, -32603, r.text);
    assert.match(r.json.error.message, /^backend call failed: .*time(d)?[ -]?out/i);
    assert.ok(elapsed >= TIMEOUT_MS * 0.9 && elapsed < TIMEOUT_MS * 10, `reply after ${elapsed} ms for server.timeout ${TIMEOUT_MS} ms`);
  });

  it2('cors.allowOrigins: the listed origin gets CORS headers, a loopback origin (allowed by default) is refused', 'terminating', async () => {
    const ok = await postJson(ctx.terminating.url, rpc(3, 'ping'), { ...KEY, origin: 'https://app.example' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers['access-control-allow-origin'], 'https://app.example');
    const refused = await postJson(ctx.terminating.url, rpc(4, 'ping'), { ...KEY, origin: 'http://localhost:5173' });
    assert.equal(refused.status, 403, refused.text);
  });

  it2('security: required downstream key, upstream credential, tools[] overrides, passthroughAuthHeader', 'terminating', async () => {
    const from0 = ctx.http.requests.length;
    const denied = await postJson(ctx.terminating.url, rpc(5, 'ping'));
    assert.equal(denied.status, 401, denied.text);
    assert.equal(denied.headers['www-authenticate'], 'ApiKey realm="mcp", in="header", name="x-client-key"');
    assert.equal(ctx.http.requests.length, from0);
    const auth = { authorization: 'Bearer for-the-backend' };
    const from = ctx.http.requests.length;
    await postJson(ctx.terminating.url, rpc(6, 'tools/list'), { ...KEY, ...auth });
    const listed = posts(from);
    assert.equal(listed.length, 3);
    for (const r of listed) {
      assert.equal(r.headers['x-api-key'], 'k-server', 'defaultUpstreamSecurity.credential');
      assert.equal(r.headers.authorization, auth.authorization, 'passthroughAuthHeader: true');
      assert.equal(r.headers['x-client-key'], undefined);
    }
    const from2 = ctx.http.requests.length;
    await call('echo', auth);
    for (const r of posts(from2)) assert.equal(r.headers['x-api-key'], 'client-k', 'tools[].security passthrough into requestTemplate.security');
  });

  it2('transport sse and server.cluster: the GET /sse follows the route, the endpoint POSTs use the named cluster', 'legacy', async () => {
    const from = ctx.sse.requests.length;
    const r = await postJson(ctx.legacy.url, rpc(7, 'tools/list'));
    assert.equal(r.json?.error?.code, -32603, r.text);
    assert.match(r.json.error.message, /unknown cluster "no_such_cluster"/);
    assert.deepEqual(ctx.sse.requests.slice(from).map((q) => `${q.method} ${q.url.split('?')[0]}`), ['GET /sse']);
  });

  it2('pass-through: maxResponseBytes (a partial tools/list event past it is forwarded unparsed) and sessionIdleTimeout', 'passthrough', async () => {
    const url = ctx.passthrough.url;
    const init = await postJson(url, rpc(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '0' } }));
    const gid = init.headers['mcp-session-id'];
    assert.match(gid ?? '', /^[A-Za-z0-9_-]{26}$/);
    const h = { 'mcp-session-id': gid, 'mcp-protocol-version': '2025-06-18' };
    // Under the bound the gateway would hold the partial event until it is complete (to
    // filter it); past maxResponseBytes it forwards the bytes unparsed at once — so the
    // client sees the first 2000 bytes while the backend still holds the rest.
    const chunks = [];
    const done = new Promise((resolve, reject) => {
      const body = JSON.stringify(rpc(2, 'tools/list'));
      const req = http.request(url, {
        method: 'POST', agent: false,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': Buffer.byteLength(body), ...h },
      }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (c) => chunks.push(c));
        res.on('end', resolve);
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
    const early = await eventually(() => chunks.join('').length >= 2000 && ctx.ptHold.release, 5000);
    assert.ok(early, `before the backend sent the rest, the client got ${chunks.join('').length} bytes`);
    ctx.ptHold.release();
    await done;
    assert.match(chunks.join(''), /"name":"add"/, 'past maxResponseBytes the answer passes unfiltered');
    // Idle for more than sessionIdleTimeout (1 s): the gateway id has expired.
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const late = await postJson(url, rpc(3, 'ping'), h);
    assert.equal(late.status, 404, late.text);
    assert.equal(late.json?.error?.message, 'Session not found');
  });

  it2('server.stats false: the pass-through server defines no stats, the terminating one (default true) does', 'passthrough', async () => {
    const r = await postJson(ctx.passthrough.url, rpc(4, 'ping'));
    assert.equal(r.status, 200, r.text);
    const off = await ctx.passthrough.admin('/stats?filter=wasmcustom%5C.mcp%5C.');
    assert.equal(off.status, 200);
    assert.equal(off.text.trim(), '', `no mcp stats expected with server.stats false:\n${off.text}`);
    const on = await ctx.terminating.admin('/stats?filter=wasmcustom%5C.mcp%5C.requests_total');
    assert.match(on.text, /mcp_server=opt-server\.mcp_method=initialize\.outcome=ok: [1-9]/, on.text);
  });
});
