// The list cache of a federated server in shared data (host side of federation/listcache.ts).
import { Config } from "../config/config";
import { getShared, nowMs, setShared } from "../host/host";
import { CachedList, LIST_SLOTS, decodeList, encodeList, generationKey, listKey, nameHash } from "../federation/listcache";
import { parseMs } from "../passthrough/session";
import { Owner } from "../terminate/reuse";

/** The current generation of a backend's lists (moves on with each list_changed seen). */
export function generation(server: string, backend: string): i64 {
  const v = getShared(generationKey(server, backend)).value;
  if (v === null) return 0;
  const g = parseMs(v!);
  return g < 0 ? 0 : g;
}

/** Stales every cached list of a backend (it said notifications/tools/list_changed). */
export function bumpGeneration(server: string, backend: string): void {
  const k = generationKey(server, backend);
  for (let t = 0; t < 8; t++) {
    const sv = getShared(k);
    const g = sv.value !== null ? parseMs(sv.value!) : 0;
    if (setShared(k, ((g < 0 ? 0 : g) + 1).toString(), sv.cas)) return;
  }
}

/** The slot of a backend's list for an owner (backends sharing a URL and credential differ). */
function slotOf(owner: Owner, backend: string): u32 {
  return (owner.slot + nameHash(backend)) % LIST_SLOTS;
}

/** A fresh cached list of backend `b` for `owner` (same generation, not expired), or null. */
export function cachedList(b: Config, owner: Owner): CachedList | null {
  const e = decodeList(getShared(listKey(b.serverName, slotOf(owner, b.backendName))).value);
  if (e === null || e.owner != owner.tag + "|" + b.backendName) return null;
  if (nowMs() >= e.expiresMs || e.generation != generation(b.serverName, b.backendName)) return null;
  return e;
}

/** Keeps backend `b`'s complete list for `owner`, `ttlMs` long (the slot's entry is replaced). */
export function keepList(b: Config, owner: Owner, ttlMs: i64, isPublic: bool, gen: i64, entries: string[]): void {
  const e = new CachedList(owner.tag + "|" + b.backendName, nowMs() + ttlMs, isPublic, gen, entries);
  setShared(listKey(b.serverName, slotOf(owner, b.backendName)), encodeList(e), 0);
}
