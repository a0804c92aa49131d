// The list cache of a federated server (pure side): one backend's complete tools/list, kept
// in shared data so every worker serves it. When it may be kept (caching.mdx): a modern
// backend's list when every page said `cacheScope: "public"`, for the shortest page's `ttlMs`;
// a legacy backend's list only when `server.listCacheTtl` opts in; never longer than
// `server.listCacheMaxTtl`. Never across credentials: an entry belongs to one owner (the hash
// of the backend and the credential the gateway sends it). A backend's `generation` moves on
// when the gateway sees `notifications/tools/list_changed` from it, which stales its entries.
import { Kind, kindAt, kindOf, member, skipWs, stringAt, textOf } from "../jsonrpc/scan";
import { parseMs } from "../passthrough/session";

/** Shared-data key prefix of the list cache. */
export const LIST_KEY_PREFIX = "mcp-proxy/list/";

/** Slots of the list cache per server (a backend and an owner hash to one). */
// @ts-ignore: decorator
@inline export const LIST_SLOTS: u32 = 256;

/** The key of slot `slot` of server `server`. */
export function listKey(server: string, slot: u32): string {
  return LIST_KEY_PREFIX + server + "/" + slot.toString();
}

/** FNV-1a of a backend name: spreads the backends of one owner over the slots. */
export function nameHash(name: string): u32 {
  let h: u32 = 2166136261;
  for (let i = 0; i < name.length; i++) {
    h ^= <u32>name.charCodeAt(i);
    h *= 16777619;
  }
  return h;
}

/** The key of a backend's generation counter. */
export function generationKey(server: string, backend: string): string {
  return LIST_KEY_PREFIX + server + "/gen/" + backend;
}

/** One cached list: owner, expiry, the TTL it was cached for, scope, generation, the tools. */
export class CachedList {
  constructor(
    public owner: string,
    public expiresMs: i64,
    public isPublic: bool,
    public generation: i64,
    /** The tools, one raw JSON entry per line. */
    public entries: string[],
  ) {}
}

/** Encodes an entry for shared data. */
export function encodeList(e: CachedList): string {
  let s = e.owner + "\n" + e.expiresMs.toString() + "\n" + (e.isPublic ? "1" : "0") + "\n" + e.generation.toString();
  // A raw line break in JSON can only be insignificant whitespace: a space means the same.
  for (let i = 0; i < e.entries.length; i++) s += "\n" + e.entries[i].replaceAll("\r", " ").replaceAll("\n", " ");
  return s;
}

/** Decodes an entry; null when empty or malformed. */
export function decodeList(value: string | null): CachedList | null {
  if (value === null || value.length == 0) return null;
  const f = value.split("\n");
  if (f.length < 4 || f[0].length == 0) return null;
  const exp = parseMs(f[1]);
  const gen = parseMs(f[3]);
  if (exp < 0 || gen < 0 || (f[2] != "0" && f[2] != "1")) return null;
  return new CachedList(f[0], exp, f[2] == "1", gen, f.slice(4));
}

/**
 * How long a fetched list may be kept (ms), 0 for not at all. `modern`: the backend speaks
 * 2026-07-28 and `minTtlMs`/`allPublic` are what its pages said.
 */
export function cacheTtl(modern: bool, allPublic: bool, minTtlMs: i64, legacyTtlMs: i64, maxTtlMs: i64): i64 {
  let ttl: i64 = modern ? (allPublic ? minTtlMs : 0) : legacyTtlMs;
  if (ttl > maxTtlMs) ttl = maxTtlMs;
  return ttl < 0 ? 0 : ttl;
}

/** What one page of a modern backend's list says about caching it. */
export class PageHints {
  constructor(public ttlMs: i64, public isPublic: bool) {}
}

/**
 * The `ttlMs` and `cacheScope` of a raw tools/list result. A missing or malformed `ttlMs`
 * reads as 0 (stale at once) and anything but `"public"` as private (caching.mdx: when in
 * doubt, do not share).
 */
export function pageHints(resultRaw: string): PageHints {
  if (kindAt(resultRaw, 0) != Kind.Object) return new PageHints(0, false);
  const root = skipWs(resultRaw, 0);
  const t = member(resultRaw, root, "ttlMs");
  let ttl: i64 = 0;
  if (kindOf(resultRaw, t) == Kind.Number) {
    const n = parseMs(textOf(resultRaw, t));
    if (n > 0) ttl = n;
  }
  const scope = stringAt(resultRaw, member(resultRaw, root, "cacheScope"));
  return new PageHints(ttl, scope !== null && scope == "public");
}
