// The per-request context (the proxy-wasm HttpContext). It selects the configuration
// (global or a `_rules_` match; none → the request is left alone), checks the Origin, then:
//
//   pass-through mode: hands the request to PassStream (filter/passthrough.ts)
//   terminating mode:
//     Headers   POST: pause headers (StopIteration) until the body is complete → Body;
//               anything else: local 405 (OPTIONS: CORS preflight)
//     Body      buffer (StopIterationAndBuffer) until end of stream, then parse:
//               answered locally (initialize, ping, notifications, errors) → local reply;
//               tools/list, tools/call → BackendCall (filter/backend.ts) → Backend
//     Backend   the exchange ends in exactly one local reply (transport http), or the
//               request continues upstream as the SSE channel (transport sse)
//     Done      a local reply was sent; later callbacks do nothing
import { Config, Mode, Transport } from "../config/config";
import { ALLOW_METHODS, originAllowed, preflightHeaders, responseHeaders as corsResponseHeaders } from "../passthrough/cors";
import { PassStream } from "./passthrough";
import { BackendCall, CallPhase } from "./backend";
import { Header, HeaderMap, Buffer, getBuffer, getHeader, removeHeader, setProperty } from "../host/host";
import * as codes from "../jsonrpc/codes";
import { Message, MessageKind, errorResponse, parseBody, resultResponse } from "../jsonrpc/message";
import { member, skipWs, stringAt } from "../jsonrpc/scan";
import { buildCallParams, localInitializeResult } from "../mcp/backend";
import { ALLOW_TOOLS_HEADER, effectivePolicy } from "../mcp/tools";
import { LATEST_VERSION, isSupported, negotiate } from "../mcp/version";
import { VERSION_HEADER } from "../mcp/headers";
import { Exchange } from "../terminate/exchange";
import { AuthOutcome, authorize } from "./auth";
import { Plugin, routeCluster } from "./plugin";
import { replyEmpty, replyJson, replyUnauthorized } from "./reply";
import { CONTINUE, STOP_ITERATION, STOP_AND_BUFFER } from "./status";


/** Where the stream is (see the table above). */
export enum Phase {
  Headers,
  Body,
  Backend,
  Done,
}

/** One client request. */
export class Stream {
  phase: Phase = Phase.Headers;
  /** Header value of x-envoy-allow-mcp-tools, read before it is removed. */
  allowHeader: string | null = null;
  /** The client's `mcp-protocol-version` header (used towards the backend). */
  clientVersion: string | null = null;
  bodySize: u32 = 0;
  /** The configuration selected for this request (global or a matching rule). */
  config: Config | null = null;
  /** CORS headers for an allowed browser origin (empty without Origin). */
  corsHeaders: Header[] = [];
  /** Pass-through mode: the request's handler (null in terminating mode). */
  pass: PassStream | null = null;
  /** Credentials decided for the backend requests. */
  auth: AuthOutcome = new AuthOutcome();
  /** The backend exchange of a tools/list or tools/call (terminating mode). */
  backend: BackendCall | null = null;

  constructor(public id: u32, public plugin: Plugin) {}

  /**
   * Request headers: selects the configuration, checks the Origin (both modes), then hands
   * pass-through requests to PassStream; in terminating mode only POST carries messages.
   */
  onRequestHeaders(endOfStream: bool): i32 {
    const authority = getHeader(HeaderMap.Request, ":authority");
    const cfg = this.plugin.select(authority !== null ? authority : "");
    if (cfg === null) {
      // No configuration applies (no matching rule, no global one): leave the request alone.
      this.phase = Phase.Done;
      return CONTINUE;
    }
    this.config = cfg;
    const m = getHeader(HeaderMap.Request, ":method");
    const method = m !== null ? m : "";
    if (!this.checkOrigin(cfg, method)) return STOP_ITERATION;
    this.allowHeader = getHeader(HeaderMap.Request, ALLOW_TOOLS_HEADER);
    if (this.allowHeader !== null) removeHeader(HeaderMap.Request, ALLOW_TOOLS_HEADER);
    if (cfg.mode == Mode.Passthrough) {
      const pass = new PassStream(this.id, this.plugin, cfg, this.allowHeader, this.corsHeaders);
      this.pass = pass;
      this.phase = Phase.Done;
      return pass.onRequestHeaders(method, endOfStream);
    }
    if (method != "POST") {
      this.done();
      this.reply(405, errorResponse("null", codes.INVALID_REQUEST, codes.MSG_METHOD_NOT_ALLOWED), "mcp_method_not_allowed",
        [new Header("allow", "POST")]);
      return STOP_ITERATION;
    }
    this.clientVersion = getHeader(HeaderMap.Request, VERSION_HEADER);
    if (endOfStream) {
      this.done();
      this.reply(400, errorResponse("null", codes.INVALID_REQUEST, codes.MSG_EMPTY_BODY), "mcp_empty_body");
      return STOP_ITERATION;
    }
    this.phase = Phase.Body;
    return STOP_ITERATION;
  }

  /**
   * Origin check (MCP transports: validate Origin against DNS rebinding) and CORS preflight.
   * False when the request was answered (403, or the preflight's 204).
   */
  private checkOrigin(cfg: Config, method: string): bool {
    const origin = getHeader(HeaderMap.Request, "origin");
    if (origin !== null) {
      if (!originAllowed(origin, cfg.allowOrigins)) {
        this.done();
        replyJson(403, errorResponse("null", codes.INVALID_REQUEST, "Forbidden: origin " + origin + " is not allowed"), "mcp_origin_forbidden");
        return false;
      }
      this.corsHeaders = corsResponseHeaders(origin);
      if (method == "OPTIONS") {
        this.done();
        replyEmpty(204, "mcp_preflight", preflightHeaders(origin, getHeader(HeaderMap.Request, "access-control-request-headers")));
        return false;
      }
    } else if (method == "OPTIONS" && cfg.mode == Mode.Passthrough) {
      // No preflight: pass-through names the methods it serves; terminating mode answers
      // OPTIONS like any non-POST method (405, Allow: POST).
      this.done();
      replyEmpty(204, "mcp_options", [new Header("allow", ALLOW_METHODS)]);
      return false;
    }
    return true;
  }

  /** A local JSON reply carrying the CORS headers of an allowed origin. */
  private reply(status: u32, body: string, details: string, extra: Header[] | null = null): void {
    replyJson(status, body, details, extra, this.corsHeaders);
  }

  /** Request body: buffered by Envoy until end of stream (its buffer limit answers 413). */
  onRequestBody(size: u32, endOfStream: bool): i32 {
    if (this.pass !== null) return this.pass!.onRequestBody(size, endOfStream);
    if (this.phase != Phase.Body) return CONTINUE;
    this.bodySize = size;
    if (!endOfStream) return STOP_AND_BUFFER;
    this.handleBody();
    // The SSE transport resumes the (rewritten) request; every other path replied locally.
    return this.streaming() ? CONTINUE : STOP_AND_BUFFER;
  }

  /** Trailers end the request when the body did not (HTTP/2 with trailers). */
  onRequestTrailers(): i32 {
    if (this.pass !== null) return this.pass!.onRequestTrailers();
    if (this.phase != Phase.Body) return CONTINUE;
    this.handleBody();
    return this.streaming() ? CONTINUE : STOP_ITERATION;
  }

  private handleBody(): void {
    const cfg = this.config!;
    const bytes = getBuffer(Buffer.RequestBody, 0, this.bodySize);
    if (bytes.byteLength == 0) {
      this.done();
      this.reply(400, errorResponse("null", codes.INVALID_REQUEST, codes.MSG_EMPTY_BODY), "mcp_empty_body");
      return;
    }
    const msg = parseBody(bytes);
    this.dispatchMessage(cfg, msg);
  }

  /** Routes one parsed client message to its local answer or to the backend. */
  private dispatchMessage(cfg: Config, msg: Message): void {
    if (msg.kind == MessageKind.Invalid) {
      this.done();
      this.reply(400, errorResponse(msg.idRaw, msg.errorCode, msg.errorMessage), "mcp_invalid_request");
      return;
    }
    if (msg.kind == MessageKind.Notification || msg.kind == MessageKind.Response) {
      this.done();
      replyEmpty(202, "mcp_accepted", this.corsHeaders);
      return;
    }
    const m = msg.method;
    if (!this.checkCredentials(cfg, msg)) return;
    if (m == "initialize") return this.answerInitialize(cfg, msg);
    if (m == "ping") return this.answer(resultResponse(msg.idRaw, "{}"));
    if (m == "tools/list" || m == "tools/call") return this.startExchange(cfg, msg);
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
    this.auth = authorize(cfg.security, tool);
    if (!this.auth.denied) return true;
    this.done();
    replyUnauthorized(msg.idRaw, this.auth.challenge, this.corsHeaders);
    return false;
  }

  private answer(body: string): void {
    this.done();
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

  private startExchange(cfg: Config, msg: Message): void {
    const params = buildCallParams(msg.method, msg.paramsRaw);
    if (params.errorCode != 0) return this.answer(errorResponse(msg.idRaw, params.errorCode, params.errorMessage));
    const policy = effectivePolicy(cfg.allowTools, this.allowHeader);
    if (msg.method == "tools/call") {
      // Filter-state properties for access logs (`%FILTER_STATE(wasm.mcp_tool_name:PLAIN)%`).
      setProperty("mcp_server_name", cfg.serverName);
      setProperty("mcp_tool_name", params.toolName);
      if (!policy.allows(params.toolName)) {
        return this.answer(errorResponse(msg.idRaw, codes.INVALID_PARAMS, codes.MSG_TOOL_NOT_ALLOWED + params.toolName));
      }
    }
    const cluster = cfg.cluster.length > 0 ? cfg.cluster : routeCluster();
    if (cluster.length == 0) {
      return this.answer(errorResponse(msg.idRaw, codes.INTERNAL_ERROR, "gateway has no cluster for the backend: set server.cluster"));
    }
    const cv = this.clientVersion;
    const version = cv !== null && isSupported(cv) ? cv : LATEST_VERSION;
    const ex = new Exchange(cfg, msg.method, params.raw, msg.idRaw, policy, version);
    ex.authHeaders = this.auth.headers;
    ex.authQuery = this.auth.query;
    const call = new BackendCall(this.id, this.plugin.id, cluster, ex, this.corsHeaders);
    this.backend = call;
    this.phase = Phase.Backend;
    if (cfg.transport == Transport.Sse) call.startStream(this.bodySize, this.auth);
    else call.sendStep();
  }

  /** True when the request continues upstream as the SSE channel (transport sse). */
  private streaming(): bool {
    const b = this.backend;
    return b !== null && b.phase == CallPhase.Stream;
  }

  /** Response headers: pass-through handling, or the SSE channel of transport sse. */
  onResponseHeaders(endOfStream: bool): i32 {
    if (this.pass !== null) return this.pass!.onResponseHeaders(endOfStream);
    const b = this.backend;
    return b !== null ? b.onResponseHeaders(endOfStream) : CONTINUE;
  }

  /** Response body: pass-through handling, or the SSE channel of transport sse. */
  onResponseBody(size: u32, endOfStream: bool): i32 {
    if (this.pass !== null) return this.pass!.onResponseBody(size, endOfStream);
    const b = this.backend;
    return b !== null ? b.onResponseBody(size, endOfStream) : CONTINUE;
  }

  /** A dispatched call came back (headers empty = reset). */
  onHttpCallResponse(token: u32, headers: Header[], body: ArrayBuffer): void {
    const b = this.backend;
    if (b !== null) b.onHttpCallResponse(token, headers, body);
  }

  /** Root tick: deadline of a silent SSE channel. */
  onTick(now: i64): void {
    const b = this.backend;
    if (b !== null) b.onTick(now);
  }

  private done(): void {
    this.phase = Phase.Done;
  }

  /** The stream is going away: forget its pending calls so late answers are dropped. */
  onDelete(): void {
    const b = this.backend;
    if (b !== null) b.onDelete();
    this.done();
  }
}
