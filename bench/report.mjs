// The bench's report: each path set against the baseline (Envoy without the filter), and the
// markdown tables printed to stdout and written next to the JSON.

/** Adds `vsBaseline` {cpu, p50, p50AddedMs} to every measured path (null where undefined). */
export function addRatios(paths, baselineId) {
  const base = paths.find((p) => p.id === baselineId && p.status === 'ok');
  const ratio = (a, b) => (base && typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : null);
  for (const p of paths) {
    if (p.status !== 'ok') continue;
    p.vsBaseline = {
      cpu: ratio(p.envoyCpuUsPerReq, base?.envoyCpuUsPerReq),
      p50: ratio(p.latencyMs.p50, base?.latencyMs.p50),
      p50AddedMs: base && p.latencyMs.p50 !== null ? p.latencyMs.p50 - base.latencyMs.p50 : null,
    };
  }
  return paths;
}

const fix = (v, digits = 0) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–');
const times = (v) => (typeof v === 'number' ? `${v.toFixed(2)}×` : '–');
const mib = (v) => (typeof v === 'number' ? (v / 1048576).toFixed(1) : '–');
const signed = (v) => (typeof v === 'number' ? `${v >= 0 ? '+' : ''}${v.toFixed(2)}` : '–');

/** The per-path table. */
export function pathsTable(paths) {
  const rows = [
    '| path | req/s | p50 ms | p99 ms | Envoy CPU µs/req | backend req/call | CPU vs no-filter | p50 vs no-filter | p50 added ms |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const p of paths) {
    if (p.status === 'pending') { rows.push(`| ${p.label} | pending: ${p.reason} ||||||||`); continue; }
    if (p.status !== 'ok') { rows.push(`| ${p.label} | failed: ${String(p.error).split('\n')[0].slice(0, 160).replaceAll('|', '/')} ||||||||`); continue; }
    const v = p.vsBaseline ?? {};
    rows.push(`| ${p.label} | ${fix(p.rps)} | ${fix(p.latencyMs.p50, 2)} | ${fix(p.latencyMs.p99, 2)} | ${fix(p.envoyCpuUsPerReq)} | ${fix(p.backendRequestsPerCall, 2)} | ${times(v.cpu)} | ${times(v.p50)} | ${signed(v.p50AddedMs)} |`);
  }
  return rows.join('\n');
}

/**
 * Where the CPU of one client request went, by process, and how far the rounds spread (the
 * machine is shared: a wide spread means noise).
 */
export function cpuTable(paths) {
  const rows = [
    '| path | Envoy µs/req | backend µs/req | load generator µs/req | req/s over rounds | p50 ms over rounds |',
    '|---|--:|--:|--:|--:|--:|',
  ];
  const range = (vals, digits) => {
    const v = vals.filter((x) => typeof x === 'number');
    return v.length ? `${Math.min(...v).toFixed(digits)}–${Math.max(...v).toFixed(digits)}` : '–';
  };
  for (const p of paths.filter((x) => x.status === 'ok')) {
    rows.push(`| ${p.label} | ${fix(p.envoyCpuUsPerReq)} | ${fix(p.backendCpuUsPerReq)} | ${fix(p.loadgenCpuUsPerReq)} | ` +
      `${range(p.perRound.map((r) => r.rps), 0)} | ${range(p.perRound.map((r) => r.p50), 2)} |`);
  }
  return rows.join('\n');
}

function memoryRow(label, m) {
  return `| ${label} | ${mib(m?.vmLinearBytes)} | ${mib(m?.allocatedBytes)} | ${mib(m?.heapBytes)} | ${mib(m?.rssBytes)} |`;
}

/** The memory table (MiB): VM linear memory, Envoy's tcmalloc allocated and heap, RSS. */
export function memoryTable(memory, moduleBytes) {
  const rows = [
    '| moment | wasm VM linear MiB | Envoy allocated MiB | Envoy heap MiB | Envoy RSS MiB |',
    '|---|--:|--:|--:|--:|',
  ];
  const c = memory.calls;
  if (c?.status === 'ok') {
    rows.push(memoryRow('terminating: before', c.before));
    rows.push(memoryRow(`terminating: after ${c.calls.toLocaleString('en-US')} calls`, c.after));
  } else rows.push(`| terminating calls: ${c?.status ?? 'not run'} ${c?.error ?? ''} |||||`);
  const s = memory.sessions;
  if (s?.status === 'ok') {
    rows.push(memoryRow('pass-through: before', s.before));
    rows.push(memoryRow(`pass-through: ${s.sessions.toLocaleString('en-US')} sessions open (idle timeout ${s.idleTimeoutS} s)`, s.created));
    rows.push(memoryRow(`pass-through: ${(s.waitedMs / 1000).toFixed(0)} s later, expired${s.canaryExpired ? '' : ' (canary NOT expired)'}`, s.expired));
  } else rows.push(`| pass-through sessions: ${s?.status ?? 'not run'} ${s?.error ?? ''} |||||`);
  return `${rows.join('\n')}\n\nModule size: ${moduleBytes.toLocaleString('en-US')} bytes (build/mcp-proxy.wasm).`;
}

/** One line naming the machine and the run's settings. */
export function machineLine(r) {
  const m = r.machine;
  return `${m.cpuModel}, ${m.cores} cores, Linux ${m.kernel}, Node ${m.node}, Envoy ${m.envoy} ` +
    `(--concurrency 1), load average ${m.loadAverage.map((x) => x.toFixed(2)).join(' ')} at start; ` +
    `${r.options.rounds} rounds × ${r.options.requests.toLocaleString('en-US')} requests per path over ${r.options.connections} connections ` +
    `(warm-up ${r.options.warmup} per round), medians of the rounds; ${r.date}.`;
}

/** The whole markdown report. */
export function markdown(r) {
  return [
    `Machine: ${machineLine(r)}`,
    '',
    pathsTable(r.paths),
    '',
    cpuTable(r.paths),
    '',
    memoryTable(r.memory, r.moduleBytes),
    '',
  ].join('\n');
}

/** README markers between which `--readme` puts the latest tables and the plot. */
export const README_START = '<!-- bench-results -->';
export const README_END = '<!-- /bench-results -->';

/** `readme` with the block between the markers replaced by this run's report (png: relative link or null). */
export function withReadmeBlock(readme, r, png) {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README has no ${README_START} … ${README_END} block`);
  const block = [
    README_START,
    `Latest run — ${machineLine(r)}`,
    '',
    pathsTable(r.paths),
    '',
    cpuTable(r.paths),
    '',
    memoryTable(r.memory, r.moduleBytes),
    '',
    ...(png ? [`![bench results: throughput, latency, Envoy CPU per request, memory](${png})`, ''] : []),
  ].join('\n');
  return readme.slice(0, start) + block + readme.slice(end);
}
