// `make bench` smoke run: bench/run.mjs with a few requests per path (canned backends, real
// Envoy, autocannon in its own process) must complete, give every path its figures, list the
// pending ones as pending, fill the memory phases, and write parsable JSON and the markdown
// table into the output directory it is given (never into bench/results/). No figure is
// asserted: speed and memory are never test conditions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PATHS } from '../bench/paths.mjs';
import { options } from '../bench/run.mjs';
import { README_END, README_START, withReadmeBlock } from '../bench/report.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = path.join(ROOT, 'bench', 'results');

/** Name → mtime of every file in bench/results/ (empty when it does not exist). */
function resultsSnapshot() {
  if (!existsSync(RESULTS)) return {};
  return Object.fromEntries(readdirSync(RESULTS).map((f) => [f, statSync(path.join(RESULTS, f)).mtimeMs]));
}

function runSmoke(out) {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bench/run.mjs', '--smoke', '--no-plot', '--out', out],
      { cwd: ROOT, timeout: 120000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => resolve({ error, stdout, stderr }));
  });
}

const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);

test('bench smoke run: every path measured or pending, memory phases filled, JSON and table written', { timeout: 150000 }, async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'mcp-bench-'));
  const before = resultsSnapshot();
  try {
    const { error, stdout, stderr } = await runSmoke(out);
    assert.equal(error, null, `bench/run.mjs failed: ${error?.message}\n${stderr}`);
    const result = JSON.parse(readFileSync(path.join(out, 'latest.json'), 'utf8'));
    assert.deepEqual(result.paths.map((p) => p.id), PATHS.map((p) => p.id), 'every path is reported, in order');
    for (const p of result.paths) {
      const def = PATHS.find((d) => d.id === p.id);
      if (def.pending) {
        assert.equal(p.status, 'pending', `${p.id} is pending`);
        assert.equal(p.reason, def.pending);
        continue;
      }
      assert.equal(p.status, 'ok', `${p.id}: ${p.error}`);
      for (const v of [p.rps, p.latencyMs.p50, p.latencyMs.p99, p.backendRequestsPerCall, p.backendCpuUsPerReq, p.loadgenCpuUsPerReq]) {
        assert.ok(isNumber(v), `${p.id}: figures are numbers (${JSON.stringify(p)})`);
      }
      assert.equal(p.requestsPerRound, 20, `${p.id}: the smoke run's request count was answered`);
      if (def.via === 'direct') {
        assert.equal(p.envoyCpuUsPerReq, null);
        assert.equal(p.memory, null);
      } else {
        assert.ok(isNumber(p.envoyCpuUsPerReq), `${p.id}: Envoy CPU per request`);
        assert.ok(isNumber(p.memory.rssBytes) && isNumber(p.memory.allocatedBytes), `${p.id}: Envoy memory`);
        assert.ok('p50AddedMs' in p.vsBaseline && 'cpu' in p.vsBaseline, `${p.id}: compared with the baseline`);
      }
    }
    const { calls, sessions } = result.memory;
    assert.equal(calls.status, 'ok', calls.error);
    assert.equal(sessions.status, 'ok', sessions.error);
    for (const m of [calls.before, calls.after, sessions.before, sessions.created, sessions.expired]) {
      assert.ok(isNumber(m.vmLinearBytes), 'the VM memory gauge was published (wasmcustom stat)');
      assert.ok(isNumber(m.allocatedBytes) && isNumber(m.heapBytes) && isNumber(m.rssBytes));
    }
    assert.equal(typeof sessions.canaryExpired, 'boolean');
    assert.ok(isNumber(result.moduleBytes) && result.moduleBytes > 0);
    assert.ok(result.machine.cpuModel && result.machine.envoy && result.machine.node);
    const md = readFileSync(path.join(out, 'latest.md'), 'utf8');
    assert.match(md, /^\| path \| req\/s \| p50 ms \|/m);
    assert.ok(stdout.includes('| path | req/s |'), 'the table goes to stdout');
    assert.ok(!existsSync(path.join(out, 'latest.png')), '--no-plot draws nothing');
    assert.deepEqual(resultsSnapshot(), before, 'bench/results/ is left alone');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('bench options: an unknown path name is refused, --smoke shrinks the run', () => {
  assert.throws(() => options(['--paths', 'direct,nope']), /unknown path\(s\) nope/);
  assert.throws(() => options(['--requests', '0']), /positive integer/);
  assert.throws(() => options(['--readme', '--out', os.tmpdir()]), /--readme needs --out inside/);
  const smoke = options(['--smoke']);
  assert.ok(smoke.requests < options([]).requests);
});

test('the README block is replaced between its markers, the rest kept', () => {
  const result = {
    date: '2026-01-01T00:00:00.000Z',
    machine: { cpuModel: 'cpu', cores: 2, kernel: 'k', node: 'v20', envoy: '1.40.0', loadAverage: [0, 0, 0] },
    options: { rounds: 1, requests: 10, connections: 2, warmup: 1 },
    paths: [{ id: 'x', label: 'some path', status: 'pending', reason: 'not yet' }],
    memory: {},
    moduleBytes: 1234,
  };
  const readme = `head\n${README_START}\nold table\n${README_END}\ntail\n`;
  const out = withReadmeBlock(readme, result, 'bench/results/latest.png');
  assert.ok(out.startsWith(`head\n${README_START}\nLatest run — cpu, 2 cores`));
  assert.ok(!out.includes('old table'));
  assert.ok(out.includes('| some path | pending: not yet'));
  assert.ok(out.includes('](bench/results/latest.png)'));
  assert.ok(out.endsWith(`${README_END}\ntail\n`));
  assert.throws(() => withReadmeBlock('no markers', result, null), /no <!-- bench-results -->/);
});
