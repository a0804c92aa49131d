// `make bench`: throughput, latency, Envoy CPU and memory of the gateway's paths, against a
// canned backend and against Envoy without the filter.
//
//   node bench/run.mjs [--requests 10000] [--rounds 3] [--connections 16] [--warmup 500]
//        [--paths direct,envoy,...] [--pending] [--memory-calls 100000]
//        [--memory-sessions 20000] [--no-memory] [--out bench/results] [--no-plot]
//        [--python bench/.venv/bin/python] [--readme] [--smoke]
//
// Processes: this one (orchestration), the canned backends (bench/backends.mjs), the load
// generator (bench/load.mjs, autocannon) and one Envoy per path (`--concurrency 1`). Writes
// <out>/latest.json, <out>/latest.md and, with matplotlib, <out>/latest.png; --readme also puts
// the tables and the plot into README.md's Benchmark section (what `make bench` does).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_WASM } from '../tests/support/envoy.mjs';
import { envoyVersion } from './gateway.mjs';
import { measurePaths } from './measure.mjs';
import { callsPhase, sessionsPhase } from './memory.mjs';
import { BASELINE, PATHS, backendUrl, legacyCall } from './paths.mjs';
import { forkChild } from './proc.mjs';
import { addRatios, markdown, withReadmeBlock } from './report.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');

const OPTIONS = {
  requests: { type: 'string', default: '10000' },
  rounds: { type: 'string', default: '3' },
  connections: { type: 'string', default: '16' },
  warmup: { type: 'string', default: '500' },
  paths: { type: 'string' },
  pending: { type: 'boolean', default: false },
  'memory-calls': { type: 'string', default: '100000' },
  'memory-sessions': { type: 'string', default: '20000' },
  'no-memory': { type: 'boolean', default: false },
  out: { type: 'string', default: path.join(HERE, 'results') },
  'no-plot': { type: 'boolean', default: false },
  python: { type: 'string', default: path.join(HERE, '.venv', 'bin', 'python') },
  readme: { type: 'boolean', default: false },
  smoke: { type: 'boolean', default: false },
};

/** A small run that only shows every part works: a few requests per path. */
const SMOKE = { requests: 20, rounds: 1, connections: 2, warmup: 4, memoryCalls: 40, memorySessions: 20 };

function positive(name, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} needs a positive integer, got ${text}`);
  return n;
}

/** The run's settings from the command line. */
export function options(argv) {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true });
  const o = {
    requests: positive('requests', values.requests),
    rounds: positive('rounds', values.rounds),
    connections: positive('connections', values.connections),
    warmup: positive('warmup', values.warmup),
    memoryCalls: positive('memory-calls', values['memory-calls']),
    memorySessions: positive('memory-sessions', values['memory-sessions']),
    memory: !values['no-memory'],
    pending: values.pending || process.env.BENCH_PENDING === '1',
    out: path.resolve(values.out),
    plot: !values['no-plot'],
    python: values.python,
    smoke: values.smoke,
    readme: values.readme,
    paths: values.paths ? values.paths.split(',').map((s) => s.trim()).filter(Boolean) : null,
  };
  if (o.smoke) Object.assign(o, SMOKE);
  if (o.readme && path.relative(ROOT, o.out).startsWith('..')) throw new Error('--readme needs --out inside the repository (the README links the plot)');
  const unknown = (o.paths ?? []).filter((id) => !PATHS.some((p) => p.id === id));
  if (unknown.length) throw new Error(`unknown path(s) ${unknown.join(', ')}; known: ${PATHS.map((p) => p.id).join(', ')}`);
  return o;
}

/** What the figures were measured on. */
function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const git = (args) => { try { return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim(); } catch { return ''; } };
  return {
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    cores: os.cpus().length,
    kernel: os.release(),
    node: process.version,
    envoy: envoyVersion(),
    loadAverage: os.loadavg(),
    commit: `${git(['rev-parse', '--short', 'HEAD'])}${git(['status', '--porcelain', '--', 'assembly']) ? '+dirty' : ''}`,
  };
}

/** Draws <out>/latest.png from the JSON with matplotlib; returns the PNG path or null. */
function plot(o, jsonPath, log) {
  if (!o.plot) return null;
  if (!existsSync(o.python)) {
    log(`no plot: ${o.python} not found (\`make bench\` creates bench/.venv with matplotlib)`);
    return null;
  }
  const png = path.join(o.out, 'latest.png');
  execFileSync(o.python, [path.join(HERE, 'plot.py'), jsonPath, png], { stdio: 'inherit' });
  return png;
}

/** Runs the whole bench; returns the result object (also written to <out>/latest.json). */
export async function runBench(o, log = (line) => process.stderr.write(`${line}\n`)) {
  const selected = PATHS.filter((p) => !o.paths || o.paths.includes(p.id));
  const measured = selected.filter((p) => !p.pending || o.pending);
  const date = new Date().toISOString();
  const info = machine();
  const backends = await forkChild(path.join(HERE, 'backends.mjs'));
  const load = await forkChild(path.join(HERE, 'load.mjs'));
  const ctx = { backends, load, ports: backends.ready.ports };
  try {
    // JIT-warm the load generator and the backends before the first path's numbers.
    const req = legacyCall();
    await load.ask({ type: 'run', spec: { url: backendUrl('stateless', ctx.ports.stateless), ...req, connections: o.connections, amount: o.warmup * 4 } }, 'result');
    const results = await measurePaths(measured, ctx, o, log);
    const paths = selected.map((p) => results.find((r) => r.id === p.id)
      ?? { id: p.id, label: p.label, status: 'pending', reason: p.pending });
    addRatios(paths, BASELINE);
    const memory = {};
    if (o.memory) {
      log(`memory: ${o.memoryCalls} terminating calls`);
      memory.calls = await callsPhase(ctx, { calls: o.memoryCalls, connections: o.connections });
      log(`memory: ${o.memorySessions} pass-through sessions`);
      memory.sessions = await sessionsPhase(ctx, { sessions: o.memorySessions, connections: o.connections });
    }
    const result = {
      date,
      machine: info,
      options: { requests: o.requests, rounds: o.rounds, connections: o.connections, warmup: o.warmup, memoryCalls: o.memoryCalls, memorySessions: o.memorySessions, smoke: o.smoke },
      baseline: BASELINE,
      moduleBytes: statSync(DEFAULT_WASM).size,
      paths,
      memory,
    };
    mkdirSync(o.out, { recursive: true });
    const jsonPath = path.join(o.out, 'latest.json');
    writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
    const md = markdown(result);
    writeFileSync(path.join(o.out, 'latest.md'), md);
    process.stdout.write(`${md}\n`);
    const png = plot(o, jsonPath, log);
    log(`wrote ${jsonPath}${png ? ` and ${png}` : ''}`);
    if (o.readme) {
      const readme = path.join(ROOT, 'README.md');
      const link = png ? path.relative(ROOT, png) : null;
      writeFileSync(readme, withReadmeBlock(readFileSync(readme, 'utf8'), result, link));
      log(`updated ${readme}`);
    }
    return result;
  } finally {
    await load.stop();
    await backends.stop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runBench(options(process.argv.slice(2))).catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
  });
}
