// What the pass-through mode needs to know about a client POST before forwarding it: is it
// an initialize (its answer carries the session id to swap), a tools/list (its answer is
// filtered), a tools/call (checked against the tool policy). Anything the gateway cannot
// read is forwarded as it is: the backend answers malformed input itself.
import { validateJSON } from "json-as/assembly/util/validateJson";
import { Kind, elements, kindAt, kindOf, member, skipWs, stringAt, textOf } from "../jsonrpc/scan";
import { ToolPolicy } from "../mcp/tools";

/** One client POST body, as far as the gateway cares. */
export class Inspection {
  /** True when some message is an initialize request. */
  initialize: bool = false;
  /** Raw ids of the tools/list requests (a batch may hold several). */
  toolsListIds: string[] = [];
  /** Raw id and name of the first tools/call the policy refuses ("" when none). */
  deniedId: string = "null";
  deniedTool: string = "";
  /** The tool of the (first) tools/call, for credentials and access logs. */
  toolName: string = "";
}

/** Inspects a POST body (a message or a batch) under `policy`. */
export function inspectBody(body: string, policy: ToolPolicy): Inspection {
  const out = new Inspection();
  if (!validateJSON(body)) return out;
  const top = kindAt(body, 0);
  const start = skipWs(body, 0);
  if (top == Kind.Object) {
    inspectMessage(body, start, policy, out);
  } else if (top == Kind.Array) {
    const items = elements(body, start);
    for (let i = 0; i < items.length; i++) {
      if (kindOf(body, items[i]) == Kind.Object) inspectMessage(body, items[i].start, policy, out);
    }
  }
  return out;
}

function inspectMessage(s: string, at: i32, policy: ToolPolicy, out: Inspection): void {
  const method = stringAt(s, member(s, at, "method"));
  if (method === null) return;
  const id = member(s, at, "id");
  if (method == "initialize") {
    out.initialize = true;
  } else if (method == "tools/list" && id.found) {
    out.toolsListIds.push(textOf(s, id));
  } else if (method == "tools/call") {
    const params = member(s, at, "params");
    const name = kindOf(s, params) == Kind.Object ? stringAt(s, member(s, params.start, "name")) : null;
    if (name === null) return; // the backend answers a malformed call itself
    if (out.toolName.length == 0) out.toolName = name;
    if (!policy.allows(name) && out.deniedTool.length == 0) {
      out.deniedTool = name;
      out.deniedId = id.found ? textOf(s, id) : "null";
    }
  }
}
