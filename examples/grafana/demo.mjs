// The dashboard picture's data: the `make run` stack (the bundled example MCP server behind
// Envoy with examples/config/streamable.json) plus a pass-through rule from
// examples/config/passthrough.json (Host `passthrough.local`), driven by SDK clients for a few
// minutes while Envoy's /stats/prometheus is scraped every 5 s; then dashboard.py draws the
// dashboard's queries over the scrapes.
//
//   node examples/grafana/demo.mjs [--seconds 180] [--out examples/grafana/dashboard.png]
//
// So that the failure panels have something to show, the backend injects faults: 4 % of
// `weather` calls are answered HTTP 503 and 2 % of `slow_progress` calls wait 5.5 s (past the
// terminating server's 5 s server.timeout). Clients also call a tool outside allowTools and an
// unknown method, as real clients do by mistake.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startBackend } from '../backend/server.mjs';
import { nodeFetch, postJson, startEnvoy, ROOT, TMP_ROOT } from '../../tests/support/envoy.mjs';
import { parsePrometheus } from '../../tests/support/stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '180' }, out: { type: 'string', default: path.join(here, 'dashboard.png') } } });
const SECONDS = Number(values.seconds);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];

const backend = await startBackend({
  onRequest: async ({ body }, _req, res) => {
    const name = body?.method === 'tools/call' ? body.params?.name : undefined;
    if (name === 'weather' && Math.random() < 0.04) {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('injected fault');
      return true;
    }
    if (name === 'slow_progress' && Math.random() < 0.02) await sleep(5500);
    return false;
  },
});
const read = (f) => JSON.parse(readFileSync(path.join(ROOT, 'examples', 'config', f), 'utf8'));
const term = read('streamable.json');
term.server.mcpServerURL = backend.url;
const pt = read('passthrough.json');
// Short idle timeout and a session limit, so expiry and refusals show within minutes.
pt.server = { ...pt.server, mcpServerURL: backend.url, sessionIdleTimeout: 20, maxSessions: 25 };
const envoy = await startEnvoy({ pluginConfig: { ...term, _rules_: [{ _match_domain_: ['passthrough.local'], ...pt }] }, backendPort: backend.port });

mkdirSync(TMP_ROOT, { recursive: true });
const scrapes = path.join(TMP_ROOT, 'dashboard-scrapes.jsonl');
writeFileSync(scrapes, '');
const t0 = Date.now();
let running = true;

async function scrapeLoop() {
  while (running) {
    const r = await envoy.admin('/stats/prometheus');
    const samples = parsePrometheus(r.text).filter((s) => s.name.startsWith('mcp_')).map((s) => [s.name, s.labels, s.value]);
    appendFileSync(scrapes, `${JSON.stringify({ t: (Date.now() - t0) / 1000, samples })}\n`);
    await sleep(5000);
  }
}

async function connect(host) {
  const client = new Client({ name: 'dashboard-demo', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(envoy.url), { fetch: nodeFetch([], { host }) }));
  return client;
}

/** Load that rises and falls over the run (calls per second per worker). */
const pace = () => 4 + 3 * Math.sin(((Date.now() - t0) / 1000 / SECONDS) * 2 * Math.PI);
const TOOLS = ['echo', 'echo', 'echo', 'add', 'add', 'weather', 'weather', 'image', 'fail', 'slow_progress'];
const args = { echo: { text: 'hi' }, add: { a: 1, b: 2 }, weather: { city: 'Paris' } };

async function callMix(client, host) {
  const r = Math.random();
  if (r < 0.03) return postJson(envoy.url, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'tool_01', arguments: {} } }, host ? { host } : {});
  if (r < 0.04) return postJson(envoy.url, { jsonrpc: '2.0', id: 1, method: 'resources/list' }, host ? { host } : {});
  if (r < 0.06) return client.listTools();
  const name = pick(TOOLS);
  return client.callTool({ name, arguments: args[name] ?? {} }).catch(() => {});
}

async function terminatingWorker() {
  const client = await connect();
  while (running) {
    await callMix(client).catch(() => {});
    await sleep(1000 / pace());
  }
  await client.close();
}

/** Opens a pass-through session, uses it for a while, then ends it (DELETE) or leaves it to expire. */
async function sessionWorker() {
  while (running) {
    let client;
    try {
      client = await connect('passthrough.local');
    } catch {
      await sleep(2000); // refused: the session limit
      continue;
    }
    const calls = 5 + Math.floor(Math.random() * 20);
    for (let i = 0; i < calls && running; i++) {
      await callMix(client, 'passthrough.local').catch(() => {});
      await sleep(1000 / pace());
    }
    if (Math.random() < 0.5) await client.transport.terminateSession().catch(() => {});
    await client.close().catch(() => {});
    await sleep(500);
  }
}

const scraper = scrapeLoop();
const workers = [terminatingWorker(), terminatingWorker(), ...Array.from({ length: 6 }, sessionWorker)];
// A burst of sessions midway: more than maxSessions at once, some refused.
setTimeout(async () => {
  await Promise.all(Array.from({ length: 20 }, () => connect('passthrough.local').then((c) => c.close()).catch(() => {})));
}, (SECONDS * 1000) / 2);
await sleep(SECONDS * 1000);
running = false;
await Promise.all(workers.map((w) => w.catch(() => {})));
await sleep(5500); // one last scrape after the final stats flush
await scraper;
await envoy.stop();
await backend.close();
const python = path.join(ROOT, 'bench', '.venv', 'bin', 'python');
execFileSync(python, [path.join(here, 'dashboard.py'), 'render', scrapes, values.out], { stdio: 'inherit' });
console.log(`scrapes: ${scrapes}\npicture: ${values.out}`);
