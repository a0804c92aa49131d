// Origin checks and CORS (MCP basic/transports "Security Warning": servers MUST validate the
// Origin header to prevent DNS rebinding). A request with a disallowed Origin is refused
// before anything reaches a backend; requests without Origin (non-browser clients) pass.
import { Header } from "../http/header";
import { parseUrl } from "../config/url";

/** Methods a browser may use on the MCP endpoint. */
export const ALLOW_METHODS = "GET, POST, DELETE, OPTIONS";
/** Request headers a browser MCP client sends. */
export const ALLOW_HEADERS = "content-type, accept, authorization, mcp-session-id, mcp-protocol-version, last-event-id";
/** Response headers a browser client must be able to read. */
export const EXPOSE_HEADERS = "Mcp-Session-Id";

/**
 * True when `origin` may use the gateway. `allow` null = the default: loopback origins
 * only (http/https on localhost, 127.0.0.1, [::1], any port). "*" in the list allows all.
 */
export function originAllowed(origin: string, allow: string[] | null): bool {
  if (allow === null) return isLoopbackOrigin(origin);
  const o = origin.toLowerCase();
  for (let i = 0; i < allow.length; i++) {
    const a = allow[i].toLowerCase();
    if (a == "*" || a == o || stripSlash(a) == o) return true;
  }
  return false;
}

function stripSlash(s: string): string {
  return s.endsWith("/") ? s.substring(0, s.length - 1) : s;
}

/** True for an http(s) origin on a loopback host. */
export function isLoopbackOrigin(origin: string): bool {
  const u = parseUrl(origin);
  if (u === null || u.path != "/") return false;
  const h = u.host.toLowerCase();
  return h == "localhost" || h == "127.0.0.1" || h == "[::1]";
}

/** Headers of a preflight answer for an allowed origin. */
export function preflightHeaders(origin: string, requested: string | null): Header[] {
  const h = new Array<Header>();
  h.push(new Header("access-control-allow-origin", origin));
  h.push(new Header("access-control-allow-methods", ALLOW_METHODS));
  h.push(new Header("access-control-allow-headers", requested !== null && requested.length > 0 ? requested : ALLOW_HEADERS));
  h.push(new Header("access-control-expose-headers", EXPOSE_HEADERS));
  h.push(new Header("access-control-max-age", "86400"));
  h.push(new Header("vary", "Origin"));
  return h;
}

/** Headers added to every response to an allowed origin. */
export function responseHeaders(origin: string): Header[] {
  const h = new Array<Header>();
  h.push(new Header("access-control-allow-origin", origin));
  h.push(new Header("access-control-expose-headers", EXPOSE_HEADERS));
  h.push(new Header("vary", "Origin"));
  return h;
}
