// Tool policy applied to a backend's `tools/list` answer in flight (pass-through mode):
// only the responses carrying the client's tools/list ids are rewritten; every other byte —
// other SSE events, notifications, other responses — passes unchanged. A JSON-RPC batch
// answer (an array) is rewritten element by element. On the GET stream the gateway does not
// know which request an answer belongs to (a resumed stream replays earlier answers), so
// there every response whose result carries a `tools` array is filtered (`anyList`).
import { validateJSON } from "json-as/assembly/util/validateJson";
import { readReplyRaw, resultResponse } from "../jsonrpc/message";
import { Kind, elements, idsEqual, kindAt, kindOf, member, skipWs, textOf } from "../jsonrpc/scan";
import { privateScope } from "../mcp/results";
import { ToolPolicy, filterToolsResult } from "../mcp/tools";
import { SseParser } from "../sse/parser";

/** A list result filtered by `policy`; private when the policy was narrowed for this request. */
function listFor(resultRaw: string, policy: ToolPolicy): string {
  const filtered = filterToolsResult(resultRaw, policy);
  return policy.perRequest ? privateScope(filtered) : filtered;
}

/** One message rewritten if it answers one of `ids` (any list with `anyList`), else null. */
function rewriteMessage(text: string, ids: string[], policy: ToolPolicy, anyList: bool): string | null {
  if (kindAt(text, 0) != Kind.Object) return null;
  const id = member(text, skipWs(text, 0), "id");
  if (!id.found) return null;
  const idText = textOf(text, id);
  if (anyList) {
    const r = readReplyRaw(text, idText);
    if (!r.found || r.isError || kindAt(r.resultRaw, 0) != Kind.Object) return null;
    if (kindOf(r.resultRaw, member(r.resultRaw, skipWs(r.resultRaw, 0), "tools")) != Kind.Array) return null;
    return resultResponse(idText, listFor(r.resultRaw, policy));
  }
  for (let i = 0; i < ids.length; i++) {
    if (!idsEqual(idText, ids[i])) continue;
    const r = readReplyRaw(text, ids[i]);
    if (!r.found || r.isError) return null;
    return resultResponse(idText, listFor(r.resultRaw, policy));
  }
  return null;
}

/** A rewritten JSON body (a message or a batch), or null to leave the body as it is. */
export function rewriteJsonBody(body: string, ids: string[], policy: ToolPolicy, anyList: bool = false): string | null {
  if ((ids.length == 0 && !anyList) || !validateJSON(body)) return null;
  if (kindAt(body, 0) != Kind.Array) return rewriteMessage(body, ids, policy, anyList);
  const items = elements(body, skipWs(body, 0));
  let changed = false;
  const parts = new Array<string>();
  for (let i = 0; i < items.length; i++) {
    const item = textOf(body, items[i]);
    const r = rewriteMessage(item, ids, policy, anyList);
    if (r !== null) changed = true;
    parts.push(r !== null ? r : item);
  }
  return changed ? "[" + parts.join(",") + "]" : null;
}

/** A rewritten SSE event (raw bytes of one event), or null to forward it unchanged. */
export function rewriteSseEvent(raw: Uint8Array, ids: string[], policy: ToolPolicy, anyList: bool = false): string | null {
  const p = new SseParser(raw.length + 1);
  const events = p.feed(raw);
  if (events.length != 1) return null;
  const e = events[0];
  if (e.event != "message") return null;
  const body = rewriteJsonBody(e.data, ids, policy, anyList);
  if (body === null) return null;
  let out = "event: message\n";
  if (e.id.length > 0) out += "id: " + e.id + "\n";
  // JSON whitespace may hold line breaks (never inside strings): one data line each.
  const lines = body.replaceAll("\r\n", "\n").replaceAll("\r", "\n").replaceAll("\n", "\ndata: ");
  return out + "data: " + lines + "\n\n";
}
