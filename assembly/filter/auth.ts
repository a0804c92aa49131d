// Credentials on the request path (host side of assembly/security): takes the client's
// credential out of the held request headers / path, decides what the backend gets, and
// reports a missing required credential. Runs in the body phase, while headers are held.
import { Header } from "../http/header";
import { HeaderMap, getHeader, removeHeader, replaceHeader } from "../host/host";
import { Applied, appendQuery, backendCredential, challenge, extractCredential } from "../security/credentials";
import { SecurityConfig } from "../security/schemes";

/** What security decided for one request. */
export class AuthOutcome {
  /** A required credential is missing: answer 401 with `challenge`. */
  denied: bool = false;
  challenge: string = "";
  /** Headers every backend request of this exchange carries. */
  headers: Header[] = [];
  /** `name=value` appended to every backend request's query ("" for none). */
  query: string = "";

  /** `path` with the credential query appended. */
  pathWith(path: string): string {
    return appendQuery(path, this.query);
  }
}

/** Applies `sec` to the held client request; `tool` is "" except for tools/call. */
export function authorize(sec: SecurityConfig, tool: string): AuthOutcome {
  const out = new AuthOutcome();
  const down = sec.downstreamFor(tool);
  const up = sec.upstreamFor(tool);
  let clientValue = "";
  if (down !== null) {
    const scheme = down.scheme;
    const hname = scheme.headerName;
    const path = getHeader(HeaderMap.Request, ":path");
    const e = extractCredential(scheme, hname.length > 0 ? getHeader(HeaderMap.Request, hname) : null, path !== null ? path : "/");
    // The client's credential is for the gateway: it never travels on by itself.
    if (e.removeHeader.length > 0) removeHeader(HeaderMap.Request, e.removeHeader);
    if (path !== null && e.path != path) replaceHeader(HeaderMap.Request, ":path", e.path);
    clientValue = e.value;
    if (down.required && clientValue.length == 0) {
      out.denied = true;
      out.challenge = challenge(scheme);
      return out;
    }
  }
  if (down === null || !down.scheme.usesAuthorization) {
    // An Authorization header that is no downstream credential: passed on to backend
    // requests only with passthroughAuthHeader, otherwise removed.
    const authz = getHeader(HeaderMap.Request, "authorization");
    if (authz !== null) {
      if (!sec.passthroughAuthHeader) removeHeader(HeaderMap.Request, "authorization");
      else out.headers.push(new Header("authorization", authz));
    }
  }
  const applied: Applied | null = backendCredential(down, up, clientValue);
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
