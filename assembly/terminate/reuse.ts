// Backend sessions kept across client requests (terminating mode, legacy backends). A 2025-era
// backend wants initialize → notifications/initialized before a call; doing that (and a
// DELETE) for every client call costs four round trips. Instead the gateway keeps one backend
// session per backend and per credential it sends, and sends only the call; a backend that
// issued no session id (a stateless server) is remembered as such and gets only the call too.
//
// The cache is a fixed set of slots in shared data (every worker shares it; shared data has no
// delete): a slot is chosen by a hash of (cluster, URL, credential), and holds
//
//   owner        that hash, so a slot never serves another backend or credential
//   session id   "" for a stateless backend
//   version      the protocol version the backend negotiated
//   last use     ms; an entry idle past server.backendSessionIdleTimeout is ended
//   credential   the headers and query the gateway sends, so that an evicted or idle session
//                can be ended with DELETE by whichever worker finds it
//
// Two different upstream credentials never share a session: they hash to different owners.
import { sha256 } from "../crypto/sha256";
import { Header } from "../http/header";
import { parseMs } from "../passthrough/session";
import { encodeBase64 } from "../util/base64";

/** Slots of the backend-session cache per server. */
// @ts-ignore: decorator
@inline export const REUSE_SLOTS: u32 = 1024;

/** Shared-data key prefix of the cache. */
export const REUSE_KEY_PREFIX = "mcp-proxy/backend-session/";

/** The shared-data key of slot `slot` of server `server`. */
export function reuseKey(server: string, slot: u32): string {
  return REUSE_KEY_PREFIX + server + "/" + slot.toString();
}

/** The owner of a cache entry: who the session belongs to (backend and credential). */
export class Owner {
  constructor(public tag: string, public slot: u32) {}
}

/** Hashes the backend identity and the credential the gateway sends into an owner and a slot. */
export function ownerOf(cluster: string, url: string, headers: Header[], query: string): Owner {
  let id = cluster + "\n" + url + "\n" + query;
  for (let i = 0; i < headers.length; i++) id += "\n" + headers[i].name + ":" + headers[i].value;
  const d = sha256(Uint8Array.wrap(String.UTF8.encode(id)));
  const slot = ((<u32>d[0] << 24) | (<u32>d[1] << 16) | (<u32>d[2] << 8) | <u32>d[3]) % REUSE_SLOTS;
  return new Owner(encodeBase64(d.subarray(0, 18), true), slot);
}

/** One cached backend session. */
export class CachedSession {
  constructor(
    public owner: string,
    public cluster: string,
    public sessionId: string,
    public version: string,
    public lastUsedMs: i64,
    public query: string,
    public headers: Header[],
  ) {}
}

/** Encodes an entry; lines, as header values and the other fields never hold a line break. */
export function encodeCached(e: CachedSession): string {
  let s = e.owner + "\n" + e.cluster + "\n" + e.sessionId + "\n" + e.version + "\n" + e.lastUsedMs.toString() + "\n" + e.query;
  for (let i = 0; i < e.headers.length; i++) s += "\n" + e.headers[i].name + "\n" + e.headers[i].value;
  return s;
}

/** Decodes an entry; null for an empty slot or a malformed value. */
export function decodeCached(value: string | null): CachedSession | null {
  if (value === null || value.length == 0) return null;
  const f = value.split("\n");
  if (f.length < 6 || (f.length - 6) % 2 != 0 || f[0].length == 0 || f[1].length == 0 || f[3].length == 0) return null;
  const t = parseMs(f[4]);
  if (t <= 0) return null;
  const headers = new Array<Header>();
  for (let i = 6; i < f.length; i += 2) headers.push(new Header(f[i], f[i + 1]));
  return new CachedSession(f[0], f[1], f[2], f[3], t, f[5], headers);
}
