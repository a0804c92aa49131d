// The legacy HTTP+SSE transport (MCP 2024-11-05) announces where to POST messages in an
// `endpoint` event. The gateway resolves it against `mcpServerURL` and refuses any absolute
// URL on another origin: a backend must not be able to steer the gateway's POSTs (which may
// carry credentials) to a different host (SSRF).
import { Url, parseUrl } from "../config/url";

/** A resolved endpoint: the `:path` to POST to, or an error. */
export class Endpoint {
  constructor(public path: string, public error: string) {}
}

function sameOrigin(a: Url, b: Url): bool {
  return a.scheme == b.scheme && a.host.toLowerCase() == b.host.toLowerCase() && a.port == b.port;
}

/** Resolves the `endpoint` event's data against the server URL. */
export function resolveEndpoint(data: string, server: Url): Endpoint {
  const d = data.trim();
  if (d.length == 0) return new Endpoint("", "empty endpoint event");
  for (let i = 0; i < d.length; i++) {
    const c = d.charCodeAt(i);
    if (c < 0x21 || c == 0x7f) return new Endpoint("", "endpoint contains whitespace or control characters");
  }
  const lower = d.toLowerCase();
  if (lower.startsWith("//")) return resolveAbsolute(server.scheme + ":" + d, server);
  if (hasScheme(lower)) return resolveAbsolute(d, server);
  if (d.charCodeAt(0) == 0x2f) return new Endpoint(d, "");
  // A relative reference: resolved against the directory of the SSE path.
  let base = server.path;
  const q = base.indexOf("?");
  if (q >= 0) base = base.substring(0, q);
  return new Endpoint(base.substring(0, base.lastIndexOf("/") + 1) + d, "");
}

function resolveAbsolute(text: string, server: Url): Endpoint {
  const u = parseUrl(text);
  if (u === null) return new Endpoint("", "endpoint is not a valid http(s) URL: " + text);
  if (!sameOrigin(u, server)) {
    return new Endpoint("", "endpoint " + text + " is on another origin than server.mcpServerURL (refused)");
  }
  return new Endpoint(u.path, "");
}

/** True when `s` starts with a URI scheme (`[a-z][a-z0-9+.-]*:`, RFC 3986 §3.1). */
function hasScheme(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x3a) return i > 0;
    const alpha = c >= 0x61 && c <= 0x7a;
    const other = (c >= 0x30 && c <= 0x39) || c == 0x2b || c == 0x2d || c == 0x2e;
    if (!alpha && !(other && i > 0)) return false;
  }
  return false;
}
