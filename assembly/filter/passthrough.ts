// Pass-through mode (`server.type: "mcp-passthrough"`): the client's requests go to the
// backend through the route, responses stream back as they arrive. The gateway owns the
// session id, the credentials and the tool policy:
//
//   RequestHeaders  GET/DELETE: swap the session id, credentials, path → continue
//                   POST: hold headers (StopIteration) until the body is complete
//   RequestBody     inspect: refused tools/call → local -32602; otherwise swap the session
//                   id, credentials, path → continue (the only resume of the held headers)
//   Response        swap a backend session id for the gateway's (minting one on first
//                   sight), CORS; a tools/list answer is filtered — JSON: headers held and
//                   the body buffered to the end; SSE: event by event, only its event rewritten
//
// An unknown or expired gateway session id is answered locally with 404 and never reaches
// a backend. Every held phase ends in one continue or one local reply.
import { Config } from "../config/config";
import { Buffer, HeaderMap, Level, getBuffer, getHeader, log, nowMs, randomBytes, removeHeader, replaceHeader, setBuffer, setProperty, getShared, setShared } from "../host/host";
import { Header } from "../http/header";
import * as codes from "../jsonrpc/codes";
import { errorResponse } from "../jsonrpc/message";
import { SESSION_HEADER } from "../mcp/headers";
import { ToolPolicy, effectivePolicy } from "../mcp/tools";
import { isEventStream } from "../mcp/backend";
import { Inspection, inspectBody } from "../passthrough/inspect";
import { rewriteJsonBody, rewriteSseEvent } from "../passthrough/rewrite";
import { SESSION_ID_BYTES, base64url, decodeEntry, encodeEntry, isExpired, isGatewayIdShape, needsTouch, sessionKey } from "../passthrough/session";
import { SseFramer } from "../sse/framer";
import { AuthOutcome, authorize } from "./auth";
import { Plugin } from "./plugin";
import { replyJson, replySessionNotFound, replyUnauthorized } from "./reply";
import { CONTINUE, STOP_ITERATION, STOP_AND_BUFFER } from "./status";


/** Where a pass-through request is. */
export enum PassPhase {
  RequestHeaders,
  RequestBody,
  Upstream,
  Done,
}

/** How the response body is handled. */
export enum BodyMode {
  /** Streamed through untouched. */
  Stream,
  /** tools/list answered in JSON: buffered to the end, rewritten. */
  JsonBuffer,
  /** tools/list answered in SSE: split into events, the answer's event rewritten. */
  SseRewrite,
}

/** One request in pass-through mode. */
export class PassStream {
  phase: PassPhase = PassPhase.RequestHeaders;
  bodyMode: BodyMode = BodyMode.Stream;
  /** The gateway session id the client sent ("" = none). */
  gatewayId: string = "";
  policy: ToolPolicy;
  inspection: Inspection = new Inspection();
  framer: SseFramer | null = null;
  bodySize: u32 = 0;
  /** Set once the session id was resolved (so it is resolved exactly once). */
  sessionChecked: bool = false;
  corsHeaders: Header[];

  constructor(public id: u32, public plugin: Plugin, public config: Config, allowHeader: string | null, corsHeaders: Header[]) {
    this.policy = effectivePolicy(config.allowTools, allowHeader);
    this.corsHeaders = corsHeaders;
  }

  onRequestHeaders(method: string, endOfStream: bool): i32 {
    if (method == "POST" && !endOfStream) {
      this.phase = PassPhase.RequestBody;
      return STOP_ITERATION;
    }
    if (method != "POST" && method != "GET" && method != "DELETE") {
      this.reply(405, errorResponse("null", codes.INVALID_REQUEST, "Method Not Allowed: use POST, GET or DELETE"), "mcp_method_not_allowed");
      return STOP_ITERATION;
    }
    if (!this.forward("")) return STOP_ITERATION;
    if (method == "DELETE" && this.gatewayId.length > 0) setShared(sessionKey(this.gatewayId), "", 0);
    return CONTINUE;
  }

  onRequestBody(size: u32, endOfStream: bool): i32 {
    if (this.phase != PassPhase.RequestBody) return CONTINUE;
    this.bodySize = size;
    if (!endOfStream) return STOP_AND_BUFFER;
    return this.finishRequest();
  }

  onRequestTrailers(): i32 {
    if (this.phase != PassPhase.RequestBody) return CONTINUE;
    return this.finishRequest() == CONTINUE ? CONTINUE : STOP_ITERATION;
  }

  private finishRequest(): i32 {
    const body = String.UTF8.decode(getBuffer(Buffer.RequestBody, 0, this.bodySize));
    const ins = inspectBody(body, this.policy);
    this.inspection = ins;
    if (ins.toolName.length > 0) {
      setProperty("mcp_server_name", this.config.serverName);
      setProperty("mcp_tool_name", ins.toolName);
    }
    if (!this.checkSession()) return STOP_AND_BUFFER;
    if (ins.deniedTool.length > 0) {
      // The backend never sees a call of a tool outside the policy.
      this.reply(200, errorResponse(ins.deniedId, codes.INVALID_PARAMS, codes.MSG_TOOL_NOT_ALLOWED + ins.deniedTool), "mcp_tool_not_allowed");
      return STOP_AND_BUFFER;
    }
    return this.forward(ins.toolName) ? CONTINUE : STOP_AND_BUFFER;
  }

  /**
   * Prepares the held request for the backend: session id swap (404 when unknown or
   * expired), credentials (401 when a required one is missing), path and authority from
   * mcpServerURL. False when it answered locally instead.
   */
  private forward(tool: string): bool {
    if (!this.sessionChecked && !this.checkSession()) return false;
    const auth: AuthOutcome = authorize(this.config.security, tool);
    if (auth.denied) {
      this.phase = PassPhase.Done;
      replyUnauthorized("null", auth.challenge, this.corsHeaders);
      return false;
    }
    const u = this.config.url;
    replaceHeader(HeaderMap.Request, ":path", auth.pathWith(u.path));
    replaceHeader(HeaderMap.Request, ":authority", u.authority);
    for (let i = 0; i < auth.headers.length; i++) replaceHeader(HeaderMap.Request, auth.headers[i].name, auth.headers[i].value);
    this.phase = PassPhase.Upstream;
    return true;
  }

  /** Resolves the session id once; answers 404 (false) when it is unknown or expired. */
  private checkSession(): bool {
    this.sessionChecked = true;
    if (this.swapSessionId()) return true;
    this.phase = PassPhase.Done;
    replySessionNotFound(this.corsHeaders);
    return false;
  }

  /** Replaces the gateway session id with the backend's; false when it is unknown/expired. */
  private swapSessionId(): bool {
    const sid = getHeader(HeaderMap.Request, SESSION_HEADER);
    if (sid === null) return true;
    this.gatewayId = sid;
    if (!isGatewayIdShape(sid)) return false;
    const key = sessionKey(sid);
    const sv = getShared(key);
    const entry = decodeEntry(sv.value);
    if (entry === null) return false;
    const now = nowMs();
    if (isExpired(entry.lastSeenMs, now, this.config.sessionIdleMs)) {
      setShared(key, "", sv.cas);
      return false;
    }
    if (needsTouch(entry.lastSeenMs, now, this.config.sessionIdleMs)) setShared(key, encodeEntry(entry.backendId, now), sv.cas);
    replaceHeader(HeaderMap.Request, SESSION_HEADER, entry.backendId);
    return true;
  }

  onResponseHeaders(endOfStream: bool): i32 {
    if (this.phase != PassPhase.Upstream) return CONTINUE;
    const status = getHeader(HeaderMap.Response, ":status");
    if (status == "404" && this.gatewayId.length > 0) {
      // The backend no longer knows the session: forget the mapping; the 404 goes through.
      setShared(sessionKey(this.gatewayId), "", 0);
    }
    this.swapResponseSessionId();
    for (let i = 0; i < this.corsHeaders.length; i++) replaceHeader(HeaderMap.Response, this.corsHeaders[i].name, this.corsHeaders[i].value);
    if (endOfStream || this.inspection.toolsListIds.length == 0 || this.policy.unrestricted) return CONTINUE;
    if (isEventStream(getHeader(HeaderMap.Response, "content-type"))) {
      this.bodyMode = BodyMode.SseRewrite;
      this.framer = new SseFramer(this.config.maxResponseBytes);
      removeHeader(HeaderMap.Response, "content-length");
      return CONTINUE;
    }
    this.bodyMode = BodyMode.JsonBuffer;
    return STOP_ITERATION; // held until the whole JSON body is rewritten (content-length changes)
  }

  /** A backend session id never reaches the client: it becomes the gateway's. */
  private swapResponseSessionId(): void {
    const backendId = getHeader(HeaderMap.Response, SESSION_HEADER);
    if (backendId === null || backendId.length == 0) return;
    if (this.gatewayId.length > 0 && isGatewayIdShape(this.gatewayId)) {
      replaceHeader(HeaderMap.Response, SESSION_HEADER, this.gatewayId);
      return;
    }
    const gid = base64url(randomBytes(SESSION_ID_BYTES));
    if (!setShared(sessionKey(gid), encodeEntry(backendId, nowMs()), 0)) {
      log(Level.Error, "mcp-proxy: could not store a session in shared data");
    }
    this.plugin.remember(gid);
    replaceHeader(HeaderMap.Response, SESSION_HEADER, gid);
  }

  onResponseBody(size: u32, endOfStream: bool): i32 {
    if (this.phase != PassPhase.Upstream) return CONTINUE;
    if (this.bodyMode == BodyMode.JsonBuffer) {
      if (!endOfStream) return STOP_AND_BUFFER;
      const body = String.UTF8.decode(getBuffer(Buffer.ResponseBody, 0, size));
      const rewritten = rewriteJsonBody(body, this.inspection.toolsListIds, this.policy);
      if (rewritten !== null) {
        const bytes = String.UTF8.encode(rewritten);
        setBuffer(Buffer.ResponseBody, size, bytes);
        replaceHeader(HeaderMap.Response, "content-length", bytes.byteLength.toString());
      }
      return CONTINUE;
    }
    if (this.bodyMode == BodyMode.SseRewrite) return this.rewriteSseChunk(size, endOfStream);
    return CONTINUE;
  }

  /** Forwards complete events as they arrive; only the tools/list answer is rewritten. */
  private rewriteSseChunk(size: u32, endOfStream: bool): i32 {
    const framer = this.framer!;
    const chunk = Uint8Array.wrap(getBuffer(Buffer.ResponseBody, 0, size));
    const events = framer.push(chunk);
    const parts = new Array<Uint8Array>();
    for (let i = 0; i < events.length; i++) {
      const r = rewriteSseEvent(events[i], this.inspection.toolsListIds, this.policy);
      parts.push(r !== null ? Uint8Array.wrap(String.UTF8.encode(r)) : events[i]);
    }
    if (endOfStream || framer.overflow) {
      // Past the bound (or at the end) the rest goes through unparsed.
      parts.push(framer.takeRest());
      if (framer.overflow) this.bodyMode = BodyMode.Stream;
    }
    setBuffer(Buffer.ResponseBody, size, concat(parts));
    return CONTINUE;
  }

  private reply(status: u32, body: string, details: string): void {
    this.phase = PassPhase.Done;
    replyJson(status, body, details, null, this.corsHeaders);
  }
}

function concat(parts: Uint8Array[]): ArrayBuffer {
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += parts[i].length;
  const out = new Uint8Array(n);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    out.set(parts[i], at);
    at += parts[i].length;
  }
  return out.buffer;
}

