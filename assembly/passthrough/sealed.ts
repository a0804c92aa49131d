// Sealed session ids (pass-through mode with `server.sessionKeys`): what the gateway seals into
// a session id and the checks an id must pass before its backend session id is used. Pure: the
// caller supplies the clock, the nonce and the backend identity (filter/sealed.ts is the host
// side). The token format and the cryptography are crypto/seal.ts.
//
// An id opens only when all of these hold, else the request gets the gateway's 404 and the
// backend is never contacted:
//   authentic   sealed under a configured key (any of them: rotation), tag verified
//   fresh       issued at most sessionMaxAge ago, and not more than MAX_CLOCK_SKEW_MS in the
//               future (replicas' clocks differ a little; a far-future stamp would outlive
//               the maximum age)
//   same caller the downstream credential hashes to the one that opened the session
//   same backend the backend identity (cluster | mcpServerURL) of this request's route is the
//               one the session was opened on
//
// A session's later requests present the same token again and again. OpenedTokens remembers
// what tokens this worker opened, so that those requests skip the AEAD: it is looked up by the
// token's nonce characters (public in any AEAD), and a hit counts only when the whole token is
// equal, compared in constant time — no lookup is indexed by the token's secret part. Freshness,
// credential and backend are checked on every request, hit or miss.
import { OpenStatus, SealKeys, SessionFields, credentialMatches, hashCredential, open, seal } from "../crypto/seal";
import { Url } from "../config/url";

/** How far in the future an issue time may lie (another replica's clock running ahead), ms. */
// @ts-ignore: decorator
@inline export const MAX_CLOCK_SKEW_MS: i64 = 300000;

/** Why a sealed id was accepted or refused. */
export enum SealedCheck {
  Ok,
  /** Not a token of this format (a table id, a truncated or re-spelled token). */
  Malformed,
  /** Sealed under a key that is not configured (rotated out, or another deployment's). */
  UnknownKey,
  /** The tag does not verify: tampered. */
  BadTag,
  /** Issued more than sessionMaxAge ago. */
  Expired,
  /** Issued further in the future than the allowed clock skew. */
  FromTheFuture,
  /** Presented with another downstream credential than the one that opened the session. */
  OtherCredential,
  /** Presented on a route whose backend is not the one the session was opened on. */
  OtherBackend,
}

/** The readable name of a SealedCheck, for logs (never the token itself). */
export function sealedCheckName(c: SealedCheck): string {
  switch (c) {
    case SealedCheck.Ok: return "ok";
    case SealedCheck.Malformed: return "malformed";
    case SealedCheck.UnknownKey: return "unknown key";
    case SealedCheck.BadTag: return "bad tag";
    case SealedCheck.Expired: return "older than sessionMaxAge";
    case SealedCheck.FromTheFuture: return "issued in the future";
    case SealedCheck.OtherCredential: return "another credential";
    default: return "another backend";
  }
}

/** The outcome of opening an id: the check, and the backend session id when it is Ok. */
export class SealedResult {
  constructor(public check: SealedCheck, public backendSessionId: string) {}
}

/** The identity a session is bound to: the cluster the request goes to and mcpServerURL. */
export function backendIdentity(cluster: string, url: Url): string {
  return cluster + "|" + url.scheme + "://" + url.authority + url.path;
}

/**
 * Seals a new session: the backend's session id, the backend identity, a hash of the opening
 * credential and the issue time `nowMs`, under the first key with the 24 random bytes
 * `nonce24`; `cache` then knows the token. Null when the token would be too long (crypto/seal.ts
 * MAX_TOKEN_CHARS).
 */
export function sealSession(keys: SealKeys, backendSessionId: string, identity: string, credential: string, nowMs: i64, nonce24: Uint8Array,
  cache: OpenedTokens | null = null): string | null {
  const fields = new SessionFields(backendSessionId, identity, hashCredential(credential), nowMs);
  const token = seal(keys, fields, nonce24);
  if (token !== null && cache !== null) cache.put(token, fields);
  return token;
}

/**
 * Opens `token` (or finds it in `cache`, which then remembers it) and checks it against this
 * request (see the header): never throws.
 */
export function openSession(keys: SealKeys, token: string, identity: string, credential: string, nowMs: i64, maxAgeMs: i64,
  cache: OpenedTokens | null = null): SealedResult {
  let f = cache !== null ? cache.get(token) : null;
  if (f === null) {
    const r = open(keys, token);
    if (r.status == OpenStatus.Malformed) return refused(SealedCheck.Malformed);
    if (r.status == OpenStatus.UnknownKey) return refused(SealedCheck.UnknownKey);
    if (r.status != OpenStatus.Ok || r.fields === null) return refused(SealedCheck.BadTag);
    f = r.fields;
    if (cache !== null) cache.put(token, r.fields!);
  }
  return check(f!, identity, credential, nowMs, maxAgeMs);
}

/** The per-request checks of an authentic token's fields. */
function check(f: SessionFields, identity: string, credential: string, nowMs: i64, maxAgeMs: i64): SealedResult {
  const age = nowMs - f.issuedAtMs;
  if (age > maxAgeMs) return refused(SealedCheck.Expired);
  if (age < -MAX_CLOCK_SKEW_MS) return refused(SealedCheck.FromTheFuture);
  if (!credentialMatches(f, hashCredential(credential))) return refused(SealedCheck.OtherCredential);
  if (f.backendIdentity != identity) return refused(SealedCheck.OtherBackend);
  return new SealedResult(SealedCheck.Ok, f.backendSessionId);
}

function refused(c: SealedCheck): SealedResult {
  return new SealedResult(c, "");
}

/** First and last token characters of the lookup key: they encode only nonce bytes (raw bytes 6..26). */
// @ts-ignore: decorator
@inline const NONCE_CHARS_FROM: i32 = 8;
// @ts-ignore: decorator
@inline const NONCE_CHARS_TO: i32 = 36;

/** A token this worker opened, and what it holds. */
class OpenedToken {
  constructor(public token: string, public fields: SessionFields) {}
}

/**
 * Tokens opened recently under one configuration's keys (one per worker VM, see the header):
 * two generations of at most `capacity` entries each; when the current one is full it becomes
 * the previous one and the oldest generation is dropped, so the memory stays bounded.
 */
export class OpenedTokens {
  private current: Map<string, OpenedToken> = new Map();
  private previous: Map<string, OpenedToken> = new Map();

  constructor(public capacity: i32) {}

  /** The fields of `token` if it was opened before (the whole token equal), else null. */
  get(token: string): SessionFields | null {
    if (token.length <= NONCE_CHARS_TO) return null;
    const k = token.substring(NONCE_CHARS_FROM, NONCE_CHARS_TO);
    if (this.current.has(k)) return sameToken(this.current.get(k), token);
    if (!this.previous.has(k)) return null;
    const e = this.previous.get(k);
    const f = sameToken(e, token);
    if (f !== null) this.remember(k, e);
    return f;
  }

  /** Remembers an authentic token. */
  put(token: string, fields: SessionFields): void {
    if (token.length <= NONCE_CHARS_TO) return;
    this.remember(token.substring(NONCE_CHARS_FROM, NONCE_CHARS_TO), new OpenedToken(token, fields));
  }

  /** How many tokens are remembered (both generations). */
  get size(): i32 {
    return this.current.size + this.previous.size;
  }

  private remember(k: string, e: OpenedToken): void {
    if (this.current.size >= this.capacity) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(k, e);
  }
}

/** The entry's fields when `token` equals its token, compared in constant time; else null. */
function sameToken(e: OpenedToken, token: string): SessionFields | null {
  const a = e.token;
  if (a.length != token.length) return null;
  let diff: u32 = 0;
  const pa = changetype<usize>(a);
  const pb = changetype<usize>(token);
  for (let i: usize = 0, n = <usize>token.length << 1; i < n; i += 2) diff |= <u32>(load<u16>(pa + i) ^ load<u16>(pb + i));
  return diff == 0 ? e.fields : null;
}
