// The parts of `server.mcpServerURL` the gateway needs for backend requests.

/** A parsed http(s) URL. */
export class Url {
  scheme: string = "";
  /** Host as written (IPv6 literals keep their brackets). */
  host: string = "";
  /** Port, explicit or the scheme's default. */
  port: i32 = 0;
  /** host[:port] as written: the `:authority` of backend requests. */
  authority: string = "";
  /** Path plus query, "/" when empty: the `:path` of backend requests. */
  path: string = "/";
}

/** Parses an absolute http/https URL; null for anything else (no throw). */
export function parseUrl(text: string): Url | null {
  const sep = text.indexOf("://");
  if (sep <= 0) return null;
  const u = new Url();
  u.scheme = text.substring(0, sep).toLowerCase();
  if (u.scheme != "http" && u.scheme != "https") return null;
  const rest = text.substring(sep + 3);
  let end = rest.length;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c == 0x2f || c == 0x3f || c == 0x23) { // / ? #
      end = i;
      break;
    }
  }
  u.authority = rest.substring(0, end);
  if (u.authority.length == 0 || u.authority.indexOf("@") >= 0) return null;
  for (let i = 0; i < u.authority.length; i++) {
    const c = u.authority.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return null;
  }
  let path = rest.substring(end);
  const hash = path.indexOf("#");
  if (hash >= 0) path = path.substring(0, hash);
  if (path.length == 0 || path.charCodeAt(0) != 0x2f) path = "/" + path;
  u.path = path;

  // Split host and port; "[v6]:port" keeps the brackets in host.
  let hostEnd = u.authority.length;
  const close = u.authority.lastIndexOf("]");
  const colon = u.authority.lastIndexOf(":");
  if (colon > close) hostEnd = colon;
  u.host = u.authority.substring(0, hostEnd);
  if (u.host.length == 0) return null;
  if (hostEnd < u.authority.length) {
    const p = u.authority.substring(hostEnd + 1);
    if (p.length == 0 || p.length > 5) return null;
    let port = 0;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return null;
      port = port * 10 + (c - 0x30);
    }
    if (port == 0 || port > 65535) return null;
    u.port = port;
  } else {
    u.port = u.scheme == "https" ? 443 : 80;
  }
  return u;
}
