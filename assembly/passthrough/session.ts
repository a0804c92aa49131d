// Gateway-issued session ids (pass-through mode). The backend's `Mcp-Session-Id` never
// reaches the client: the gateway mints its own (128 random bits, URL-safe), maps it to the
// backend's in shared data — visible to every worker — and swaps ids on every request.
// An entry is `<backend id>|<last use, ms>`; an entry idle past the TTL is expired.
import { encodeBase64 } from "../util/base64";

/** Shared-data key prefix of session entries. */
export const SESSION_KEY_PREFIX = "mcp-proxy/session/";

/** Bytes of randomness in a gateway session id (MCP: cryptographically secure, unguessable). */
// @ts-ignore: decorator
@inline export const SESSION_ID_BYTES: i32 = 16;

/** One decoded session entry. */
export class SessionEntry {
  constructor(public backendId: string, public lastSeenMs: i64) {}
}

/** The shared-data key of a gateway id. */
export function sessionKey(gatewayId: string): string {
  return SESSION_KEY_PREFIX + gatewayId;
}

/** Encodes an entry for shared data. */
export function encodeEntry(backendId: string, lastSeenMs: i64): string {
  return backendId + "|" + lastSeenMs.toString();
}

/** Decodes an entry; null for an empty (deleted) or malformed value. */
export function decodeEntry(value: string | null): SessionEntry | null {
  if (value === null || value.length == 0) return null;
  const bar = value.lastIndexOf("|");
  if (bar <= 0 || bar == value.length - 1) return null;
  let t: i64 = 0;
  for (let i = bar + 1; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39 || i - bar > 15) return null;
    t = t * 10 + <i64>(c - 0x30);
  }
  return new SessionEntry(value.substring(0, bar), t);
}

/** True when an entry last used at `lastSeenMs` is past the idle TTL at `nowMs`. */
export function isExpired(lastSeenMs: i64, nowMs: i64, ttlMs: i64): bool {
  return nowMs - lastSeenMs > ttlMs;
}

/**
 * True when the last-use stamp is stale enough to be rewritten. Refreshing on every request
 * would make every request a shared-data write; a tenth of the TTL (at most a minute) of
 * slack keeps expiry accurate to that margin.
 */
export function needsTouch(lastSeenMs: i64, nowMs: i64, ttlMs: i64): bool {
  let slack = ttlMs / 10;
  if (slack > 60000) slack = 60000;
  return nowMs - lastSeenMs > slack;
}

/** base64url without padding (RFC 4648 §5): 16 bytes → 22 characters. */
export function base64url(bytes: Uint8Array): string {
  return encodeBase64(bytes, true);
}

/** True when `id` has the shape of a gateway id (so junk never becomes a shared-data key). */
export function isGatewayIdShape(id: string): bool {
  if (id.length != 22) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x5f;
    if (!ok) return false;
  }
  return true;
}
