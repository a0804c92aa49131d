// Sealed session ids, host side (the logic is passthrough/sealed.ts): the nonce comes from WASI
// random_get, the clock from the host, the backend identity from the configuration and the
// route. Nothing is stored: open seals, resolve opens and checks, close has nothing to end —
// a sealed id cannot be revoked, so after the backend ended its session a later request gets
// the backend's own 404, passed through. Refusals are logged at debug level by reason only:
// no log line holds a token, a key or a session id.
import { Config } from "../config/config";
import { XCHACHA_NONCE_BYTES } from "../crypto/aead";
import { Level, log, nowMs, randomBytes } from "../host/host";
import * as codes from "../jsonrpc/codes";
import { errorResponse } from "../jsonrpc/message";
import { OpenedTokens, SealedCheck, backendIdentity, openSession, sealSession, sealedCheckName } from "../passthrough/sealed";
import { routeCluster } from "./plugin";
import { SessionEvent } from "../stats/names";
import { countSession } from "./stats";
import { SessionStore, StoreRefusal } from "./store";

/** Sealed session ids of one pass-through server (`server.sessionKeys` configured). */
export class SealedStore extends SessionStore {
  private identityCache: string | null = null;

  /** `opened`: the tokens this worker opened under this configuration (Plugin.openedTokens). */
  constructor(public config: Config, public opened: OpenedTokens | null) {
    super();
  }

  /** cluster | mcpServerURL: `server.cluster` when set, else the route's cluster (read once per request). */
  private identity(): string {
    let id = this.identityCache;
    if (id === null) {
      const c = this.config.cluster;
      id = backendIdentity(c.length > 0 ? c : routeCluster(), this.config.url);
      this.identityCache = id;
    }
    return id!;
  }

  /** Seals the new backend session; null only when its id is too long to seal. */
  open(backendId: string, credential: string): string | null {
    const s = this.config.sessions;
    const token = sealSession(s.keys!, backendId, this.identity(), credential, nowMs(), randomBytes(XCHACHA_NONCE_BYTES), this.opened);
    if (token === null) log(Level.Warn, "mcp-proxy: server \"" + this.config.serverName + "\": a backend session id of " + backendId.length.toString() + " characters is too long to seal");
    else countSession(this.config.serverName, SessionEvent.Created);
    return token;
  }

  /** 502: the backend issued a session id the gateway cannot carry. */
  refusal(): StoreRefusal {
    return new StoreRefusal(502, errorResponse("null", codes.INTERNAL_ERROR, codes.MSG_SESSION_NOT_SEALABLE), "mcp_session_not_sealable");
  }

  /** Opens and checks the id (key, tag, age, credential, backend); null refuses it (one too old counts as expired). */
  resolve(id: string, credential: string): string | null {
    const s = this.config.sessions;
    const r = openSession(s.keys!, id, this.identity(), credential, nowMs(), s.maxAgeMs, this.opened);
    if (r.check == SealedCheck.Ok) return r.backendSessionId;
    if (r.check == SealedCheck.Expired) countSession(this.config.serverName, SessionEvent.Expired);
    log(Level.Debug, "mcp-proxy: server \"" + this.config.serverName + "\": sealed session id refused: " + sealedCheckName(r.check));
    return null;
  }
}
