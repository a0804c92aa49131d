// Where pass-through sessions live. PassStream talks to one SessionStore per request, picked by
// configuration: the shared-data table (filter/sessions.ts, the default: state in one Envoy
// process) or sealed ids (filter/sealed.ts, with `server.sessionKeys`: the state travels in the
// id itself, so any replica holding the keys serves the session).

/** Why a store could not issue an id for a new backend session: the reply the client gets. */
export class StoreRefusal {
  constructor(public status: u32, public body: string, public details: string) {}
}

/** The gateway's session ids for one pass-through server. */
export abstract class SessionStore {
  /** True when a new session would be refused now (checked before an initialize goes upstream). */
  full(): bool {
    return false;
  }

  /** The gateway id for a new backend session opened under `credential`; null when refused. */
  abstract open(backendId: string, credential: string): string | null;

  /** The reply for a new session `open` refused; the backend session is then ended. */
  abstract refusal(): StoreRefusal;

  /**
   * The backend session id behind gateway id `id` presented with `credential`; null (the
   * gateway's 404, no backend contacted) when the id is unknown, expired, forged or not the caller's.
   */
  abstract resolve(id: string, credential: string): string | null;

  /** The backend ended the session (accepted DELETE) or no longer knows it (404). */
  close(id: string): void {}
}
