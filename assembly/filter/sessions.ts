// The pass-through session table in shared data (host side of passthrough/session.ts): a
// fixed set of slots per server, an occupied-slot count, all updated with compare-and-swap
// because every worker of the Envoy process writes them concurrently.
import { getShared, nowMs, randomBytes, setShared } from "../host/host";
import * as codes from "../jsonrpc/codes";
import { errorResponse } from "../jsonrpc/message";
import {
  SESSION_ID_BYTES, SessionEntry, countKey, credentialHash, decodeEntry, encodeEntry, isExpired, mintId, needsTouch,
  parseId, parseMs, slotKey, tagOf,
} from "../passthrough/session";
import { SessionEvent } from "../stats/names";
import { countSession } from "./stats";
import { SessionStore, StoreRefusal } from "./store";

/** Attempts at a compare-and-swap update before giving up (contention is rare and short). */
// @ts-ignore: decorator
@inline const CAS_TRIES: i32 = 16;

/** The session table of one pass-through server. */
export class SessionTable extends SessionStore {
  constructor(public server: string, public max: u32, public ttlMs: i64) {
    super();
  }

  /** Creates the count key if absent: later updates need its CAS token. */
  ensure(): void {
    const k = countKey(this.server);
    if (getShared(k).value === null) setShared(k, "0", 0);
  }

  /** True when every slot is taken (a new session would be refused). */
  full(): bool {
    const v = getShared(countKey(this.server)).value;
    return v !== null && parseMs(v!) >= <i64>this.max;
  }

  /**
   * Maps a new backend session; returns the gateway id, or null when every slot is taken
   * (server.maxSessions). A free slot is found by probing from a random one; an expired
   * entry met on the way is reclaimed.
   */
  open(backendId: string, credential: string): string | null {
    if (!this.adjust(1, true)) return null;
    const credHash = credentialHash(credential);
    const now = nowMs();
    const random = randomBytes(4 + SESSION_ID_BYTES);
    const start = ((<u32>random[0] << 24) | (<u32>random[1] << 16) | (<u32>random[2] << 8) | <u32>random[3]) % this.max;
    const secret = random.subarray(4);
    const value = encodeEntry(new SessionEntry(tagOf(secret), now, credHash, backendId));
    for (let i: u32 = 0; i < this.max; i++) {
      const slot = (start + i) % this.max;
      const key = slotKey(this.server, slot);
      let sv = getShared(key);
      if (sv.value === null) {
        // A slot never used: create it empty first, so that the claim below is a CAS.
        setShared(key, "", 0);
        sv = getShared(key);
      }
      const e = decodeEntry(sv.value);
      const reclaim = e !== null && isExpired(e.lastSeenMs, now, this.ttlMs);
      if (e !== null && !reclaim) continue;
      if (!setShared(key, value, sv.cas)) continue;
      if (reclaim) {
        this.adjust(-1, false); // the expired entry we replaced was counted
        countSession(this.server, SessionEvent.Expired);
      }
      countSession(this.server, SessionEvent.Created);
      return mintId(slot, secret);
    }
    this.adjust(-1, false);
    return null;
  }

  /** 503: every slot is taken. */
  refusal(): StoreRefusal {
    const body = errorResponse("null", codes.SERVER_BUSY, codes.MSG_SESSIONS_FULL + this.max.toString() + ")");
    return new StoreRefusal(503, body, "mcp_sessions_full");
  }

  /**
   * The backend session id for a gateway id presented with `credential`, refreshing its last
   * use; null when the id is malformed, unknown, expired or bound to another credential.
   */
  resolve(id: string, credential: string): string | null {
    const g = parseId(id, this.max);
    if (g === null) return null;
    const credHash = credentialHash(credential);
    const key = slotKey(this.server, g.slot);
    const sv = getShared(key);
    const e = decodeEntry(sv.value);
    if (e === null || !e.matches(g.tag, credHash)) return null;
    const now = nowMs();
    if (isExpired(e.lastSeenMs, now, this.ttlMs)) {
      if (setShared(key, "", sv.cas)) {
        this.adjust(-1, false);
        countSession(this.server, SessionEvent.Expired);
      }
      return null;
    }
    if (needsTouch(e.lastSeenMs, now, this.ttlMs)) {
      e.lastSeenMs = now;
      setShared(key, encodeEntry(e), sv.cas);
    }
    return e.backendId;
  }

  /** Ends a session (the backend accepted DELETE, or no longer knows it). */
  close(id: string): void {
    const g = parseId(id, this.max);
    if (g === null) return;
    const key = slotKey(this.server, g.slot);
    const sv = getShared(key);
    const e = decodeEntry(sv.value);
    // The caller's credential was checked when the request was let through; the tag is enough.
    if (e === null || !e.matches(g.tag, e.credHash)) return;
    if (setShared(key, "", sv.cas)) {
      this.adjust(-1, false);
      countSession(this.server, SessionEvent.Closed);
    }
  }

  /** Frees expired entries among `n` slots from `from`; returns where the next sweep starts. */
  sweep(from: u32, n: u32): u32 {
    const now = nowMs();
    let slot = from % this.max;
    for (let i: u32 = 0; i < n && i < this.max; i++) {
      const key = slotKey(this.server, slot);
      const sv = getShared(key);
      const e = decodeEntry(sv.value);
      if (e !== null && isExpired(e.lastSeenMs, now, this.ttlMs) && setShared(key, "", sv.cas)) {
        this.adjust(-1, false);
        countSession(this.server, SessionEvent.Expired);
      }
      slot = (slot + 1) % this.max;
    }
    return slot;
  }

  /**
   * Adds `delta` to the occupied count with CAS. With `bounded`, refuses (false) to go past
   * `max`; the count never goes below zero.
   */
  private adjust(delta: i32, bounded: bool): bool {
    const k = countKey(this.server);
    for (let t = 0; t < CAS_TRIES; t++) {
      const sv = getShared(k);
      let n = sv.value !== null ? parseMs(sv.value!) : 0;
      if (n < 0) n = 0;
      const next = n + <i64>delta;
      if (bounded && next > <i64>this.max) return false;
      if (setShared(k, (next < 0 ? 0 : next).toString(), sv.cas)) return true;
    }
    return false;
  }
}
