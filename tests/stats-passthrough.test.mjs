// Pass-through mode's stats after known traffic: requests and tool calls by outcome (a backend
// 500, a route timeout, a denial, a forged session), sessions created, refused, closed and
// expired, the live-sessions gauge, forwarded requests; tool names learned from a backend's
// tools/list answer (SSE) when nothing filters it; session tags in the access log; with sealed
// ids (server.sessionKeys), sessions created and expired (past sessionMaxAge).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { initializeResult, rpcResult, sendJson, sendSse, startHttpBackend } from './support/backends.mjs';
import { postJson, rawRequest, renderEnvoyConfig, startEnvoy, wasmFailures, withEnvoyLog } from './support/envoy.mjs';
import { scrape, scrapeUntil, select, table } from './support/stats.mjs';

const SERVER = 'stats-pt';
const LEARN = 'stats-learn';
const IDLE_S = 3;
const ROUTE_TIMEOUT_S = 1;
const rpc = (id, method, params) => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
const INIT = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'stats', version: '1' } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** envoy/envoy.yaml with a route timeout (Envoy answers 504 past it) and the access log left for startEnvoy. */
function yamlWithRouteTimeout(pluginConfig, backendPort) {
  return renderEnvoyConfig({ pluginConfig, backendPort, accessLog: 'ACCESS-LOG-PATH' })
    .replace('timeout: 0s', `timeout: ${ROUTE_TIMEOUT_S}s`)
    .replace('ACCESS-LOG-PATH', '${ACCESS_LOG}');
}

describe('pass-through mode: stats after known traffic', () => {
  const ctx = { sessions: 0 };
  before(async () => {
    // A stateful backend: initialize issues `s-<n>`; tools/list answers in SSE; `boom` → 500,
    // `slow` never answers; every other call succeeds (whatever the name).
    ctx.backend = await startHttpBackend(({ method, body }, _req, res) => {
      if (method === 'DELETE') return sendJson(res, '', 200);
      if (body?.method === 'initialize') return sendJson(res, rpcResult(body, initializeResult(body)), 200, { 'mcp-session-id': `s-${++ctx.sessions}` });
      if (body?.id === undefined) return res.writeHead(202).end();
      if (body.method === 'tools/list') {
        return sendSse(res, [rpcResult(body, { tools: ['echo', 'boom', 'slow', 'image'].map((name) => ({ name, inputSchema: { type: 'object' } })) })]);
      }
      if (body.params?.name === 'boom') return sendJson(res, 'boom', 500);
      if (body.params?.name === 'slow') return undefined;
      return sendJson(res, rpcResult(body, { content: [{ type: 'text', text: `called ${body.params?.name}` }] }));
    });
    const server = (name) => ({ name, type: 'mcp-passthrough', mcpServerURL: ctx.backend.url, maxSessions: 2, sessionIdleTimeout: IDLE_S });
    ctx.envoy = await startEnvoy({
      configYaml: yamlWithRouteTimeout({
        server: server(SERVER), allowTools: ['echo', 'boom', 'slow'],
        _rules_: [{ _match_domain_: ['learn.test'], server: server(LEARN) }],
      }, ctx.backend.port),
    });
    const url = ctx.envoy.url;
    const initA = await postJson(url, rpc(1, 'initialize', INIT));
    const initB = await postJson(url, rpc(1, 'initialize', INIT));
    ctx.liveAfterOpen = await scrapeUntil(ctx.envoy, (s) => liveOf(s, SERVER) === 2, 5000);
    ctx.initC = await postJson(url, rpc(1, 'initialize', INIT));
    ctx.a = initA.headers['mcp-session-id'];
    ctx.b = initB.headers['mcp-session-id'];
    const onA = { 'mcp-session-id': ctx.a, 'mcp-protocol-version': '2025-06-18' };
    const callA = (id, name) => postJson(url, rpc(id, 'tools/call', { name, arguments: {} }), onA);
    ctx.replies = { echo1: await callA(2, 'echo'), echo2: await callA(3, 'echo'), boom: await callA(4, 'boom') };
    ctx.replies.slow = await callA(5, 'slow');
    ctx.replies.image = await callA(6, 'image');
    ctx.replies.forged = await postJson(url, rpc(7, 'tools/call', { name: 'echo', arguments: {} }), { ...onA, 'mcp-session-id': `${ctx.a.slice(0, -2)}AA` });
    ctx.replies.delete = await rawRequest(url, { method: 'DELETE', headers: { 'mcp-session-id': ctx.b } });
    ctx.liveAfterDelete = await scrapeUntil(ctx.envoy, (s) => liveOf(s, SERVER) === 1, 5000);
    // The learning server: its backend's tools/list names become labels; others stay _other.
    const learn = { host: 'learn.test' };
    const initL = await postJson(url, rpc(1, 'initialize', INIT), learn);
    const onL = { ...learn, 'mcp-session-id': initL.headers['mcp-session-id'], 'mcp-protocol-version': '2025-06-18' };
    ctx.learnList = await postJson(url, rpc(2, 'tools/list'), onL);
    ctx.learnImage = await postJson(url, rpc(3, 'tools/call', { name: 'image', arguments: {} }), onL);
    ctx.learnZzz = await postJson(url, rpc(4, 'tools/call', { name: 'zzz-invented', arguments: {} }), onL);
  });
  after(async () => {
    await ctx.envoy?.stop();
    await ctx.backend?.close();
  });
  const t = (title, fn) => it(title, { timeout: 30000 }, () => withEnvoyLog(ctx.envoy, fn));
  const liveOf = (samples, server) => select(samples, 'mcp_sessions_live', { mcp_server: server })[0]?.value;

  t('the traffic got the answers the outcomes stand for', async () => {
    const r = ctx.replies;
    assert.match(ctx.a ?? '', /^[A-Za-z0-9_-]{26}$/);
    assert.equal(ctx.initC.status, 503, ctx.initC.text);
    assert.equal(r.echo1.json?.result?.content?.[0]?.text, 'called echo');
    assert.equal(r.boom.status, 500);
    assert.equal(r.slow.status, 504);
    assert.equal(r.image.json?.error?.message, 'Tool not allowed: image');
    assert.equal(r.forged.status, 404);
    assert.equal(r.delete.status, 200);
    assert.match(ctx.learnList.text, /"name":"image"/);
    assert.equal(ctx.learnZzz.json?.result?.content?.[0]?.text, 'called zzz-invented');
  });

  t('mcp_requests_total: exact counts per method and outcome', async () => {
    const got = table(await scrape(ctx.envoy), 'mcp_requests_total', ['mcp_method', 'outcome'], { mcp_server: SERVER, mcp_mode: 'passthrough' });
    assert.deepEqual(got, {
      'initialize|ok': 2,
      'initialize|denied': 1, // server.maxSessions reached: 503
      'tools/call|ok': 2,
      'tools/call|backend_error': 1,
      'tools/call|timeout': 1, // the route timeout: Envoy's 504
      'tools/call|denied': 1,
      'tools/call|client_error': 1, // a forged session id: 404
      'delete|ok': 1,
    });
  });

  t('mcp_tool_calls_total: configured and learned tools by name, others under _other', async () => {
    const samples = await scrape(ctx.envoy);
    assert.deepEqual(table(samples, 'mcp_tool_calls_total', ['mcp_tool', 'outcome'], { mcp_server: SERVER }), {
      'echo|ok': 2, 'boom|backend_error': 1, 'slow|timeout': 1, '_other|denied': 1, 'echo|client_error': 1,
    });
    // No policy filters the learning server's lists: the SSE tools/list answer named `image`.
    assert.deepEqual(table(samples, 'mcp_tool_calls_total', ['mcp_tool', 'outcome'], { mcp_server: LEARN }), {
      'image|ok': 1, '_other|ok': 1,
    });
  });

  t('sessions: created, refused, closed and expired; the live gauge follows', async () => {
    assert.equal(liveOf(ctx.liveAfterOpen, SERVER), 2);
    assert.equal(liveOf(ctx.liveAfterDelete, SERVER), 1);
    // Session A is left idle past sessionIdleTimeout: the sweep (every second) expires it.
    await sleep(IDLE_S * 1000);
    const samples = await scrapeUntil(ctx.envoy, (s) => liveOf(s, SERVER) === 0, 8000);
    const count = (name) => select(samples, name, { mcp_server: SERVER })[0]?.value;
    assert.equal(count('mcp_sessions_created_total'), 2);
    assert.equal(count('mcp_sessions_refused_total'), 1);
    assert.equal(count('mcp_sessions_closed_total'), 1);
    assert.equal(count('mcp_sessions_expired_total'), 1);
    assert.equal(liveOf(samples, SERVER), 0);
  });

  t('mcp_backend_requests_total: every forwarded request, as the backend received them', async () => {
    const got = table(await scrape(ctx.envoy), 'mcp_backend_requests_total', ['mcp_server', 'mcp_step']);
    const received = ctx.backend.requests.length;
    assert.equal(got[`${SERVER}|forward`] + got[`${LEARN}|forward`], received);
    assert.deepEqual(got, { [`${SERVER}|forward`]: 7, [`${LEARN}|forward`]: 4 });
  });

  t('access log: a session tag per session (8 hex, not the id), methods and error codes', async () => {
    const lines = ctx.envoy.accessLog();
    const tagOf = (l) => / session=(\S+) /.exec(l)?.[1];
    const ofServer = lines.filter((l) => l.includes(`server=${SERVER} `));
    const echo = ofServer.filter((l) => / 200 server=stats-pt tool=echo method=tools\/call error=- era=- /.test(l));
    assert.equal(echo.length, 2, lines.join('\n'));
    const tagA = tagOf(echo[0]);
    assert.match(tagA, /^[0-9a-f]{8}$/);
    assert.equal(tagOf(echo[1]), tagA, 'one session, one tag');
    const del = ofServer.find((l) => l.startsWith('DELETE '));
    assert.match(tagOf(del), /^[0-9a-f]{8}$/);
    assert.notEqual(tagOf(del), tagA, 'another session, another tag');
    for (const l of lines) for (const id of [ctx.a, ctx.b]) assert.ok(!l.includes(id), `a session id reached the log: ${l}`);
    assert.ok(ofServer.some((l) => / 404 .*method=tools\/call error=-32001 era=- session=- /.test(l)), 'the forged id: no tag');
    assert.ok(ofServer.some((l) => / 503 .*method=initialize error=-32000 /.test(l)), lines.join('\n'));
    assert.ok(ofServer.some((l) => / 200 .*tool=image method=tools\/call error=-32602 /.test(l)), lines.join('\n'));
  });

  t('no wasm failure in the Envoy log', async () => {
    assert.deepEqual(wasmFailures(ctx.envoy.log()), []);
  });
});

describe('pass-through mode, sealed ids: session stats', () => {
  const ctx = {};
  before(async () => {
    ctx.backend = await startHttpBackend(({ body }, _req, res) => {
      if (body?.method === 'initialize') return sendJson(res, rpcResult(body, initializeResult(body)), 200, { 'mcp-session-id': 'sealed-backend-session' });
      if (body?.id === undefined) return res.writeHead(202).end();
      return sendJson(res, rpcResult(body, {}));
    });
    const server = { name: 'stats-sealed', type: 'mcp-passthrough', mcpServerURL: ctx.backend.url,
      sessionKeys: ['ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8='], sessionMaxAge: 1 };
    ctx.envoy = await startEnvoy({ pluginConfig: { server }, backendPort: ctx.backend.port });
  });
  after(async () => {
    await ctx.backend?.close();
    await ctx.envoy?.stop();
  });
  it('an issued id counts as created; one presented past sessionMaxAge as expired', { timeout: 30000 }, () => withEnvoyLog(ctx.envoy, async () => {
    const url = ctx.envoy.url;
    const init = await postJson(url, rpc(1, 'initialize', INIT));
    const sid = init.headers['mcp-session-id'];
    assert.ok(sid, init.text);
    const on = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
    assert.equal((await postJson(url, rpc(2, 'ping'), on)).status, 200);
    await sleep(2100);
    assert.equal((await postJson(url, rpc(3, 'ping'), on)).status, 404);
    const samples = await scrape(ctx.envoy);
    const count = (name) => select(samples, name, { mcp_server: 'stats-sealed' })[0]?.value ?? 0;
    assert.deepEqual([count('mcp_sessions_created_total'), count('mcp_sessions_expired_total')], [1, 1]);
  }));
});
