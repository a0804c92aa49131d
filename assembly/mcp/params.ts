// The params of the backend call the gateway makes for a client's `tools/list` or
// `tools/call` (terminating mode). They are rebuilt from the parsed client params, keeping
// only the fields the gateway understands: re-encoding `name` means the tool the policy
// checked is exactly the tool the backend calls (no duplicate-key or escape tricks get
// through). Modern backends also get the multi round-trip fields of a retried call
// (basic/patterns/mrtr: `inputResponses`, `requestState`) and a `_meta` the gateway builds.
import * as codes from "../jsonrpc/codes";
import { Kind, Span, elements, kindAt, kindOf, member, members, quote, skipWs, stringAt, textOf } from "../jsonrpc/scan";
import { Header } from "../http/header";
import { CLIENT_NAME, GATEWAY_VERSION } from "./backend";
import { META_CLIENT_CAPABILITIES, META_CLIENT_INFO, META_PROTOCOL_VERSION, PARAM_HEADER_PREFIX, encodeMirrored } from "./modern";
import { MODERN_VERSION } from "./version";

/** Params for a backend call built from a client's, or an error to answer with. */
export class CallParams {
  /** The legacy form: `{"name":…,"arguments":…}` / `{"cursor":…}`, or "" for none. */
  raw: string = "";
  toolName: string = "";
  /** The raw `arguments` object of a tools/call ("" for none). */
  argsRaw: string = "";
  /** Members only modern backends get (`,"inputResponses":…,"requestState":…`), or "". */
  modernExtra: string = "";
  errorCode: i32 = 0;
  errorMessage: string = "";

  /** The modern form: the legacy members, the MRTR members and `_meta`. */
  modern(metaRaw: string): string {
    const inner = this.raw.length > 2 ? this.raw.substring(1, this.raw.length - 1) + "," : "";
    const extra = this.modernExtra.length > 0 ? this.modernExtra.substring(1) + "," : "";
    return "{" + inner + extra + '"_meta":' + metaRaw + "}";
  }
}

function paramsError(message: string): CallParams {
  const p = new CallParams();
  p.errorCode = codes.INVALID_PARAMS;
  p.errorMessage = message;
  return p;
}

/**
 * The same tools/call params for another tool name: a federated server calls a backend's
 * tool by its own name, without the prefix the client saw.
 */
export function withToolName(p: CallParams, name: string): CallParams {
  const q = new CallParams();
  q.toolName = name;
  q.argsRaw = p.argsRaw;
  q.modernExtra = p.modernExtra;
  q.raw = '{"name":' + quote(name) + (p.argsRaw.length > 0 ? ',"arguments":' + p.argsRaw : "") + "}";
  return q;
}

/** Rebuilds the params of `tools/list` / `tools/call` from the client's raw params. */
export function buildCallParams(method: string, paramsRaw: string): CallParams {
  const p = new CallParams();
  const root = skipWs(paramsRaw, 0);
  if (method == "tools/list") {
    if (paramsRaw.length == 0) return p;
    const cursor = member(paramsRaw, root, "cursor");
    if (!cursor.found) return p;
    const c = stringAt(paramsRaw, cursor);
    if (c === null) return paramsError(codes.MSG_BAD_CURSOR);
    p.raw = '{"cursor":' + quote(c) + "}";
    return p;
  }
  // tools/call
  const name = paramsRaw.length > 0 ? stringAt(paramsRaw, member(paramsRaw, root, "name")) : null;
  if (name === null) return paramsError(codes.MSG_NO_TOOL_NAME);
  p.toolName = name;
  let raw = '{"name":' + quote(name);
  const args = member(paramsRaw, root, "arguments");
  if (args.found) {
    const k = kindOf(paramsRaw, args);
    if (k != Kind.Object && k != Kind.Null) return paramsError(codes.MSG_BAD_ARGUMENTS);
    if (k == Kind.Object) {
      p.argsRaw = textOf(paramsRaw, args);
      raw += ',"arguments":' + p.argsRaw;
    }
  }
  p.raw = raw + "}";
  // A retried multi round-trip call: inputResponses is an object, requestState a string
  // the client echoes byte for byte (it is opaque to everyone but the backend).
  const responses = member(paramsRaw, root, "inputResponses");
  if (responses.found) {
    if (kindOf(paramsRaw, responses) != Kind.Object) return paramsError(codes.MSG_BAD_INPUT_RESPONSES);
    p.modernExtra += ',"inputResponses":' + textOf(paramsRaw, responses);
  }
  const state = member(paramsRaw, root, "requestState");
  if (state.found) {
    if (kindOf(paramsRaw, state) != Kind.String) return paramsError(codes.MSG_BAD_REQUEST_STATE);
    p.modernExtra += ',"requestState":' + textOf(paramsRaw, state);
  }
  return p;
}

/**
 * The `_meta` the gateway sends a modern backend: the modern version, the gateway's own
 * clientInfo (it is the backend's client), the client's capabilities (`{}` when it declared
 * none, e.g. a legacy client, so a backend never asks it for input it cannot give), and
 * every other member of the client's `_meta` (trace context, progressToken, extensions).
 */
export function backendMeta(clientMetaRaw: string): string {
  let out = "{" + quote(META_PROTOCOL_VERSION) + ":" + quote(MODERN_VERSION) + "," + quote(META_CLIENT_INFO) +
    ':{"name":' + quote(CLIENT_NAME) + ',"version":' + quote(GATEWAY_VERSION) + "}";
  let caps = "{}";
  if (kindAt(clientMetaRaw, 0) == Kind.Object) {
    const ms = members(clientMetaRaw, 0);
    for (let i = 0; i < ms.length; i++) {
      const m = ms[i];
      if (m.key == META_PROTOCOL_VERSION || m.key == META_CLIENT_INFO) continue;
      if (m.key == META_CLIENT_CAPABILITIES) {
        if (kindOf(clientMetaRaw, m.value) == Kind.Object) caps = textOf(clientMetaRaw, m.value);
        continue;
      }
      out += "," + quote(m.key) + ":" + textOf(clientMetaRaw, m.value);
    }
  }
  return out + "," + quote(META_CLIENT_CAPABILITIES) + ":" + caps + "}";
}

/**
 * The `Mcp-Param-*` headers a tool asks for (spec 2026-07-28, streamable-http "Custom
 * headers"): each property of its inputSchema with `x-mcp-header: <Name>` is mirrored from the
 * call's arguments as `Mcp-Param-<Name>` — strings as they are (base64 form when unsafe),
 * integers in decimal, booleans as true/false; absent or null arguments send no header. A
 * 2025-era client knows nothing of this, so the gateway, which is the backend's client,
 * does it for it. `toolRaw` is the tool's entry of a tools/list result.
 */
export function paramHeaders(toolRaw: string, argsRaw: string): Header[] {
  const out = new Array<Header>();
  const schema = member(toolRaw, skipWs(toolRaw, 0), "inputSchema");
  if (kindOf(toolRaw, schema) != Kind.Object) return out;
  const props = member(toolRaw, schema.start, "properties");
  if (kindOf(toolRaw, props) != Kind.Object) return out;
  const ps = members(toolRaw, props.start);
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i];
    if (kindOf(toolRaw, p.value) != Kind.Object) continue;
    const h = stringAt(toolRaw, member(toolRaw, p.value.start, "x-mcp-header"));
    if (h === null || h.length == 0) continue;
    const arg = argsRaw.length > 0 ? member(argsRaw, skipWs(argsRaw, 0), p.key) : new Span();
    const k = kindOf(argsRaw, arg);
    let value: string | null = null;
    if (k == Kind.String) value = encodeMirrored(stringAt(argsRaw, arg)!);
    else if (k == Kind.Number || k == Kind.True || k == Kind.False) value = textOf(argsRaw, arg);
    if (value !== null) out.push(new Header(PARAM_HEADER_PREFIX + h.toLowerCase(), value));
  }
  return out;
}

/** The entry of tool `name` in a raw tools/list result, or "". */
export function findTool(resultRaw: string, name: string): string {
  if (kindAt(resultRaw, 0) != Kind.Object) return "";
  const tools = member(resultRaw, skipWs(resultRaw, 0), "tools");
  if (kindOf(resultRaw, tools) != Kind.Array) return "";
  const items = elements(resultRaw, tools.start);
  for (let i = 0; i < items.length; i++) {
    if (kindOf(resultRaw, items[i]) != Kind.Object) continue;
    const n = stringAt(resultRaw, member(resultRaw, items[i].start, "name"));
    if (n !== null && n == name) return textOf(resultRaw, items[i]);
  }
  return "";
}

/** The `nextCursor` of a raw list result, or null. */
export function nextCursorOf(resultRaw: string): string | null {
  if (kindAt(resultRaw, 0) != Kind.Object) return null;
  return stringAt(resultRaw, member(resultRaw, skipWs(resultRaw, 0), "nextCursor"));
}
