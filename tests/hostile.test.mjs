// Hostile input: over a thousand generated request bodies (malformed JSON, every field with
// every JSON type, 10,000-deep nesting, 1 MB strings, invalid UTF-8, lone surrogates,
// duplicate keys, BOMs, random bytes) POSTed through one Envoy in front of the real example
// backend. Every one must get a well-formed reply with exactly the status and JSON-RPC code
// the README's error table gives its shape (tests/support/hostile-expect.mjs), none may trap
// the VM, and the gateway must still serve a real SDK client afterwards. A trap is fatal in Envoy: the worker's VM is dead
// (or reloaded, losing every stream in flight).
//
// Reproducible: the seed is printed; rerun with HOSTILE_SEED=<seed>. HOSTILE_DUMP=<dir> writes
// the body of every failing case there; MCP_PROXY_WASM=<file> tests another build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startEnvoy, rawRequest, tail, wasmFailures } from './support/envoy.mjs';
import { startBackend } from '../examples/backend/server.mjs';
import { hostileCases } from './support/hostile-bodies.mjs';
import { describeOutcome, expectedPassthrough, expectedTerminating, matches } from './support/hostile-expect.mjs';

const SEED = process.env.HOSTILE_SEED ? Number(process.env.HOSTILE_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
/** The module under test: build/mcp-proxy.wasm unless MCP_PROXY_WASM names another. */
const WASM_PATH = process.env.MCP_PROXY_WASM;
const PARALLEL = 8;
const REQUEST_TIMEOUT_MS = 10_000;
const DEADLINE_MS = 240_000;
const ALLOWED_STATUS = new Set([200, 202, 400, 404, 405, 413]);
/** allowTools of both gateways. */
const ALLOW_TOOLS = ['echo'];

/**
 * Wasm counters that move when a VM dies: `<plugin>.vm_reload*` (failure_policy FAIL_RELOAD
 * re-creates a trapped VM) and `envoy.wasm.runtime.v8.created` (every new VM).
 */
async function vmCounters(envoy) {
  const { text } = await envoy.admin('/stats?filter=wasm');
  const counters = {};
  for (const m of text.matchAll(/^(\S*(?:vm_reload\w*|runtime\.v8\.created)): (\d+)$/gm)) counters[m[1]] = Number(m[2]);
  return counters;
}

const printable = (buf, max = 160) => {
  const s = JSON.stringify(buf.subarray(0, max).toString('latin1'));
  return buf.length > max ? `${s}… (${buf.length} bytes)` : s;
};

/**
 * Checks one reply against the gateway's contract: well-formed, and the status and code the
 * README's error table gives this body (tests/support/hostile-expect.mjs). Returns [problem
 * or null, histogram key].
 */
function checkReply(c, res) {
  const [problem, key] = checkShape(c, res);
  if (problem) return [problem, key];
  const expected = expectedTerminating(c.body, { allowTools: ALLOW_TOOLS });
  if (matches(expected, { status: res.status, json: parseJson(res.text) })) return [null, key];
  return [`expected ${describeOutcome(expected)}, got HTTP ${res.status}: ${res.text.slice(0, 200)}`, `${key} (unexpected)`];
}

/**
 * JSON-RPC 2.0 §5: a response has `jsonrpc: "2.0"`, an `id` (null when the request's id could
 * not be read) and exactly one of `result` / `error {code: integer, message: string}`.
 */
function checkShape(c, res) {
  const { status, text } = res;
  const ct = res.headers['content-type'] ?? '';
  if (!ALLOWED_STATUS.has(status)) return [`HTTP ${status} (${ct}): ${text.slice(0, 200)}`, `${status}`];
  if (status === 413) return [null, '413'];
  if (status === 202) return text === '' ? [null, '202 empty'] : [`202 with a body: ${text.slice(0, 200)}`, '202 body'];
  if (text === '') return [null, `${status} empty`];
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return [`HTTP ${status} body is not JSON (${ct}): ${JSON.stringify(text.slice(0, 200))}`, `${status} non-JSON`];
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return [`reply is not a JSON object: ${text.slice(0, 200)}`, `${status} non-object`];
  if (msg.jsonrpc !== '2.0') return [`reply jsonrpc is ${JSON.stringify(msg.jsonrpc)}: ${text.slice(0, 200)}`, `${status} bad jsonrpc`];
  const hasResult = 'result' in msg;
  const hasError = 'error' in msg;
  if (hasResult === hasError) return [`reply needs exactly one of result/error: ${text.slice(0, 200)}`, `${status} bad shape`];
  if (!('id' in msg) || !(msg.id === null || typeof msg.id === 'string' || typeof msg.id === 'number')) {
    return [`reply id missing or not string/number/null: ${text.slice(0, 200)}`, `${status} bad id`];
  }
  if (hasError) {
    const e = msg.error;
    if (e === null || typeof e !== 'object' || !Number.isInteger(e.code) || typeof e.message !== 'string') {
      return [`malformed error object: ${text.slice(0, 200)}`, `${status} bad error`];
    }
    if (c.expectId !== undefined && msg.id !== null && msg.id !== c.expectId) {
      return [`error reply id ${JSON.stringify(msg.id)} is neither the request id ${JSON.stringify(c.expectId)} nor null`, `${status} error ${e.code}`];
    }
    return [null, `${status} error ${e.code}`];
  }
  if (c.expectId !== undefined && msg.id !== c.expectId) {
    return [`result reply id ${JSON.stringify(msg.id)} is not the request id ${JSON.stringify(c.expectId)}`, `${status} result`];
  }
  return [null, `${status} result`];
}

/** JSON.parse, or undefined. */
function parseJson(text) {
  try { return JSON.parse(text); } catch { return undefined; }
}

/** POSTs one case; never rejects: a transport error or a timeout is returned as a problem. */
async function send(url, c, extraHeaders = {}) {
  const started = Date.now();
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ error: `no reply within ${REQUEST_TIMEOUT_MS} ms` }), REQUEST_TIMEOUT_MS + 1000);
  });
  const request = rawRequest(url, {
    method: 'POST',
    body: c.body,
    timeoutMs: REQUEST_TIMEOUT_MS,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...extraHeaders },
  }).then((res) => ({ res }), (err) => ({ error: `${err.code ?? ''} ${err.message}`.trim() }));
  const out = await Promise.race([request, timeout]);
  clearTimeout(timer);
  return { ...out, ms: Date.now() - started };
}

/** Runs fn over items with at most `n` in flight. */
async function pool(items, n, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
}

const gatewayConfig = (backendPort) => ({
  server: {
    name: 'demo-server',
    type: 'mcp-proxy',
    transport: 'http',
    mcpServerURL: `http://127.0.0.1:${backendPort}/mcp`,
    timeout: 5000,
  },
  allowTools: ALLOW_TOOLS,
});

const passthroughConfig = (backendPort) => ({
  server: { name: 'pt', type: 'mcp-passthrough', mcpServerURL: `http://127.0.0.1:${backendPort}/mcp` },
  allowTools: ALLOW_TOOLS,
});

/**
 * Runs fn(envoy, backend) with the example backend and one Envoy (`pluginConfig(backendPort)`)
 * in front of it; a failure carries the end of Envoy's log. Both are stopped afterwards.
 */
async function withGateway(pluginConfig, fn) {
  const backend = await startBackend({ port: 0, stateless: false, json: false });
  let envoy;
  try {
    envoy = await startEnvoy({ pluginConfig: pluginConfig(backend.port), backendPort: backend.port, concurrency: 1, wasmPath: WASM_PATH });
    await fn(envoy, backend);
  } catch (err) {
    if (envoy) err.message += `\n--- envoy log ---\n${tail(envoy.log(), 60)}`;
    throw err;
  } finally {
    await envoy?.stop();
    await backend.close();
  }
}

/** The gateway still serves a real SDK client: tools/list (echo only) and an echo call. */
async function assertStillServes(url) {
  const client = new Client({ name: 'hostile-after', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  try {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((x) => x.name), ['echo']);
    const result = await client.callTool({ name: 'echo', arguments: { text: 'still standing' } });
    assert.deepEqual(result.content, [{ type: 'text', text: 'still standing' }]);
  } finally {
    await client.close();
  }
}

test(`hostile request bodies (seed ${SEED})`, { timeout: DEADLINE_MS + 60_000 }, async () => {
  process.stderr.write(`hostile: seed ${SEED} (rerun with HOSTILE_SEED=${SEED})\n`);
  await withGateway(gatewayConfig, async (envoy) => {
    const cases = hostileCases(SEED);
    assert.ok(cases.length >= 1000, `only ${cases.length} cases`);

    const countersBefore = await vmCounters(envoy);
    assert.ok(Object.keys(countersBefore).length > 0, 'no wasm VM counters on the admin interface');
    const histogram = new Map();
    const failures = [];
    const started = Date.now();
    await pool(cases, PARALLEL, async (c, i) => {
      if (Date.now() - started > DEADLINE_MS) {
        failures.push({ i, c, problem: 'not sent: overall deadline passed' });
        return;
      }
      const { res, error, ms } = await send(envoy.url, c);
      if (error) {
        failures.push({ i, c, problem: error, ms });
        histogram.set('no reply', (histogram.get('no reply') ?? 0) + 1);
        return;
      }
      const [problem, key] = checkReply(c, res);
      histogram.set(key, (histogram.get(key) ?? 0) + 1);
      if (problem) failures.push({ i, c, problem, ms });
    });
    const elapsed = Date.now() - started;

    const summary = [...histogram].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${String(n).padStart(5)}  ${k}`).join('\n');
    process.stderr.write(`hostile: ${cases.length} bodies in ${elapsed} ms; replies by status/kind:\n${summary}\n`);

    if (process.env.HOSTILE_DUMP && failures.length) {
      mkdirSync(process.env.HOSTILE_DUMP, { recursive: true });
      for (const f of failures) writeFileSync(path.join(process.env.HOSTILE_DUMP, `case-${f.i}.bin`), f.c.body);
    }
    failures.sort((a, b) => a.i - b.i);
    const report = failures.slice(0, 60).map((f) => `#${f.i} ${f.c.label}\n    body: ${printable(f.c.body)}\n    => ${f.problem}`).join('\n');
    const trapped = wasmFailures(envoy.log());

    assert.ok(
      failures.length === 0 && trapped.length === 0,
      `seed ${SEED} (rerun with HOSTILE_SEED=${SEED}): ${failures.length} of ${cases.length} bodies got a bad reply; ${trapped.length} wasm failure line(s) in Envoy's log\n`
        + `${trapped.slice(0, 10).join('\n')}\n${report}`,
    );

    // The gateway still serves a real client after all that.
    await assertStillServes(envoy.url);
    assert.deepEqual(wasmFailures(envoy.log()).slice(0, 20), [], 'wasm failures in Envoy\'s log after the SDK client');
    assert.deepEqual(await vmCounters(envoy), countersBefore, 'a wasm VM was re-created (a trap)');
  });
});

/**
 * Pass-through mode forwards what it cannot read to the backend, so the backend answers most
 * hostile bodies itself. What the gateway must guarantee: no wasm failure, no hang, no 5xx of
 * its own making, and hostile session ids / origins refused before the backend. Each body goes
 * out with a hostile `mcp-session-id` or `origin` header in turn.
 */
test(`hostile request bodies and headers in pass-through mode (seed ${SEED})`, { timeout: DEADLINE_MS + 60_000 }, async () => {
  await withGateway(passthroughConfig, async (envoy, backend) => {
    const cases = hostileCases(SEED ^ 0x5a5a5a5a);
    const hostileHeaders = [
      {}, { 'mcp-session-id': '' }, { 'mcp-session-id': 'x'.repeat(22) }, { 'mcp-session-id': '../../etc/passwd' },
      { 'mcp-session-id': 'é'.repeat(11) }, { 'mcp-session-id': 'A'.repeat(8000) }, { origin: 'null' },
      { origin: 'http://evil.example' }, { origin: 'http://localhost:1' }, { origin: 'http://[::1' },
    ];
    const countersBefore = await vmCounters(envoy);
    const histogram = new Map();
    const failures = [];
    const backendSeenBefore = backend.requests.length;
    await pool(cases, PARALLEL, async (c, i) => {
      const h = hostileHeaders[i % hostileHeaders.length];
      const { res, error } = await send(envoy.url, c, h);
      const key = error ? 'no reply' : `${res.status}`;
      histogram.set(key, (histogram.get(key) ?? 0) + 1);
      if (error) return void failures.push(`#${i} ${c.label}: ${error}`);
      if (res.status >= 500) failures.push(`#${i} ${c.label}: HTTP ${res.status} ${res.text.slice(0, 160)}`);
      const sid = h['mcp-session-id'];
      if (sid !== undefined && res.status !== 404 && res.status !== 413) failures.push(`#${i} forged session ${JSON.stringify(sid.slice(0, 20))} got ${res.status}`);
      if (h.origin !== undefined && h.origin !== 'http://localhost:1' && res.status !== 403 && res.status !== 413) {
        failures.push(`#${i} foreign origin ${h.origin} got ${res.status}`);
      }
      // Without a hostile session id or origin, what the gateway itself decides (413, a
      // denied tools/call) must come exactly; everything else is the backend's answer.
      const own = sid === undefined && (h.origin === undefined || h.origin === 'http://localhost:1') ? expectedPassthrough(c.body, { allowTools: ALLOW_TOOLS }) : null;
      if (own && !matches(own, { status: res.status, json: parseJson(res.text) })) {
        failures.push(`#${i} ${c.label}: expected ${describeOutcome(own)}, got HTTP ${res.status}: ${res.text.slice(0, 160)}`);
      }
    });
    const summary = [...histogram].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${String(n).padStart(5)}  ${k}`).join('\n');
    process.stderr.write(`hostile pass-through: ${cases.length} bodies; replies by status:\n${summary}\n`);
    const trapped = wasmFailures(envoy.log());
    assert.ok(failures.length === 0 && trapped.length === 0,
      `seed ${SEED}: ${failures.length} bad replies (rerun with HOSTILE_SEED=${SEED})\n${failures.slice(0, 40).join('\n')}\n${trapped.slice(0, 10).join('\n')}`);
    // Forged ids and foreign origins never reached the backend: only header-free and
    // loopback-origin cases may have been forwarded.
    const forwarded = backend.requests.slice(backendSeenBefore);
    assert.ok(forwarded.every((r) => r.headers['mcp-session-id'] === undefined), 'a forged session id reached the backend');
    assert.ok(forwarded.every((r) => r.headers.origin === undefined || r.headers.origin === 'http://localhost:1'), 'a foreign origin reached the backend');

    await assertStillServes(envoy.url);
    assert.deepEqual(await vmCounters(envoy), countersBefore, 'a wasm VM was re-created (a trap)');
  });
});
