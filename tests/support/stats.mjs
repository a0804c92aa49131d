// Reading the gateway's stats from Envoy's admin /stats/prometheus in e2e tests: a small parser
// of the Prometheus text format as Envoy prints it, and helpers to select series by labels.
import { setTimeout as delay } from 'node:timers/promises';

/** Un-escapes a Prometheus label value (\\, \" and \n). */
function unescape(v) {
  return v.replace(/\\(["\\n])/g, (_, c) => (c === 'n' ? '\n' : c));
}

/**
 * Parses Prometheus text: [{ name, labels: {k: v}, value: number }] for every sample line
 * (comments skipped).
 */
export function parsePrometheus(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[2]) for (const l of m[2].matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = unescape(l[2]);
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** Every sample of the gateway's stats (names starting `mcp_`) now. */
export async function scrape(envoy) {
  const r = await envoy.admin('/stats/prometheus');
  if (!r || r.status !== 200) throw new Error(`/stats/prometheus answered ${r?.status}`);
  return parsePrometheus(r.text).filter((s) => s.name.startsWith('mcp_'));
}

/** Samples named `name` whose labels include every pair of `want`. */
export function select(samples, name, want = {}) {
  return samples.filter((s) => s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v));
}

/** { "<label values joined by |>": value } of the samples of `name` matching `want`, keyed by `keys`. */
export function table(samples, name, keys, want = {}) {
  const out = {};
  for (const s of select(samples, name, want)) out[keys.map((k) => s.labels[k]).join('|')] = s.value;
  return out;
}

/**
 * Scrapes until `cond(samples)` holds (histograms reach /stats only when Envoy flushes its
 * stats, every 5 s by default) or `ms` pass; returns the last samples.
 */
export async function scrapeUntil(envoy, cond, ms = 15000) {
  const deadline = Date.now() + ms;
  let samples = await scrape(envoy);
  while (!cond(samples) && Date.now() < deadline) {
    await delay(250);
    samples = await scrape(envoy);
  }
  return samples;
}

/** The `_count` of histogram `name` for `want` (0 when absent). */
export function histogramCount(samples, name, want) {
  const s = select(samples, `${name}_count`, want);
  return s.length > 0 ? s[0].value : 0;
}
