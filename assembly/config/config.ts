// Plugin configuration: the Higress `mcp-server` plugin JSON (mcp-proxy mode) turned into a
// typed, validated Config — or an error naming the offending field. Parsing is a pure
// function; the root context refuses to start on an error, so nothing about configuration
// can fail at request time.
import { JSON } from "json-as";
import { validateJSON } from "json-as/assembly/util/validateJson";
import { Url, parseUrl } from "./url";

/** Default `server.timeout`: the whole backend exchange of one request, in ms. */
// @ts-ignore: decorator
@inline export const DEFAULT_TIMEOUT_MS: i32 = 5000;

/** Default `server.maxResponseBytes` (4 MiB). */
// @ts-ignore: decorator
@inline export const DEFAULT_MAX_RESPONSE_BYTES: i32 = 4 * 1024 * 1024;

/** Backend transport. */
export enum Transport {
  /** Streamable HTTP (MCP 2025-03-26+). */
  Http,
  /** Legacy HTTP+SSE (MCP 2024-11-05). */
  Sse,
}

/** Validated configuration of one plugin instance. */
export class Config {
  serverName: string = "";
  transport: Transport = Transport.Http;
  url: Url = new Url();
  timeoutMs: i32 = DEFAULT_TIMEOUT_MS;
  /** Envoy cluster for backend calls; "" = the route's cluster. */
  cluster: string = "";
  /** SSE transport: bound on one buffered event/line of the backend stream, in bytes. */
  maxResponseBytes: i32 = DEFAULT_MAX_RESPONSE_BYTES;
  /** null = no allowTools configured (no restriction). */
  allowTools: string[] | null = null;
}

/** A Config, or the error that refused it. */
export class ConfigResult {
  constructor(public config: Config | null, public error: string) {}
}

function fail(message: string): ConfigResult {
  return new ConfigResult(null, message);
}

/** Numeric value of a JSON.Value of any numeric type, or NaN. */
function numberOf(v: JSON.Value): f64 {
  switch (v.type) {
    case JSON.Types.F64: return v.get<f64>();
    case JSON.Types.F32: return <f64>v.get<f32>();
    case JSON.Types.I8: return <f64>v.get<i8>();
    case JSON.Types.I16: return <f64>v.get<i16>();
    case JSON.Types.I32: return <f64>v.get<i32>();
    case JSON.Types.I64: return <f64>v.get<i64>();
    case JSON.Types.U8: return <f64>v.get<u8>();
    case JSON.Types.U16: return <f64>v.get<u16>();
    case JSON.Types.U32: return <f64>v.get<u32>();
    case JSON.Types.U64: return <f64>v.get<u64>();
    default: return NaN;
  }
}

/** A string field: "" + ok when absent and optional; error text otherwise. */
class Field {
  constructor(public present: bool, public value: string, public error: string) {}
}

function stringField(obj: JSON.Obj, key: string, path: string, required: bool): Field {
  const v = obj.get(key);
  if (v === null || v.type == JSON.Types.Null) {
    return new Field(false, "", required ? path + " is required" : "");
  }
  if (v.type != JSON.Types.String) return new Field(false, "", path + " must be a string");
  return new Field(true, v.get<string>(), "");
}

/** Reads an array of strings; sets `error` on a wrong shape. */
class StringList {
  constructor(public list: string[] | null, public error: string) {}
}

function stringList(obj: JSON.Obj, key: string, path: string): StringList {
  const v = obj.get(key);
  if (v === null || v.type == JSON.Types.Null) return new StringList(null, "");
  if (v.type != JSON.Types.Array) return new StringList(null, path + " must be an array of strings");
  const arr = v.get<JSON.Arr>();
  const out = new Array<string>();
  for (let i = 0; i < arr.length; i++) {
    const e = arr.at(i);
    if (e.type != JSON.Types.String) return new StringList(null, path + "[" + i.toString() + "] must be a string");
    out.push(e.get<string>());
  }
  return new StringList(out, "");
}

/** Parses and validates plugin configuration text. */
export function parseConfig(text: string): ConfigResult {
  if (text.trim().length == 0) return fail("configuration is empty: a JSON object with `server` is required");
  if (!validateJSON(text)) return fail("configuration is not valid JSON");
  const root = JSON.parse<JSON.Value>(text);
  if (root.type != JSON.Types.Object) return fail("configuration must be a JSON object");
  const top = root.get<JSON.Obj>();
  const sv = top.get("server");
  if (sv === null) return fail("server is required");
  if (sv.type != JSON.Types.Object) return fail("server must be an object");
  const server = sv.get<JSON.Obj>();
  const c = new Config();

  const name = stringField(server, "name", "server.name", true);
  if (name.error.length > 0) return fail(name.error);
  if (name.value.length == 0) return fail("server.name must not be empty");
  c.serverName = name.value;

  const type = stringField(server, "type", "server.type", true);
  if (type.error.length > 0) return fail(type.error);
  if (type.value != "mcp-proxy") return fail("server.type must be \"mcp-proxy\" (got \"" + type.value + "\")");

  const transport = stringField(server, "transport", "server.transport", false);
  if (transport.error.length > 0) return fail(transport.error);
  if (transport.present) {
    if (transport.value == "http") c.transport = Transport.Http;
    else if (transport.value == "sse") c.transport = Transport.Sse;
    else return fail("server.transport must be \"http\" or \"sse\" (got \"" + transport.value + "\")");
  }

  const url = stringField(server, "mcpServerURL", "server.mcpServerURL", true);
  if (url.error.length > 0) return fail(url.error);
  const parsed = parseUrl(url.value);
  if (parsed === null) return fail("server.mcpServerURL must be an absolute http:// or https:// URL (got \"" + url.value + "\")");
  c.url = parsed;

  const tv = server.get("timeout");
  if (tv !== null && tv.type != JSON.Types.Null) {
    const t = numberOf(tv);
    if (isNaN(t)) return fail("server.timeout must be a number of milliseconds");
    if (t < 1 || t > 3600000 || t != Math.floor(t)) return fail("server.timeout must be an integer between 1 and 3600000 (ms)");
    c.timeoutMs = <i32>t;
  }

  const mv = server.get("maxResponseBytes");
  if (mv !== null && mv.type != JSON.Types.Null) {
    const m = numberOf(mv);
    if (isNaN(m) || m < 1024 || m > 67108864 || m != Math.floor(m)) return fail("server.maxResponseBytes must be an integer between 1024 and 67108864");
    c.maxResponseBytes = <i32>m;
  }

  const cluster = stringField(server, "cluster", "server.cluster", false);
  if (cluster.error.length > 0) return fail(cluster.error);
  c.cluster = cluster.value;

  // allowTools: Higress documents `server.allowTools`; a top-level `allowTools` is accepted
  // too. When both are present a tool must be in both.
  const a1 = stringList(server, "allowTools", "server.allowTools");
  if (a1.error.length > 0) return fail(a1.error);
  const a2 = stringList(top, "allowTools", "allowTools");
  if (a2.error.length > 0) return fail(a2.error);
  c.allowTools = intersect(a1.list, a2.list);

  const tools = top.get("tools");
  if (tools !== null && tools.type != JSON.Types.Null && tools.type != JSON.Types.Array) return fail("tools must be an array");
  return new ConfigResult(c, "");
}

function intersect(a: string[] | null, b: string[] | null): string[] | null {
  if (a === null) return b;
  if (b === null) return a;
  const out = new Array<string>();
  for (let i = 0; i < a.length; i++) if (b.includes(a[i])) out.push(a[i]);
  return out;
}
