// E2E: Higress `_rules_` (README "Higress rules: `_rules_`") in real Envoy. One Envoy config
// (envoy/envoy.yaml with its route_config and clusters replaced) has three virtual hosts —
// `a.example.com`, `*.other.test`, `*` — each with the named routes `route-a` (/a → backend_a),
// `route-b` (/b → backend_b), `plain` (/plain → backend_plain, a plain HTTP echo server, not
// MCP) and `default` (/ → backend_c). Three real SDK MCP backends (a, b, c) tell the chosen
// configuration apart by which of them is contacted; each rule also has its own `server.name`
// (the gateway's initialize answer) and its own allowTools (the tools/list result). A fourth
// route, `route-sse` (/s → backend_sse, a legacy HTTP+SSE SDK server), has a transport-sse rule.
//
//  - Envoy "rules only": no top-level `server`, so requests no rule matches pass untouched.
//  - Envoy "global + rules": a top-level configuration for non-matching requests, and the rules
//    in the reverse order (first match wins, whatever the match kind).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ALL_TOOLS, startBackend } from '../examples/backend/server.mjs';
import { startSseBackend } from '../examples/backend/sse-server.mjs';
import { startHttpBackend } from './support/backends.mjs';
import { addClusters, nodeFetch, postJson, rawRequest, renderEnvoyConfig, startEnvoy, withEnvoyLog } from './support/envoy.mjs';
import { eventually } from './support/wait.mjs';

const TEST_TIMEOUT = 20000;
const ALLOW_HEADER = 'x-envoy-allow-mcp-tools';

const sorted = (a) => [...a].sort();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const rpc = (id, method, params) => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
const INITIALIZE = rpc(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } });

/** Route list shared by every virtual host (route names repeat across virtual hosts). */
function routes() {
  return [
    { name: 'route-a', match: { prefix: '/a' }, route: { cluster: 'backend_a', timeout: '0s' } },
    { name: 'route-b', match: { prefix: '/b' }, route: { cluster: 'backend_b', timeout: '0s' } },
    { name: 'plain', match: { prefix: '/plain' }, route: { cluster: 'backend_plain', timeout: '0s' } },
    { name: 'route-sse', match: { prefix: '/s' }, route: { cluster: 'backend_sse', timeout: '0s' } },
    { name: 'default', match: { prefix: '/' }, route: { cluster: 'backend_c', timeout: '0s' } },
  ];
}

/**
 * envoy/envoy.yaml rendered with `pluginConfig`, its route_config replaced by three virtual
 * hosts and its single cluster by one per backend (`ports`: {backend_a: port, ...}). The access
 * log path and admin port stay placeholders for startEnvoy.
 */
function rulesEnvoyYaml(pluginConfig, ports) {
  const doc = YAML.parse(renderEnvoyConfig({ listenPort: 0, adminPort: 0, backendPort: 1, pluginConfig }));
  const hcm = doc.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  hcm.access_log[0].typed_config.path = '${ACCESS_LOG}';
  hcm.route_config = {
    name: 'rules_route',
    virtual_hosts: [
      { name: 'vh-example', domains: ['a.example.com'], routes: routes() },
      { name: 'vh-other', domains: ['*.other.test'], routes: routes() },
      { name: 'vh-any', domains: ['*'], routes: routes() },
    ],
  };
  addClusters(doc, ports);
  doc.static_resources.clusters.shift(); // the template's own cluster: every route names one of `ports`
  return YAML.stringify(doc);
}

/** An SDK client on http://127.0.0.1:<port><path>, sending `host` as Host when given. */
async function connect(envoy, path, host) {
  const client = new Client({ name: 'rules-e2e', version: '1.0.0' });
  const url = new URL(`http://127.0.0.1:${envoy.port}${path}`);
  const transport = new StreamableHTTPClientTransport(url, host ? { fetch: nodeFetch([], { host }) } : undefined);
  await client.connect(transport);
  return client;
}

/** A JSON-RPC POST to `path` on the Envoy with Host `host`. */
function mcpPost(envoy, path, host, body, headers = {}) {
  return postJson(`http://127.0.0.1:${envoy.port}${path}`, body, { ...(host ? { host } : {}), ...headers });
}

/** Asserts an HTTP 200 JSON-RPC result and returns it. */
function resultOf(reply) {
  assert.equal(reply.status, 200, `HTTP ${reply.status}: ${reply.text}`);
  assert.ok(reply.json?.result, `no result: ${reply.text}`);
  return reply.json.result;
}

// ---------------------------------------------------------------------------------------------
// Backends (started before the suites are declared; closed at the end of the file).

/** A plain HTTP echo server: answers 203 with the request it saw, as JSON, and x-echo: plain. */
const plain = await startHttpBackend((rec, _req, res) => {
  const text = JSON.stringify({ method: rec.method, path: rec.path, headers: rec.headers, body: rec.text });
  res.writeHead(203, { 'content-type': 'application/json', 'x-echo': 'plain', 'content-length': Buffer.byteLength(text) });
  res.end(text);
});
const mcp = { a: await startBackend(), b: await startBackend(), c: await startBackend() };
const sse = await startSseBackend();
const PORTS = { backend_a: mcp.a.port, backend_b: mcp.b.port, backend_c: mcp.c.port, backend_plain: plain.port, backend_sse: sse.port };
after(async () => {
  await plain.close();
  await sse.close();
  for (const b of Object.values(mcp)) await b.close();
});

/** The three rule configurations: each names its own server and allows its own tools. */
const RULE = {
  route: {
    _match_route_: ['route-a'],
    server: { name: 'rule-route-a', type: 'mcp-proxy', mcpServerURL: mcp.a.url, timeout: 5000 },
    allowTools: ['echo'],
  },
  domain: {
    _match_domain_: ['*.other.test', 'mcp.local'],
    // Domain-matched requests may arrive on any route: the backend is named explicitly.
    server: { name: 'rule-domain-other', type: 'mcp-proxy', mcpServerURL: mcp.c.url, cluster: 'backend_c', allowTools: ['add', 'weather'] },
  },
  service: {
    _match_service_: ['backend_b'],
    server: { name: 'rule-service-b', type: 'mcp-proxy', mcpServerURL: mcp.b.url },
    allowTools: ['image', 'fail'],
  },
  sse: {
    _match_service_: ['backend_sse'],
    server: { name: 'rule-sse', type: 'mcp-proxy', transport: 'sse', mcpServerURL: sse.url, timeout: 3000 },
    allowTools: ['echo', 'image'],
  },
};
const EXPECT = {
  route: { name: 'rule-route-a', tools: ['echo'], backend: 'a' },
  domain: { name: 'rule-domain-other', tools: ['add', 'weather'], backend: 'c' },
  service: { name: 'rule-service-b', tools: ['fail', 'image'], backend: 'b' },
  global: { name: 'global', tools: ['add', 'echo', 'image'], backend: 'c' },
  nomerge: { name: 'rule-nomerge', tools: sorted(ALL_TOOLS), backend: 'c' },
};

/**
 * Asserts that requests to `path` with Host `host` get configuration `which` (a key of EXPECT):
 * the gateway's initialize names it, tools/list is its allowTools, and only its backend is
 * contacted (initialize → initialized → tools/list).
 */
async function assertConfig(envoy, path, host, which) {
  const want = EXPECT[which];
  const init = resultOf(await mcpPost(envoy, path, host, INITIALIZE));
  assert.equal(init.serverInfo?.name, want.name, `initialize on ${host ?? '127.0.0.1'}${path}: ${JSON.stringify(init)}`);
  const counts = Object.fromEntries(Object.entries(mcp).map(([k, b]) => [k, b.requests.length]));
  const plainCount = plain.requests.length;
  const list = resultOf(await mcpPost(envoy, path, host, rpc(2, 'tools/list')));
  assert.deepEqual(sorted(list.tools.map((t) => t.name)), want.tools, `tools/list on ${host ?? '127.0.0.1'}${path}`);
  const posts = mcp[want.backend].requests.slice(counts[want.backend]).filter((r) => r.method === 'POST').map((r) => r.body?.method);
  // A backend's first exchange probes its era (server/discover) and shakes hands; the backend
  // session is kept, so later ones send only the call.
  const call = posts[0] === 'server/discover' ? posts.slice(1) : posts;
  assert.ok(['initialize,notifications/initialized,tools/list', 'tools/list'].includes(call.join(',')), `backend ${want.backend} contacted: ${posts}`);
  for (const [k, b] of Object.entries(mcp)) {
    if (k !== want.backend) assert.equal(b.requests.length, counts[k], `backend ${k} must not be contacted`);
  }
  assert.equal(plain.requests.length, plainCount, 'the echo server must not be contacted');
}

/** Asserts a request reached the echo server unchanged and its answer reached the client. */
async function assertPlainPassThrough(envoy, { method, path, host, headers = {}, body }) {
  const from = plain.requests.length;
  const counts = Object.fromEntries(Object.entries(mcp).map(([k, b]) => [k, b.requests.length]));
  const reply = await rawRequest(`http://127.0.0.1:${envoy.port}${path}`, {
    method, body, headers: { ...(host ? { host } : {}), ...headers },
  });
  assert.equal(reply.status, 203, `HTTP ${reply.status}: ${reply.text}`);
  assert.equal(reply.headers['x-echo'], 'plain');
  assert.ok(reply.json, `echo body is not JSON: ${reply.text}`);
  const recs = plain.requests.slice(from);
  assert.equal(recs.length, 1, 'the echo server saw the request once');
  const [rec] = recs;
  assert.equal(rec.method, method);
  assert.equal(rec.path, path);
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  assert.equal(rec.text, text, 'body unchanged');
  for (const [k, v] of Object.entries(headers)) assert.equal(rec.headers[k], v, `header ${k} unchanged`);
  if (host) assert.equal(rec.headers.host, host);
  if (text !== '') assert.equal(rec.headers['content-length'], String(Buffer.byteLength(text)));
  assert.deepEqual(reply.json, { method, path, headers: rec.headers, body: text }, 'the echo server\'s body reached the client');
  for (const [k, b] of Object.entries(mcp)) assert.equal(b.requests.length, counts[k], `backend ${k} must not be contacted`);
}

const itWithLog = (envoyOf) => (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(envoyOf(), fn));

// ---------------------------------------------------------------------------------------------

describe('rules only (no global server): route, domain and service rules; unmatched requests untouched', () => {
  const ctx = {};
  const pluginConfig = { _rules_: [RULE.route, RULE.domain, RULE.service, RULE.sse] };
  before(async () => {
    ctx.envoy = await startEnvoy({ configYaml: rulesEnvoyYaml(pluginConfig, PORTS) });
  });
  after(async () => { await ctx.envoy?.stop(); });
  const test = itWithLog(() => ctx.envoy);

  test('route-a (any host) gets the route rule: SDK client sees its server name, its tools, its backend', async () => {
    const client = await connect(ctx.envoy, '/a');
    try {
      assert.equal(client.getServerVersion()?.name, 'rule-route-a');
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ['echo']);
      const from = mcp.a.requests.length;
      const r = await client.callTool({ name: 'echo', arguments: { text: 'via route-a' } });
      assert.deepEqual(r.content, [{ type: 'text', text: 'via route-a' }]);
      assert.ok(mcp.a.requests.slice(from).some((q) => q.body?.method === 'tools/call'), 'backend a ran the call');
      // The access log names the rule's server (filter state mcp_server_name / mcp_tool_name).
      const line = await eventually(() => ctx.envoy.accessLog().find((l) => l.includes('server=rule-route-a tool=echo')));
      assert.ok(line, `access log: ${ctx.envoy.accessLog().join('\n')}`);
      await assert.rejects(client.callTool({ name: 'add', arguments: { a: 1, b: 2 } }), (e) => e.code === -32602);
    } finally {
      await client.close().catch(() => {});
    }
  });

  test('route-a: also under Host a.example.com and on a longer path (/a/mcp)', async () => {
    await assertConfig(ctx.envoy, '/a', 'a.example.com', 'route');
    await assertConfig(ctx.envoy, '/a/mcp', undefined, 'route');
  });

  test('route-a: a GET is handled by the rule\'s configuration (405), not forwarded', async () => {
    const from = mcp.a.requests.length;
    const reply = await rawRequest(`http://127.0.0.1:${ctx.envoy.port}/a`, { method: 'GET' });
    assert.equal(reply.status, 405, reply.text);
    assert.equal(reply.headers.allow, 'POST');
    await sleep(50);
    assert.equal(mcp.a.requests.length, from);
  });

  test('Host x.other.test gets the domain rule (SDK client, Host header)', async () => {
    const client = await connect(ctx.envoy, '/mcp', 'x.other.test');
    try {
      assert.equal(client.getServerVersion()?.name, 'rule-domain-other');
      const { tools } = await client.listTools();
      assert.deepEqual(sorted(tools.map((t) => t.name)), ['add', 'weather']);
      const r = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
      assert.deepEqual(r.content, [{ type: 'text', text: '5' }]);
    } finally {
      await client.close().catch(() => {});
    }
  });

  test('the domain match ignores case and port, and takes any depth of subdomain; the exact pattern matches exactly', async () => {
    await assertConfig(ctx.envoy, '/mcp', 'X.Other.TEST:8443', 'domain');
    await assertConfig(ctx.envoy, '/mcp', 'deep.x.other.test', 'domain');
    await assertConfig(ctx.envoy, '/mcp', 'MCP.local:80', 'domain');
  });

  test('route-sse (cluster backend_sse) gets a rule with transport sse: GET /sse + POSTs to its backend', async () => {
    const client = await connect(ctx.envoy, '/s');
    try {
      assert.equal(client.getServerVersion()?.name, 'rule-sse');
      const { tools } = await client.listTools();
      assert.deepEqual(sorted(tools.map((t) => t.name)), ['echo', 'image']);
      const from = sse.requests.length;
      const r = await client.callTool({ name: 'echo', arguments: { text: 'via sse rule' } });
      assert.deepEqual(r.content, [{ type: 'text', text: 'via sse rule' }]);
      const recs = sse.requests.slice(from).map((q) => `${q.method} ${new URL(q.url, 'http://x').pathname}`);
      assert.deepEqual(recs, ['GET /sse', 'POST /messages', 'POST /messages', 'POST /messages']);
    } finally {
      await client.close().catch(() => {});
    }
  });

  test('route-b (cluster backend_b) gets the service rule', async () => {
    await assertConfig(ctx.envoy, '/b', undefined, 'service');
    await assertConfig(ctx.envoy, '/b/anything', 'a.example.com', 'service');
  });

  test('first match wins: Host x.other.test on route-a → the route rule (listed first)', async () => {
    await assertConfig(ctx.envoy, '/a', 'x.other.test', 'route');
  });

  test('first match wins: Host x.other.test on route-b → the domain rule (listed before the service rule)', async () => {
    await assertConfig(ctx.envoy, '/b', 'x.other.test', 'domain');
  });

  for (const host of ['other.test', 'xother.test', 'unrelated.test', undefined]) {
    test(`no rule matches (Host ${host ?? '127.0.0.1'}, route default): an MCP POST reaches backend c untouched`, async () => {
      const from = mcp.c.requests.length;
      const reply = await mcpPost(ctx.envoy, '/mcp', host, INITIALIZE, { [ALLOW_HEADER]: 'echo', 'x-custom': '1' });
      // Answered by the backend itself (its own name and session id), not by the gateway.
      assert.equal(reply.status, 200, reply.text);
      assert.ok(reply.headers['mcp-session-id'], 'the backend issued a session');
      assert.match(reply.text, /"name":"example-backend"/);
      const recs = mcp.c.requests.slice(from);
      assert.equal(recs.length, 1);
      assert.equal(recs[0].headers[ALLOW_HEADER], 'echo', 'the allow header is not stripped');
      assert.equal(recs[0].headers['x-custom'], '1');
      assert.deepEqual(recs[0].body, INITIALIZE);
    });
  }

  test('plain route, unrelated Host: a GET reaches the echo server unchanged (allow header kept)', async () => {
    await assertPlainPassThrough(ctx.envoy, {
      method: 'GET', path: '/plain/x?q=1&r=%20', host: 'unrelated.test',
      headers: { [ALLOW_HEADER]: 'echo', 'x-custom': 'yes', authorization: 'Bearer plain-token', 'mcp-session-id': 's-1' },
    });
  });

  test('plain route: a POST with a non-MCP body reaches the echo server unchanged', async () => {
    await assertPlainPassThrough(ctx.envoy, {
      method: 'POST', path: '/plain/form', host: 'unrelated.test', body: 'hello=world&x=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded', [ALLOW_HEADER]: 'add' },
    });
  });

  test('plain route: a POST with a JSON-RPC tools/call body also passes untouched (no rule, no global)', async () => {
    await assertPlainPassThrough(ctx.envoy, {
      method: 'POST', path: '/plain', body: rpc(9, 'tools/call', { name: 'echo', arguments: { text: 'x' } }),
      headers: { 'content-type': 'application/json', [ALLOW_HEADER]: 'echo' },
    });
  });

  test('plain route: DELETE and a body that is not JSON pass untouched', async () => {
    await assertPlainPassThrough(ctx.envoy, { method: 'DELETE', path: '/plain/session', headers: { 'mcp-session-id': 'abc' } });
    await assertPlainPassThrough(ctx.envoy, { method: 'POST', path: '/plain', body: '{not json', headers: { 'content-type': 'application/json' } });
  });
});

describe('global configuration + rules in reverse order (service, domain, route)', () => {
  const ctx = {};
  const pluginConfig = {
    server: { name: 'global', type: 'mcp-proxy', mcpServerURL: mcp.c.url, cluster: 'backend_c', timeout: 5000 },
    allowTools: ['echo', 'add', 'image'],
    _rules_: [
      RULE.service, RULE.domain, RULE.route,
      // No allowTools of its own: the global allowTools must not be merged into it.
      { _match_domain_: ['nomerge.test'], server: { name: 'rule-nomerge', type: 'mcp-proxy', mcpServerURL: mcp.c.url, cluster: 'backend_c' } },
    ],
  };
  before(async () => {
    ctx.envoy = await startEnvoy({ configYaml: rulesEnvoyYaml(pluginConfig, PORTS) });
  });
  after(async () => { await ctx.envoy?.stop(); });
  const test = itWithLog(() => ctx.envoy);

  test('a request no rule matches gets the global configuration (SDK client)', async () => {
    const client = await connect(ctx.envoy, '/mcp', 'unrelated.test');
    try {
      assert.equal(client.getServerVersion()?.name, 'global');
      const { tools } = await client.listTools();
      assert.deepEqual(sorted(tools.map((t) => t.name)), ['add', 'echo', 'image']);
    } finally {
      await client.close().catch(() => {});
    }
    await assertConfig(ctx.envoy, '/mcp', undefined, 'global');
    await assertConfig(ctx.envoy, '/mcp', 'other.test', 'global');
  });

  test('the plain route with an unrelated Host is now handled by the global configuration', async () => {
    const from = plain.requests.length;
    const get = await rawRequest(`http://127.0.0.1:${ctx.envoy.port}/plain`, { method: 'GET', headers: { host: 'unrelated.test' } });
    assert.equal(get.status, 405, get.text);
    const post = await rawRequest(`http://127.0.0.1:${ctx.envoy.port}/plain`, {
      method: 'POST', body: 'hello=world', headers: { host: 'unrelated.test', 'content-type': 'text/plain' },
    });
    assert.equal(post.status, 400, post.text);
    assert.equal(post.json?.error?.code, -32700, post.text);
    await assertConfig(ctx.envoy, '/plain', 'unrelated.test', 'global');
    assert.equal(plain.requests.length, from, 'the echo server is not contacted');
  });

  test('rules still apply: route-a, *.other.test, route-b', async () => {
    await assertConfig(ctx.envoy, '/a', undefined, 'route');
    await assertConfig(ctx.envoy, '/mcp', 'x.other.test', 'domain');
    await assertConfig(ctx.envoy, '/b', undefined, 'service');
  });

  test('first match wins in list order: x.other.test on route-b → the service rule (now first)', async () => {
    await assertConfig(ctx.envoy, '/b', 'x.other.test', 'service');
  });

  test('first match wins in list order: x.other.test on route-a → the domain rule (now before the route rule)', async () => {
    await assertConfig(ctx.envoy, '/a', 'x.other.test', 'domain');
  });

  test('a rule is a complete configuration: the global allowTools is not merged into a rule without one', async () => {
    await assertConfig(ctx.envoy, '/mcp', 'nomerge.test', 'nomerge');
    await assertConfig(ctx.envoy, '/mcp', 'sub.nomerge.test', 'global');
  });
});
