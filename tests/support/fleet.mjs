// Helpers for the sealed-session tests (tests/sealed*.test.mjs): several Envoy processes that
// share nothing but `server.sessionKeys`, a fetch that spreads one SDK client over them, raw
// session requests, and an Envoy config with one cluster per backend behind host-named routes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import YAML from 'yaml';
import { nodeFetch, postJson, renderEnvoyConfig } from './envoy.mjs';
import { waitFor } from './wait.mjs';

export { waitFor };

export const SESSION_HEADER = 'mcp-session-id';
export const PROTOCOL = '2025-06-18';
/** A sealed id: base64url, no padding; about 220 characters for an SDK backend's UUID. */
export const SEALED_ID = /^[A-Za-z0-9_-]{119,1024}$/;

const INIT_PARAMS = { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'fleet', version: '0' } };
export const rpc = (id, method, params) => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
export const note = (method, params) => ({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A session key as `openssl rand -base64 32` prints one. */
export function newSessionKey() {
  return randomBytes(32).toString('base64');
}

/** Pass-through plugin configuration for `backend` with sealed ids under `keys`. */
export function sealedConfig(backend, keys, server = {}) {
  return { server: { name: 'fleet', type: 'mcp-passthrough', mcpServerURL: backend.url, sessionKeys: keys, ...server } };
}

/**
 * A fetch for the SDK transport that sends each request to the next of `ports` in turn (the URL's
 * own port is replaced), like a load balancer without stickiness. Every exchange is recorded in
 * `served` as { method, port, status } (status 0: no answer, e.g. connection refused).
 */
export function roundRobinFetch(ports, served = []) {
  const base = nodeFetch();
  let n = 0;
  return (input, init = {}) => {
    const u = new URL(typeof input === 'string' ? input : (input.href ?? input.url));
    const port = ports[n++ % ports.length];
    u.port = String(port);
    const entry = { method: init.method ?? 'GET', port, status: 0 };
    served.push(entry);
    return base(u.href, init).then((res) => { entry.status = res.status; return res; });
  };
}

/** Raw initialize + notifications/initialized at `url`: the gateway's session id. */
export async function rawSession(url, headers = {}) {
  const reply = await postJson(url, rpc(1, 'initialize', INIT_PARAMS), headers);
  assert.equal(reply.status, 200, `initialize: HTTP ${reply.status}: ${reply.text}`);
  const gid = reply.headers[SESSION_HEADER];
  assert.match(gid ?? '', SEALED_ID, `initialize: session id ${gid}`);
  const ack = await postJson(url, note('notifications/initialized'), { ...headers, [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL });
  assert.equal(ack.status, 202, `notifications/initialized: HTTP ${ack.status}: ${ack.text}`);
  return gid;
}

/** POSTs one JSON-RPC message in session `gid`. */
export function sessionPost(url, gid, body, headers = {}) {
  return postJson(url, body, { [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL, ...headers });
}

/** The tool names of a tools/list reply, JSON or SSE. */
export function toolNames(reply) {
  const text = reply.text;
  const json = /^\s*\{/.test(text) ? text : text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('\n');
  return JSON.parse(json).result.tools.map((t) => t.name);
}

/** Asserts a reply is the gateway's own 404: JSON-RPC -32001 "Session not found". */
export function assertGateway404(reply, what = '') {
  assert.equal(reply.status, 404, `${what}: HTTP ${reply.status}: ${reply.text}`);
  assert.equal(reply.json?.jsonrpc, '2.0', `${what}: ${reply.text}`);
  assert.equal(reply.json?.error?.code, -32001, `${what}: ${reply.text}`);
  assert.equal(reply.json?.error?.message, 'Session not found', `${what}: ${reply.text}`);
}

/** `token` with the base64url character at `i` replaced by another one. */
export function flipChar(token, i) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const c = token[i];
  const other = alphabet[(alphabet.indexOf(c) + 1) % 64];
  return token.slice(0, i) + other + token.slice(i + 1);
}

/**
 * envoy/envoy.yaml rendered with `pluginConfig`, with one route per entry of `routes`
 * ({ 'route-a': 'cluster_a', ... }), chosen by the request header `x-route: <route name>`, and
 * one cluster per entry of `clusters` ({ cluster_a: port, ... }). Routes match on a header, not
 * on the host or path: pass-through mode rewrites `:authority` and `:path` to mcpServerURL's,
 * and Envoy then matches the route again. Admin port and access log stay placeholders.
 */
export function headerRoutedYaml(pluginConfig, routes, clusters) {
  const doc = YAML.parse(renderEnvoyConfig({ listenPort: 0, adminPort: 0, backendPort: 1, pluginConfig }));
  const hcm = doc.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  hcm.access_log[0].typed_config.path = '${ACCESS_LOG}';
  hcm.route_config = {
    name: 'fleet_route',
    virtual_hosts: [{
      name: 'fleet',
      domains: ['*'],
      routes: Object.entries(routes).map(([name, cluster]) => ({
        name, match: { prefix: '/', headers: [{ name: 'x-route', string_match: { exact: name } }] }, route: { cluster, timeout: '0s' },
      })),
    }],
  };
  const template = doc.static_resources.clusters[0];
  doc.static_resources.clusters = Object.entries(clusters).map(([name, port]) => {
    const c = structuredClone(template);
    c.name = name;
    c.load_assignment.cluster_name = name;
    c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = port;
    return c;
  });
  return YAML.stringify(doc);
}

