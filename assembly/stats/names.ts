// Names of the gateway's Envoy stats. A stat's name carries its labels as `.key=value`
// segments after the metric's own name, e.g.
//
//   mcp.requests_total.mcp_mode=terminating.mcp_server=demo.mcp_method=tools/call.outcome=ok
//
// Envoy prefixes it with `wasmcustom.`; the `stats_config.stats_tags` rules shipped in
// envoy/envoy.yaml (`(\.mcp_server=([^.]*))` …) cut each segment out and make it a label, so
// /stats/prometheus prints `mcp_requests_total{mcp_mode="terminating",mcp_server="demo",…}`.
// Every value is sanitized to [A-Za-z0-9_-] (methods keep their `/`): a value never holds `.`
// or `=`, so no segment can be mistaken for another. The label space is bounded: methods come
// from a fixed list (anything else is `other`), tools from a bounded registry (stats/tools.ts).

/** Label of a tool the registry does not know (or a name beyond its bound). */
export const OTHER_TOOL = "_other";
/** Label of a method outside KNOWN_METHODS. */
export const OTHER_METHOD = "other";

/** MCP methods a client sends (both eras), each its own label value. */
const KNOWN_METHODS: string[] = [
  "initialize", "ping", "server/discover", "tools/list", "tools/call",
  "resources/list", "resources/templates/list", "resources/read", "resources/subscribe", "resources/unsubscribe",
  "prompts/list", "prompts/get", "completion/complete", "logging/setLevel", "subscriptions/listen",
  "tasks/get", "tasks/list", "tasks/result", "tasks/cancel",
  "notifications/initialized", "notifications/cancelled", "notifications/progress", "notifications/roots/list_changed",
];

/** Pseudo-methods: requests that are not one JSON-RPC request with a method. */
export const METHOD_UNKNOWN = "unknown"; // a POST answered before its body was read
export const METHOD_INVALID = "invalid"; // a body that is not a readable JSON-RPC message
export const METHOD_RESPONSE = "response"; // a client's JSON-RPC response (to sampling, elicitation, roots)
export const METHOD_BATCH = "batch"; // a JSON-RPC batch (pass-through, 2025-03-26)
export const METHOD_GET = "get"; // GET: the server→client stream (pass-through), 405 (terminating)
export const METHOD_DELETE = "delete"; // DELETE: the end of a session (pass-through), 405 (terminating)
export const METHOD_OPTIONS = "options"; // a CORS preflight or OPTIONS

/** Every method label, known methods first; a label's index is its place here. */
export const METHOD_LABELS: string[] = KNOWN_METHODS.concat([
  OTHER_METHOD, METHOD_UNKNOWN, METHOD_INVALID, METHOD_RESPONSE, METHOD_BATCH, METHOD_GET, METHOD_DELETE, METHOD_OPTIONS,
]);

const methodIndex = new Map<string, i32>();

/** The index in METHOD_LABELS of a client's JSON-RPC method (unknown names → `other`). */
export function methodOf(method: string): i32 {
  if (methodIndex.size == 0) for (let i = 0; i < METHOD_LABELS.length; i++) methodIndex.set(METHOD_LABELS[i], i);
  if (method.length > 0 && methodIndex.has(method)) {
    const i = methodIndex.get(method);
    if (i < KNOWN_METHODS.length) return i;
  }
  return KNOWN_METHODS.length; // OTHER_METHOD
}

/** The index in METHOD_LABELS of a pseudo-method label (one of the METHOD_* constants). */
export function pseudoMethod(label: string): i32 {
  const i = METHOD_LABELS.indexOf(label);
  return i >= 0 ? i : KNOWN_METHODS.length;
}

/** The pseudo-method of an HTTP request before (or without) a body: get, delete, options or unknown. */
export function httpMethodLabel(httpMethod: string): string {
  if (httpMethod == "GET") return METHOD_GET;
  if (httpMethod == "DELETE") return METHOD_DELETE;
  if (httpMethod == "OPTIONS") return METHOD_OPTIONS;
  return METHOD_UNKNOWN;
}

/** What a backend request was for (`mcp_step`). */
export enum BackendStep {
  Discover,
  Initialize,
  Notification,
  Call,
  ListTools,
  Delete,
  Stream,
  Forward,
}

/** The `mcp_step` label of each BackendStep, by its value. */
export const STEP_LABELS: string[] = ["discover", "initialize", "notification", "call", "list_tools", "delete", "stream", "forward"];

/** Session events counted per server. */
export enum SessionEvent {
  Created,
  Expired,
  Refused,
  Closed,
}

/** Metric name of each SessionEvent's counter, by its value. */
export const SESSION_COUNTERS: string[] = ["mcp.sessions_created_total", "mcp.sessions_expired_total", "mcp.sessions_refused_total", "mcp.sessions_closed_total"];

/** Upper bound on a sanitized server label (longer names are cut). */
// @ts-ignore: decorator
@inline export const MAX_SERVER_LABEL: i32 = 64;
/** Upper bound on a tool name the registry keeps (MCP: tool names SHOULD be 1–128 characters). */
// @ts-ignore: decorator
@inline export const MAX_TOOL_NAME: i32 = 128;

/**
 * A label value: every character outside [A-Za-z0-9_-] becomes `_` (so `.`, `=`, spaces and
 * non-ASCII never reach a stat name), cut to `max` characters; "" becomes `_`.
 */
export function sanitize(s: string, max: i32): string {
  const n = min(s.length, max);
  if (n == 0) return "_";
  let clean = n == s.length;
  for (let i = 0; i < n && clean; i++) clean = labelChar(s.charCodeAt(i));
  if (clean) return s;
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    out[i] = labelChar(c) ? String.fromCharCode(c) : "_";
  }
  return out.join("");
}

function labelChar(c: i32): bool {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c == 0x2d;
}

/** The `mcp_tool` label of a known tool; one literally named `_other` stays apart from the overflow label. */
export function toolLabel(name: string): string {
  const s = sanitize(name, MAX_TOOL_NAME);
  return s == OTHER_TOOL ? "_other_" : s;
}

/** `mcp.requests_total` of one (mode, server, method, outcome). */
export function requestsName(mode: string, server: string, method: string, outcome: string): string {
  return "mcp.requests_total.mcp_mode=" + mode + ".mcp_server=" + server + ".mcp_method=" + method + ".outcome=" + outcome;
}

/** `mcp.tool_calls_total` of one (mode, server, tool, outcome). */
export function toolCallsName(mode: string, server: string, tool: string, outcome: string): string {
  return "mcp.tool_calls_total.mcp_mode=" + mode + ".mcp_server=" + server + ".mcp_tool=" + tool + ".outcome=" + outcome;
}

/** `mcp.backend_requests_total` of one (server, step). */
export function backendRequestsName(server: string, step: BackendStep): string {
  return "mcp.backend_requests_total.mcp_server=" + server + ".mcp_step=" + STEP_LABELS[<i32>step];
}

/** A per-server metric: `<metric>.mcp_server=<server>`. */
export function serverMetricName(metric: string, server: string): string {
  return metric + ".mcp_server=" + server;
}

/** Gauge of live pass-through sessions (the session table's occupied slots). */
export const SESSIONS_LIVE = "mcp.sessions_live";
/** Histogram of the time a request spent with the backend, µs. */
export const BACKEND_TIME = "mcp.backend_time_us";
/** Histogram of the time the filter's callbacks took for a request, µs. */
export const GATEWAY_TIME = "mcp.gateway_time_us";
