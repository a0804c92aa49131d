// Every local reply the filter sends goes through here, so status, content-type and
// logging are uniform — and every one is observed (filter/observe.ts: outcome, properties). A
// local reply ends the stream: it is the "resume" half of every pause.
import { Header, Level, log, sendLocalResponse } from "../host/host";
import * as codes from "../jsonrpc/codes";
import { errorResponse } from "../jsonrpc/message";
import { noteReply } from "./observe";

/**
 * Sends a JSON body with `status` (JSON-RPC replies, errors with JSON-RPC bodies), plus
 * `extra` headers and the CORS headers of an allowed browser origin (`cors`).
 */
export function replyJson(status: u32, body: string, details: string, extra: Header[] | null = null, cors: Header[] | null = null): void {
  const headers = new Array<Header>();
  headers.push(new Header("content-type", "application/json"));
  if (extra !== null) for (let i = 0; i < extra.length; i++) headers.push(extra[i]);
  if (cors !== null) for (let i = 0; i < cors.length; i++) headers.push(cors[i]);
  noteReply(status, body);
  if (!sendLocalResponse(status, details, String.UTF8.encode(body), headers)) {
    log(Level.Warn, "mcp-proxy: local reply " + status.toString() + " refused by host (" + details + ")");
  }
}

/** 401 for a missing required credential: the scheme's challenge and a JSON-RPC error. */
export function replyUnauthorized(idRaw: string, challenge: string, cors: Header[]): void {
  replyJson(401, errorResponse(idRaw, codes.UNAUTHORIZED, codes.MSG_UNAUTHORIZED), "mcp_unauthorized",
    [new Header("www-authenticate", challenge)], cors);
}

/** 404 for an unknown or expired gateway session id (the backend is not contacted). */
export function replySessionNotFound(cors: Header[]): void {
  replyJson(404, errorResponse("null", codes.UNAUTHORIZED, codes.MSG_SESSION_NOT_FOUND), "mcp_session_not_found", null, cors);
}

/** Sends an empty reply (202 Accepted for notifications). */
export function replyEmpty(status: u32, details: string, headers: Header[] | null = null): void {
  noteReply(status, "");
  if (!sendLocalResponse(status, details, new ArrayBuffer(0), headers !== null ? headers : new Array<Header>())) {
    log(Level.Warn, "mcp-proxy: local reply " + status.toString() + " refused by host (" + details + ")");
  }
}
