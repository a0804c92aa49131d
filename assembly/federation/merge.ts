// Federation (several backends behind one terminating-mode server): the backends' tool lists
// merged into one, and a client's tool name routed back to its backend. Pure.
//
//   order      backends in configuration order, each backend's tools in its own order
//   names      prefixMode always: `<prefix>__<tool>` for every tool; conflict: only for names
//              that more than one backend lists; never: no prefixes, and a name two backends
//              list is a conflict (listed once, from the first backend; a call of it is refused)
//   policy     the backend's allowTools on its own names, then the server's policy (allowTools,
//              x-envoy-allow-mcp-tools, OAuth rules) on the names the client sees
//   caching    ttlMs: the shortest of the parts; cacheScope: private if any part is private
import { PREFIX_SEPARATOR, PrefixMode } from "../config/federation";
import { Kind, elements, kindAt, kindOf, member, members, quote, skipWs, stringAt, textOf } from "../jsonrpc/scan";
import { ToolPolicy } from "../mcp/tools";

/** `_meta` key of the gateway's note on a merged list. */
export const FEDERATION_META = "io.github.mcp-proxy-wasm/federation";

/** One backend's part of a merged list. */
export class BackendList {
  /** The backend answered (its tools are below); else `cause` says why not. */
  ok: bool = false;
  cause: string = "";
  /** The raw JSON of each tool entry, and each one's own name. */
  entries: string[] = [];
  names: string[] = [];
  /** How long the part may be cached (ms), and whether any user may receive it. */
  ttlMs: i64 = 0;
  isPublic: bool = false;

  constructor(public backend: string, public prefix: string, public policy: ToolPolicy) {}

  /** Adds the tools of one page (a raw tools/list result); false when it holds no tools array. */
  addPage(resultRaw: string): bool {
    if (kindAt(resultRaw, 0) != Kind.Object) return false;
    const tools = member(resultRaw, skipWs(resultRaw, 0), "tools");
    if (kindOf(resultRaw, tools) != Kind.Array) return false;
    const items = elements(resultRaw, tools.start);
    for (let i = 0; i < items.length; i++) {
      if (kindOf(resultRaw, items[i]) != Kind.Object) continue;
      const name = stringAt(resultRaw, member(resultRaw, items[i].start, "name"));
      if (name === null) continue;
      this.entries.push(textOf(resultRaw, items[i]));
      this.names.push(name);
    }
    return true;
  }

  /** Adds one raw tool entry (from the list cache); false when it is no object with a name. */
  addEntry(entryRaw: string): bool {
    if (kindAt(entryRaw, 0) != Kind.Object) return false;
    const name = stringAt(entryRaw, member(entryRaw, skipWs(entryRaw, 0), "name"));
    if (name === null) return false;
    this.entries.push(entryRaw);
    this.names.push(name);
    return true;
  }

  /** True when the backend lists `name` (and its own allowTools allow it). */
  has(name: string): bool {
    return this.names.includes(name) && this.policy.allows(name);
  }
}

/** How many of `lists` list `name` (answered backends only). */
function listedBy(lists: BackendList[], name: string): i32 {
  let n = 0;
  for (let i = 0; i < lists.length; i++) if (lists[i].ok && lists[i].has(name)) n++;
  return n;
}

/** The name a client sees for backend `b`'s tool `name`. */
export function visibleName(mode: PrefixMode, lists: BackendList[], b: BackendList, name: string): string {
  if (mode == PrefixMode.Always || (mode == PrefixMode.Conflict && listedBy(lists, name) > 1)) {
    return b.prefix + PREFIX_SEPARATOR + name;
  }
  return name;
}

/** A tool entry with its `name` replaced (other members byte for byte, in order). */
export function renameTool(entryRaw: string, name: string): string {
  const ms = members(entryRaw, skipWs(entryRaw, 0));
  const parts = new Array<string>();
  for (let i = 0; i < ms.length; i++) {
    if (ms[i].key == "name") parts.push('"name":' + quote(name));
    else parts.push(entryRaw.substring(ms[i].keySpan.start, ms[i].value.end));
  }
  return "{" + parts.join(",") + "}";
}

/**
 * The merged tools/list result. `policy` is the server's, on visible names; the `_meta` note
 * names the backends that did not answer and, with prefixMode never, the conflicting names.
 * `withHints`: the client speaks 2026-07-28 and gets `ttlMs` and `cacheScope`.
 */
export function mergeLists(lists: BackendList[], mode: PrefixMode, policy: ToolPolicy, withHints: bool = true): string {
  const tools = new Array<string>();
  const seen = new Set<string>();
  const conflicts = new Array<string>();
  let ttl: i64 = -1;
  let isPublic = true;
  for (let i = 0; i < lists.length; i++) {
    const b = lists[i];
    if (!b.ok) continue;
    if (ttl < 0 || b.ttlMs < ttl) ttl = b.ttlMs;
    if (!b.isPublic) isPublic = false;
    for (let j = 0; j < b.entries.length; j++) {
      const name = b.names[j];
      if (!b.policy.allows(name)) continue;
      const visible = visibleName(mode, lists, b, name);
      if (seen.has(visible)) {
        // Only possible with prefixMode never (prefixes are unique): listed once, noted.
        if (!conflicts.includes(visible)) conflicts.push(visible);
        continue;
      }
      seen.add(visible);
      if (!policy.allows(visible)) continue;
      tools.push(visible == name ? b.entries[j] : renameTool(b.entries[j], visible));
    }
  }
  if (ttl < 0) ttl = 0;
  let note = "";
  const down = new Array<string>();
  for (let i = 0; i < lists.length; i++) {
    if (!lists[i].ok) down.push('{"backend":' + quote(lists[i].backend) + ',"cause":' + quote(lists[i].cause) + "}");
  }
  if (down.length > 0) note += '"unavailable":[' + down.join(",") + "]";
  if (conflicts.length > 0) {
    const cs = new Array<string>();
    for (let i = 0; i < conflicts.length; i++) cs.push('{"name":' + quote(conflicts[i]) + ',"backends":' + backendsListing(lists, conflicts[i]) + "}");
    note += (note.length > 0 ? "," : "") + '"conflicts":[' + cs.join(",") + "]";
  }
  let out = '{"tools":[' + tools.join(",") + "]";
  // Caching hints are 2026-07-28 fields: a 2025-era client gets the list without them.
  if (withHints) out += ',"ttlMs":' + ttl.toString() + ',"cacheScope":' + (isPublic && !policy.perRequest ? '"public"' : '"private"');
  if (note.length > 0) out += ',"_meta":{' + quote(FEDERATION_META) + ":{" + note + "}}";
  return out + "}";
}

/** The names of the backends that list `name`, as a JSON array. */
function backendsListing(lists: BackendList[], name: string): string {
  const out = new Array<string>();
  for (let i = 0; i < lists.length; i++) if (lists[i].ok && lists[i].has(name)) out.push(quote(lists[i].backend));
  return "[" + out.join(",") + "]";
}

/** Where a client's tool name goes. */
export class Route {
  /** The backend's index (-1: none), the tool's own name, and the reason when there is none. */
  constructor(public backend: i32, public tool: string, public error: string) {}
}

/** The prefix and the rest of `<prefix>__<name>`, or null. */
function splitPrefix(name: string): string[] | null {
  const at = name.indexOf(PREFIX_SEPARATOR);
  if (at <= 0 || at + PREFIX_SEPARATOR.length >= name.length) return null;
  return [name.substring(0, at), name.substring(at + PREFIX_SEPARATOR.length)];
}

/**
 * Routes a called tool name. prefixMode always needs only the prefixes; the other modes need
 * every backend's list (`lists`, answered or not) to find the one backend that lists a name.
 */
export function route(name: string, mode: PrefixMode, prefixes: string[], lists: BackendList[] | null): Route {
  const split = splitPrefix(name);
  const byPrefix = split !== null ? prefixes.indexOf(split[0]) : -1;
  if (mode == PrefixMode.Always) {
    if (byPrefix < 0) return new Route(-1, "", "Unknown tool: " + name + " (federated names are <prefix>" + PREFIX_SEPARATOR + "<tool>)");
    return new Route(byPrefix, split![1], "");
  }
  const ls = lists!;
  let found = -1;
  let count = 0;
  const owners = new Array<string>();
  for (let i = 0; i < ls.length; i++) {
    if (ls[i].ok && ls[i].has(name)) {
      if (found < 0) found = i;
      count++;
      owners.push(ls[i].backend);
    }
  }
  if (count == 1) return new Route(found, name, "");
  if (count > 1) {
    if (mode == PrefixMode.Never) return new Route(-1, "", "Ambiguous tool: " + name + " is listed by " + owners.join(", ") + " (prefixMode never)");
    return new Route(-1, "", "Ambiguous tool: " + name + " is listed by " + owners.join(", ") + "; call it as <prefix>" + PREFIX_SEPARATOR + name);
  }
  if (mode == PrefixMode.Conflict && byPrefix >= 0 && ls[byPrefix].ok && ls[byPrefix].has(split![1])) {
    return new Route(byPrefix, split![1], "");
  }
  return new Route(-1, "", "Unknown tool: " + name);
}
