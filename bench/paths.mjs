// The paths `make bench` measures, as data: where the request goes (straight to a canned
// backend, through Envoy without the filter, or through the filter in one of its modes), which
// canned backend answers, the plugin configuration, the request, and any per-path setup.
// To add a path, add an entry; `pending` keeps it out of a run (it is listed as pending)
// unless `--pending` (or BENCH_PENDING=1) is given.
import { randomBytes } from 'node:crypto';
import { postJson } from '../tests/support/envoy.mjs';
import { LEGACY_VERSION, META_VERSION_KEY, MODERN_VERSION } from './backends.mjs';

/** The client's measured call: `tools/call` of `echo`, legacy (2025-06-18) form. */
export function legacyCall() {
  return {
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': LEGACY_VERSION,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hello' } } }),
  };
}

/** The same call in MCP 2026-07-28 form: version in `_meta` and headers, Mcp-Method/Mcp-Name, no session. */
export function modernCall() {
  return {
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN_VERSION,
      'mcp-method': 'tools/call',
      'mcp-name': 'echo',
    },
    body: JSON.stringify({
      jsonrpc: '2.0', id: 1, method: 'tools/call',
      params: {
        name: 'echo', arguments: { text: 'hello' },
        _meta: { [META_VERSION_KEY]: MODERN_VERSION, 'io.modelcontextprotocol/clientCapabilities': {} },
      },
    }),
  };
}

/** A modern `tools/list` (the federated path's request). */
export function modernList() {
  return {
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN_VERSION,
      'mcp-method': 'tools/list',
    },
    body: JSON.stringify({
      jsonrpc: '2.0', id: 1, method: 'tools/list',
      params: { _meta: { [META_VERSION_KEY]: MODERN_VERSION, 'io.modelcontextprotocol/clientCapabilities': {} } },
    }),
  };
}

/**
 * A federated server over three backends. They are all the canned modern backend (on the
 * route's cluster), told apart by a query parameter: once the lists are cached (its tools/list
 * says public, 300 s) the backends are never asked, so the path measures the cached merge.
 */
export function federated(url) {
  const backends = ['a', 'b', 'c'].map((name) => ({ name, mcpServerURL: `${url}?backend=${name}` }));
  return { server: { name: 'bench', type: 'mcp-proxy', timeout: 5000, backends } };
}

/** Terminating-mode plugin configuration for a backend URL. */
export function terminating(url, transport = 'http') {
  return { server: { name: 'bench', type: 'mcp-proxy', transport, mcpServerURL: url, timeout: 5000 } };
}

/** Pass-through plugin configuration for a backend URL. */
export function passthrough(url, extra = {}) {
  return { server: { name: 'bench', type: 'mcp-passthrough', mcpServerURL: url, ...extra } };
}

/** The `server.sessionKeys` entry of the sealed-id path: 32 random bytes, base64, per run. */
export const BENCH_SESSION_KEY = randomBytes(32).toString('base64');

/**
 * Opens a legacy session through the gateway (initialize, then notifications/initialized) and
 * returns the headers later requests carry: the gateway-issued Mcp-Session-Id.
 */
export async function openGatewaySession(url) {
  const init = await postJson(url, {
    jsonrpc: '2.0', id: 0, method: 'initialize',
    params: { protocolVersion: LEGACY_VERSION, capabilities: {}, clientInfo: { name: 'bench', version: '0' } },
  });
  const sid = init.headers['mcp-session-id'];
  if (init.status !== 200 || !sid) throw new Error(`initialize through the gateway: HTTP ${init.status}, session id ${sid}: ${init.text.slice(0, 200)}`);
  const headers = { 'mcp-session-id': sid };
  const note = await postJson(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { ...headers, 'mcp-protocol-version': LEGACY_VERSION });
  if (note.status !== 202) throw new Error(`notifications/initialized through the gateway: HTTP ${note.status}: ${note.text.slice(0, 200)}`);
  return headers;
}

/**
 * @typedef {object} BenchPath
 * @property {string} id          short name, used by --paths
 * @property {string} label       what the table shows
 * @property {'direct'|'plain'|'filter'} via  straight to the backend, Envoy without the filter, or with it
 * @property {'stateful'|'stateless'|'modern'|'sse'} backend  the canned backend that answers
 * @property {(backendUrl: string) => object} [plugin]  plugin configuration (via 'filter')
 * @property {() => {headers: object, body: string}} request  the measured request
 * @property {(url: string) => Promise<object>} [setup]  extra headers for the measured request
 * @property {string} [pending]   why the path is not measured by default
 * @property {string} [wasm]      another build of the filter (A/B comparisons; BENCH_AB below)
 * @property {string} [ignoreInBody]  regex source: what may differ between answers (else bodies must be equal)
 */

/** @type {BenchPath[]} */
export const PATHS = [
  { id: 'direct', label: 'direct to backend', via: 'direct', backend: 'stateless', request: legacyCall },
  { id: 'envoy', label: 'Envoy, no filter', via: 'plain', backend: 'stateless', request: legacyCall },
  {
    id: 'term-stateful', label: 'terminating → legacy stateful', via: 'filter', backend: 'stateful',
    plugin: (url) => terminating(url), request: legacyCall,
  },
  {
    id: 'term-stateless', label: 'terminating → legacy stateless', via: 'filter', backend: 'stateless',
    plugin: (url) => terminating(url), request: legacyCall,
  },
  {
    id: 'term-modern', label: 'terminating → modern (2026-07-28)', via: 'filter', backend: 'modern',
    plugin: (url) => terminating(url), request: modernCall,
  },
  {
    id: 'pass-session', label: 'pass-through, legacy session', via: 'filter', backend: 'stateful',
    plugin: (url) => passthrough(url), request: legacyCall, setup: openGatewaySession,
  },
  {
    id: 'pass-sealed', label: 'pass-through, legacy session, sealed ids', via: 'filter', backend: 'stateful',
    plugin: (url) => passthrough(url, { sessionKeys: [BENCH_SESSION_KEY] }), request: legacyCall, setup: openGatewaySession,
  },
  {
    id: 'pass-modern', label: 'pass-through, modern request', via: 'filter', backend: 'modern',
    plugin: (url) => passthrough(url), request: modernCall,
  },
  {
    id: 'term-sse', label: 'terminating → legacy HTTP+SSE', via: 'filter', backend: 'sse',
    plugin: (url) => terminating(url, 'sse'), request: legacyCall,
  },
  {
    id: 'fed-list', label: 'federated tools/list, 3 backends, cached', via: 'filter', backend: 'modern',
    // A cached list's ttlMs is what is left of it: it counts down from answer to answer.
    plugin: (url) => federated(url), request: modernList, ignoreInBody: '"ttlMs":\\d+',
  },
];

// BENCH_AB=<path to another .wasm>[,<another>…] adds a copy of each filter path running each
// build, so a change can be compared with the builds before it in one run (`--paths` selects
// `<id>-ab` for the first build, `<id>-ab2` for the second, …).
if (process.env.BENCH_AB) {
  const builds = process.env.BENCH_AB.split(',').filter((b) => b.length > 0);
  const filtered = PATHS.filter((x) => x.via === 'filter');
  builds.forEach((wasm, i) => {
    for (const p of filtered) {
      PATHS.push({ ...p, id: `${p.id}-ab${i === 0 ? '' : i + 1}`, label: `${p.label} [${wasm.split('/').pop()}]`, wasm });
    }
  });
}

/** The path every other is compared with. */
export const BASELINE = 'envoy';

/** The URL of a canned backend's MCP endpoint. */
export function backendUrl(kind, port) {
  return `http://127.0.0.1:${port}${kind === 'sse' ? '/sse' : '/mcp'}`;
}
