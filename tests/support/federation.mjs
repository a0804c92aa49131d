// Helpers for the federation e2e tests (server.backends): the three SDK backends of the issue
// (SDK v2 modern-only, SDK 1.x legacy stateful, SDK 1.x legacy HTTP+SSE transport), an Envoy
// config with one cluster per backend, and the hub's plugin configuration.
import YAML from 'yaml';
import * as z from 'zod/v4';
import { ALL_TOOLS, startBackend } from '../../examples/backend/server.mjs';
import { MODERN_TOOLS, startModernBackend } from '../../examples/backend/modern-server.mjs';
import { startSseBackend } from '../../examples/backend/sse-server.mjs';
import { addClusters, renderEnvoyConfig, startEnvoy } from './envoy.mjs';

export { ALL_TOOLS, MODERN_TOOLS };

/** `_meta` key of the gateway's note on a merged list. */
export const FEDERATION_META = 'io.github.mcp-proxy-wasm/federation';

/** A tool that tells the client the tool list changed, on this very response (SDK 1.x). */
export function announceV1(server) {
  server.registerTool('announce', { description: 'Says the tool list changed' }, async (extra) => {
    await extra.sendNotification({ method: 'notifications/tools/list_changed' });
    return { content: [{ type: 'text', text: 'announced' }] };
  });
}

/** The same on the SDK v2 server (a notification in the request's SSE stream). */
export function announceV2(server) {
  server.registerTool('announce', { description: 'Says the tool list changed', inputSchema: z.object({}) }, async (_args, ctx) => {
    await ctx.mcpReq.notify({ method: 'notifications/tools/list_changed' });
    return { content: [{ type: 'text', text: 'announced' }] };
  });
}

/**
 * Starts the three backends. `modern` options go to startModernBackend (cacheHints, setup),
 * `legacy` ones to startBackend.
 */
export async function startTrio({ modern = {}, legacy = {} } = {}) {
  const trio = {
    modern: await startModernBackend({ legacy: 'reject', name: 'fed-modern', ...modern }),
    legacy: await startBackend(legacy),
    sse: await startSseBackend(),
  };
  trio.close = async () => {
    for (const b of [trio.modern, trio.legacy, trio.sse]) await b.close().catch(() => {});
  };
  return trio;
}

/** The backends entry of the trio: prefixes m, leg, sse; the SSE one on the route's cluster. */
export function trioBackends(trio, overrides = {}) {
  return [
    { name: 'modern', prefix: 'm', mcpServerURL: trio.modern.url, cluster: 'modern', ...overrides.modern },
    { name: 'legacy', prefix: 'leg', mcpServerURL: trio.legacy.url, cluster: 'legacy', ...overrides.legacy },
    { name: 'sse', prefix: 'sse', mcpServerURL: trio.sse.url, transport: 'sse', ...overrides.sse },
  ];
}

/** The hub's plugin configuration. */
export function hubConfig(backends, server = {}, top = {}) {
  return { server: { name: 'hub', type: 'mcp-proxy', timeout: 5000, backends, ...server }, ...top };
}

/**
 * envoy/envoy.yaml rendered for `pluginConfig`, with one STATIC cluster per entry of
 * `clusters` ({name: port}); the route's cluster (mcp_backend) goes to `routePort`.
 */
export function federationYaml(pluginConfig, clusters, routePort) {
  const doc = YAML.parse(renderEnvoyConfig({ listenPort: 0, adminPort: 0, backendPort: routePort ?? 1, pluginConfig }));
  doc.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.access_log[0].typed_config.path = '${ACCESS_LOG}';
  return YAML.stringify(addClusters(doc, clusters));
}

/** Envoy for a hub over the trio (clusters modern and legacy; the route to the SSE backend). */
export function startHub(trio, pluginConfig, clusters = {}) {
  const all = { modern: trio.modern.port, legacy: trio.legacy.port, ...clusters };
  return startEnvoy({ configYaml: federationYaml(pluginConfig, all, trio.sse.port) });
}

/** The names a client sees for `tools` under `prefix` (prefixMode always). */
export const prefixed = (prefix, tools) => tools.map((t) => `${prefix}__${t}`);

/** Backend requests since index `from` that were JSON-RPC `method` (POST bodies). */
export const rpcsSince = (backend, from, method) =>
  backend.requests.slice(from).filter((r) => r.method === 'POST' && r.body?.method === method).length;
