// Pass-through session settings of one `server` block. Two stores exist: the shared-data
// table (`sessionIdleTimeout`, `maxSessions`: state in one Envoy process) and sealed session
// ids (`sessionKeys`, `sessionMaxAge`: no state at all, any replica with the keys serves the
// session). Keys are decoded and their subkeys derived here, once per configuration, so that
// no request ever runs a key derivation.
import { JSON } from "json-as";
import { SealKeys, parseSessionKeys } from "../crypto/seal";
import { intField, stringList } from "./fields";

/** Default `server.sessionIdleTimeout` (shared-data table), in seconds. */
// @ts-ignore: decorator
@inline export const DEFAULT_SESSION_IDLE_S: i32 = 3600;

/** Default `server.maxSessions` (shared-data table): session slots per server per Envoy. */
// @ts-ignore: decorator
@inline export const DEFAULT_MAX_SESSIONS: i32 = 10000;

/** Default `server.sessionMaxAge` (sealed ids), in seconds: one day. */
// @ts-ignore: decorator
@inline export const DEFAULT_SESSION_MAX_AGE_S: i32 = 86400;

/** Largest `server.sessionMaxAge`, in seconds: 30 days (a sealed id is a bearer value until then). */
// @ts-ignore: decorator
@inline export const MAX_SESSION_MAX_AGE_S: i32 = 2592000;

/** How a pass-through server keeps its sessions. */
export class SessionSettings {
  /** Shared-data table: idle TTL of a gateway session, ms. */
  idleMs: i64 = <i64>DEFAULT_SESSION_IDLE_S * 1000;
  /** Shared-data table: how many sessions the server may hold at once (per Envoy process). */
  maxSessions: i32 = DEFAULT_MAX_SESSIONS;
  /** Sealed ids: the configured keys (the first seals, all open); null = the shared-data table. */
  keys: SealKeys | null = null;
  /** Sealed ids: how long after its issue a sealed id is accepted, ms. */
  maxAgeMs: i64 = <i64>DEFAULT_SESSION_MAX_AGE_S * 1000;
  /** Settings that were given but have no effect with the chosen store (logged at load). */
  warnings: string[] = [];

  /** True when sessions are sealed into their ids (no shared data). */
  get sealed(): bool {
    return this.keys !== null;
  }
}

/** SessionSettings, or the error naming the field that refused them. */
export class SessionSettingsResult {
  constructor(public settings: SessionSettings | null, public error: string) {}
}

/**
 * Reads the session fields of `server` (`sp` is its path, e.g. `_rules_[0].server.`). A bad
 * key is refused naming its index; no error or warning ever holds key material.
 */
export function parseSessionSettings(server: JSON.Obj, sp: string, passthrough: bool): SessionSettingsResult {
  const s = new SessionSettings();
  const idle = intField(server, "sessionIdleTimeout", sp + "sessionIdleTimeout", 1, 604800, " (seconds)");
  if (idle.error.length > 0) return fail(idle.error);
  if (idle.present) s.idleMs = <i64>idle.value * 1000;

  const ms = intField(server, "maxSessions", sp + "maxSessions", 1, 1000000, "");
  if (ms.error.length > 0) return fail(ms.error);
  if (ms.present) s.maxSessions = ms.value;

  const list = stringList(server, "sessionKeys", sp + "sessionKeys");
  if (list.error.length > 0) return fail(list.error);
  if (list.list !== null) {
    const keys = parseSessionKeys(list.list!, sp + "sessionKeys");
    if (keys.keys === null) return fail(keys.error);
    s.keys = keys.keys;
  }

  const age = intField(server, "sessionMaxAge", sp + "sessionMaxAge", 1, MAX_SESSION_MAX_AGE_S, " (seconds)");
  if (age.error.length > 0) return fail(age.error);
  if (age.present) s.maxAgeMs = <i64>age.value * 1000;

  if (!passthrough) {
    if (s.sealed) s.warnings.push(sp + "sessionKeys has no effect in mcp-proxy mode (the gateway issues no session ids)");
  } else if (s.sealed) {
    // Sealed ids carry no state: nothing can count them or notice that one went idle.
    if (idle.present) s.warnings.push(sp + "sessionIdleTimeout does not apply with " + sp + "sessionKeys: sealed ids are bounded by " + sp + "sessionMaxAge");
    if (ms.present) s.warnings.push(sp + "maxSessions does not apply with " + sp + "sessionKeys: sealed ids take no slots");
  } else if (age.present) {
    s.warnings.push(sp + "sessionMaxAge applies only with " + sp + "sessionKeys (the shared-data table expires idle sessions instead)");
  }
  return new SessionSettingsResult(s, "");
}

function fail(message: string): SessionSettingsResult {
  return new SessionSettingsResult(null, message);
}
