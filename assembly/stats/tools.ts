// The known-tool registry behind the `mcp_tool` label (pure parts). A tool gets a label of its
// own only when the configuration names it (allowTools, tools[]) or a backend listed it in a
// tools/list result; a client that calls invented names cannot create series. Learned names
// live in Envoy shared data (every worker labels alike), at most MAX_LEARNED_TOOLS per server:
// shared data has no delete, so the key space is bounded by construction.
import { validateJSON } from "json-as/assembly/util/validateJson";
import { readReplyRaw } from "../jsonrpc/message";
import { Kind, elements, idsEqual, kindAt, kindOf, member, skipWs, stringAt, textOf } from "../jsonrpc/scan";
import { SseParser } from "../sse/parser";
import { MAX_TOOL_NAME } from "./names";

/** Tool names a server may learn from backends (beyond those configured). */
// @ts-ignore: decorator
@inline export const MAX_LEARNED_TOOLS: i32 = 1000;

/** Shared-data key prefix of the registry. */
export const TOOL_KEY_PREFIX = "mcp-proxy/stats/tool/";

/** Shared-data key marking `name` as known for `server`. */
export function toolKey(server: string, name: string): string {
  return TOOL_KEY_PREFIX + server.length.toString() + "/" + server + "/" + name;
}

/** Shared-data key of the number of names `server` learned. */
export function toolCountKey(server: string): string {
  return TOOL_KEY_PREFIX + "count/" + server;
}

/**
 * The learned-name count after one more reservation, from the count key's value (null: absent);
 * -1 when the bound is reached (a malformed value counts as full: fail closed on cardinality).
 */
export function reserveNext(value: string | null): i32 {
  if (value === null || value.length == 0) return 1;
  if (value.length > 9) return -1;
  let n: i32 = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n >= MAX_LEARNED_TOOLS ? -1 : n + 1;
}

/** True when `name` may be registered: 1..MAX_TOOL_NAME characters. */
export function registrable(name: string): bool {
  return name.length > 0 && name.length <= MAX_TOOL_NAME;
}

/** The `name` of every entry of a tools/list result's `tools` array (entries without one are skipped). */
export function toolNamesOf(resultRaw: string): string[] {
  const out = new Array<string>();
  if (kindAt(resultRaw, 0) != Kind.Object) return out;
  const tools = member(resultRaw, skipWs(resultRaw, 0), "tools");
  if (kindOf(resultRaw, tools) != Kind.Array) return out;
  const items = elements(resultRaw, tools.start);
  for (let i = 0; i < items.length; i++) {
    if (kindOf(resultRaw, items[i]) != Kind.Object) continue;
    const name = stringAt(resultRaw, member(resultRaw, items[i].start, "name"));
    if (name !== null) out.push(name);
  }
  return out;
}

/** Names listed by a JSON reply (`{"jsonrpc":…,"result":{"tools":[…]}}`) built or read by the gateway. */
export function namesOfReply(body: string): string[] {
  if (kindAt(body, 0) != Kind.Object) return new Array<string>();
  return toolNamesOf(textOf(body, member(body, skipWs(body, 0), "result")));
}

/**
 * Names listed by a backend's answer to tools/list requests `ids` (pass-through): a JSON body
 * (a message or a batch) or, with `sse`, the `message` events of an SSE body. Anything else
 * (other ids, errors, unreadable text) lists nothing.
 */
export function listedToolNames(body: Uint8Array, ids: string[], sse: bool): string[] {
  const out = new Array<string>();
  if (!sse) {
    namesOfMessages(String.UTF8.decodeUnsafe(body.dataStart, <usize>body.length), ids, out);
    return out;
  }
  const p = new SseParser(body.length + 1);
  const events = p.feed(body);
  const rest = p.finish(true);
  for (let i = 0; i < events.length; i++) if (events[i].event == "message") namesOfMessages(events[i].data, ids, out);
  for (let i = 0; i < rest.length; i++) if (rest[i].event == "message") namesOfMessages(rest[i].data, ids, out);
  return out;
}

function namesOfMessages(text: string, ids: string[], out: string[]): void {
  if (!validateJSON(text)) return;
  if (kindAt(text, 0) == Kind.Array) {
    const items = elements(text, skipWs(text, 0));
    for (let i = 0; i < items.length; i++) namesOfMessage(textOf(text, items[i]), ids, out);
    return;
  }
  namesOfMessage(text, ids, out);
}

function namesOfMessage(text: string, ids: string[], out: string[]): void {
  if (kindAt(text, 0) != Kind.Object) return;
  const id = member(text, skipWs(text, 0), "id");
  if (!id.found) return;
  const idText = textOf(text, id);
  for (let i = 0; i < ids.length; i++) {
    if (!idsEqual(idText, ids[i])) continue;
    const r = readReplyRaw(text, ids[i]);
    if (!r.found || r.isError) return;
    const names = toolNamesOf(r.resultRaw);
    for (let j = 0; j < names.length; j++) out.push(names[j]);
    return;
  }
}
