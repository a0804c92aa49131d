// E2E: terminating mode (`mcp-proxy`) and MCP 2026-07-28 specifics, in real Envoy.
//  (a) every check the gateway makes of a modern request (exact HTTP status, JSON-RPC code,
//      and `data` of -32022), with no backend contacted; legacy requests unchanged
//  (b) what a modern backend gets: one POST per call after the first discover, the mirrored
//      headers (Mcp-Name base64 when unsafe, Mcp-Param-* and credentials passed on) and a
//      `_meta` with the gateway's clientInfo and the client's capabilities and trace context
//  (d) multi round-trip (input_required) through the gateway
// (c) results and (e) era re-probing: modern-results.test.mjs, modern-reprobe.test.mjs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startModernBackend } from '../examples/backend/modern-server.mjs';
import { postJson, withEnvoyLog } from './support/envoy.mjs';
import {
  GATEWAY_CLIENT_INFO, GATEWAY_VERSIONS, K, MODERN, assertRefused, assertRpcRejects,
  b64, connectClient, meta, modernHeaders, modernPost, postsSince, rpc, sleep, startGateway, stopGateway, termConfig,
} from './support/modern.mjs';

const TEST_TIMEOUT = 20000;
const SECURE_HOST = 'secure.test';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01';
/** Latin-1 string whose bytes are the UTF-8 of s (node sends header strings byte per char). */
const rawUtf8 = (s) => Buffer.from(s, 'utf8').toString('latin1');

/** A terminating gateway whose `secure.test` rule requires an X-Client-Key and sends x-api-key upstream. */
function configWithRules(backend) {
  const c = termConfig(backend, { allowRule: true });
  c._rules_.push({
    _match_domain_: [SECURE_HOST],
    server: {
      ...c.server, name: 'secure',
      securitySchemes: [
        { id: 'ClientKey', type: 'apiKey', in: 'header', name: 'X-Client-Key' },
        { id: 'BackKey', type: 'apiKey', in: 'header', name: 'x-api-key', defaultCredential: 'up-key' },
      ],
      defaultDownstreamSecurity: { id: 'ClientKey', required: true },
      defaultUpstreamSecurity: { id: 'BackKey' },
    },
  });
  return c;
}

/** One shared modern-only backend and its gateway, for (a), (b) and (d). */
const ctx = {};
before(async () => {
  ctx.backend = await startModernBackend({ legacy: 'reject' });
  ctx.envoy = await startGateway(ctx.backend, configWithRules(ctx.backend));
});
after(async () => {
  await ctx.backend?.close();
  await stopGateway(ctx.envoy);
});
const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, fn));

describe('(b) backend requests per call', () => {
  test('the first call probes with server/discover; later calls are one POST each', async () => {
    const from = ctx.backend.requests.length;
    assert.equal((await modernPost(ctx.envoy.url, 1, 'tools/list')).status, 200);
    const [discover, list] = postsSince(ctx.backend, from);
    assert.equal(postsSince(ctx.backend, from).length, 2);
    assert.equal(discover.body.method, 'server/discover');
    assert.equal(discover.headers['mcp-protocol-version'], MODERN);
    assert.equal(discover.headers['mcp-method'], 'server/discover');
    assert.deepEqual(discover.body.params._meta, { [K.version]: MODERN, [K.info]: GATEWAY_CLIENT_INFO, [K.caps]: {} });
    assert.equal(list.body.method, 'tools/list');
    for (const [i, [method, params]] of [['tools/list', {}], ['tools/call', { name: 'echo', arguments: { text: 'x' } }], ['tools/list', {}]].entries()) {
      const before = ctx.backend.requests.length;
      const reply = await modernPost(ctx.envoy.url, 10 + i, method, params);
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(postsSince(ctx.backend, before).map((r) => r.body.method), [method]);
    }
  });

  test('a modern call: mirrored headers, rebuilt params, the gateway clientInfo and the client _meta', async () => {
    const from = ctx.backend.requests.length;
    const caps = { elicitation: { form: {} }, roots: {} };
    const clientMeta = meta({ caps, info: { name: 'someone', version: '9' }, traceparent: TRACEPARENT, tracestate: 'vendor=x', progressToken: 'p-1' });
    const reply = await modernPost(ctx.envoy.url, 'c1', 'tools/call', { name: 'echo', arguments: { text: 'hello' }, _meta: clientMeta, junk: 1 });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.id, 'c1');
    assert.deepEqual(reply.json.result.content, [{ type: 'text', text: 'hello' }]);
    const posts = postsSince(ctx.backend, from);
    assert.equal(posts.length, 1);
    const { headers, body } = posts[0];
    assert.equal(headers['mcp-protocol-version'], MODERN);
    assert.equal(headers['mcp-method'], 'tools/call');
    assert.equal(headers['mcp-name'], 'echo');
    assert.equal(body.method, 'tools/call');
    assert.deepEqual(Object.keys(body.params).sort(), ['_meta', 'arguments', 'name'], 'only the fields the gateway understands');
    assert.deepEqual(body.params._meta, {
      [K.version]: MODERN, [K.info]: GATEWAY_CLIENT_INFO, [K.caps]: caps, traceparent: TRACEPARENT, tracestate: 'vendor=x', progressToken: 'p-1',
    });
    assert.equal(ctx.backend.calls.at(-1).meta?.traceparent, TRACEPARENT, 'the backend handler sees the trace context');
  });

  for (const name of ['工具', 'héllo']) {
    test(`Mcp-Name of ${name} goes base64-encoded both ways`, async () => {
      const from = ctx.backend.requests.length;
      const reply = await modernPost(ctx.envoy.url, 2, 'tools/call', { name, arguments: {} }, { 'mcp-name': b64(name) });
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(reply.json.result.content, [{ type: 'text', text: `hi from ${name}` }]);
      const [post] = postsSince(ctx.backend, from);
      assert.equal(post.headers['mcp-name'], b64(name));
      assert.equal(post.body.params.name, name);
    });
  }

  test('a progressToken reaches the backend, whose SSE answer (progress, then result) is read', async () => {
    const reply = await modernPost(ctx.envoy.url, 'p', 'tools/call', { name: 'slow', arguments: {}, _meta: meta({ progressToken: 'tok' }) });
    assert.equal(reply.status, 200, reply.text);
    assert.match(reply.headers['content-type'], /^application\/json/);
    assert.deepEqual(reply.json.result.content, [{ type: 'text', text: 'slow done' }]);
    assert.equal(ctx.backend.calls.at(-1).meta?.progressToken, 'tok');
  });

  test('Mcp-Param-Region reaches the backend (which requires it for x-mcp-header)', async () => {
    const from = ctx.backend.requests.length;
    const reply = await modernPost(ctx.envoy.url, 3, 'tools/call', { name: 'region', arguments: { region: 'eu' } }, { 'Mcp-Param-Region': 'eu' });
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.json.result.content, [{ type: 'text', text: 'region=eu' }]);
    assert.equal(postsSince(ctx.backend, from)[0].headers['mcp-param-region'], 'eu');
  });

  test('credentials: 401 before any modern check; with the key, the backend gets the upstream one', async () => {
    const url = ctx.envoy.url;
    const bad = { host: SECURE_HOST, 'mcp-method': 'tools/list', 'mcp-name': b64('add') };
    const from = ctx.backend.requests.length;
    const denied = await modernPost(url, 4, 'tools/call', { name: 'echo', arguments: { text: 'x' } }, bad);
    assert.equal(denied.status, 401, denied.text);
    const ok = await modernPost(url, 5, 'tools/call', { name: 'echo', arguments: { text: 'x' } }, { host: SECURE_HOST, 'x-client-key': 'k' });
    assert.equal(ok.status, 200, ok.text);
    const posts = postsSince(ctx.backend, from);
    assert.deepEqual(posts.map((r) => r.body.method), ['tools/call']);
    assert.equal(posts[0].headers['x-api-key'], 'up-key');
    assert.equal(posts[0].headers['x-client-key'], undefined);
  });

  // Spec (streamable-http, x-mcp-header): clients MUST mirror such arguments into
  // Mcp-Param-{Name}; toward a modern backend the gateway is that client. FAILS today: the
  // gateway forwards only the Mcp-Param-* headers its own client sent, so a legacy client
  // gets the backend's -32020 "Mcp-Param-Region header is absent".
  test('a legacy client calling an x-mcp-header tool: the gateway mirrors the argument (Mcp-Param-Region)', async () => {
    const from = ctx.backend.requests.length;
    const reply = await postJson(ctx.envoy.url, rpc(6, 'tools/call', { name: 'region', arguments: { region: 'eu' } }), { 'mcp-protocol-version': '2025-06-18' });
    assert.equal(postsSince(ctx.backend, from).at(-1)?.headers['mcp-param-region'], 'eu', reply.text);
    assert.deepEqual(reply.json.result?.content, [{ type: 'text', text: 'region=eu' }], reply.text);
  });

  test('a legacy client is served by one modern POST with clientCapabilities {}', async () => {
    const client = await connectClient('SDK 1.x', ctx.envoy.url);
    try {
      const from = ctx.backend.requests.length;
      const r = await client.callTool({ name: 'echo', arguments: { text: 'old' } });
      assert.deepEqual(r.content, [{ type: 'text', text: 'old' }]);
      const posts = postsSince(ctx.backend, from);
      assert.equal(posts.length, 1);
      assert.deepEqual(posts[0].body.params._meta, { [K.version]: MODERN, [K.info]: GATEWAY_CLIENT_INFO, [K.caps]: {} });
    } finally {
      await client.close();
    }
  });
});

/** Arguments of a tools/call of echo. */
const ECHO = { name: 'echo', arguments: { text: 'x' } };
/** The version header of a 2025-era client after initialize. */
const LEGACY_HEADERS = { 'mcp-protocol-version': '2025-06-18' };

/**
 * Refused requests: [title, method, params, header overrides, status, code, message fragment,
 * requested (-32022)].
 * Params get meta() unless they carry `_meta` (`null` there = no `_meta` at all); headers
 * are the mirrors a conforming client sends, overridden (undefined drops one).
 */
const REFUSED = [
  ['MCP-Protocol-Version repeated', 'tools/list', {}, { 'mcp-protocol-version': [MODERN, MODERN] }, 400, -32020, 'MCP-Protocol-Version is repeated'],
  ['MCP-Protocol-Version the gateway does not speak (modern body)', 'tools/list', {}, { 'mcp-protocol-version': '2099-01-01' }, 400, -32022, 'Unsupported protocol version: 2099-01-01', '2099-01-01'],
  ['MCP-Protocol-Version the gateway does not speak (legacy body)', 'tools/list', { _meta: null }, { 'mcp-protocol-version': '2025-01-01', 'mcp-method': undefined }, 400, -32022, 'Unsupported protocol version: 2025-01-01', '2025-01-01'],
  ['MCP-Protocol-Version the gateway does not speak (initialize)', 'initialize', { _meta: null, protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'r', version: '0' } },
    { 'mcp-protocol-version': '2024-01-01', 'mcp-method': undefined }, 400, -32022, 'Unsupported protocol version: 2024-01-01', '2024-01-01'],
  ['_meta protocolVersion not a string', 'tools/list', { _meta: { [K.version]: 20260728, [K.caps]: {} } }, {}, 400, -32602, 'must be a string'],
  ['modern header, no _meta', 'tools/list', { _meta: null }, {}, 400, -32602, 'protocolVersion is required'],
  ['modern header, _meta without protocolVersion', 'tools/list', { _meta: { [K.caps]: {} } }, {}, 400, -32602, 'protocolVersion is required'],
  ['_meta version the gateway does not speak', 'tools/list', { _meta: meta({ version: '2099-01-01' }) }, {}, 400, -32022, 'Unsupported protocol version: 2099-01-01', '2099-01-01'],
  ['_meta carrying a legacy version', 'tools/list', { _meta: meta({ version: '2025-11-25' }) }, { 'mcp-protocol-version': '2025-11-25' }, 400, -32022, 'Unsupported protocol version: 2025-11-25', '2025-11-25'],
  ['_meta version without the header', 'tools/list', {}, { 'mcp-protocol-version': undefined }, 400, -32020, 'MCP-Protocol-Version header is required'],
  ['header and _meta versions differ', 'tools/list', {}, { 'mcp-protocol-version': '2025-11-25' }, 400, -32020, 'does not match _meta'],
  ['no clientCapabilities', 'tools/list', { _meta: meta({ caps: null }) }, {}, 400, -32602, 'clientCapabilities (an object) is required'],
  ['clientCapabilities not an object', 'tools/list', { _meta: meta({ caps: [] }) }, {}, 400, -32602, 'clientCapabilities (an object) is required'],
  ['Mcp-Method missing', 'tools/list', {}, { 'mcp-method': undefined }, 400, -32020, 'Mcp-Method header is required'],
  ['Mcp-Method differs', 'tools/list', {}, { 'mcp-method': 'tools/call' }, 400, -32020, 'does not match body method'],
  ['Mcp-Method differs in case', 'tools/list', {}, { 'mcp-method': 'Tools/List' }, 400, -32020, 'does not match body method'],
  ['Mcp-Method repeated', 'tools/list', {}, { 'mcp-method': ['tools/list', 'tools/list'] }, 400, -32020, 'Mcp-Method is repeated'],
  ['Mcp-Method differs on a legacy request', 'tools/list', { _meta: null }, { ...LEGACY_HEADERS, 'mcp-method': 'tools/call' }, 400, -32020, 'does not match body method'],
  ['Mcp-Name missing', 'tools/call', ECHO, { 'mcp-name': undefined }, 400, -32020, 'Mcp-Name header is required'],
  ['Mcp-Name repeated', 'tools/call', ECHO, { 'mcp-name': ['echo', 'echo'] }, 400, -32020, 'Mcp-Name is repeated'],
  ['Mcp-Name differs', 'tools/call', ECHO, { 'mcp-name': 'add' }, 400, -32020, 'does not match params.name'],
  ['Mcp-Name differs after decoding', 'tools/call', ECHO, { 'mcp-name': b64('add') }, 400, -32020, 'does not match params.name'],
  ['Mcp-Name raw UTF-8 (not encoded)', 'tools/call', { name: '工具', arguments: {} }, { 'mcp-name': rawUtf8('工具') }, 400, -32020, 'invalid characters or bad base64'],
  ['Mcp-Name raw Latin-1', 'tools/call', { name: 'héllo', arguments: {} }, { 'mcp-name': 'héllo' }, 400, -32020, 'invalid characters or bad base64'],
  ['Mcp-Name bad base64', 'tools/call', ECHO, { 'mcp-name': '=?base64?@@@?=' }, 400, -32020, 'invalid characters or bad base64'],
  ['Mcp-Name base64 without padding', 'tools/call', ECHO, { 'mcp-name': '=?base64?ZWNobw?=' }, 400, -32020, 'invalid characters or bad base64'],
  ['Mcp-Name base64 of invalid UTF-8', 'tools/call', ECHO, { 'mcp-name': '=?base64?/w==?=' }, 400, -32020, 'invalid characters or bad base64'],
  ['Mcp-Name differs on a legacy request', 'tools/call', { ...ECHO, _meta: null }, { ...LEGACY_HEADERS, 'mcp-method': undefined, 'mcp-name': 'add' }, 400, -32020, 'does not match params.name'],
  ['modern ping', 'ping', {}, {}, 404, -32601, 'Method not found: '],
  ['modern resources/list', 'resources/list', {}, {}, 404, -32601, 'Method not found: '],
  ['modern prompts/get', 'prompts/get', { name: 'p' }, {}, 404, -32601, 'Method not found: '],
  ['modern foo/bar', 'foo/bar', {}, {}, 404, -32601, 'Method not found: '],
  ['modern subscriptions/listen', 'subscriptions/listen', { notifications: { toolsListChanged: true } }, {}, 404, -32601, 'Method not found: '],
];

/** Sends one REFUSED-style request. */
function send(id, method, params, headers) {
  const { _meta, ...rest } = params;
  const p = _meta === null ? rest : { ...rest, _meta: _meta ?? meta() };
  const body = rpc(id, method, Object.keys(p).length > 0 ? p : undefined);
  const name = method === 'tools/call' || method === 'prompts/get' ? p.name : undefined;
  const h = { ...modernHeaders(method, name), ...headers };
  for (const k of Object.keys(h)) if (h[k] === undefined) delete h[k];
  return postJson(ctx.envoy.url, body, h);
}

describe('(a) modern request checks', () => {
  for (const [i, [title, method, params, headers, status, code, fragment, requested]] of REFUSED.entries()) {
    test(`${title} → ${status} ${code}`, async () => {
      const from = ctx.backend.requests.length;
      const reply = await send(100 + i, method, params, headers);
      const error = assertRefused(reply, status, code, title);
      assert.ok(error.message.includes(fragment), `${title}: message ${error.message}`);
      assert.equal(reply.json.id, 100 + i);
      // From the header: every version the gateway speaks; from _meta: the per-request (modern) ones.
      if (code === -32022) assert.deepEqual(error.data, { supported: title.startsWith('_meta') ? [MODERN] : GATEWAY_VERSIONS, requested });
      await sleep(20);
      assert.equal(ctx.backend.requests.length, from, 'the backend was not contacted');
    });
  }

  test('server/discover is answered locally', async () => {
    const from = ctx.backend.requests.length;
    const reply = await send('d', 'server/discover', {}, {});
    assert.equal(reply.status, 200, reply.text);
    assert.match(reply.headers['content-type'], /^application\/json/);
    assert.deepEqual(reply.json, {
      jsonrpc: '2.0', id: 'd',
      result: {
        resultType: 'complete', supportedVersions: GATEWAY_VERSIONS, capabilities: { tools: {} }, ttlMs: 300000, cacheScope: 'public',
        _meta: { [K.serverInfo]: { name: 'modern-gw', version: '0.1.0' } },
      },
    });
    assert.equal(ctx.backend.requests.length, from);
  });

  test('a well-formed tools/call with a base64 Mcp-Name of a plain name passes', async () => {
    const reply = await send(7, 'tools/call', ECHO, { 'mcp-name': b64('echo') });
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.json.result.content, [{ type: 'text', text: 'x' }]);
  });

  test('notifications: no Mcp-Method needed (202); a present one must match (400 -32020)', async () => {
    const note = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: meta() } };
    const plain = await postJson(ctx.envoy.url, note, { 'mcp-protocol-version': MODERN });
    assert.equal(plain.status, 202, plain.text);
    const wrong = await postJson(ctx.envoy.url, note, { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call' });
    assertRefused(wrong, 400, -32020, 'mismatched notification');
    assert.equal(wrong.json.id, null);
  });

  test('initialize is legacy whatever it carries: answered with a 2025 version', async () => {
    const reply = await send(8, 'initialize', { protocolVersion: MODERN, capabilities: {}, clientInfo: { name: 'r', version: '0' } }, {});
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.result.protocolVersion, '2025-11-25');
  });

  test('legacy requests unchanged: ping answered, unknown method 200 -32601, discover without _meta unknown', async () => {
    const headers = { 'mcp-protocol-version': '2025-06-18' };
    const ping = await postJson(ctx.envoy.url, rpc(1, 'ping'), headers);
    assert.equal(ping.status, 200);
    assert.deepEqual(ping.json, { jsonrpc: '2.0', id: 1, result: {} });
    for (const method of ['foo/bar', 'resources/list', 'server/discover']) {
      assertRefused(await postJson(ctx.envoy.url, rpc(2, method), headers), 200, -32601, method);
      assertRefused(await postJson(ctx.envoy.url, rpc(3, method)), 200, -32601, `${method} without any version header`);
    }
  });
});
describe('(d) multi round-trip (input_required)', () => {
  test('the v2 client answers the elicitation; the retry carries inputResponses and requestState', async () => {
    const elicited = [];
    const client = await connectClient('v2 pinned', ctx.envoy.url, {
      capabilities: { elicitation: { form: {} } },
      onElicit: async (req) => { elicited.push(req.params); return { action: 'accept', content: { confirm: true } }; },
    });
    try {
      const fromCalls = ctx.backend.calls.length;
      const from = ctx.backend.requests.length;
      const r = await client.callTool({ name: 'confirm', arguments: { env: 'prod' } });
      assert.deepEqual(r.content, [{ type: 'text', text: 'deployed to prod (state state-for-prod)' }]);
      assert.equal(elicited.length, 1);
      assert.equal(elicited[0].message, 'Deploy to prod?');
      const runs = ctx.backend.calls.slice(fromCalls);
      assert.deepEqual(runs.map((c) => c.name), ['confirm', 'confirm']);
      assert.equal(runs[0].inputResponses, undefined);
      assert.deepEqual(runs[1].inputResponses, { confirm: { action: 'accept', content: { confirm: true } } });
      assert.equal(runs[1].requestState, 'state-for-prod');
      const posts = postsSince(ctx.backend, from);
      assert.equal(posts.length, 2, 'one backend POST per round');
      assert.equal(posts[1].body.params.requestState, 'state-for-prod');
      assert.deepEqual(posts[1].body.params._meta[K.caps], { elicitation: { form: {} } });
    } finally {
      await client.close();
    }
  });

  test('a legacy client cannot confirm: the backend refuses with -32021 (no elicitation capability)', async () => {
    const client = await connectClient('SDK 1.x', ctx.envoy.url);
    try {
      await assertRpcRejects(client.callTool({ name: 'confirm', arguments: { env: 'prod' } }), -32021);
    } finally {
      await client.close();
    }
  });

  // Spec (basic/index): -32021 "On HTTP, the response status MUST be 400".
  test('a modern client without the elicitation capability gets the backend -32021 at HTTP 400', async () => {
    const reply = await modernPost(ctx.envoy.url, 'nocap', 'tools/call', { name: 'confirm', arguments: { env: 'dev' } });
    assert.equal(reply.json?.error?.code, -32021, reply.text);
    assert.deepEqual(reply.json.error.data, { requiredCapabilities: { elicitation: { form: {} } } });
    assert.equal(reply.status, 400, 'HTTP status of -32021');
  });

  test('a retry whose Mcp-Name differs from params.name → 400 -32020, backend not contacted', async () => {
    const from = ctx.backend.requests.length;
    const retry = { name: 'confirm', arguments: { env: 'prod' }, inputResponses: { confirm: { action: 'accept', content: { confirm: true } } }, requestState: 'state-for-prod' };
    assertRefused(await modernPost(ctx.envoy.url, 9, 'tools/call', retry, { 'mcp-name': 'echo' }), 400, -32020, 'retry');
    for (const bad of [{ inputResponses: [1] }, { requestState: 7 }]) {
      assertRefused(await modernPost(ctx.envoy.url, 10, 'tools/call', { ...retry, ...bad }), 200, -32602, JSON.stringify(bad));
    }
    await sleep(20);
    assert.equal(ctx.backend.requests.length, from);
  });
});
