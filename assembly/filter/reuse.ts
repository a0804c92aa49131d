// The backend-session cache of terminating mode in shared data (host side of
// terminate/reuse.ts): lookup before an exchange, store or drop after it, and the DELETE that
// ends a session the cache lets go (evicted by another owner of its slot, or idle).
import { Config } from "../config/config";
import { Header, getShared, httpCall, nowMs, setEffectiveContext, setShared } from "../host/host";
import { SESSION_HEADER, VERSION_HEADER } from "../mcp/headers";
import { appendQuery } from "../security/credentials";
import { BackendStep } from "../stats/names";
import { countBackend } from "./stats";
import { CachedSession, Owner, REUSE_SLOTS, decodeCached, encodeCached, reuseKey } from "../terminate/reuse";

/** What a lookup found: the slot's entry when it is ours, and the CAS token to replace it. */
export class Lookup {
  constructor(public entry: CachedSession | null, public cas: u32, public other: CachedSession | null) {}
}

/** The kept-session table of a server, or of one backend of a federated server. */
function tableOf(cfg: Config): string {
  return cfg.backendName.length > 0 ? cfg.serverName + "/backend/" + cfg.backendName : cfg.serverName;
}

/** The slot of `owner`: our entry (live), or another owner's entry that a store would evict. */
export function lookup(cfg: Config, owner: Owner): Lookup {
  const sv = getShared(reuseKey(tableOf(cfg), owner.slot));
  const e = decodeCached(sv.value);
  if (e === null) return new Lookup(null, sv.cas, null);
  if (e.owner != owner.tag) return new Lookup(null, sv.cas, e);
  if (nowMs() - e.lastUsedMs > cfg.backendSessionIdleMs) return new Lookup(null, sv.cas, e);
  return new Lookup(e, sv.cas, null);
}

/**
 * Keeps `e` in its slot. The entry it replaces, if it held another live session, is ended
 * (unless `replacedGone`: the backend already said it no longer knows it); when another worker
 * wrote the slot meanwhile (CAS), `e` itself is ended instead.
 */
export function store(rootId: u32, cfg: Config, owner: Owner, found: Lookup, e: CachedSession, replacedGone: bool): void {
  if (setShared(reuseKey(tableOf(cfg), owner.slot), encodeCached(e), found.cas)) {
    const old = found.other !== null ? found.other : replacedGone ? null : found.entry;
    if (old !== null && old.sessionId.length > 0 && old.sessionId != e.sessionId) endSession(rootId, cfg, old);
    return;
  }
  if (e.sessionId.length > 0) endSession(rootId, cfg, e);
}

/** Forgets the slot's entry if it is still the one read (it proved stale). */
export function drop(cfg: Config, owner: Owner, found: Lookup): void {
  setShared(reuseKey(tableOf(cfg), owner.slot), "", found.cas);
}

/** Records a use of a kept session, at most every tenth of the idle timeout. */
export function touch(cfg: Config, owner: Owner, found: Lookup): void {
  const e = found.entry;
  if (e === null) return;
  const now = nowMs();
  if (now - e.lastUsedMs < cfg.backendSessionIdleMs / 10) return;
  e.lastUsedMs = now;
  setShared(reuseKey(tableOf(cfg), owner.slot), encodeCached(e), found.cas);
}

/** Ends idle kept sessions among `n` slots from `from`; returns where the next sweep starts. */
export function sweepIdle(rootId: u32, cfg: Config, from: u32, n: u32): u32 {
  const now = nowMs();
  let slot = from % REUSE_SLOTS;
  for (let i: u32 = 0; i < n; i++) {
    const key = reuseKey(tableOf(cfg), slot);
    const sv = getShared(key);
    const e = decodeCached(sv.value);
    if (e !== null && now - e.lastUsedMs > cfg.backendSessionIdleMs && setShared(key, "", sv.cas) && e.sessionId.length > 0) {
      endSession(rootId, cfg, e);
    }
    slot = (slot + 1) % REUSE_SLOTS;
  }
  return slot;
}

/**
 * Ends a backend session with DELETE (spec: Session Management), with the credential it was
 * opened with. Dispatched from the root context, so it outlives any client stream; its answer
 * is not awaited (no token is registered).
 */
export function endSession(rootId: u32, cfg: Config, e: CachedSession): void {
  const h = new Array<Header>();
  h.push(new Header(":method", "DELETE"));
  h.push(new Header(":path", appendQuery(cfg.url.path, e.query)));
  h.push(new Header(":authority", cfg.url.authority));
  h.push(new Header(":scheme", cfg.url.scheme));
  for (let i = 0; i < e.headers.length; i++) h.push(e.headers[i]);
  h.push(new Header(SESSION_HEADER, e.sessionId));
  h.push(new Header(VERSION_HEADER, e.version));
  setEffectiveContext(rootId);
  countBackend(cfg, BackendStep.Delete);
  httpCall(e.cluster, h, new ArrayBuffer(0), <u32>cfg.timeoutMs);
}
