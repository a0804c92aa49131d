// A terminating-mode server with several backends (`server.backends`): one endpoint in front
// of many MCP servers. Each backend becomes a Config of its own (URL, cluster, transport,
// timeout, allowTools, credentials), so the backend exchange, the era probe and the kept
// backend sessions work per backend unchanged; the server-level Config holds the list.
import { JSON } from "json-as";
import { SecurityConfig } from "../security/schemes";
import { choiceField, intField, objField, stringField, stringList } from "./fields";
import { parseBackendSecurity } from "./security";
import { parseUrl } from "./url";

/** Separator between a backend's prefix and a tool name: `gh__create_issue`. */
export const PREFIX_SEPARATOR = "__";

/** When tool names get their backend's prefix. */
export enum PrefixMode {
  /** Every tool: `<prefix>__<tool>`. */
  Always,
  /** Only names that more than one backend lists. */
  Conflict,
  /** Never: a name two backends list is a conflict, reported at request time. */
  Never,
}

/** What a tools/list does when a backend does not answer. */
export enum FailureMode {
  /** The tools of the backends that answered, and a `_meta` note naming the others. */
  Open,
  /** The request fails (-32603). */
  Closed,
}

/** Default `server.listCacheMaxTtl`: the longest a backend's list is cached, seconds. */
// @ts-ignore: decorator
@inline export const DEFAULT_LIST_CACHE_MAX_TTL_S: i32 = 300;

/** One backend of a federated server, as the config gives it. */
export class BackendSpec {
  name: string = "";
  prefix: string = "";
  mcpServerURL: string = "";
  cluster: string = "";
  /** "" = the server's transport. */
  transport: string = "";
  /** 0 = the server's timeout. */
  timeoutMs: i32 = 0;
  allowTools: string[] | null = null;
  security: SecurityConfig = new SecurityConfig();
}

/** The federation part of a server's configuration. */
export class Federation {
  specs: BackendSpec[] = [];
  prefixMode: PrefixMode = PrefixMode.Always;
  failureMode: FailureMode = FailureMode.Open;
  /** Legacy backends' lists are cached this long (ms) when > 0 (opt-in). */
  listCacheTtlMs: i64 = 0;
  /** The longest any list is cached (ms), whatever a backend's ttlMs says. */
  listCacheMaxTtlMs: i64 = <i64>DEFAULT_LIST_CACHE_MAX_TTL_S * 1000;
}

/** A Federation (null when the server has no `backends`), or the error naming the field. */
export class FederationResult {
  constructor(public federation: Federation | null, public error: string) {}
}

function fail(message: string): FederationResult {
  return new FederationResult(null, message);
}

/** A backend name: letters, digits, `-`, `_` and `.` (it appears in logs, stats and cursors). */
function validName(s: string): bool {
  if (s.length == 0 || s.length > 64) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x5f || c == 0x2e;
    if (!ok) return false;
  }
  return true;
}

/**
 * A prefix: letters, digits and `-`, single `_` inside. No `__` and no `_` at either end, so
 * that `<prefix>__<tool>` splits at its first `__` into exactly that prefix.
 */
export function validPrefix(s: string): bool {
  if (s.length == 0 || s.length > 64 || s.includes(PREFIX_SEPARATOR) || s.startsWith("_") || s.endsWith("_")) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** Reads `server.backends` and the federation fields (path `sp`, e.g. `server.`). */
export function parseFederation(server: JSON.Obj, sp: string, serverSecurity: SecurityConfig): FederationResult {
  const bv = server.get("backends");
  if (bv === null || bv.type == JSON.Types.Null) {
    const stray: string[] = ["prefixMode", "failureMode", "listCacheTtl", "listCacheMaxTtl"];
    for (let i = 0; i < stray.length; i++) {
      const v = server.get(stray[i]);
      if (v !== null && v.type != JSON.Types.Null) return fail(sp + stray[i] + " applies only with " + sp + "backends");
    }
    return new FederationResult(null, "");
  }
  if (bv.type != JSON.Types.Array) return fail(sp + "backends must be an array of objects");
  const arr = bv.get<JSON.Arr>();
  if (arr.length == 0) return fail(sp + "backends must not be empty");
  const f = new Federation();
  let sse = 0;
  for (let i = 0; i < arr.length; i++) {
    const path = sp + "backends[" + i.toString() + "]";
    const e = arr.at(i);
    if (e.type != JSON.Types.Object) return fail(path + " must be an object");
    const r = parseBackend(e.get<JSON.Obj>(), path, serverSecurity);
    if (r.error.length > 0) return fail(r.error);
    const b = r.spec!;
    for (let j = 0; j < f.specs.length; j++) {
      if (f.specs[j].name == b.name) return fail(path + ".name \"" + b.name + "\" is used by backends[" + j.toString() + "] too");
      if (f.specs[j].prefix == b.prefix) return fail(path + ".prefix \"" + b.prefix + "\" is used by backends[" + j.toString() + "] too");
    }
    if (b.transport == "sse") sse++;
    f.specs.push(b);
  }
  // The legacy HTTP+SSE channel is the client's own request, routed to the route's cluster.
  if (sse > 1) return fail(sp + "backends: at most one backend can use transport \"sse\"");

  const pm = choiceField(server, "prefixMode", sp + "prefixMode", ["always", "conflict", "never"], false);
  if (pm.error.length > 0) return fail(pm.error);
  if (pm.index >= 0) f.prefixMode = <PrefixMode>pm.index;
  // The SSE channel can carry one list; routing a call by the lists would need a second.
  if (sse > 0 && f.prefixMode != PrefixMode.Always) return fail(sp + "prefixMode must be \"always\" when a backend uses transport \"sse\"");
  const fm = choiceField(server, "failureMode", sp + "failureMode", ["open", "closed"], false);
  if (fm.error.length > 0) return fail(fm.error);
  if (fm.index >= 0) f.failureMode = <FailureMode>fm.index;
  const lt = intField(server, "listCacheTtl", sp + "listCacheTtl", 0, 86400, " (seconds; 0 caches no legacy backend's list)");
  if (lt.error.length > 0) return fail(lt.error);
  if (lt.present) f.listCacheTtlMs = <i64>lt.value * 1000;
  const lm = intField(server, "listCacheMaxTtl", sp + "listCacheMaxTtl", 0, 86400, " (seconds)");
  if (lm.error.length > 0) return fail(lm.error);
  if (lm.present) f.listCacheMaxTtlMs = <i64>lm.value * 1000;
  return new FederationResult(f, "");
}

class SpecResult {
  constructor(public spec: BackendSpec | null, public error: string) {}
}

function parseBackend(o: JSON.Obj, path: string, serverSecurity: SecurityConfig): SpecResult {
  const b = new BackendSpec();
  const name = stringField(o, "name", path + ".name", true);
  if (name.error.length > 0) return new SpecResult(null, name.error);
  if (!validName(name.value)) return new SpecResult(null, path + ".name must be 1-64 letters, digits, '-', '_' or '.' (got \"" + name.value + "\")");
  b.name = name.value;
  const prefix = stringField(o, "prefix", path + ".prefix", false);
  if (prefix.error.length > 0) return new SpecResult(null, prefix.error);
  b.prefix = prefix.present ? prefix.value : name.value;
  if (!validPrefix(b.prefix)) {
    return new SpecResult(null, path + ".prefix must be 1-64 letters, digits, '-' or single inner '_' (no \"__\"; got \"" + b.prefix + "\")");
  }
  const url = stringField(o, "mcpServerURL", path + ".mcpServerURL", true);
  if (url.error.length > 0) return new SpecResult(null, url.error);
  if (parseUrl(url.value) === null) return new SpecResult(null, path + ".mcpServerURL must be an absolute http:// or https:// URL (got \"" + url.value + "\")");
  b.mcpServerURL = url.value;
  const cluster = stringField(o, "cluster", path + ".cluster", false);
  if (cluster.error.length > 0) return new SpecResult(null, cluster.error);
  b.cluster = cluster.value;
  const transport = choiceField(o, "transport", path + ".transport", ["http", "sse"], false);
  if (transport.error.length > 0) return new SpecResult(null, transport.error);
  b.transport = transport.value;
  const t = intField(o, "timeout", path + ".timeout", 1, 3600000, " (ms)");
  if (t.error.length > 0) return new SpecResult(null, t.error);
  if (t.present) b.timeoutMs = t.value;
  const allow = stringList(o, "allowTools", path + ".allowTools");
  if (allow.error.length > 0) return new SpecResult(null, allow.error);
  b.allowTools = allow.list;
  const sec = parseBackendSecurity(o, path, serverSecurity);
  if (sec.error.length > 0) return new SpecResult(null, sec.error);
  b.security = sec.config;
  const unused = objField(o, "server", path + ".server");
  if (unused.obj !== null) return new SpecResult(null, path + " takes the backend's fields directly, not a nested server object");
  return new SpecResult(b, "");
}
