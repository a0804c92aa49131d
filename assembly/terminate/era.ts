// Which era a backend speaks, learned once with `server/discover` (spec 2026-07-28:
// server/discover — every modern server MUST implement it; a legacy server answers it with
// an error, a 4xx, or not at all as a known method) and cached per backend, so that a modern
// backend costs one POST per client request and a legacy one keeps its handshake.
import { Reply } from "../jsonrpc/message";
import { Kind, elements, kindAt, kindOf, member, skipWs, stringAt } from "../jsonrpc/scan";
import { MODERN_VERSION } from "../mcp/version";

/** A backend's era, as far as the gateway knows. */
export enum Era {
  Unknown,
  /** Speaks 2026-07-28: one stateless POST per request. */
  Modern,
  /** Speaks only `initialize`-era versions: handshake first. */
  Legacy,
}

/** How long a learned era is trusted before the backend is probed again (ms). */
// @ts-ignore: decorator
@inline export const ERA_TTL_MS: i64 = 300000;

/** Shared-data key prefix of the era cache (one key per configured backend: bounded). */
export const ERA_KEY_PREFIX = "mcp-proxy/era/";

/** The era cache key of a backend (its cluster and URL name it). */
export function eraKey(cluster: string, authority: string, path: string): string {
  return ERA_KEY_PREFIX + cluster + "|" + authority + path;
}

/** A cache entry: `m|<expiry ms>` or `l|<expiry ms>`. */
export function encodeEra(era: Era, expiresMs: i64): string {
  return (era == Era.Modern ? "m|" : "l|") + expiresMs.toString();
}

/** The era in a cache entry, Unknown when absent, malformed or expired at `nowMs`. */
export function decodeEra(value: string | null, nowMs: i64): Era {
  if (value === null || value.length < 3 || value.charCodeAt(1) != 0x7c) return Era.Unknown;
  let t: i64 = 0;
  for (let i = 2; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39 || i > 17) return Era.Unknown;
    t = t * 10 + <i64>(c - 0x30);
  }
  if (nowMs >= t) return Era.Unknown;
  const k = value.charCodeAt(0);
  return k == 0x6d ? Era.Modern : k == 0x6c ? Era.Legacy : Era.Unknown;
}

/** The era a discover reply reveals: Modern when its supportedVersions list ours. */
export function eraOfDiscover(r: Reply): Era {
  if (!r.found || r.isError || kindAt(r.resultRaw, 0) != Kind.Object) return Era.Legacy;
  const list = member(r.resultRaw, skipWs(r.resultRaw, 0), "supportedVersions");
  if (kindOf(r.resultRaw, list) != Kind.Array) return Era.Legacy;
  const items = elements(r.resultRaw, list.start);
  for (let i = 0; i < items.length; i++) {
    const v = stringAt(r.resultRaw, items[i]);
    if (v !== null && v == MODERN_VERSION) return Era.Modern;
  }
  return Era.Legacy;
}
