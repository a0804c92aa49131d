// Sealed session ids (pass-through mode). Instead of keeping a gateway-id -> backend-id map in
// shared data, the gateway can hand the client an authenticated encryption of everything it
// needs to route the session; any replica holding the same keys opens it, with no shared store.
//
// Token = base64url, no padding (RFC 4648 §5: within the visible ASCII MCP requires of a
// session id; 119 to 2048 characters, ~220 for a UUID and a 40-character identity), of:
//
//   version (1) | key id (4) | nonce (24) | ciphertext (n) | tag (16)
//
// sealed with AEAD_XChaCha20_Poly1305 (draft-irtf-cfrg-xchacha-03) under the key's AEAD subkey,
// AAD = version | key id (so neither can be swapped), plaintext = the fields, big-endian:
//
//   issued at, ms since epoch (8) | credential hash (32) | u16 length | backend session id
//   (UTF-8) | u16 length | backend identity (UTF-8)
//
// Keys. Each configured 32-byte key K yields, once at configuration time, a key id
// HMAC-SHA256(K, "mcp-proxy-wasm/session/kid")[0..4] and an AEAD subkey
// HMAC-SHA256(K, "mcp-proxy-wasm/session/aead"). The id is public (it is in every token); the
// subkey is a separate PRF output, so what a token reveals never touches the cipher's key,
// and a later format can derive its own subkey from the same K. The first key seals; every
// key opens, so rotation is: add the new key second, deploy, move it first, deploy, drop the
// old one once tokens sealed under it have aged out.
//
// Nonces. Each seal takes 24 fresh bytes from WASI random_get. The AEAD breaks only if a
// (key, nonce) pair repeats; for q random 192-bit nonces under one key the chance of any
// repeat is below q^2 / 2^193. At 10^9 sessions a day for ten years (q ~ 2^41.7) that is under
// 2^-109. A random 96-bit nonce (plain ChaCha20-Poly1305) would give ~2^-13.6 at that volume,
// about 1 in 12,000, which is why the extended nonce is used (its cost: one HChaCha20 block).
// Forgery: Poly1305 accepts a forged token of n 16-byte blocks with probability at most
// n / 2^102 per try (RFC 8439 §4); 2^40 tries at n = 16 stay below 2^-58.
//
// What a token shows: its version, which key sealed it and its length (so the combined length
// of the session id and identity). It is a bearer value; the credential hash and issue time
// inside let the filter refuse it under another credential or past a maximum age.
import { constantTimeEqual, xchacha20Poly1305Open, xchacha20Poly1305Seal, XCHACHA_NONCE_BYTES, AEAD_TAG_BYTES } from "./aead";
import { hmacSha256, sha256, SHA256_BYTES } from "./sha256";
import { decodeBase64, encodeBase64 } from "../util/base64";

/** The token format version (first byte). */
// @ts-ignore: decorator
@inline export const SEAL_VERSION: u8 = 1;
/** Key id length in bytes. */
// @ts-ignore: decorator
@inline export const KEY_ID_BYTES: i32 = 4;
/** Configured key length in bytes. */
// @ts-ignore: decorator
@inline export const SESSION_KEY_BYTES: i32 = 32;
/** Longest token `open` decodes; `seal` never issues a longer one. */
// @ts-ignore: decorator
@inline export const MAX_TOKEN_CHARS: i32 = 2048;

/** Bytes before the ciphertext: version, key id, nonce. */
// @ts-ignore: decorator
@inline const HEADER_BYTES: i32 = 1 + KEY_ID_BYTES + XCHACHA_NONCE_BYTES;
/** Plaintext bytes besides the two strings: time, hash, two lengths. */
// @ts-ignore: decorator
@inline const FIXED_FIELD_BYTES: i32 = 8 + SHA256_BYTES + 2 + 2;
/** Raw token bytes that MAX_TOKEN_CHARS base64url characters hold. */
// @ts-ignore: decorator
@inline const MAX_RAW_BYTES: i32 = (MAX_TOKEN_CHARS * 3) >> 2;

const KID_LABEL = "mcp-proxy-wasm/session/kid";
const AEAD_LABEL = "mcp-proxy-wasm/session/aead";

/** One configured key as used at request time: its public id and its AEAD subkey. */
export class SealKey {
  constructor(public id: u32, public aeadKey: Uint8Array) {}

  /** Derives id and subkey from a 32-byte configured key. */
  static derive(key: Uint8Array): SealKey {
    const kid = hmacSha256(key, Uint8Array.wrap(String.UTF8.encode(KID_LABEL)));
    return new SealKey(load<u32>(kid.dataStart), hmacSha256(key, Uint8Array.wrap(String.UTF8.encode(AEAD_LABEL))));
  }
}

/** The configured keys: the first seals, every one opens. */
export class SealKeys {
  constructor(public keys: SealKey[]) {}

  /** The key with id `id`, or null. */
  find(id: u32): SealKey | null {
    for (let i = 0; i < this.keys.length; i++) if (unchecked(this.keys[i]).id == id) return unchecked(this.keys[i]);
    return null;
  }
}

/** SealKeys, or the configuration error that refused them. */
export class SessionKeysResult {
  constructor(public keys: SealKeys | null, public error: string) {}
}

/**
 * Builds SealKeys from configured strings, each base64 (RFC 4648 §4 padded, or §5 unpadded) of
 * exactly 32 bytes — e.g. the output of `openssl rand -base64 32`. Errors name the bad entry as
 * `field[i]` and never echo key material.
 */
export function parseSessionKeys(list: string[], field: string = "sessionKeys"): SessionKeysResult {
  if (list.length == 0) return new SessionKeysResult(null, field + ": at least one key is required");
  const keys = new Array<SealKey>(0);
  for (let i = 0; i < list.length; i++) {
    const name = field + "[" + i.toString() + "]";
    let raw = decodeBase64(list[i], false);
    if (raw === null) raw = decodeBase64(list[i], true);
    if (raw === null) return new SessionKeysResult(null, name + ": not base64 (RFC 4648 §4 or §5)");
    if (raw.length != SESSION_KEY_BYTES) {
      return new SessionKeysResult(null, name + ": decodes to " + raw.length.toString() + " bytes; a key must be exactly 32 (`openssl rand -base64 32`)");
    }
    const k = SealKey.derive(raw);
    for (let j = 0; j < keys.length; j++) {
      if (keys[j].id == k.id) {
        return new SessionKeysResult(null, name + ": same key id as " + field + "[" + j.toString() + "] (a repeated key, or a 1 in 2^32 accident: generate another)");
      }
    }
    keys.push(k);
  }
  return new SessionKeysResult(new SealKeys(keys), "");
}

/** What a token carries. */
export class SessionFields {
  constructor(
    /** The backend's Mcp-Session-Id. */
    public backendSessionId: string,
    /** Which backend issued it (e.g. cluster + "|" + URL), so a token cannot be replayed at another. */
    public backendIdentity: string,
    /** SHA-256 of the downstream credential the session was created under (see hashCredential). */
    public credentialHash: Uint8Array,
    /** When the token was first issued, ms since the Unix epoch. */
    public issuedAtMs: i64,
  ) {}
}

/** The 32-byte credential hash a token carries: SHA-256 of the credential's UTF-8 bytes. */
export function hashCredential(credential: string): Uint8Array {
  return sha256(Uint8Array.wrap(String.UTF8.encode(credential)));
}

/** True when a token's credential hash equals `hash` (compared in constant time). */
export function credentialMatches(fields: SessionFields, hash: Uint8Array): bool {
  return constantTimeEqual(fields.credentialHash, hash);
}

/** How `open` ended. */
export enum OpenStatus {
  /** Authentic; fields are set. */
  Ok,
  /** Not a token: length, characters, version or layout. */
  Malformed,
  /** Well-formed, but sealed under a key that is not configured (rotated out, or forged). */
  UnknownKey,
  /** The tag does not verify: tampered, truncated inside the ciphertext, or a wrong key. */
  BadTag,
}

/** The readable name of an OpenStatus, for logs. */
export function openStatusName(s: OpenStatus): string {
  switch (s) {
    case OpenStatus.Ok: return "ok";
    case OpenStatus.Malformed: return "malformed";
    case OpenStatus.UnknownKey: return "unknown key";
    default: return "bad tag";
  }
}

/** The outcome of `open`: a status, and the fields when it is Ok. */
export class OpenResult {
  constructor(public status: OpenStatus, public fields: SessionFields | null) {}
}

/**
 * Seals `fields` under the first key with the 24-byte random `nonce24` (from the host's
 * random_get). Null when the nonce or hash length is wrong, a string is over 65535 UTF-8
 * bytes, or the token would exceed MAX_TOKEN_CHARS — the caller then keeps the old scheme.
 */
export function seal(keys: SealKeys, fields: SessionFields, nonce24: Uint8Array): string | null {
  if (keys.keys.length == 0 || nonce24.length != XCHACHA_NONCE_BYTES || fields.credentialHash.length != SHA256_BYTES) return null;
  const sid = String.UTF8.encode(fields.backendSessionId);
  const ident = String.UTF8.encode(fields.backendIdentity);
  if (sid.byteLength > 0xffff || ident.byteLength > 0xffff) return null;
  const ptLen = FIXED_FIELD_BYTES + sid.byteLength + ident.byteLength;
  if (HEADER_BYTES + ptLen + AEAD_TAG_BYTES > MAX_RAW_BYTES) return null;
  const pt = new Uint8Array(ptLen);
  const p = pt.dataStart;
  store<u64>(p, bswap<u64>(<u64>fields.issuedAtMs));
  memory.copy(p + 8, fields.credentialHash.dataStart, SHA256_BYTES);
  let off = 8 + SHA256_BYTES;
  off = putString(p, off, sid);
  putString(p, off, ident);

  const key = unchecked(keys.keys[0]);
  const raw = new Uint8Array(HEADER_BYTES + ptLen + AEAD_TAG_BYTES);
  raw[0] = SEAL_VERSION;
  store<u32>(raw.dataStart + 1, key.id);
  raw.set<Uint8Array>(nonce24, 1 + KEY_ID_BYTES);
  const sealed = xchacha20Poly1305Seal(key.aeadKey, nonce24, pt, raw.subarray(0, 1 + KEY_ID_BYTES));
  if (sealed === null) return null;
  raw.set<Uint8Array>(sealed, HEADER_BYTES);
  return encodeBase64(raw, true);
}

/** Writes a u16 big-endian length and the bytes of `s` at `p + off`; returns the new offset. */
function putString(p: usize, off: i32, s: ArrayBuffer): i32 {
  store<u16>(p + <usize>off, bswap<u16>(<u16>s.byteLength));
  memory.copy(p + <usize>off + 2, changetype<usize>(s), <usize>s.byteLength);
  return off + 2 + s.byteLength;
}

/** Opens a token: Ok with its fields, or why not. Never throws, whatever `token` holds. */
export function open(keys: SealKeys, token: string): OpenResult {
  const minRaw = HEADER_BYTES + FIXED_FIELD_BYTES + AEAD_TAG_BYTES;
  if (token.length > MAX_TOKEN_CHARS || token.length < ((minRaw * 4 + 2) / 3)) return malformed();
  const raw = decodeBase64(token, true);
  if (raw === null || raw.length < minRaw || raw[0] != SEAL_VERSION) return malformed();
  const key = keys.find(load<u32>(raw.dataStart + 1));
  if (key === null) return new OpenResult(OpenStatus.UnknownKey, null);
  const pt = xchacha20Poly1305Open(key.aeadKey, raw.subarray(1 + KEY_ID_BYTES, HEADER_BYTES), raw.subarray(HEADER_BYTES), raw.subarray(0, 1 + KEY_ID_BYTES));
  if (pt === null) return new OpenResult(OpenStatus.BadTag, null);
  const fields = parseFields(pt);
  return fields === null ? malformed() : new OpenResult(OpenStatus.Ok, fields);
}

function malformed(): OpenResult {
  return new OpenResult(OpenStatus.Malformed, null);
}

/** Decodes the plaintext layout, bounding every length by the bytes left; null if it does not fit exactly. */
function parseFields(pt: Uint8Array): SessionFields | null {
  const n = pt.length;
  if (n < FIXED_FIELD_BYTES) return null;
  const p = pt.dataStart;
  const issuedAtMs = <i64>bswap<u64>(load<u64>(p));
  const hash = pt.slice(8, 8 + SHA256_BYTES);
  let off = 8 + SHA256_BYTES;
  const sidLen = <i32>bswap<u16>(load<u16>(p + <usize>off));
  off += 2;
  if (sidLen > n - off - 2) return null;
  const sid = String.UTF8.decodeUnsafe(p + <usize>off, <usize>sidLen);
  off += sidLen;
  const identLen = <i32>bswap<u16>(load<u16>(p + <usize>off));
  off += 2;
  if (identLen != n - off) return null;
  const ident = String.UTF8.decodeUnsafe(p + <usize>off, <usize>identLen);
  return new SessionFields(sid, ident, hash, issuedAtMs);
}
