// Envoy for `make bench`: the shipped envoy/envoy.yaml (through the e2e harness), either with
// the mcp-proxy filter or rendered without it (same listener, route, cluster and access log;
// only the wasm filter taken out), plus readings of its memory and the filter's VM gauge.
import { execFileSync } from 'node:child_process';
import YAML from 'yaml';
import { envoyPath, renderEnvoyConfig, startEnvoy } from '../tests/support/envoy.mjs';
import { rssBytes } from './proc.mjs';

/** The filter's VM memory gauge as Envoy names it (`wasmcustom.` + the name the filter defines). */
export const VM_MEMORY_STAT = 'wasmcustom.mcp_proxy.vm_memory_bytes';

/** Stands in for the access log path until the harness fills in `${ACCESS_LOG}`. */
const ACCESS_LOG_MARK = '@ACCESS_LOG@';

/** envoy/envoy.yaml rendered with the wasm HTTP filter removed (router only). */
export function renderWithoutFilter({ backendPort }) {
  const doc = YAML.parse(renderEnvoyConfig({ backendPort, accessLog: ACCESS_LOG_MARK, adminPort: 0, listenPort: 0 }));
  for (const listener of doc.static_resources.listeners) {
    for (const chain of listener.filter_chains) {
      for (const f of chain.filters) {
        const hcm = f.typed_config;
        if (hcm?.http_filters) hcm.http_filters = hcm.http_filters.filter((h) => h.name !== 'envoy.filters.http.wasm');
      }
    }
  }
  return YAML.stringify(doc).replaceAll(ACCESS_LOG_MARK, '${ACCESS_LOG}');
}

/**
 * Starts Envoy (`--concurrency 1`) in front of the backend on `backendPort`: with the filter
 * configured by `pluginConfig`, or without the filter when pluginConfig is null.
 */
export function startGateway({ backendPort, pluginConfig, wasmPath }) {
  const common = { concurrency: 1, logLevel: 'warn', readyTimeoutMs: 30000 };
  if (pluginConfig === null) return startEnvoy({ ...common, configYaml: renderWithoutFilter({ backendPort }) });
  return startEnvoy({ ...common, backendPort, pluginConfig, ...(wasmPath ? { wasmPath } : {}) });
}

/** A number from the admin's plain-text `/stats` output, or null when the stat is absent. */
export async function adminStat(envoy, name) {
  const res = await envoy.admin(`/stats?filter=${encodeURIComponent(`^${name.replaceAll('.', '\\.')}$`)}`);
  const m = res && new RegExp(`^${name.replaceAll('.', '\\.')}: (\\d+)$`, 'm').exec(res.text);
  return m ? Number(m[1]) : null;
}

/**
 * Envoy's memory: the VM's linear memory (the filter's gauge, published on its tick; null when
 * the configuration runs no tick), tcmalloc's allocated bytes and heap size (admin `/memory`;
 * host-side shared data lives here), and the process RSS.
 */
export async function gatewayMemory(envoy) {
  const mem = await envoy.admin('/memory');
  let parsed = {};
  try { parsed = JSON.parse(mem?.text ?? '{}'); } catch { /* leave empty */ }
  const num = (v) => (v === undefined ? null : Number(v));
  // The gauge exists from configuration on but reads 0 until the first tick sets it.
  const vm = await adminStat(envoy, VM_MEMORY_STAT);
  return {
    vmLinearBytes: vm ? vm : null,
    allocatedBytes: num(parsed.allocated),
    heapBytes: num(parsed.heap_size),
    rssBytes: rssBytes(envoy.pid),
  };
}

/** `envoy --version`, shortened to the version and build (e.g. `1.40.0/Clean/RELEASE/BoringSSL`). */
export function envoyVersion() {
  try {
    const text = execFileSync(envoyPath(), ['--version'], { encoding: 'utf8' });
    const m = /version: [0-9a-f]+\/(\S+)/.exec(text);
    return m ? m[1] : text.trim();
  } catch (err) {
    return `unknown (${err.message})`;
  }
}
