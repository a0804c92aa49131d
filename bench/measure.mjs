// Measuring the bench paths: each path gets its Envoy (if any) and a probe request that must
// come back as a successful JSON-RPC result; then, round after round over all paths (so a
// burst of other load on the shared machine hits one round of every path rather than all
// rounds of one), a warm-up and a measured run, reading Envoy's CPU time and the backends'
// request counters and CPU around the measured run. The figures of a path are the medians
// over its rounds.
import { setTimeout as delay } from 'node:timers/promises';
import { rawRequest } from '../tests/support/envoy.mjs';
import { gatewayMemory, startGateway } from './gateway.mjs';
import { backendUrl } from './paths.mjs';
import { cpuUs } from './proc.mjs';

/** Time for unawaited backend requests (the terminating mode's DELETE) to land. */
const SETTLE_MS = 250;

/** Backend request counters summed over the canned backends. */
export async function backendRequests(backends) {
  const { counts } = await backends.ask({ type: 'counts' }, 'counts');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Why an answer is not a successful JSON-RPC result, or '' when it is one. */
export function resultProblem(res) {
  if (res.status !== 200) return `HTTP ${res.status}: ${res.text.slice(0, 300)}`;
  if (!res.json || typeof res.json !== 'object') return `not JSON: ${res.text.slice(0, 300)}`;
  if (res.json.error) return `JSON-RPC error ${JSON.stringify(res.json.error).slice(0, 300)}`;
  if (!res.json.result) return `no result: ${res.text.slice(0, 300)}`;
  return '';
}

/** First lines of an error's message. */
export function brief(err) {
  return String(err?.message ?? err).split('\n').slice(0, 8).join('\n');
}

/**
 * Starts a path's Envoy, runs its setup and the probe. Returns {path, envoy, spec} where
 * spec is the load generator's request (the probe's answer is the body every measured answer
 * must equal), or {path, envoy: null, error} when something failed (its Envoy is stopped).
 * @param {import('./paths.mjs').BenchPath} path
 */
export async function openPath(path, ctx, opts) {
  const port = ctx.ports[path.backend];
  const burl = backendUrl(path.backend, port);
  let envoy = null;
  try {
    if (path.via !== 'direct') {
      envoy = await startGateway({ backendPort: port, pluginConfig: path.via === 'filter' ? path.plugin(burl) : null, wasmPath: path.wasm });
    }
    const url = envoy ? envoy.url : burl;
    const req = path.request();
    const headers = { ...req.headers, ...(path.setup ? await path.setup(url) : {}) };
    const probe = await rawRequest(url, { method: 'POST', body: req.body, headers });
    const problem = resultProblem(probe);
    if (problem) throw new Error(`probe: ${problem}`);
    return { path, envoy, spec: { url, method: 'POST', headers, body: req.body, connections: opts.connections, expectBody: probe.text, ignore: path.ignoreInBody } };
  } catch (err) {
    if (envoy) await envoy.stop();
    return { path, envoy: null, error: brief(err) };
  }
}

/** One warm-up and one measured run of an opened path: that round's figures. */
export async function measureRound(open, ctx, opts) {
  const { envoy, spec } = open;
  const run = async (amount) => (await ctx.load.ask({ type: 'run', spec: { ...spec, amount } }, 'result')).result;
  const snapshot = async () => ({
    envoyCpu: envoy ? cpuUs(envoy.pid) : null,
    backendCpu: cpuUs(ctx.backends.pid),
    backendReqs: await backendRequests(ctx.backends),
  });
  const warm = await run(opts.warmup);
  await delay(SETTLE_MS);
  const before = await snapshot();
  const r = await run(opts.requests);
  await delay(SETTLE_MS);
  const after = await snapshot();
  const n = r.requests;
  return {
    requests: n,
    rps: r.rps,
    latencyMs: r.latencyMs,
    envoyCpuUsPerReq: envoy ? (after.envoyCpu - before.envoyCpu) / n : null,
    backendRequestsPerCall: (after.backendReqs - before.backendReqs) / n,
    backendCpuUsPerReq: (after.backendCpu - before.backendCpu) / n,
    loadgenCpuUsPerReq: r.loadCpuUs / n,
    faults: ['errors', 'timeouts', 'non2xx', 'mismatches'].reduce((a, k) => a + r[k] + warm[k], 0),
    faultDetail: { errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx, mismatches: r.mismatches },
  };
}

/** Median of numbers (null when there are none). */
export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** A path's result from its rounds: medians, with each round's req/s and p50 kept for spread. */
export function summarise(path, rounds) {
  const pick = (f) => median(rounds.map(f));
  const faults = rounds.reduce((a, r) => a + r.faults, 0);
  return {
    id: path.id,
    label: path.label,
    status: faults === 0 && rounds.every((r) => r.requests > 0) ? 'ok' : 'failed',
    ...(faults ? { error: `${faults} failed or unexpected answers: ${JSON.stringify(rounds.map((r) => r.faultDetail))}` } : {}),
    rounds: rounds.length,
    requestsPerRound: rounds[0]?.requests ?? 0,
    rps: pick((r) => r.rps),
    latencyMs: {
      p50: pick((r) => r.latencyMs.p50),
      p90: pick((r) => r.latencyMs.p90),
      p99: pick((r) => r.latencyMs.p99),
      mean: pick((r) => r.latencyMs.mean),
    },
    envoyCpuUsPerReq: pick((r) => r.envoyCpuUsPerReq),
    backendRequestsPerCall: pick((r) => r.backendRequestsPerCall),
    backendCpuUsPerReq: pick((r) => r.backendCpuUsPerReq),
    loadgenCpuUsPerReq: pick((r) => r.loadgenCpuUsPerReq),
    perRound: rounds.map((r) => ({ rps: r.rps, p50: r.latencyMs.p50, p99: r.latencyMs.p99, envoyCpuUsPerReq: r.envoyCpuUsPerReq })),
  };
}

/**
 * Measures every path: opens all (their Envoys stay up, idle, side by side), runs
 * `opts.rounds` rounds over them, reads each Envoy's memory, stops them.
 * @returns {Promise<object[]>} one result per path, in the given order
 */
export async function measurePaths(paths, ctx, opts, log = () => {}) {
  const opened = [];
  try {
    for (const p of paths) {
      const o = await openPath(p, ctx, opts);
      log(o.error ? `${p.id}: failed: ${o.error}` : `${p.id}: ready`);
      opened.push({ ...o, rounds: [], failure: o.error });
    }
    for (let round = 1; round <= opts.rounds; round++) {
      for (const o of opened) {
        if (o.failure) continue;
        try {
          const r = await measureRound(o, ctx, opts);
          o.rounds.push(r);
          log(`round ${round} ${o.path.id}: ${r.rps.toFixed(0)} req/s, p50 ${r.latencyMs.p50?.toFixed(2)} ms, envoy ${r.envoyCpuUsPerReq?.toFixed(0) ?? '-'} µs/req`);
        } catch (err) {
          o.failure = brief(err);
        }
      }
    }
    const results = [];
    for (const o of opened) {
      const memory = o.envoy ? await gatewayMemory(o.envoy) : null;
      if (o.failure) results.push({ id: o.path.id, label: o.path.label, status: 'failed', error: o.failure });
      else results.push({ ...summarise(o.path, o.rounds), memory });
    }
    return results;
  } finally {
    for (const o of opened) if (o.envoy) await o.envoy.stop();
  }
}
