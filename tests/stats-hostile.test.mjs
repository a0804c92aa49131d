// Bounded cardinality: a client calling 1,000 invented tool names creates no series per name
// (terminating and pass-through mode), and a backend listing 1,200 names gets at most 1,000 of
// them labelled; every other name is counted under `_other`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { initializeResult, rpcResult, sendJson, startHttpBackend } from './support/backends.mjs';
import { postJson, startEnvoy, wasmFailures, withEnvoyLog } from './support/envoy.mjs';
import { scrape, select } from './support/stats.mjs';

const N = 1000;
const LISTED = 1200;
const rpc = (id, method, params) => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });

/** A hostile tool name: random bytes as text, dots, `=`, quotes, newlines, non-ASCII, up to 300 characters. */
function hostileName(i) {
  const alphabet = 'abcXYZ019._=-"\\\n /{}ü中😀';
  const len = 1 + (randomBytes(1)[0] % (i % 10 === 0 ? 255 : 24)) + (i % 50 === 0 ? 200 : 0);
  let s = '';
  for (const b of randomBytes(len)) s += [...alphabet][b % [...alphabet].length];
  return `${s}${i}`;
}

/** Runs `fn(i)` for i in [0, n) with `width` requests in flight. */
async function pool(n, width, fn) {
  let next = 0;
  const worker = async () => { while (next < n) await fn(next++); };
  await Promise.all(Array.from({ length: width }, worker));
}

describe('stats under hostile tool names', () => {
  const ctx = {};
  before(async () => {
    // Answers every call (whatever the name) and lists LISTED names t0000…t1199.
    ctx.backend = await startHttpBackend(({ body }, _req, res) => {
      if (body?.method === 'initialize') return sendJson(res, rpcResult(body, initializeResult(body)));
      if (body?.id === undefined) return res.writeHead(202).end();
      if (body.method === 'tools/list') {
        const tools = Array.from({ length: LISTED }, (_, i) => ({ name: `t${String(i).padStart(4, '0')}`, inputSchema: { type: 'object' } }));
        return sendJson(res, rpcResult(body, { tools }));
      }
      return sendJson(res, rpcResult(body, { content: [{ type: 'text', text: 'ok' }] }));
    });
    const server = (name, type) => ({ name, type, mcpServerURL: ctx.backend.url, timeout: 5000 });
    ctx.envoy = await startEnvoy({
      backendPort: ctx.backend.port,
      pluginConfig: {
        server: server('hostile-term', 'mcp-proxy'),
        _rules_: [
          { _match_domain_: ['pt.test'], server: server('hostile-pt', 'mcp-passthrough') },
          { _match_domain_: ['list.test'], server: server('hostile-list', 'mcp-proxy') },
        ],
      },
    });
  });
  after(async () => {
    await ctx.envoy?.stop();
    await ctx.backend?.close();
  });
  const t = (title, fn) => it(title, { timeout: 180000 }, () => withEnvoyLog(ctx.envoy, fn));
  const toolSeries = (samples, server) => select(samples, 'mcp_tool_calls_total', { mcp_server: server });

  for (const [server, host] of [['hostile-term', undefined], ['hostile-pt', 'pt.test']]) {
    t(`${server}: ${N} invented tool names leave one series, _other`, async () => {
      const before = (await scrape(ctx.envoy)).length;
      const headers = host ? { host } : {};
      let ok = 0;
      await pool(N, 16, async (i) => {
        const r = await postJson(ctx.envoy.url, rpc(i, 'tools/call', { name: hostileName(i), arguments: {} }), headers);
        if (r.json?.result?.content?.[0]?.text === 'ok') ok++;
      });
      assert.equal(ok, N, 'the backend answered every call');
      const samples = await scrape(ctx.envoy);
      const series = toolSeries(samples, server);
      assert.deepEqual(series.map((s) => [s.labels.mcp_tool, s.labels.outcome, s.value]), [['_other', 'ok', N]]);
      // The whole scrape grew by a handful of series (requests, backend requests, histograms), not by N.
      assert.ok(samples.length - before < 60, `${samples.length - before} new samples`);
    });
  }

  t(`a backend listing ${LISTED} names: ${1000} are labelled, the rest counted as _other`, async () => {
    const headers = { host: 'list.test' };
    const list = await postJson(ctx.envoy.url, rpc(1, 'tools/list'), headers);
    assert.equal(list.json?.result?.tools?.length, LISTED, list.text.slice(0, 200));
    await pool(LISTED, 16, (i) => postJson(ctx.envoy.url, rpc(i, 'tools/call', { name: `t${String(i).padStart(4, '0')}`, arguments: {} }), headers));
    const series = toolSeries(await scrape(ctx.envoy), 'hostile-list');
    const named = series.filter((s) => s.labels.mcp_tool !== '_other');
    assert.equal(named.length, 1000, 'the learned names');
    assert.ok(named.every((s) => s.value === 1 && /^t\d{4}$/.test(s.labels.mcp_tool)));
    const other = series.filter((s) => s.labels.mcp_tool === '_other');
    assert.deepEqual(other.map((s) => s.value), [LISTED - 1000]);
    assert.match(ctx.envoy.log(), /hostile-list\]: more than 1000 tool names listed; further names are counted as _other/);
  });

  t('no wasm failure in the Envoy log', async () => {
    assert.deepEqual(wasmFailures(ctx.envoy.log()), []);
  });
});
