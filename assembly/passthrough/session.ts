// Gateway-issued session ids (pass-through mode). The backend's `Mcp-Session-Id` never
// reaches the client: the gateway mints its own and keeps the mapping in shared data, which
// every worker of the Envoy process sees. Shared data has no delete and no expiry, so the
// table is a fixed set of numbered slots (`server.maxSessions` of them), reused in place: an
// ended or expired session leaves an empty value behind, never a growing key space.
//
//   gateway id   base64url(slot: 3 bytes big-endian) ‖ base64url(16 random bytes): 4 + 22
//                characters (the tag is the id's last 22 characters)
//   slot value   <tag>|<last use, ms>|<credential hash>|<backend session id>
//                tag = base64url of the id's random bytes (an id names its slot, the tag
//                proves it was issued for what the slot holds now); credential hash =
//                base64url of the first 16 bytes of SHA-256 of the credential that opened it
//   count        the number of occupied slots, kept with compare-and-swap
import { sha256 } from "../crypto/sha256";
import { encodeBase64 } from "../util/base64";

/** Shared-data key prefix of session slots. */
export const SESSION_KEY_PREFIX = "mcp-proxy/session/";

/** Random bytes in a gateway session id (MCP: cryptographically secure, unguessable). */
// @ts-ignore: decorator
@inline export const SESSION_ID_BYTES: i32 = 16;

/** Length of a gateway session id: base64url of 3 bytes, then of 16 bytes. */
// @ts-ignore: decorator
@inline export const SESSION_ID_LENGTH: i32 = 26;

/** Characters of the slot number at the start of an id (3 bytes: slots below 2^24). */
// @ts-ignore: decorator
@inline const SLOT_CHARS: i32 = 4;

/** Bytes of SHA-256 kept to bind a session to its credential. */
// @ts-ignore: decorator
@inline const CREDENTIAL_HASH_BYTES: i32 = 16;

/** The shared-data key of slot `slot` of the server `server`. */
export function slotKey(server: string, slot: u32): string {
  return SESSION_KEY_PREFIX + server + "/" + slot.toString();
}

/** The shared-data key of the server's occupied-slot count. */
export function countKey(server: string): string {
  return SESSION_KEY_PREFIX + server + "/count";
}

/** A gateway id split into its slot and its random tag. */
export class GatewayId {
  constructor(public slot: u32, public tag: string) {}
}

/** Mints the id of `slot` from 16 random bytes. */
export function mintId(slot: u32, random: Uint8Array): string {
  const b = new Uint8Array(3);
  b[0] = <u8>(slot >> 16);
  b[1] = <u8>(slot >> 8);
  b[2] = <u8>slot;
  return encodeBase64(b, true) + tagOf(random);
}

/** The tag a slot stores for an id minted from `random` (the id's last 22 characters). */
export function tagOf(random: Uint8Array): string {
  return encodeBase64(random.subarray(0, SESSION_ID_BYTES), true);
}

/** The 6-bit value of a base64url character, or -1. */
function sextet(c: i32): i32 {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c == 0x2d) return 62;
  if (c == 0x5f) return 63;
  return -1;
}

/** Reads an id: null when it is not one the gateway could have minted for `max` slots. */
export function parseId(id: string, max: u32): GatewayId | null {
  if (id.length != SESSION_ID_LENGTH) return null;
  let slot: u32 = 0;
  for (let i = 0; i < SLOT_CHARS; i++) {
    const v = sextet(id.charCodeAt(i));
    if (v < 0) return null;
    slot = (slot << 6) | <u32>v;
  }
  if (slot >= max) return null;
  // The tag is compared whole with the slot's (constant time); its characters need no check.
  return new GatewayId(slot, id.substring(SLOT_CHARS));
}

/** The credential binding kept in a slot. */
export function credentialHash(credential: string): string {
  const d = sha256(Uint8Array.wrap(String.UTF8.encode(credential)));
  return encodeBase64(d.subarray(0, CREDENTIAL_HASH_BYTES), true);
}

/** One decoded slot. */
export class SessionEntry {
  constructor(public tag: string, public lastSeenMs: i64, public credHash: string, public backendId: string) {}

  /** True when `tag` and `credHash` are this entry's, compared in constant time. */
  matches(tag: string, credHash: string): bool {
    const okTag = sameText(tag, this.tag);
    const okCred = sameText(credHash, this.credHash);
    return okTag && okCred;
  }
}

/** Equality of two strings in time that depends only on their lengths. */
export function sameText(a: string, b: string): bool {
  if (a.length != b.length) return false;
  let diff: u32 = 0;
  for (let i = 0; i < a.length; i++) diff |= <u32>(a.charCodeAt(i) ^ b.charCodeAt(i));
  return diff == 0;
}

/** Encodes a slot value. */
export function encodeEntry(e: SessionEntry): string {
  return e.tag + "|" + e.lastSeenMs.toString() + "|" + e.credHash + "|" + e.backendId;
}

/** Decodes a slot value; null for an empty (free) or malformed one. */
export function decodeEntry(value: string | null): SessionEntry | null {
  if (value === null || value.length == 0) return null;
  const a = value.indexOf("|");
  if (a <= 0) return null;
  const b = value.indexOf("|", a + 1);
  if (b < 0) return null;
  const c = value.indexOf("|", b + 1);
  if (c < 0 || c == value.length - 1) return null;
  const t = parseMs(value.substring(a + 1, b));
  if (t < 0) return null;
  return new SessionEntry(value.substring(0, a), t, value.substring(b + 1, c), value.substring(c + 1));
}

/** A non-negative decimal of at most 15 digits, or -1. */
export function parseMs(s: string): i64 {
  if (s.length == 0 || s.length > 15) return -1;
  let t: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    t = t * 10 + <i64>(c - 0x30);
  }
  return t;
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
