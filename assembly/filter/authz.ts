// `server.authorization` on the request path (both modes): the gateway as an OAuth 2.1
// resource server behind Envoy's jwt_authn. Before a request reaches its mode:
//   - GET of the Protected Resource Metadata (RFC 9728) is answered locally;
//   - a request without a verified payload gets 401 with `resource_metadata` and `scope`
//     (`invalid_token` when it carried an Authorization header: jwt_authn with
//     allow_missing_or_failed lets a token that failed verification through, unverified);
//   - otherwise the caller's claims narrow the tool policy.
// The claims are read from Envoy's dynamic metadata only, which a client cannot write.
import { payloadFromMetadata } from "../authz/claims";
import { forbiddenChallenge, isMetadataPath, metadataDocument, unauthorizedChallenge } from "../authz/metadata";
import { AuthzConfig, Caller } from "../authz/rules";
import { Header, HeaderView, getPropertyBytes } from "../host/host";
import * as codes from "../jsonrpc/codes";
import { errorResponse } from "../jsonrpc/message";
import { ToolPolicy } from "../mcp/tools";
import { replyJson } from "./reply";

/** What the gate decided: answered locally, or the verified caller. */
export class Gate {
  constructor(public answered: bool, public caller: Caller | null) {}
}

/** The verified caller of this request, or null (no token, or one jwt_authn did not verify). */
export function verifiedCaller(az: AuthzConfig): Caller | null {
  const bytes = getPropertyBytes(["metadata"]);
  if (bytes === null) return null;
  const payload = payloadFromMetadata(Uint8Array.wrap(bytes), az.payloadKey);
  return payload !== null ? new Caller(payload) : null;
}

/** Runs the gate on held request headers; `name` is the server's name (PRM `resource_name`). */
export function gateRequest(az: AuthzConfig, name: string, method: string, headers: HeaderView, cors: Header[]): Gate {
  const path = headers.get(":path");
  if (path !== null && isMetadataPath(az, path)) {
    if (method == "GET" || method == "HEAD") {
      replyJson(200, metadataDocument(az, name), "mcp_resource_metadata", [new Header("cache-control", "max-age=3600")], cors);
    } else {
      replyJson(405, errorResponse("null", codes.INVALID_REQUEST, codes.MSG_METADATA_METHOD), "mcp_method_not_allowed", [new Header("allow", "GET")], cors);
    }
    return new Gate(true, null);
  }
  const caller = verifiedCaller(az);
  if (caller !== null) return new Gate(false, caller);
  const presented = headers.get("authorization") !== null;
  replyJson(401, errorResponse("null", codes.UNAUTHORIZED, presented ? codes.MSG_INVALID_TOKEN : codes.MSG_TOKEN_REQUIRED), "mcp_unauthorized",
    [new Header("www-authenticate", unauthorizedChallenge(az, presented))], exposingChallenge(cors));
  return new Gate(true, null);
}

/**
 * 403 for tools/call messages the caller's token does not allow (`tools`: every tool of the
 * request, for the scopes the challenge names; `denied`: the refused ones). `idRaw`: the id of
 * the first refused call.
 */
export function replyForbidden(policy: ToolPolicy, idRaw: string, tools: string[], denied: string[], cors: Header[]): void {
  const authz = policy.caller!;
  const scopes = authz.neededScopes(tools);
  let message = codes.MSG_INSUFFICIENT_SCOPE + denied.join(", ");
  if (scopes.length > 0) message += " (requires scope " + scopes.join(" ") + ")";
  replyJson(403, errorResponse(idRaw, codes.FORBIDDEN, message), "mcp_insufficient_scope",
    [new Header("www-authenticate", forbiddenChallenge(authz.config, scopes))], exposingChallenge(cors));
}

/** The CORS headers of an allowed origin, letting a browser client read the challenge too. */
function exposingChallenge(cors: Header[]): Header[] {
  const out = new Array<Header>();
  for (let i = 0; i < cors.length; i++) {
    const h = cors[i];
    out.push(h.name == "access-control-expose-headers" ? new Header(h.name, h.value + ", WWW-Authenticate") : h);
  }
  return out;
}
