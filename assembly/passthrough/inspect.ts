// What the pass-through mode needs to know about a client POST before forwarding it, read
// strictly. A policy decided on one reading of a body and executed on another is a bypass, so
// when a policy applies the gateway refuses what it cannot read exactly as every backend would:
//   - bytes that are not strictly valid UTF-8 (decoders disagree on what follows a bad byte),
//   - text that is not JSON, or nested deeper than the validator reads,
//   - a JSON-RPC key that parsers resolve differently: one repeated (JS and Python take the
//     last, others the first), or respelled by case (Go's encoding/json matches keys
//     case-insensitively, with Unicode simple folding: U+017F ſ ≈ s, U+212A K ≈ k).
// Without a policy such bodies go to the backend untouched: it answers malformed input itself.
import { validateJSON } from "json-as/assembly/util/validateJson";
import { Kind, decodeString, elements, kindAt, kindOf, member, skipString, skipValue, skipWs, stringAt, textOf } from "../jsonrpc/scan";
import { ToolPolicy } from "../mcp/tools";
import { isValidUtf8 } from "../util/utf8";

/** Keys of a JSON-RPC message whose spelling decides what runs. */
const MESSAGE_KEYS: string[] = ["jsonrpc", "method", "id", "params"];
/** Keys of `params` whose spelling decides which tool runs and with what. */
const PARAMS_KEYS: string[] = ["name", "arguments"];

/** One client POST body, as far as the gateway cares. */
export class Inspection {
  /** The body could not be read exactly: not strict UTF-8, not JSON, or nested too deep. */
  unreadable: bool = false;
  /** A key parsers disagree on ("" when none): repeated, or respelled by case folding. */
  ambiguousKey: string = "";
  /** The body is a JSON array (a batch). */
  batch: bool = false;
  /** True when some message is an initialize request. */
  initialize: bool = false;
  /** Raw ids of the tools/list requests (a batch may hold several). */
  toolsListIds: string[] = [];
  /** Raw id and name of the first tools/call the policy refuses ("" when none). */
  deniedId: string = "null";
  deniedTool: string = "";
  /** Tools/call names the caller's token does not allow (server.authorization: 403), and the first one's raw id. */
  forbiddenTools: string[] = [];
  forbiddenId: string = "null";
  /** The tool of the (first) tools/call, for access logs. */
  toolName: string = "";
  /** The tool of every message ("" for a message that is not a tools/call): credentials. */
  tools: string[] = [];
  /** Whether UTF-8 and key spellings were checked (only when a policy applies). */
  strict: bool = true;
  /** A single message (not a batch): its method, raw params and whether it has an id. */
  method: string = "";
  paramsRaw: string = "";
  isRequest: bool = false;
}

/**
 * Inspects a POST body (a message or a batch) under `policy`. `strict` (a policy applies):
 * check UTF-8 and key spellings too; without a policy nothing depends on them.
 */
export function inspectBody(bytes: Uint8Array, policy: ToolPolicy, strict: bool = true): Inspection {
  const out = new Inspection();
  out.strict = strict;
  if (strict && !isValidUtf8(bytes)) {
    out.unreadable = true;
    return out;
  }
  const body = String.UTF8.decodeUnsafe(bytes.dataStart, <usize>bytes.length);
  if (!validateJSON(body)) {
    out.unreadable = true;
    return out;
  }
  const top = kindAt(body, 0);
  const start = skipWs(body, 0);
  if (top == Kind.Object) {
    inspectMessage(body, start, policy, out, true);
  } else if (top == Kind.Array) {
    out.batch = true;
    const items = elements(body, start);
    for (let i = 0; i < items.length; i++) {
      if (kindOf(body, items[i]) == Kind.Object) inspectMessage(body, items[i].start, policy, out, false);
    }
  }
  if (out.tools.length == 0) out.tools.push("");
  return out;
}

function inspectMessage(s: string, at: i32, policy: ToolPolicy, out: Inspection, single: bool): void {
  if (out.strict && out.ambiguousKey.length == 0) out.ambiguousKey = ambiguousKey(s, at, MESSAGE_KEYS);
  const method = stringAt(s, member(s, at, "method"));
  const id = member(s, at, "id");
  const params = member(s, at, "params");
  const paramsIsObject = kindOf(s, params) == Kind.Object;
  if (out.strict && paramsIsObject && out.ambiguousKey.length == 0) out.ambiguousKey = ambiguousKey(s, params.start, PARAMS_KEYS);
  if (single) {
    out.method = method !== null ? method : "";
    out.paramsRaw = paramsIsObject ? textOf(s, params) : "";
    out.isRequest = id.found;
  }
  if (method === null) return;
  if (method == "initialize") {
    out.initialize = true;
  } else if (method == "tools/list" && id.found) {
    out.toolsListIds.push(textOf(s, id));
  } else if (method == "tools/call") {
    const name = paramsIsObject ? stringAt(s, member(s, params.start, "name")) : null;
    if (name === null) return; // the backend answers a malformed call itself
    out.tools.push(name);
    if (out.toolName.length == 0) out.toolName = name;
    if (!policy.allowsStatically(name)) {
      if (out.deniedTool.length == 0) {
        out.deniedTool = name;
        out.deniedId = id.found ? textOf(s, id) : "null";
      }
    } else if (!policy.authorized(name)) {
      if (out.forbiddenTools.length == 0) out.forbiddenId = id.found ? textOf(s, id) : "null";
      out.forbiddenTools.push(name);
    }
    return;
  }
  out.tools.push("");
}

/** `key` folded as Go's encoding/json compares keys: ASCII case and Unicode simple folds. */
export function foldKey(key: string): string {
  let out = "";
  for (let i = 0; i < key.length; i++) {
    let c = key.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    else if (c == 0x017f) c = 0x73; // ſ LATIN SMALL LETTER LONG S folds with s
    else if (c == 0x212a) c = 0x6b; // K KELVIN SIGN folds with k
    out += String.fromCharCode(c);
  }
  return out;
}

/**
 * The first member of the object at `at` that repeats or respells one of `keys`, or "".
 * Allocation-free for plain ASCII keys (the common case); a key with an escape or a non-ASCII
 * character is decoded and folded.
 */
export function ambiguousKey(s: string, at: i32, keys: string[]): string {
  let seen: u32 = 0;
  let i = skipWs(s, at);
  if (i >= s.length || <u16>s.charCodeAt(i) != 0x7b) return "";
  i = skipWs(s, i + 1);
  if (i < s.length && <u16>s.charCodeAt(i) == 0x7d) return "";
  while (i < s.length) {
    const keyEnd = skipString(s, i);
    if (keyEnd < 0) return "";
    const m = matchKey(s, i + 1, keyEnd - 1, keys);
    if (m >= 0) {
      const bit: u32 = 1 << <u32>(m & 31);
      if ((m & EXACT) == 0 || (seen & bit) != 0) return decodeString(s.substring(i, keyEnd));
      seen |= bit;
    }
    i = skipWs(s, keyEnd);
    if (i >= s.length || <u16>s.charCodeAt(i) != 0x3a) return "";
    const vEnd = skipValue(s, skipWs(s, i + 1));
    if (vEnd < 0) return "";
    i = skipWs(s, vEnd);
    if (i >= s.length || <u16>s.charCodeAt(i) != 0x2c) return "";
    i = skipWs(s, i + 1);
  }
  return "";
}

/** Flag of matchKey's result: the key is spelled exactly. */
// @ts-ignore: decorator
@inline const EXACT: i32 = 0x100;

/**
 * Which of `keys` the key token's inner text [from, to) folds to: its index (| EXACT when
 * spelled exactly), or -1.
 */
function matchKey(s: string, from: i32, to: i32, keys: string[]): i32 {
  for (let j = from; j < to; j++) {
    const c = s.charCodeAt(j);
    if (c == 0x5c || c >= 0x80) {
      const k = decodeString(s.substring(from - 1, to + 1));
      const f = foldKey(k);
      const idx = keys.indexOf(f);
      return idx < 0 ? -1 : idx | (k == f ? EXACT : 0);
    }
  }
  const n = to - from;
  for (let idx = 0; idx < keys.length; idx++) {
    const key = unchecked(keys[idx]);
    if (key.length != n) continue;
    let folded = true;
    let exact = true;
    for (let j = 0; j < n; j++) {
      const c = s.charCodeAt(from + j);
      const k = key.charCodeAt(j);
      if (c == k) continue;
      exact = false;
      if (!(c >= 0x41 && c <= 0x5a && c + 0x20 == k)) {
        folded = false;
        break;
      }
    }
    if (folded) return idx | (exact ? EXACT : 0);
  }
  return -1;
}
