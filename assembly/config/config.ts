// Plugin configuration: the Higress `mcp-server` plugin JSON (mcp-proxy mode) turned into a
// typed, validated Config — or an error naming the offending field. Parsing is a pure
// function; the root context refuses to start on an error, so nothing about configuration
// can fail at request time.
import { JSON } from "json-as";
import { validateJSON } from "json-as/assembly/util/validateJson";
import { AuthzConfig } from "../authz/rules";
import { SecurityConfig } from "../security/schemes";
import { normalizeSlashEscapes } from "../jsonrpc/scan";
import { parseAuthorization } from "./authorization";
import { ObjField, absent, boolField, choiceField, intField, objField, stringField, stringList } from "./fields";
import { BackendSpec, Federation, parseFederation } from "./federation";
import { parseSecurity } from "./security";
import { SessionSettings, parseSessionSettings } from "./sessions";
import { Url, parseUrl } from "./url";

/** Default `server.timeout`: the whole backend exchange of one request, in ms. */
// @ts-ignore: decorator
@inline export const DEFAULT_TIMEOUT_MS: i32 = 5000;

/** Default `server.maxResponseBytes` (4 MiB). */
// @ts-ignore: decorator
@inline export const DEFAULT_MAX_RESPONSE_BYTES: i32 = 4 * 1024 * 1024;

/** Default `server.backendSessionIdleTimeout` (terminating mode), in seconds. */
// @ts-ignore: decorator
@inline export const DEFAULT_BACKEND_SESSION_IDLE_S: i32 = 600;

/** What the gateway does with MCP. */
export enum Mode {
  /** `mcp-proxy`: the gateway answers MCP and runs its own short backend sessions. */
  Terminate,
  /** `mcp-passthrough`: whole sessions go to the backend; the gateway owns the session id. */
  Passthrough,
}

/** Backend transport. */
export enum Transport {
  /** Streamable HTTP (MCP 2025-03-26+). */
  Http,
  /** Legacy HTTP+SSE (MCP 2024-11-05). */
  Sse,
}

/** `server.type` and `server.transport` values, in the order of Mode and Transport. */
const MODE_NAMES: string[] = ["mcp-proxy", "mcp-passthrough"];
const TRANSPORT_NAMES: string[] = ["http", "sse"];

/** Validated configuration of one plugin instance. */
export class Config {
  serverName: string = "";
  mode: Mode = Mode.Terminate;
  /** Pass-through mode: how sessions are kept (shared-data table or sealed ids). */
  sessions: SessionSettings = new SessionSettings();
  /** Terminating mode: a kept backend session unused this long is ended (ms); 0 = none kept. */
  backendSessionIdleMs: i64 = <i64>DEFAULT_BACKEND_SESSION_IDLE_S * 1000;
  /** Allowed browser origins; null = loopback origins only. */
  allowOrigins: string[] | null = null;
  transport: Transport = Transport.Http;
  url: Url = new Url();
  timeoutMs: i32 = DEFAULT_TIMEOUT_MS;
  /** Envoy cluster for backend calls; "" = the route's cluster. */
  cluster: string = "";
  /** SSE transport: bound on one buffered event/line of the backend stream, in bytes. */
  maxResponseBytes: i32 = DEFAULT_MAX_RESPONSE_BYTES;
  /** null = no allowTools configured (no restriction). */
  allowTools: string[] | null = null;
  /** Security schemes and requirements. */
  security: SecurityConfig = new SecurityConfig();
  /** `server.authorization`: OAuth 2.1 resource server with per-tool rules; null = off. */
  authorization: AuthzConfig | null = null;
  /** `server.stats`: the server's Envoy stats are defined and updated (filter/stats.ts). */
  stats: bool = true;
  /** `server.backends`: several backends behind this server (terminating mode); null = one. */
  federation: Federation | null = null;
  /** The backends of a federated server, each a Config of its own, in configuration order. */
  backends: Config[] = [];
  /** A backend of a federated server: its name and its tools' prefix ("" otherwise). */
  backendName: string = "";
  prefix: string = "";
  /** A backend of a federated server: that server's Config (whose stats it counts in). */
  server: Config | null = null;
}

/** A backend's Config: the server's, with the backend's own URL, cluster, transport, timeout,
 * allowTools (on the backend's own tool names) and credentials. */
function backendConfig(server: Config, b: BackendSpec): Config {
  const c = new Config();
  c.serverName = server.serverName;
  c.mode = server.mode;
  c.sessions = server.sessions;
  c.backendSessionIdleMs = server.backendSessionIdleMs;
  c.allowOrigins = server.allowOrigins;
  c.transport = b.transport == "sse" ? Transport.Sse : b.transport == "http" ? Transport.Http : server.transport;
  c.url = parseUrl(b.mcpServerURL)!;
  c.timeoutMs = b.timeoutMs > 0 ? b.timeoutMs : server.timeoutMs;
  c.cluster = b.cluster.length > 0 ? b.cluster : server.cluster;
  c.maxResponseBytes = server.maxResponseBytes;
  c.allowTools = b.allowTools;
  c.security = b.security;
  c.backendName = b.name;
  c.prefix = b.prefix;
  c.stats = server.stats;
  c.server = server;
  return c;
}

/** A Config, or the error that refused it. */
export class ConfigResult {
  constructor(public config: Config | null, public error: string) {}
}

function fail(message: string): ConfigResult {
  return new ConfigResult(null, message);
}

/** Parses and validates configuration text holding one configuration (no `_rules_`). */
export function parseConfig(text: string): ConfigResult {
  const top = parseTop(text);
  if (top.error.length > 0) return fail(top.error);
  return parseConfigObject(top.obj!, "");
}

/** The top-level object of configuration text, or an error. */
export function parseTop(text: string): ObjField {
  if (text.trim().length == 0) return new ObjField(null, "configuration is empty: a JSON object with `server` is required");
  if (!validateJSON(text)) return new ObjField(null, "configuration is not valid JSON");
  const root = JSON.parse<JSON.Value>(normalizeSlashEscapes(text));
  if (root.type != JSON.Types.Object) return new ObjField(null, "configuration must be a JSON object");
  return new ObjField(root.get<JSON.Obj>(), "");
}

/** Parses one configuration object; `prefix` names its place in the document in errors. */
export function parseConfigObject(top: JSON.Obj, prefix: string): ConfigResult {
  const sv = top.get("server");
  if (sv === null || sv.type == JSON.Types.Null) return fail(prefix + "server is required");
  if (sv.type != JSON.Types.Object) return fail(prefix + "server must be an object");
  const server = sv.get<JSON.Obj>();
  const sp = prefix + "server.";
  const c = new Config();

  const name = stringField(server, "name", sp + "name", true);
  if (name.error.length > 0) return fail(name.error);
  if (name.value.length == 0) return fail(sp + "name must not be empty");
  c.serverName = name.value;

  const type = choiceField(server, "type", sp + "type", MODE_NAMES, true);
  if (type.error.length > 0) return fail(type.error);
  c.mode = <Mode>type.index;

  const transport = choiceField(server, "transport", sp + "transport", TRANSPORT_NAMES, false);
  if (transport.error.length > 0) return fail(transport.error);
  if (transport.index >= 0) c.transport = <Transport>transport.index;

  // A federated server names its backends' URLs in `server.backends` instead.
  const federated = !absent(server, "backends");
  const url = stringField(server, "mcpServerURL", sp + "mcpServerURL", !federated);
  if (url.error.length > 0) return fail(url.error);
  if (federated && url.present) return fail(sp + "mcpServerURL and " + sp + "backends exclude each other: give each backend its mcpServerURL");
  if (!federated) {
    const parsed = parseUrl(url.value);
    if (parsed === null) return fail(sp + "mcpServerURL must be an absolute http:// or https:// URL (got \"" + url.value + "\")");
    c.url = parsed;
  }

  const t = intField(server, "timeout", sp + "timeout", 1, 3600000, " (ms)");
  if (t.error.length > 0) return fail(t.error);
  if (t.present) c.timeoutMs = t.value;

  const m = intField(server, "maxResponseBytes", sp + "maxResponseBytes", 1024, 67108864, " (bytes)");
  if (m.error.length > 0) return fail(m.error);
  if (m.present) c.maxResponseBytes = m.value;

  const sessions = parseSessionSettings(server, sp, c.mode == Mode.Passthrough);
  if (sessions.error.length > 0) return fail(sessions.error);
  c.sessions = sessions.settings!;

  const bs = intField(server, "backendSessionIdleTimeout", sp + "backendSessionIdleTimeout", 0, 86400, " (seconds; 0 keeps no backend session)");
  if (bs.error.length > 0) return fail(bs.error);
  if (bs.present) c.backendSessionIdleMs = <i64>bs.value * 1000;

  const st = boolField(server, "stats", sp + "stats", true);
  if (st.error.length > 0) return fail(st.error);
  c.stats = st.value;

  const cors = objField(server, "cors", sp + "cors");
  if (cors.error.length > 0) return fail(cors.error);
  if (cors.obj !== null) {
    const ao = stringList(cors.obj!, "allowOrigins", sp + "cors.allowOrigins");
    if (ao.error.length > 0) return fail(ao.error);
    c.allowOrigins = ao.list;
  }

  const cluster = stringField(server, "cluster", sp + "cluster", false);
  if (cluster.error.length > 0) return fail(cluster.error);
  c.cluster = cluster.value;

  // allowTools: Higress documents `server.allowTools`; a top-level `allowTools` is accepted
  // too. When both are present a tool must be in both.
  const a1 = stringList(server, "allowTools", sp + "allowTools");
  if (a1.error.length > 0) return fail(a1.error);
  const a2 = stringList(top, "allowTools", prefix + "allowTools");
  if (a2.error.length > 0) return fail(a2.error);
  c.allowTools = intersect(a1.list, a2.list);

  const sec = parseSecurity(server, sp, top, prefix);
  if (sec.error.length > 0) return fail(sec.error);
  c.security = sec.config;

  const az = parseAuthorization(server, sp);
  if (az.error.length > 0) return fail(az.error);
  if (az.config !== null && readsAuthorization(c.security)) {
    // jwt_authn consumes the Authorization header: a downstream `http` scheme would read the
    // client's access token as a credential of its own.
    return fail(sp + "authorization cannot be combined with a downstream security requirement of type http (both read the Authorization header)");
  }
  c.authorization = az.config;

  const fed = parseFederation(server, sp, c.security);
  if (fed.error.length > 0) return fail(fed.error);
  if (fed.federation !== null) {
    if (c.mode != Mode.Terminate) return fail(sp + "backends needs type \"mcp-proxy\" (pass-through mode has one backend per route)");
    const f = fed.federation!;
    c.federation = f;
    for (let i = 0; i < f.specs.length; i++) c.backends.push(backendConfig(c, f.specs[i]));
  }
  return new ConfigResult(c, "");
}

/** True when a downstream requirement (default or a tool's) reads the Authorization header. */
function readsAuthorization(sec: SecurityConfig): bool {
  if (sec.downstream !== null && sec.downstream!.scheme.usesAuthorization) return true;
  const tools = sec.tools.values();
  for (let i = 0; i < tools.length; i++) {
    const d = tools[i].downstream;
    if (d !== null && d.scheme.usesAuthorization) return true;
  }
  return false;
}

function intersect(a: string[] | null, b: string[] | null): string[] | null {
  if (a === null) return b;
  if (b === null) return a;
  const out = new Array<string>();
  for (let i = 0; i < a.length; i++) if (b.includes(a[i])) out.push(a[i]);
  return out;
}
