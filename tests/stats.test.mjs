// Terminating mode's stats and access-log fields after known traffic: every request, tool call
// and backend request counted exactly once under the right labels, read from Envoy's own
// /stats/prometheus (tag extraction by the stats_config of envoy/envoy.yaml), and the backend's
// requests by step checked against what a recording backend received.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { initializeResult, rpcError, rpcResult, startScriptedBackend } from './support/backends.mjs';
import { postJson, rawRequest, startEnvoy, wasmFailures, withEnvoyLog } from './support/envoy.mjs';
import { histogramCount, scrape, scrapeUntil, table } from './support/stats.mjs';

const SERVER = 'stats-term';
const TIMEOUT_MS = 800;
const rpc = (id, method, params) => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
const call = (id, name) => rpc(id, 'tools/call', { name, arguments: { text: 'x' } });

describe('terminating mode: stats after known traffic', () => {
  const ctx = {};
  before(async () => {
    // A stateless legacy backend: `boom` answers HTTP 500, `slow` never answers.
    ctx.backend = await startScriptedBackend((msg, _req, res) => {
      if (msg?.method === 'initialize') return rpcResult(msg, initializeResult(msg));
      if (msg?.id === undefined) return undefined;
      if (msg.method === 'tools/list') {
        return rpcResult(msg, { tools: ['echo', 'boom', 'slow', 'secret', 'image'].map((name) => ({ name, inputSchema: { type: 'object' } })) });
      }
      if (msg.method !== 'tools/call') return rpcError(msg, -32601, `Method not found: ${msg.method}`);
      if (msg.params.name === 'boom') {
        res.writeHead(500, { 'content-type': 'text/plain' });
        return res.end('boom');
      }
      if (msg.params.name === 'slow') return undefined;
      return rpcResult(msg, { content: [{ type: 'text', text: `called ${msg.params.name}` }] });
    });
    ctx.envoy = await startEnvoy({
      backendPort: ctx.backend.port,
      pluginConfig: {
        server: {
          name: SERVER, type: 'mcp-proxy', mcpServerURL: ctx.backend.url, timeout: TIMEOUT_MS,
          securitySchemes: [{ id: 'Key', type: 'apiKey', in: 'header', name: 'x-key' }],
        },
        allowTools: ['echo', 'boom', 'slow', 'secret'],
        tools: [{ name: 'secret', security: { id: 'Key', required: true } }],
      },
    });
    const url = ctx.envoy.url;
    const replies = [];
    const send = async (what, p) => replies.push([what, await p]);
    await send('initialize', postJson(url, rpc(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'stats', version: '1' } })));
    await send('initialized', postJson(url, { jsonrpc: '2.0', method: 'notifications/initialized' }));
    await send('list', postJson(url, rpc(2, 'tools/list')));
    for (let i = 0; i < 3; i++) await send('echo', postJson(url, call(10 + i, 'echo')));
    await send('image', postJson(url, call(20, 'image')));
    await send('nope', postJson(url, call(21, 'nope')));
    await send('boom', postJson(url, call(22, 'boom')));
    await send('slow', postJson(url, call(23, 'slow')));
    await send('secret', postJson(url, call(24, 'secret')));
    await send('foo', postJson(url, rpc(25, 'foo/bar')));
    await send('get', rawRequest(url, { method: 'GET' }));
    await send('garbage', postJson(url, '{not json'));
    await send('origin', postJson(url, call(26, 'echo'), { origin: 'https://evil.example' }));
    ctx.replies = Object.fromEntries(replies);
    ctx.sent = replies.length;
  });
  after(async () => {
    await ctx.envoy?.stop();
    await ctx.backend?.close();
  });
  const t = (title, fn) => it(title, { timeout: 30000 }, () => withEnvoyLog(ctx.envoy, fn));

  t('the traffic got the answers the outcomes stand for', async () => {
    const r = ctx.replies;
    assert.equal(r.echo.json?.result?.content?.[0]?.text, 'called echo', r.echo.text);
    assert.equal(r.image.json?.error?.message, 'Tool not allowed: image');
    assert.match(r.boom.json?.error?.message ?? '', /backend call failed: HTTP 500/);
    assert.match(r.slow.json?.error?.message ?? '', /timeout/);
    assert.equal(r.secret.status, 401);
    assert.equal(r.get.status, 405);
    assert.equal(r.garbage.status, 400);
    assert.equal(r.origin.status, 403);
  });

  t('mcp_requests_total: exact counts per method and outcome', async () => {
    const samples = await scrape(ctx.envoy);
    const got = table(samples, 'mcp_requests_total', ['mcp_method', 'outcome'], { mcp_server: SERVER });
    assert.deepEqual(got, {
      'initialize|ok': 1,
      'notifications/initialized|ok': 1,
      'tools/list|ok': 1,
      'tools/call|ok': 3,
      'tools/call|denied': 2,
      'tools/call|backend_error': 1,
      'tools/call|timeout': 1,
      'tools/call|unauthorized': 1,
      'other|client_error': 1,
      'get|client_error': 1,
      'invalid|client_error': 1,
      'unknown|denied': 1,
    });
    const total = Object.values(got).reduce((a, b) => a + b, 0);
    assert.equal(total, ctx.sent, 'every request counted once');
    for (const s of samples.filter((x) => x.name === 'mcp_requests_total')) assert.equal(s.labels.mcp_mode, 'terminating');
  });

  t('mcp_tool_calls_total: known tools by name, an unknown one under _other', async () => {
    const got = table(await scrape(ctx.envoy), 'mcp_tool_calls_total', ['mcp_tool', 'outcome'], { mcp_server: SERVER });
    assert.deepEqual(got, {
      'echo|ok': 3,
      '_other|denied': 2, // image (listed by the backend but outside allowTools) and nope
      'boom|backend_error': 1,
      'slow|timeout': 1,
      'secret|unauthorized': 1,
    });
  });

  t('mcp_backend_requests_total: by step, equal to what the backend received', async () => {
    const got = table(await scrape(ctx.envoy), 'mcp_backend_requests_total', ['mcp_step'], { mcp_server: SERVER });
    const posts = ctx.backend.requests.filter((r) => r.method === 'POST').map((r) => r.body?.method);
    const n = (m) => posts.filter((x) => x === m).length;
    assert.deepEqual(got, {
      discover: n('server/discover'),
      initialize: n('initialize'),
      notification: n('notifications/initialized'),
      call: n('tools/list') + n('tools/call'),
    });
    // The era probe once, one handshake (a stateless backend is remembered), then only calls.
    assert.deepEqual(got, { discover: 1, initialize: 1, notification: 1, call: 6 });
  });

  t('histograms: backend time per exchange, gateway time per request (µs)', async () => {
    const want = { mcp_server: SERVER };
    const samples = await scrapeUntil(ctx.envoy, (s) => histogramCount(s, 'mcp_gateway_time_us', want) >= ctx.sent &&
      histogramCount(s, 'mcp_backend_time_us', want) >= 6);
    assert.equal(histogramCount(samples, 'mcp_backend_time_us', want), 6, 'list, echo ×3, boom, slow');
    assert.equal(histogramCount(samples, 'mcp_gateway_time_us', want), ctx.sent);
    const backendSum = samples.find((s) => s.name === 'mcp_backend_time_us_sum' && s.labels.mcp_server === SERVER).value;
    // The slow call alone held the exchange for server.timeout.
    assert.ok(backendSum >= TIMEOUT_MS * 1000 * 0.9, `backend time sum ${backendSum} µs`);
    const bucket = samples.find((s) => s.name === 'mcp_gateway_time_us_bucket' && s.labels.le === '10');
    assert.ok(bucket, 'the shipped µs buckets apply (le="10")');
  });

  t('access log: method, error code and backend era of each request', async () => {
    const want = [
      [/ 200 server=stats-term tool=echo method=tools\/call error=- era=legacy /, 3],
      [/ 200 server=stats-term tool=image method=tools\/call error=-32602 era=- /, 1],
      [/ 200 server=stats-term tool=slow method=tools\/call error=-32603 era=legacy /, 1],
      [/ 200 server=stats-term tool=boom method=tools\/call error=-32603 era=legacy /, 1],
      [/ 401 server=stats-term tool=- method=tools\/call error=-32001 era=- /, 1],
      [/ 405 server=stats-term tool=- method=get error=-32600 /, 1],
      [/ 400 server=stats-term tool=- method=invalid error=-32700 /, 1],
      [/ 200 server=stats-term tool=- method=tools\/list error=- era=legacy /, 1],
      [/ 202 server=stats-term tool=- method=notifications\/initialized error=- era=- /, 1],
      [/ 403 server=stats-term tool=- method=unknown error=-32600 /, 1],
    ];
    let lines = [];
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && lines.length < ctx.sent) {
      lines = ctx.envoy.accessLog();
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const [re, count] of want) assert.equal(lines.filter((l) => re.test(l)).length, count, `${re}\n${lines.join('\n')}`);
    // No session in terminating mode: no tag.
    assert.ok(lines.every((l) => / session=- /.test(l)), lines.join('\n'));
  });

  t('no wasm failure in the Envoy log', async () => {
    assert.deepEqual(wasmFailures(ctx.envoy.log()), []);
  });
});
