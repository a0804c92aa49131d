// Tool policy applied to a backend's `tools/list` answer in flight (pass-through mode):
// only the response carrying the client's tools/list id is rewritten; every other byte —
// other SSE events, notifications, other responses — passes unchanged.
import { readReplyRaw, resultResponse } from "../jsonrpc/message";
import { ToolPolicy, filterToolsResult } from "../mcp/tools";
import { SseParser } from "../sse/parser";

/** A rewritten JSON body, or null to leave the body as it is. */
export function rewriteJsonBody(body: string, idRaw: string, policy: ToolPolicy): string | null {
  const r = readReplyRaw(body, idRaw);
  if (!r.found || r.isError) return null;
  return resultResponse(idRaw, filterToolsResult(r.resultRaw, policy));
}

/** A rewritten SSE event (raw bytes of one event), or null to forward it unchanged. */
export function rewriteSseEvent(raw: Uint8Array, idRaw: string, policy: ToolPolicy): string | null {
  const p = new SseParser(raw.length + 1);
  const events = p.feed(raw);
  if (events.length != 1) return null;
  const e = events[0];
  if (e.event != "message") return null;
  const body = rewriteJsonBody(e.data, idRaw, policy);
  if (body === null) return null;
  let out = "event: message\n";
  if (e.id.length > 0) out += "id: " + e.id + "\n";
  // JSON whitespace may hold line breaks (never inside strings): one data line each.
  const lines = body.replaceAll("\r\n", "\n").replaceAll("\r", "\n").replaceAll("\n", "\ndata: ");
  return out + "data: " + lines + "\n\n";
}
