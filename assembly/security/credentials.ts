// Credential extraction (client side) and application (backend side), host-free: the
// filter reads and writes headers; these functions decide what to read and what to write.
import { Header } from "../http/header";
import { encodeBase64 } from "../util/base64";
import { DownstreamRequirement, HttpAuth, KeyIn, SchemeType, SecurityScheme, UpstreamRequirement } from "./schemes";

/** A credential taken from the client request. */
export class Extracted {
  /** The bare credential ("" when absent). */
  value: string = "";
  /** The request `:path` after removing a query credential (unchanged otherwise). */
  path: string = "";
  /** Header to remove from the client request ("" for none). */
  removeHeader: string = "";
}

/**
 * Takes the credential a downstream scheme names. `headerValue` is the value of the
 * scheme's header (Authorization for http) or null; `path` the request's `:path`.
 */
export function extractCredential(scheme: SecurityScheme, headerValue: string | null, path: string): Extracted {
  const e = new Extracted();
  e.path = path;
  if (scheme.type == SchemeType.ApiKey && scheme.keyIn == KeyIn.Query) {
    const q = takeQueryParam(path, scheme.name);
    e.value = q.value;
    e.path = q.path;
    return e;
  }
  e.removeHeader = scheme.headerName;
  if (headerValue === null) return e;
  const v = headerValue.trim();
  if (scheme.type == SchemeType.ApiKey) {
    e.value = v;
    return e;
  }
  // http: "Bearer <token>" / "Basic <token>"; the auth-scheme name is case-insensitive
  // (RFC 9110 §11.1). A value in another scheme is no credential of this one.
  const prefix = scheme.auth == HttpAuth.Basic ? "basic " : "bearer ";
  if (v.length > prefix.length && v.substring(0, prefix.length).toLowerCase() == prefix) {
    e.value = v.substring(prefix.length).trim();
  }
  return e;
}

/** What to put on a backend request. */
export class Applied {
  /** Header to set ("" for none) and its value. */
  headerName: string = "";
  headerValue: string = "";
  /** `name=value` to append to the query ("" for none). */
  query: string = "";

  /** Adds the header (if any) to `headers`. */
  addTo(headers: Header[]): void {
    if (this.headerName.length > 0) headers.push(new Header(this.headerName, this.headerValue));
  }

  /** `path` with the query credential appended. */
  pathWith(path: string): string {
    return appendQuery(path, this.query);
  }
}

/** `path` with `param` (`name=value`, "" for none) appended to its query. */
export function appendQuery(path: string, param: string): string {
  if (param.length == 0) return path;
  return path + (path.indexOf("?") >= 0 ? "&" : "?") + param;
}

/** Writes `credential` in `scheme`'s form. */
export function applyCredential(scheme: SecurityScheme, credential: string): Applied {
  const a = new Applied();
  if (credential.length == 0) return a;
  if (scheme.type == SchemeType.ApiKey) {
    if (scheme.keyIn == KeyIn.Query) a.query = urlEncode(scheme.name) + "=" + urlEncode(credential);
    else {
      a.headerName = scheme.name.toLowerCase();
      a.headerValue = credential;
    }
    return a;
  }
  a.headerName = "authorization";
  if (scheme.auth == HttpAuth.Basic) {
    let c = credential;
    if (c.toLowerCase().startsWith("basic ")) c = c.substring(6).trim();
    // "user:pass" is encoded; a token without ':' is taken as already base64-encoded.
    a.headerValue = "Basic " + (c.indexOf(":") >= 0 ? base64(c) : c);
  } else {
    let c = credential;
    if (c.toLowerCase().startsWith("bearer ")) c = c.substring(7).trim();
    a.headerValue = "Bearer " + c;
  }
  return a;
}

/**
 * The backend credential for one request: the client's (passthrough) or the configured one,
 * in the upstream scheme's form; with passthrough and no upstream scheme, in the downstream
 * scheme's form. Null when nothing is to be applied.
 */
export function backendCredential(down: DownstreamRequirement | null, up: UpstreamRequirement | null, clientValue: string): Applied | null {
  const passthrough = down !== null && down.passthrough && clientValue.length > 0;
  if (up !== null) {
    let c = passthrough ? clientValue : up.credential;
    if (c.length == 0) c = up.scheme.defaultCredential;
    return applyCredential(up.scheme, c);
  }
  if (passthrough) return applyCredential(down!.scheme, clientValue);
  return null;
}

/** The `WWW-Authenticate` challenge for a missing credential (RFC 9110 §11.6.1). */
export function challenge(scheme: SecurityScheme): string {
  if (scheme.type == SchemeType.Http) return scheme.auth == HttpAuth.Basic ? 'Basic realm="mcp"' : 'Bearer realm="mcp"';
  return 'ApiKey realm="mcp", in="' + (scheme.keyIn == KeyIn.Query ? "query" : "header") + '", name="' + scheme.name + '"';
}

/** A query parameter taken out of a path. */
export class QueryTake {
  constructor(public value: string, public path: string) {}
}

/** Removes every `name=` parameter from the query of `path`; returns the first value, decoded. */
export function takeQueryParam(path: string, name: string): QueryTake {
  const q = path.indexOf("?");
  if (q < 0) return new QueryTake("", path);
  const parts = path.substring(q + 1).split("&");
  const kept = new Array<string>();
  let value = "";
  let found = false;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    const eq = p.indexOf("=");
    const k = urlDecode(eq >= 0 ? p.substring(0, eq) : p);
    if (k == name) {
      if (!found) value = urlDecode(eq >= 0 ? p.substring(eq + 1) : "");
      found = true;
    } else if (p.length > 0) kept.push(p);
  }
  const base = path.substring(0, q);
  return new QueryTake(value, kept.length > 0 ? base + "?" + kept.join("&") : base);
}

/** Standard base64 (RFC 4648 §4, padded) of the UTF-8 bytes of `s`. */
export function base64(s: string): string {
  return encodeBase64(Uint8Array.wrap(String.UTF8.encode(s)), false);
}

const HEX = "0123456789ABCDEF";

/** Percent-encodes everything but RFC 3986 unreserved characters (UTF-8). */
export function urlEncode(s: string): string {
  const b = Uint8Array.wrap(String.UTF8.encode(s));
  let out = "";
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    const unreserved = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
      c == 0x2d || c == 0x2e || c == 0x5f || c == 0x7e;
    if (unreserved) out += String.fromCharCode(c);
    else out += "%" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
  }
  return out;
}

function hexVal(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Decodes %XX escapes and '+' (form encoding) into UTF-8 text; bad escapes stay literal. */
export function urlDecode(s: string): string {
  if (s.indexOf("%") < 0 && s.indexOf("+") < 0) return s;
  const src = Uint8Array.wrap(String.UTF8.encode(s));
  const out = new Uint8Array(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = <i32>src[i];
    if (c == 0x25 && i + 2 < src.length) {
      const h = hexVal(<i32>src[i + 1]);
      const l = hexVal(<i32>src[i + 2]);
      if (h >= 0 && l >= 0) {
        out[n++] = <u8>((h << 4) | l);
        i += 2;
        continue;
      }
    }
    out[n++] = c == 0x2b ? 0x20 : <u8>c;
  }
  return String.UTF8.decodeUnsafe(out.dataStart, <usize>n);
}
