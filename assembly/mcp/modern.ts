// MCP 2026-07-28 ("modern") requests as the gateway checks them. A modern request carries
// its version, client identity and capabilities in `params._meta` (basic/index, "Per-request
// protocol fields") and mirrors selected body fields into headers that intermediaries may
// route on (basic/transports/streamable-http, "Request Metadata"). The body is the source of
// truth: a server that processes the body MUST reject a missing or mismatched mirror with
// HTTP 400 and -32020 (HeaderMismatch), so a policy read from the body can never be talked
// around by a header, nor a header-routed policy by the body.
import * as codes from "../jsonrpc/codes";
import { Kind, kindOf, member, quote, skipWs, stringAt, textOf } from "../jsonrpc/scan";
import { decodeBase64, encodeBase64 } from "../util/base64";
import { isValidUtf8 } from "../util/utf8";
import { MODERN_VERSION, isKnownVersion, isModern, supportedVersionsJson } from "./version";

/** `_meta` key of the request's protocol version (required on modern requests). */
export const META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";
/** `_meta` key of the client's identity (SHOULD on modern requests). */
export const META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo";
/** `_meta` key of the client's capabilities (required on modern requests; `{}` = none). */
export const META_CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
/** `_meta` key of the server's identity in results. */
export const META_SERVER_INFO = "io.modelcontextprotocol/serverInfo";

/** Header mirroring the body's `method`. */
export const METHOD_HEADER = "mcp-method";
/** Header mirroring `params.name` (tools/call, prompts/get) or `params.uri` (resources/read). */
export const NAME_HEADER = "mcp-name";

/** Prefix of the headers that mirror tool arguments marked `x-mcp-header` (lower case). */
export const PARAM_HEADER_PREFIX = "mcp-param-";

/** Marker of a base64-encoded mirror value (`=?base64?…?=`, case-sensitive). */
const B64_PREFIX = "=?base64?";
const B64_SUFFIX = "?=";

/** The parts of `params._meta` the gateway reads. */
export class RequestMeta {
  /** The raw `_meta` object, or "" when absent or not an object. */
  raw: string = "";
  /** `protocolVersion`, or null when absent. */
  version: string | null = null;
  /** `protocolVersion` is present but not a string. */
  versionMalformed: bool = false;
  /** The raw `clientCapabilities` object, or "" when absent or not an object. */
  capabilitiesRaw: string = "";
}

/** Reads `_meta` from a request's raw params ("" = no params). */
export function readMeta(paramsRaw: string): RequestMeta {
  const m = new RequestMeta();
  if (paramsRaw.length == 0) return m;
  const meta = member(paramsRaw, skipWs(paramsRaw, 0), "_meta");
  if (kindOf(paramsRaw, meta) != Kind.Object) return m;
  m.raw = textOf(paramsRaw, meta);
  const v = member(m.raw, 0, META_PROTOCOL_VERSION);
  if (v.found) {
    const s = stringAt(m.raw, v);
    if (s === null) m.versionMalformed = true;
    m.version = s;
  }
  const caps = member(m.raw, 0, META_CLIENT_CAPABILITIES);
  if (kindOf(m.raw, caps) == Kind.Object) m.capabilitiesRaw = textOf(m.raw, caps);
  return m;
}

/** The body field `Mcp-Name` mirrors for `method` ("" when the method has none). */
export function nameFieldOf(method: string): string {
  if (method == "tools/call" || method == "prompts/get") return "name";
  if (method == "resources/read") return "uri";
  return "";
}

/**
 * Decodes a mirrored header value: `=?base64?<standard base64 of UTF-8>?=`, or a plain value
 * of visible ASCII, space and tab (RFC 9110 field-value). Null when neither: invalid
 * characters, bad base64, or bytes that are not valid UTF-8.
 */
export function decodeMirrored(value: string): string | null {
  const n = value.length;
  if (n >= B64_PREFIX.length + B64_SUFFIX.length && value.startsWith(B64_PREFIX) && value.endsWith(B64_SUFFIX)) {
    const bytes = decodeBase64(value.substring(B64_PREFIX.length, n - B64_SUFFIX.length), false);
    if (bytes === null || !isValidUtf8(bytes)) return null;
    return String.UTF8.decodeUnsafe(bytes.dataStart, <usize>bytes.length);
  }
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 0x20 && c <= 0x7e) || c == 0x09)) return null;
  }
  return value;
}

/** Encodes a value for a mirrored header: plain when safe, else the base64 form. */
export function encodeMirrored(value: string): string {
  const n = value.length;
  let plain = n > 0 && value.charCodeAt(0) != 0x20 && value.charCodeAt(n - 1) != 0x20;
  for (let i = 0; plain && i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) plain = false;
  }
  // A plain value that looks like the marker is encoded too, so it is not read as one.
  if (plain && !(value.startsWith(B64_PREFIX) && value.endsWith(B64_SUFFIX))) return value;
  return B64_PREFIX + encodeBase64(Uint8Array.wrap(String.UTF8.encode(value)), false) + B64_SUFFIX;
}

/** The request headers a modern check reads; each list holds every copy of the header. */
export class Mirrors {
  constructor(public version: string[], public method: string[], public name: string[]) {}
}

/** The outcome of checking a request's era, `_meta` and header mirrors. */
export class EraCheck {
  /** True for a modern (2026-07-28) request. */
  modern: bool = false;
  /** The request's `_meta`. */
  meta: RequestMeta = new RequestMeta();
  /** 0 when the request may proceed; else the HTTP status to answer with. */
  status: i32 = 0;
  /** The JSON-RPC error to answer with (when status != 0). */
  code: i32 = 0;
  message: string = "";
  /** Raw JSON `error.data`, or "". */
  dataRaw: string = "";

  /** True when the request was refused. */
  get refused(): bool {
    return this.status != 0;
  }
}

function refuse(c: EraCheck, status: i32, code: i32, message: string, dataRaw: string = ""): EraCheck {
  c.status = status;
  c.code = code;
  c.message = message;
  c.dataRaw = dataRaw;
  return c;
}

/**
 * -32022 with `data: {supported, requested}` (spec: UnsupportedProtocolVersionError).
 * `perRequest`: the version came from `_meta`, where only a modern version can be named, so
 * the list is the modern one; from the header, every version the gateway speaks.
 */
export function unsupportedVersion(c: EraCheck, requested: string, perRequest: bool = false): EraCheck {
  const supported = perRequest ? '["' + MODERN_VERSION + '"]' : supportedVersionsJson();
  return refuse(c, 400, codes.UNSUPPORTED_PROTOCOL_VERSION, codes.MSG_UNSUPPORTED_VERSION + requested,
    '{"supported":' + supported + ',"requested":' + quote(requested) + "}");
}

/** The one value of a header, "" when absent, null when it repeats (ambiguous). */
function single(copies: string[]): string | null {
  if (copies.length == 0) return "";
  if (copies.length > 1) return null;
  return copies[0];
}

/**
 * Classifies a parsed message and checks what the spec requires of a modern one.
 * `strict` (terminating mode, where the gateway is the server): versions it does not speak
 * get -32022 in both eras, and the required `clientCapabilities` is enforced. Pass-through
 * mode leaves version support to the backend but checks the mirrors itself.
 * Mirrors that are present must match the body in either era (an Envoy route or another
 * filter may act on them); modern requests must carry them. Notifications need none (the
 * revision defines no header rules for them), but a present Mcp-Method must still match.
 */
export function checkEra(method: string, paramsRaw: string, isRequest: bool, h: Mirrors, strict: bool): EraCheck {
  const c = new EraCheck();
  const meta = readMeta(paramsRaw);
  c.meta = meta;
  const hv = single(h.version);
  if (hv === null) return refuse(c, 400, codes.HEADER_MISMATCH, "Header mismatch: MCP-Protocol-Version is repeated");
  // MCP 2025-06-18+: an unsupported MCP-Protocol-Version MUST get 400 (both eras).
  if (strict && hv.length > 0 && !isKnownVersion(hv)) return unsupportedVersion(c, hv);
  if (meta.versionMalformed) return refuse(c, 400, codes.INVALID_PARAMS, "Invalid params: _meta." + META_PROTOCOL_VERSION + " must be a string");
  const mv = meta.version;
  // `initialize` selects legacy semantics whatever else it carries (basic/versioning).
  c.modern = method != "initialize" && (mv !== null || isModern(hv));
  if (c.modern) {
    if (mv === null) return refuse(c, 400, codes.INVALID_PARAMS, "Invalid params: _meta." + META_PROTOCOL_VERSION + " is required");
    if (strict && !isModern(mv)) return unsupportedVersion(c, mv, true);
    if (hv.length == 0) return refuse(c, 400, codes.HEADER_MISMATCH, "Header mismatch: MCP-Protocol-Version header is required");
    if (hv != mv) return refuse(c, 400, codes.HEADER_MISMATCH, "Header mismatch: MCP-Protocol-Version " + quote(hv) + " does not match _meta " + quote(mv));
    if (strict && isRequest && meta.capabilitiesRaw.length == 0) {
      return refuse(c, 400, codes.INVALID_PARAMS, "Invalid params: _meta." + META_CLIENT_CAPABILITIES + " (an object) is required");
    }
  }
  const required = c.modern && isRequest;
  const mm = single(h.method);
  if (mm === null) return refuse(c, 400, codes.HEADER_MISMATCH, "Header mismatch: Mcp-Method is repeated");
  if (mm.length == 0 && required) return refuse(c, 400, codes.HEADER_MISMATCH, "Header mismatch: Mcp-Method header is required");
  if (mm.length > 0 && mm != method) {
    return refuse(c, 400, codes.HEADER_MISMATCH, "Header mismatch: Mcp-Method " + quote(mm) + " does not match body method " + quote(method));
  }
  const field = nameFieldOf(method);
  if (field.length == 0) return c;
  const nm = single(h.name);
  if (nm === null) return refuse(c, 400, codes.HEADER_MISMATCH, "Header mismatch: Mcp-Name is repeated");
  if (nm.length == 0) {
    return required ? refuse(c, 400, codes.HEADER_MISMATCH, "Header mismatch: Mcp-Name header is required") : c;
  }
  const decoded = decodeMirrored(nm);
  if (decoded === null) return refuse(c, 400, codes.HEADER_MISMATCH, "Header mismatch: Mcp-Name holds invalid characters or bad base64");
  const body = paramsRaw.length > 0 ? stringAt(paramsRaw, member(paramsRaw, skipWs(paramsRaw, 0), field)) : null;
  // A body without the field is a params error that the method's own handling reports.
  if (body !== null && body != decoded) {
    return refuse(c, 400, codes.HEADER_MISMATCH, "Header mismatch: Mcp-Name " + quote(decoded) + " does not match params." + field + " " + quote(body));
  }
  return c;
}
