// Terminating mode (`server.type: "mcp-proxy"`): the gateway is the MCP server. One client
// POST is one JSON-RPC message; it is answered locally or by a backend exchange:
//
//   Headers   POST: pause headers (StopIteration) until the body is complete → Body;
//             anything else: local 405
//   Body      buffer (StopIterationAndBuffer) until end of stream, then parse and check:
//             answered locally (initialize, ping, server/discover, notifications, errors)
//             → local reply; tools/list, tools/call → BackendCall (filter/backend.ts) → Backend
//   Backend   the exchange ends in exactly one local reply (transport http), or the request
//             continues upstream as the SSE channel (transport sse)
//   Done      a local reply was sent; later callbacks do nothing
//
// Both eras are served side by side: a legacy client opens with `initialize`; a modern
// (2026-07-28) request carries its version in `_meta` and the MCP-Protocol-Version header,
// and is checked as the spec requires before anything else (mcp/modern.ts).
import { Config, Transport } from "../config/config";
import { Buffer, Header, HeaderMap, HeaderView, getBuffer, setProperty } from "../host/host";
import * as codes from "../jsonrpc/codes";
import { Message, MessageKind, errorResponse, parseBody, resultResponse } from "../jsonrpc/message";
import { member, skipWs, stringAt } from "../jsonrpc/scan";
import { localInitializeResult } from "../mcp/backend";
import { VERSION_HEADER } from "../mcp/headers";
import { EraCheck, METHOD_HEADER, Mirrors, NAME_HEADER, PARAM_HEADER_PREFIX, checkEra } from "../mcp/modern";
import { buildCallParams } from "../mcp/params";
import { discoverResult } from "../mcp/results";
import { ToolPolicy } from "../mcp/tools";
import { LATEST_VERSION, isSupported, negotiate } from "../mcp/version";
import { Era } from "../terminate/era";
import { ClientSide, Exchange } from "../terminate/exchange";
import { TraceContext, metaWithTrace } from "../stats/trace";
import { AuthOutcome, authorize } from "./auth";
import { replyForbidden } from "./authz";
import { BackendCall, CallPhase, readEra } from "./backend";
import { FedRequest } from "./fed_parts";
import { FedCall } from "./federate";
import { noteMessage } from "./observe";
import { Plugin, routeCluster } from "./plugin";
import { replyEmpty, replyJson, replyUnauthorized } from "./reply";
import { CONTINUE, STOP_AND_BUFFER, STOP_ITERATION } from "./status";
import { requestTrace } from "./trace";

/** Where a terminating-mode request is (see the table above). */
export enum TermPhase {
  Headers,
  Body,
  Backend,
  Done,
}


/** One client request in terminating mode. */
export class TermStream {
  phase: TermPhase = TermPhase.Headers;
  bodySize: u32 = 0;
  /** Credentials decided for the backend requests. */
  auth: AuthOutcome = new AuthOutcome();
  /** The backend exchange of a tools/list or tools/call. */
  backend: BackendCall | null = null;
  /** A federated server's request (server.backends): its parts and their calls. */
  fed: FedCall | null = null;
  /** Every request header as the client sent it (mirrors, Mcp-Param-*). */
  private headers: HeaderView;
  /** The request's trace context, for the backend calls. */
  private trace: TraceContext | null = null;

  constructor(public id: u32, public plugin: Plugin, public config: Config, public policy: ToolPolicy,
    headers: HeaderView, public corsHeaders: Header[]) {
    this.headers = headers;
  }

  onRequestHeaders(method: string, endOfStream: bool): i32 {
    if (method != "POST") {
      this.reply(405, errorResponse("null", codes.INVALID_REQUEST, codes.MSG_METHOD_NOT_ALLOWED), "mcp_method_not_allowed",
        [new Header("allow", "POST")]);
      return STOP_ITERATION;
    }
    if (endOfStream) {
      this.reply(400, errorResponse("null", codes.INVALID_REQUEST, codes.MSG_EMPTY_BODY), "mcp_empty_body");
      return STOP_ITERATION;
    }
    this.phase = TermPhase.Body;
    return STOP_ITERATION;
  }

  /** Request body: buffered by Envoy until end of stream (its buffer limit answers 413). */
  onRequestBody(size: u32, endOfStream: bool): i32 {
    if (this.phase != TermPhase.Body) return CONTINUE;
    this.bodySize = size;
    if (!endOfStream) return STOP_AND_BUFFER;
    this.handleBody();
    // The SSE transport resumes the (rewritten) request; every other path replied locally.
    return this.streaming() ? CONTINUE : STOP_AND_BUFFER;
  }

  /** Trailers end the request when the body did not (HTTP/2 with trailers). */
  onRequestTrailers(): i32 {
    if (this.phase != TermPhase.Body) return CONTINUE;
    this.handleBody();
    return this.streaming() ? CONTINUE : STOP_ITERATION;
  }

  private handleBody(): void {
    const bytes = getBuffer(Buffer.RequestBody, 0, this.bodySize);
    if (bytes.byteLength == 0) {
      this.reply(400, errorResponse("null", codes.INVALID_REQUEST, codes.MSG_EMPTY_BODY), "mcp_empty_body");
      return;
    }
    this.dispatchMessage(this.config, parseBody(bytes));
  }

  /** Routes one parsed client message to its local answer or to the backend. */
  private dispatchMessage(cfg: Config, msg: Message): void {
    noteMessage(msg);
    if (msg.kind == MessageKind.Invalid) {
      this.reply(400, errorResponse(msg.idRaw, msg.errorCode, msg.errorMessage), "mcp_invalid_request");
      return;
    }
    if (msg.kind == MessageKind.Response) {
      this.done();
      replyEmpty(202, "mcp_accepted", this.corsHeaders);
      return;
    }
    const isRequest = msg.kind == MessageKind.Request;
    if (isRequest && !this.checkCredentials(cfg, msg)) return;
    const mirrors = new Mirrors(this.headers.all(VERSION_HEADER), this.headers.all(METHOD_HEADER), this.headers.all(NAME_HEADER));
    const era = checkEra(msg.method, msg.paramsRaw, isRequest, mirrors, true);
    if (era.refused) {
      this.reply(<u32>era.status, errorResponse(msg.idRaw, era.code, era.message, era.dataRaw), "mcp_invalid_request");
      return;
    }
    if (!isRequest) {
      this.done();
      replyEmpty(202, "mcp_accepted", this.corsHeaders);
      return;
    }
    const m = msg.method;
    if (era.modern) {
      // 2026-07-28: no handshake and no ping; an unknown method MUST get 404 + -32601.
      if (m == "server/discover") return this.answer(resultResponse(msg.idRaw, discoverResult(cfg.serverName)));
      if (m == "tools/list" || m == "tools/call") return this.startExchange(cfg, msg, era);
      this.reply(404, errorResponse(msg.idRaw, codes.METHOD_NOT_FOUND, codes.MSG_METHOD_NOT_FOUND + m), "mcp_method_not_found");
      return;
    }
    if (m == "initialize") return this.answerInitialize(cfg, msg);
    if (m == "ping") return this.answer(resultResponse(msg.idRaw, "{}"));
    if (m == "tools/list" || m == "tools/call") return this.startExchange(cfg, msg, era);
    this.answer(errorResponse(msg.idRaw, codes.METHOD_NOT_FOUND, codes.MSG_METHOD_NOT_FOUND + m));
  }

  /**
   * Security schemes: extracts the client's credential (tools/call uses the tool's own
   * requirements), answers 401 when a required one is missing, and records what backend
   * requests carry. False when the request was answered.
   */
  private checkCredentials(cfg: Config, msg: Message): bool {
    let tool = "";
    if (msg.method == "tools/call" && msg.paramsRaw.length > 0) {
      const n = stringAt(msg.paramsRaw, member(msg.paramsRaw, skipWs(msg.paramsRaw, 0), "name"));
      if (n !== null) tool = n;
    }
    this.auth = authorize(cfg.security, tool, this.headers);
    if (this.auth.ok) return true;
    if (this.auth.invalid) {
      this.reply(400, errorResponse(msg.idRaw, codes.INVALID_REQUEST, codes.MSG_BAD_CREDENTIAL), "mcp_bad_credential");
      return false;
    }
    this.done();
    replyUnauthorized(msg.idRaw, this.auth.challenge, this.corsHeaders);
    return false;
  }

  private answer(body: string): void {
    this.reply(200, body, "mcp_local");
  }

  private answerInitialize(cfg: Config, msg: Message): void {
    const p = msg.paramsRaw;
    const v = p.length > 0 ? stringAt(p, member(p, skipWs(p, 0), "protocolVersion")) : null;
    if (v === null) {
      return this.answer(errorResponse(msg.idRaw, codes.INVALID_PARAMS, codes.MSG_NO_PROTOCOL_VERSION));
    }
    this.answer(resultResponse(msg.idRaw, localInitializeResult(negotiate(v), cfg.serverName)));
  }

  private startExchange(cfg: Config, msg: Message, era: EraCheck): void {
    const params = buildCallParams(msg.method, msg.paramsRaw);
    if (params.errorCode != 0) return this.answer(errorResponse(msg.idRaw, params.errorCode, params.errorMessage));
    const policy = this.policy;
    if (msg.method == "tools/call") {
      // Filter-state properties for access logs (`%FILTER_STATE(wasm.mcp_tool_name:PLAIN)%`).
      setProperty("mcp_tool_name", params.toolName);
      if (!policy.allows(params.toolName)) {
        // Allowed by allowTools but not by the caller's token: 403 insufficient_scope.
        if (policy.allowsStatically(params.toolName)) return this.forbid(msg.idRaw, params.toolName);
        return this.answer(errorResponse(msg.idRaw, codes.INVALID_PARAMS, codes.MSG_TOOL_NOT_ALLOWED + params.toolName));
      }
    }
    const cv = this.headers.get(VERSION_HEADER);
    const version = cv !== null && isSupported(cv) ? cv : LATEST_VERSION;
    const fed = cfg.federation;
    if (fed !== null) {
      const req = new FedRequest(this.id, this.plugin.id, msg.method, msg.idRaw, params, policy, this.clientSide(era), version,
        this.headers, this.bodySize, this.corsHeaders);
      req.trace = this.trace;
      const f = new FedCall(fed, cfg.backends, req);
      this.fed = f;
      this.phase = TermPhase.Backend;
      f.start();
      return;
    }
    const cluster = cfg.cluster.length > 0 ? cfg.cluster : routeCluster();
    if (cluster.length == 0) {
      return this.answer(errorResponse(msg.idRaw, codes.INTERNAL_ERROR, "gateway has no cluster for the backend: set server.cluster"));
    }
    // Legacy HTTP+SSE backends predate discover; Streamable HTTP ones are probed once.
    const backendEra = cfg.transport == Transport.Sse ? Era.Legacy : readEra(cluster, cfg);
    const ex = new Exchange(cfg, msg.method, params, msg.idRaw, policy, version, backendEra);
    ex.authHeaders = this.auth.headers;
    ex.authQuery = this.auth.query;
    ex.client = this.clientSide(era);
    const call = new BackendCall(this.id, this.plugin.id, cluster, ex, this.corsHeaders);
    call.trace = this.trace;
    this.backend = call;
    this.phase = TermPhase.Backend;
    if (cfg.transport == Transport.Sse) call.startStream(this.bodySize, this.auth);
    else call.start();
  }

  /** 403 for a tools/call the caller's token does not allow (server.authorization). */
  private forbid(idRaw: string, tool: string): void {
    this.done();
    replyForbidden(this.policy, idRaw, [tool], [tool], this.corsHeaders);
  }

  /** What the exchange needs to know about the client. */
  private clientSide(era: EraCheck): ClientSide {
    const c = new ClientSide();
    c.modern = era.modern;
    // One trace context per request (stats/trace.ts): backend headers and a modern backend's _meta agree.
    const trace = requestTrace(era.meta.raw, this.headers);
    this.trace = trace;
    c.metaRaw = trace !== null ? metaWithTrace(era.meta.raw, trace) : era.meta.raw;
    c.perRequestPolicy = this.policy.perRequest;
    c.paramHeaders = this.headers.withPrefix(PARAM_HEADER_PREFIX);
    return c;
  }

  /** True when the request continues upstream as the SSE channel (transport sse). */
  private streaming(): bool {
    const f = this.fed;
    if (f !== null) return f.streaming();
    const b = this.backend;
    return b !== null && b.phase == CallPhase.Stream;
  }

  onResponseHeaders(endOfStream: bool): i32 {
    const f = this.fed;
    if (f !== null) return f.onResponseHeaders(endOfStream);
    const b = this.backend;
    return b !== null ? b.onResponseHeaders(endOfStream) : CONTINUE;
  }

  onResponseBody(size: u32, endOfStream: bool): i32 {
    const f = this.fed;
    if (f !== null) return f.onResponseBody(size, endOfStream);
    const b = this.backend;
    return b !== null ? b.onResponseBody(size, endOfStream) : CONTINUE;
  }

  /** A dispatched call came back (headers empty = reset). */
  onHttpCallResponse(token: u32, headers: Header[], body: ArrayBuffer): void {
    const f = this.fed;
    if (f !== null) return f.onHttpCallResponse(token, headers, body);
    const b = this.backend;
    if (b !== null) b.onHttpCallResponse(token, headers, body);
  }

  /** Root tick: deadline of a silent SSE channel. */
  onTick(now: i64): void {
    const f = this.fed;
    if (f !== null) return f.onTick(now);
    const b = this.backend;
    if (b !== null) b.onTick(now);
  }

  /** A local JSON reply carrying the CORS headers of an allowed origin; ends the request. */
  private reply(status: u32, body: string, details: string, extra: Header[] | null = null): void {
    this.done();
    replyJson(status, body, details, extra, this.corsHeaders);
  }

  private done(): void {
    this.phase = TermPhase.Done;
  }

  /** The stream is going away: forget its pending calls so late answers are dropped. */
  onDelete(): void {
    const f = this.fed;
    if (f !== null) f.onDelete();
    const b = this.backend;
    if (b !== null) b.onDelete();
    this.done();
  }
}
