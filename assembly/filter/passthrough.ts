// Pass-through mode (`server.type: "mcp-passthrough"`): the client's requests go to the
// backend through the route, responses stream back as they arrive. The gateway owns the
// session id, the credentials and the tool policy:
//
//   RequestHeaders  GET/DELETE: resolve the session id, credentials, path → continue
//                   POST: hold headers (StopIteration) until the body is complete; under a
//                   policy an encoded body (Content-Encoding) is refused first (415)
//   RequestBody     read strictly (passthrough/inspect.ts); under a policy what cannot be read
//                   exactly is refused (400); mirrored headers checked against the body (400
//                   -32020); session (404), denied tools/call (-32602), credentials for every
//                   tool of the body (401, 400) → continue (the only resume of held headers)
//   Response        swap a backend session id for the gateway's (minting one on first sight;
//                   503 when server.maxSessions are taken), end the mapping once the backend
//                   accepted a DELETE, CORS; tools/list answers filtered (filter/pass_response.ts)
//
// Gateway ids come from a SessionStore (filter/store.ts): the shared-data table by default,
// sealed ids when `server.sessionKeys` is configured.
//
// A policy applies when the tool policy restricts (allowTools or x-envoy-allow-mcp-tools) or a
// tool has security of its own. Modern (2026-07-28) requests carry no session: any
// Mcp-Session-Id on them is dropped and none is minted for their answers.
import { Config } from "../config/config";
import { Buffer, HeaderMap, HeaderView, headerView, getBuffer, getHeader, httpCall, removeHeader, replaceHeader, setProperty, setEffectiveContext } from "../host/host";
import { Header } from "../http/header";
import * as codes from "../jsonrpc/codes";
import { errorResponse } from "../jsonrpc/message";
import { SESSION_HEADER, VERSION_HEADER } from "../mcp/headers";
import { METHOD_HEADER, Mirrors, NAME_HEADER, checkEra } from "../mcp/modern";
import { ToolPolicy } from "../mcp/tools";
import { isModern } from "../mcp/version";
import { Inspection, inspectBody } from "../passthrough/inspect";
import { AuthOutcome, authorizeTools, bindingCredential } from "./auth";
import { replyForbidden } from "./authz";
import { noteForwarded, notePassBody, notePassRequest, notePassResponse, noteSession } from "./observe";
import { ListFilter } from "./pass_response";
import { Plugin, routeCluster } from "./plugin";
import { replyJson, replySessionNotFound, replyUnauthorized } from "./reply";
import { SealedStore } from "./sealed";
import { SessionTable } from "./sessions";
import { countBackend } from "./stats";
import { SessionStore } from "./store";
import { CONTINUE, STOP_AND_BUFFER, STOP_ITERATION } from "./status";
import { alignTraceHeaders } from "./trace";
import { BackendStep } from "../stats/names";

/** Where a pass-through request is. */
export enum PassPhase {
  RequestHeaders,
  RequestBody,
  Upstream,
  Done,
}

/** One request in pass-through mode. */
export class PassStream {
  phase: PassPhase = PassPhase.RequestHeaders;
  method: string = "";
  /** The gateway session id the client sent ("" = none). */
  gatewayId: string = "";
  /** The request is a modern (2026-07-28) one: no session handling. */
  modern: bool = false;
  inspection: Inspection = new Inspection();
  filter: ListFilter | null = null;
  bodySize: u32 = 0;
  /** What the credentials decided (applied when the request resumes). */
  auth: AuthOutcome = new AuthOutcome();
  /** The credential that binds sessions, read before the request is changed. */
  binding: string;
  /** Where this server's sessions live (shared-data table or sealed ids). */
  store: SessionStore;

  constructor(public id: u32, public plugin: Plugin, public config: Config, public policy: ToolPolicy,
    public headers: HeaderView, public corsHeaders: Header[]) {
    this.binding = bindingCredential(config.security, headers);
    const s = config.sessions;
    this.store = s.sealed ? new SealedStore(config, plugin.openedTokens(config)) : new SessionTable(config.serverName, <u32>s.maxSessions, s.idleMs);
  }

  /** True when a policy applies: what the gateway cannot read exactly is refused. */
  get policyApplies(): bool {
    return !this.policy.unrestricted || this.config.security.hasToolRules;
  }

  onRequestHeaders(method: string, endOfStream: bool): i32 {
    this.method = method;
    if (method == "POST" && !endOfStream) {
      const ce = this.policyApplies ? this.headers.get("content-encoding") : null;
      if (ce !== null && ce.trim().toLowerCase() != "identity") {
        // The gateway reads bodies as they are; a backend that inflates would run unchecked bytes.
        this.reply(415, errorResponse("null", codes.INVALID_REQUEST, codes.MSG_CONTENT_ENCODING + ce), "mcp_content_encoding");
        return STOP_ITERATION;
      }
      this.phase = PassPhase.RequestBody;
      return STOP_ITERATION;
    }
    if (method != "POST" && method != "GET" && method != "DELETE") {
      this.reply(405, errorResponse("null", codes.INVALID_REQUEST, "Method Not Allowed: use POST, GET or DELETE"), "mcp_method_not_allowed");
      return STOP_ITERATION;
    }
    return this.forward([""]) ? CONTINUE : STOP_ITERATION;
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

  /**
   * The body is complete. Checks in order: credentials (401), session (404), what the body
   * is (400: unreadable or ambiguous under a policy, mirrors that disagree with it), the tool
   * policy (-32602), the session limit for an initialize (503); then the request goes on.
   */
  private finishRequest(): i32 {
    const ins = inspectBody(Uint8Array.wrap(getBuffer(Buffer.RequestBody, 0, this.bodySize)), this.policy, this.policyApplies);
    this.inspection = ins;
    notePassRequest(ins, this.policy.unrestricted);
    const version = this.headers.all(VERSION_HEADER);
    this.modern = version.length == 1 && isModern(version[0]);
    if (!this.authorize(ins.unreadable ? [""] : ins.tools)) return STOP_AND_BUFFER;
    if (!this.modern && !this.checkSession()) return STOP_AND_BUFFER;
    if (ins.unreadable) {
      if (this.policyApplies) return this.refuse(400, errorResponse("null", codes.PARSE_ERROR, codes.MSG_UNREADABLE_BODY));
      return this.resume();
    }
    if (this.policyApplies && ins.ambiguousKey.length > 0) {
      return this.refuse(400, errorResponse("null", codes.INVALID_REQUEST, codes.MSG_AMBIGUOUS_KEY + ins.ambiguousKey));
    }
    if (!this.checkMirrors(ins, version)) return STOP_AND_BUFFER;
    if (this.modern && !ins.batch) alignTraceHeaders(ins.paramsRaw, this.headers);
    if (ins.toolName.length > 0) {
      setProperty("mcp_tool_name", ins.toolName);
    }
    if (ins.deniedTool.length > 0) {
      // The backend never sees a call of a tool outside the policy.
      return this.refuse(200, errorResponse(ins.deniedId, codes.INVALID_PARAMS, codes.MSG_TOOL_NOT_ALLOWED + ins.deniedTool));
    }
    if (ins.forbiddenTools.length > 0) {
      // server.authorization: the token does not allow a tool of the request (403).
      this.phase = PassPhase.Done;
      replyForbidden(this.policy, ins.forbiddenId, ins.tools, ins.forbiddenTools, this.corsHeaders);
      return STOP_AND_BUFFER;
    }
    if (ins.initialize && !this.modern && this.store.full()) {
      const r = this.store.refusal();
      this.reply(r.status, r.body, r.details);
      return STOP_AND_BUFFER;
    }
    return this.resume();
  }

  /**
   * The era and the mirrored headers (spec 2026-07-28: a server that reads the body MUST
   * refuse a mirror that disagrees with it). Versions are the backend's to accept or refuse.
   */
  private checkMirrors(ins: Inspection, version: string[]): bool {
    if (ins.batch) {
      // Batches are a legacy form: a modern request is one message.
      if (!this.modern) return true;
      this.refuse(400, errorResponse("null", codes.INVALID_REQUEST, codes.MSG_MODERN_BATCH));
      return false;
    }
    const mirrors = new Mirrors(version, this.headers.all(METHOD_HEADER), this.headers.all(NAME_HEADER));
    const era = checkEra(ins.method, ins.paramsRaw, ins.isRequest, mirrors, false);
    if (era.refused) {
      this.refuse(<u32>era.status, errorResponse("null", era.code, era.message, era.dataRaw));
      return false;
    }
    return true;
  }

  /** GET and DELETE (and an empty POST): credentials and session, then on to the backend. */
  private forward(tools: string[]): bool {
    if (!this.authorize(tools)) return false;
    if (!this.checkSession()) return false;
    return this.resume() == CONTINUE;
  }

  /**
   * Credentials for every tool of the request: 401 when a required one is missing, 400 when
   * they disagree (a batch) or cannot be written into a header. False when it answered.
   */
  private authorize(tools: string[]): bool {
    const auth: AuthOutcome = authorizeTools(this.config.security, tools, this.headers);
    this.auth = auth;
    if (auth.denied) {
      this.phase = PassPhase.Done;
      replyUnauthorized("null", auth.challenge, this.corsHeaders);
      return false;
    }
    if (auth.conflict) {
      this.refuse(400, errorResponse("null", codes.INVALID_REQUEST, codes.MSG_MIXED_CREDENTIALS));
      return false;
    }
    if (auth.invalid) {
      this.refuse(400, errorResponse("null", codes.INVALID_REQUEST, codes.MSG_BAD_CREDENTIAL));
      return false;
    }
    return true;
  }

  /** Rewrites the held request for the backend (path and authority of mcpServerURL, credentials) and lets it go. */
  private resume(): i32 {
    if (this.modern) removeHeader(HeaderMap.Request, SESSION_HEADER);
    const auth = this.auth;
    const u = this.config.url;
    replaceHeader(HeaderMap.Request, ":path", auth.pathWith(u.path));
    replaceHeader(HeaderMap.Request, ":authority", u.authority);
    for (let i = 0; i < auth.headers.length; i++) replaceHeader(HeaderMap.Request, auth.headers[i].name, auth.headers[i].value);
    this.phase = PassPhase.Upstream;
    noteForwarded();
    return CONTINUE;
  }

  /** Resolves the session id; answers 404 (false) when it is unknown, expired, forged or not the caller's. */
  private checkSession(): bool {
    const sid = this.headers.get(SESSION_HEADER);
    if (sid === null) return true;
    this.gatewayId = sid;
    const backendId = this.store.resolve(sid, this.binding);
    if (backendId !== null) {
      replaceHeader(HeaderMap.Request, SESSION_HEADER, backendId!);
      noteSession(sid);
      return true;
    }
    this.phase = PassPhase.Done;
    replySessionNotFound(this.corsHeaders);
    return false;
  }

  onResponseHeaders(endOfStream: bool): i32 {
    if (this.phase != PassPhase.Upstream) return CONTINUE;
    const response = headerView(HeaderMap.Response);
    const status = response.get(":status");
    notePassResponse(status, response.get("content-type"));
    // The backend ended the session (DELETE accepted) or no longer knows it (404): so does
    // the gateway. A refused DELETE (405 is allowed) leaves the session usable.
    const ended = status == "404" || (this.method == "DELETE" && status !== null && status!.startsWith("2"));
    if (ended && this.gatewayId.length > 0) this.store.close(this.gatewayId);
    if (!this.swapResponseSessionId(response)) return STOP_ITERATION;
    for (let i = 0; i < this.corsHeaders.length; i++) replaceHeader(HeaderMap.Response, this.corsHeaders[i].name, this.corsHeaders[i].value);
    const f = new ListFilter(this.policy, this.inspection.toolsListIds, this.method == "GET", this.config.maxResponseBytes);
    this.filter = f;
    return f.onHeaders(endOfStream, response);
  }

  /**
   * A backend session id never reaches the client: it becomes the gateway's. False when the
   * store refuses a new one (every slot taken: 503; too long to seal: 502): the answer is
   * replaced by that refusal and the backend session ended.
   */
  private swapResponseSessionId(response: HeaderView): bool {
    const backendId = response.get(SESSION_HEADER);
    if (backendId === null || backendId.length == 0) return true;
    if (this.modern) {
      removeHeader(HeaderMap.Response, SESSION_HEADER);
      return true;
    }
    if (this.gatewayId.length > 0) {
      replaceHeader(HeaderMap.Response, SESSION_HEADER, this.gatewayId);
      return true;
    }
    const gid = this.store.open(backendId, this.binding);
    if (gid === null) {
      this.endBackendSession(backendId);
      const r = this.store.refusal();
      this.reply(r.status, r.body, r.details);
      return false;
    }
    replaceHeader(HeaderMap.Response, SESSION_HEADER, gid!);
    noteSession(gid);
    return true;
  }

  /** DELETE of a backend session the gateway could not map (unawaited, from the root context). */
  private endBackendSession(backendId: string): void {
    const cluster = this.config.cluster.length > 0 ? this.config.cluster : routeCluster();
    if (cluster.length == 0) return;
    const h = new Array<Header>();
    h.push(new Header(":method", "DELETE"));
    h.push(new Header(":path", this.config.url.path));
    h.push(new Header(":authority", this.config.url.authority));
    h.push(new Header(":scheme", this.config.url.scheme));
    h.push(new Header(SESSION_HEADER, backendId));
    setEffectiveContext(this.plugin.id);
    countBackend(this.config, BackendStep.Delete);
    httpCall(cluster, h, new ArrayBuffer(0), <u32>this.config.timeoutMs);
    setEffectiveContext(this.id);
  }

  onResponseBody(size: u32, endOfStream: bool): i32 {
    if (this.phase != PassPhase.Upstream || this.filter === null) return CONTINUE;
    notePassBody(size, endOfStream);
    return this.filter!.onBody(size, endOfStream);
  }

  /** Answers locally; the request ends here (the held headers are never resumed). */
  private refuse(status: u32, body: string): i32 {
    this.reply(status, body, "mcp_refused");
    return STOP_AND_BUFFER;
  }

  private reply(status: u32, body: string, details: string): void {
    this.phase = PassPhase.Done;
    replyJson(status, body, details, null, this.corsHeaders);
  }
}
