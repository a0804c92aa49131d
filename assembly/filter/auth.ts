// Credentials on the request path (host side of assembly/security): takes the client's
// credential out of the held request headers / path, decides what the backend gets, and
// reports a missing required credential. Runs while request headers are held.
//
// A request may carry several tools (a JSON-RPC batch in pass-through mode). Every tool's
// downstream requirement is enforced, and since the request reaches the backend once, with one
// set of credentials, tools that need different backend credentials cannot share it: the
// outcome reports a conflict and the request is refused rather than sent with the wrong one.
import { Header, isSafeHeaderValue } from "../http/header";
import { HeaderMap, HeaderView, removeHeader, replaceHeader } from "../host/host";
import { Applied, appendQuery, backendCredential, challenge, extractCredential, takeQueryParam } from "../security/credentials";
import { SecurityConfig } from "../security/schemes";

/** What security decided for one request. */
export class AuthOutcome {
  /** A required credential is missing: answer 401 with `challenge`. */
  denied: bool = false;
  challenge: string = "";
  /** The request's tools need different backend credentials: refused (400). */
  conflict: bool = false;
  /** A credential would be written into a header with control characters: refused (400). */
  invalid: bool = false;
  /** Headers every backend request of this exchange carries. */
  headers: Header[] = [];
  /** `name=value` appended to every backend request's query ("" for none). */
  query: string = "";

  /** `path` with the credential query appended. */
  pathWith(path: string): string {
    return appendQuery(path, this.query);
  }

  /** True when the request may go on. */
  get ok(): bool {
    return !this.denied && !this.conflict && !this.invalid;
  }
}

/** Applies `sec` to the held client request; `tool` is "" except for tools/call. */
export function authorize(sec: SecurityConfig, tool: string, headers: HeaderView): AuthOutcome {
  return authorizeTools(sec, [tool], headers);
}

/** True when two backend credentials are the same (both absent counts as the same). */
function sameApplied(a: Applied | null, b: Applied | null): bool {
  if (a === null || b === null) return a === b;
  return a.headerName == b.headerName && a.headerValue == b.headerValue && a.query == b.query;
}

/**
 * Applies `sec` to the held client request for every tool it carries ("" for messages that
 * are not tools/call). Nothing is changed on the request unless the outcome is ok.
 */
export function authorizeTools(sec: SecurityConfig, tools: string[], headers: HeaderView): AuthOutcome {
  const out = new AuthOutcome();
  const original = headers.get(":path");
  const path0 = original !== null ? original : "/";
  let path = path0;
  const remove = new Array<string>();
  let usesAuthorization = false;
  let applied: Applied | null = null;
  for (let i = 0; i < tools.length; i++) {
    const down = sec.downstreamFor(tools[i]);
    const up = sec.upstreamFor(tools[i]);
    let clientValue = "";
    if (down !== null) {
      const scheme = down.scheme;
      const hname = scheme.headerName;
      const e = extractCredential(scheme, hname.length > 0 ? headers.get(hname) : null, path0);
      clientValue = e.value;
      if (down.required && clientValue.length == 0) {
        out.denied = true;
        out.challenge = challenge(scheme);
        return out;
      }
      // The client's credential is for the gateway: it never travels on by itself.
      if (e.removeHeader.length > 0) remove.push(e.removeHeader);
      if (e.path != path0) path = takeQueryParam(path, scheme.name).path;
      if (scheme.usesAuthorization) usesAuthorization = true;
    }
    const a = backendCredential(down, up, clientValue);
    if (i > 0 && !sameApplied(applied, a)) {
      out.conflict = true;
      return out;
    }
    applied = a;
  }
  if (applied !== null && applied.headerName.length > 0 && !isSafeHeaderValue(applied.headerValue)) {
    // A decoded query credential with CR/LF/NUL must never become a header value.
    out.invalid = true;
    return out;
  }
  for (let i = 0; i < remove.length; i++) removeHeader(HeaderMap.Request, remove[i]);
  if (path != path0) replaceHeader(HeaderMap.Request, ":path", path);
  if (!usesAuthorization) {
    // An Authorization header that is no downstream credential: passed on to backend
    // requests only with passthroughAuthHeader, otherwise removed.
    const authz = headers.get("authorization");
    if (authz !== null) {
      if (!sec.passthroughAuthHeader) removeHeader(HeaderMap.Request, "authorization");
      else out.headers.push(new Header("authorization", authz));
    }
  }
  if (applied !== null) {
    if (applied.headerName.length > 0) {
      // A scheme's header replaces a passed-through one of the same name.
      const kept = new Array<Header>();
      for (let i = 0; i < out.headers.length; i++) if (out.headers[i].name != applied.headerName) kept.push(out.headers[i]);
      kept.push(new Header(applied.headerName, applied.headerValue));
      out.headers = kept;
    }
    out.query = applied.query;
  }
  return out;
}

/**
 * The credential a pass-through session is bound to: what the default downstream scheme
 * extracts, or without one the raw Authorization header ("" when the client sent none). Read
 * before the request is changed; the same for every request of the session, whatever tool.
 */
export function bindingCredential(sec: SecurityConfig, headers: HeaderView): string {
  const down = sec.downstream;
  if (down === null) {
    const authz = headers.get("authorization");
    return authz !== null ? authz : "";
  }
  const hname = down.scheme.headerName;
  const path = headers.get(":path");
  return extractCredential(down.scheme, hname.length > 0 ? headers.get(hname) : null, path !== null ? path : "/").value;
}
