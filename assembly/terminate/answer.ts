// The client's answer once the backend exchange is over (terminating mode): the backend's
// result under the client's own id, shaped for the client's era.
import { Header } from "../http/header";
import * as codes from "../jsonrpc/codes";
import { Reply, errorResponse, resultResponse } from "../jsonrpc/message";
import { RESULT_INPUT_REQUIRED, modernResult, resultTypeOf } from "../mcp/results";
import { ToolPolicy, filterToolsResult } from "../mcp/tools";

/** The client's reply: HTTP 200 with JSON-RPC inside, but for the errors 2026-07-28 ties to
 * HTTP 400 (a modern client must see them as such). */
export class Final {
  constructor(public body: string, public logLine: string, public status: u32 = 200) {}
}

/** What the client asked for, and how its answer must look. */
export class ClientSide {
  /** The client speaks 2026-07-28: results carry resultType (and list caching hints). */
  modern: bool = false;
  /** The client's raw `params._meta` ("" for none). */
  metaRaw: string = "";
  /** The policy depends on the request (x-envoy-allow-mcp-tools): lists become private. */
  perRequestPolicy: bool = false;
  /** The client's `Mcp-Param-*` headers, passed on to modern backends (spec: intermediaries forward them). */
  paramHeaders: Header[] = [];
}

/**
 * The answer to the backend's JSON-RPC reply to the call: tools/list filtered by the policy;
 * for a modern client resultType and caching hints; a legacy client cannot answer a multi
 * round-trip request, so `input_required` becomes -32603 for it.
 */
export function answerFor(method: string, policy: ToolPolicy, client: ClientSide, idRaw: string, r: Reply): Final {
  if (r.isError) {
    // The backend's own JSON-RPC error reaches the client as it was; -32021 (the client lacks
    // a capability the call needs) is the client's to fix, and on HTTP it MUST be 400.
    const status: u32 = client.modern && r.code == codes.MISSING_CLIENT_CAPABILITY ? 400 : 200;
    return new Final(errorResponse(idRaw, r.code, r.message, r.dataRaw), "", status);
  }
  let result = r.resultRaw;
  const list = method == "tools/list";
  if (list) result = filterToolsResult(result, policy);
  if (client.modern) {
    result = modernResult(result, list, client.perRequestPolicy);
  } else if (resultTypeOf(result) == RESULT_INPUT_REQUIRED) {
    const msg = "backend requires client input (resultType input_required), which a 2025-era client cannot provide";
    return new Final(errorResponse(idRaw, codes.INTERNAL_ERROR, msg), msg);
  }
  return new Final(resultResponse(idRaw, result), "");
}
