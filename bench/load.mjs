// The load generator for `make bench`: autocannon, in a process of its own (forked by
// bench/run.mjs; the canned backends live in yet another). The parent sends
// {type: 'run', spec} messages and gets {type: 'result', result} back, so one process serves
// a path's warm-up and its measured run and the parent can read Envoy's CPU counters in
// between. Latencies are taken from autocannon's per-response events at microsecond
// resolution (its own histogram keeps whole milliseconds, too coarse for a filter that adds
// a fraction of one).
import autocannon from 'autocannon';
import { isMain } from '../examples/backend/common.mjs';

/**
 * One fixed request, sent `amount` times over `connections` keep-alive connections.
 * @typedef {{url: string, method?: string, headers?: Record<string,string>, body?: string,
 *   connections: number, amount: number, expectBody?: string, ignore?: string, timeoutS?: number}} LoadSpec
 */

/** Value at quantile q (0..1) of sorted samples (nearest rank). */
export function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** A body check: equal to `expected` once every match of `ignore` is taken out of both. */
function sameBodyIgnoring(expected, ignore) {
  const re = new RegExp(ignore, 'g');
  const want = expected.replace(re, '');
  return (body) => body.replace(re, '') === want;
}

/**
 * Runs autocannon once and summarises it: requests answered, wall time, req/s, latency
 * percentiles (ms), errors, timeouts, non-2xx answers, bodies that differed from expectBody,
 * and the CPU this process spent (µs).
 * @param {LoadSpec} spec
 */
export async function runLoad(spec) {
  const samples = [];
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let lastAt = t0;
  const result = await new Promise((resolve, reject) => {
    const instance = autocannon({
      url: spec.url,
      method: spec.method ?? 'POST',
      headers: spec.headers ?? {},
      body: spec.body,
      connections: spec.connections,
      amount: spec.amount,
      // `ignore` (a regex source): parts of the body that may differ per answer (a TTL counting down).
      ...(spec.ignore ? { verifyBody: sameBodyIgnoring(spec.expectBody, spec.ignore) } : { expectBody: spec.expectBody }),
      timeout: spec.timeoutS ?? 10,
      // autocannon notices that `amount` is reached on this sampling tick (default 1 s).
      sampleInt: 50,
    }, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on('response', (client, statusCode, resBytes, responseTime) => {
      samples.push(responseTime);
      lastAt = process.hrtime.bigint();
    });
  });
  // The wall time runs from the start to the last answer, not to the tick that noticed it.
  const wallS = Number(lastAt - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  samples.sort((a, b) => a - b);
  const answered = samples.length;
  return {
    requests: answered,
    wallS,
    rps: wallS > 0 ? answered / wallS : 0,
    latencyMs: {
      p50: quantile(samples, 0.5),
      p90: quantile(samples, 0.9),
      p99: quantile(samples, 0.99),
      mean: answered ? samples.reduce((a, b) => a + b, 0) / answered : null,
      max: answered ? samples[answered - 1] : null,
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    mismatches: result.mismatches ?? 0,
    loadCpuUs: cpu.user + cpu.system,
  };
}

if (isMain(import.meta.url) && process.send) {
  process.on('message', async (m) => {
    if (m?.type !== 'run') return;
    try {
      process.send({ type: 'result', result: await runLoad(m.spec) });
    } catch (err) {
      process.send({ type: 'error', message: String(err?.stack ?? err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready' });
}
