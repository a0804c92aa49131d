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
 * `nonce24`. Null when the token would be too long (crypto/seal.ts MAX_TOKEN_CHARS).
 */
export function sealSession(keys: SealKeys, backendSessionId: string, identity: string, credential: string, nowMs: i64, nonce24: Uint8Array): string | null {
  return seal(keys, new SessionFields(backendSessionId, identity, hashCredential(credential), nowMs), nonce24);
}

/** Opens `token` and checks it against this request (see the header): never throws. */
export function openSession(keys: SealKeys, token: string, identity: string, credential: string, nowMs: i64, maxAgeMs: i64): SealedResult {
  const r = open(keys, token);
  if (r.status == OpenStatus.Malformed) return refused(SealedCheck.Malformed);
  if (r.status == OpenStatus.UnknownKey) return refused(SealedCheck.UnknownKey);
  if (r.status != OpenStatus.Ok || r.fields === null) return refused(SealedCheck.BadTag);
  const f = r.fields!;
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
