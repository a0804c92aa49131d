// The per-request context (terminating mode). Lifecycle and the pause/resume pairing:
//
//   Headers   POST: pause headers (StopIteration) until the body is complete → Body
//             anything else: local 405 (ends the stream)
//   Body      buffer (StopIterationAndBuffer) until end of stream, then parse:
//             answered locally (initialize, ping, notifications, errors) → local reply
//             tools/list, tools/call → dispatch the first backend call → Backend
//   Backend   (transport http) each dispatched call's answer dispatches the next step or
//             ends in the local reply; a failed dispatch ends in a local -32603 reply
//   Stream    (transport sse) the request was rewritten into `GET <sse path>` and resumed;
//             the response headers are held (StopIteration) and its body consumed
//             (StopIterationNoBuffer) until the exchange ends in a local reply, which
//             replaces the held response; the root tick enforces the deadline
//   Done      a local reply was sent; later callbacks do nothing
//
// With transport http the request never continues upstream: every pause ends in exactly
// one local reply. With transport sse, only tools/list and tools/call continue (as the
// SSE GET); everything else is answered locally too.
import { Config, Mode, Transport } from "../config/config";
import { ALLOW_METHODS, originAllowed, preflightHeaders, responseHeaders as corsResponseHeaders } from "../passthrough/cors";
import { PassStream } from "./passthrough";
import { Header, HeaderMap, Buffer, Level, getBuffer, getHeader, getProperty, httpCall, log, nowMs, removeHeader, replaceHeader, setBuffer, setEffectiveContext, setProperty } from "../host/host";
import * as codes from "../jsonrpc/codes";
import { Message, MessageKind, errorResponse, parseMessage, resultResponse } from "../jsonrpc/message";
import { member, skipWs, stringAt } from "../jsonrpc/scan";
import { parseStatus, statusOf } from "../http/header";
import { buildCallParams, localInitializeResult } from "../mcp/backend";
import { ALLOW_TOOLS_HEADER, effectivePolicy } from "../mcp/tools";
import { LATEST_VERSION, isSupported, negotiate } from "../mcp/version";
import { Exchange, Outgoing, SESSION_HEADER, Step, VERSION_HEADER } from "../terminate/exchange";
import { SseExchange } from "../terminate/sse_exchange";
import { AuthOutcome, authorize } from "./auth";
import { Plugin, routeCluster } from "./plugin";
import { calls, sseStreams } from "./registry";
import { replyEmpty, replyJson } from "./reply";

/** proxy-wasm FilterHeadersStatus / FilterDataStatus values used here. */
// @ts-ignore: decorator
@inline const CONTINUE: i32 = 0;
// @ts-ignore: decorator
@inline const STOP_ITERATION: i32 = 1;
// @ts-ignore: decorator
@inline const STOP_AND_BUFFER: i32 = 1;
// @ts-ignore: decorator
@inline const STOP_NO_BUFFER: i32 = 3;

/** Where the stream is (see the table above). */
export enum Phase {
  Headers,
  Body,
  Backend,
  Stream,
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
  exchange: Exchange | null = null;
  /** Transport sse: the stream-reading machine (wraps `exchange`). */
  sse: SseExchange | null = null;
  /** Pending dispatched calls of this stream: token → the Step it carries. */
  tokens: Map<u32, i32> = new Map<u32, i32>();
  deadlineMs: i64 = 0;
  cluster: string = "";

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
    } else if (method == "OPTIONS") {
      this.done();
      replyEmpty(204, "mcp_options", [new Header("allow", ALLOW_METHODS)]);
      return false;
    }
    return true;
  }

  /** A local JSON reply carrying the CORS headers of an allowed origin. */
  private reply(status: u32, body: string, details: string, extra: Header[] | null = null): void {
    const h = new Array<Header>();
    if (extra !== null) for (let i = 0; i < extra.length; i++) h.push(extra[i]);
    for (let i = 0; i < this.corsHeaders.length; i++) h.push(this.corsHeaders[i]);
    replyJson(status, body, details, h);
  }

  /** Request body: buffered by Envoy until end of stream (its buffer limit answers 413). */
  onRequestBody(size: u32, endOfStream: bool): i32 {
    if (this.pass !== null) return this.pass!.onRequestBody(size, endOfStream);
    if (this.phase != Phase.Body) return CONTINUE;
    this.bodySize = size;
    if (!endOfStream) return STOP_AND_BUFFER;
    this.handleBody();
    // The SSE transport resumes the (rewritten) request; every other path replied locally.
    return this.phase == Phase.Stream ? CONTINUE : STOP_AND_BUFFER;
  }

  /** Trailers end the request when the body did not (HTTP/2 with trailers). */
  onRequestTrailers(): i32 {
    if (this.pass !== null) return this.pass!.onRequestTrailers();
    if (this.phase != Phase.Body) return CONTINUE;
    this.handleBody();
    return this.phase == Phase.Stream ? CONTINUE : STOP_ITERATION;
  }

  private handleBody(): void {
    const cfg = this.config!;
    const bytes = getBuffer(Buffer.RequestBody, 0, this.bodySize);
    if (bytes.byteLength == 0) {
      this.done();
      this.reply(400, errorResponse("null", codes.INVALID_REQUEST, codes.MSG_EMPTY_BODY), "mcp_empty_body");
      return;
    }
    const msg = parseMessage(String.UTF8.decode(bytes));
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
    this.reply(401, errorResponse(msg.idRaw, codes.UNAUTHORIZED, codes.MSG_UNAUTHORIZED), "mcp_unauthorized",
      [new Header("www-authenticate", this.auth.challenge)]);
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
    this.cluster = cfg.cluster.length > 0 ? cfg.cluster : routeCluster();
    if (this.cluster.length == 0) {
      return this.answer(errorResponse(msg.idRaw, codes.INTERNAL_ERROR, "gateway has no cluster for the backend: set server.cluster"));
    }
    const cv = this.clientVersion;
    const version = cv !== null && isSupported(cv) ? cv : LATEST_VERSION;
    this.exchange = new Exchange(cfg, msg.method, params.raw, msg.idRaw, policy, version);
    this.exchange!.authHeaders = this.auth.headers;
    this.exchange!.authQuery = this.auth.query;
    this.deadlineMs = nowMs() + <i64>cfg.timeoutMs;
    if (cfg.transport == Transport.Sse) return this.startStream(cfg);
    this.phase = Phase.Backend;
    this.sendStep();
  }

  /**
   * Transport sse: the client's POST becomes the backend's SSE channel (dispatched calls
   * buffer whole responses and an SSE stream never ends). Headers are still held here, so
   * they can be rewritten; the request then continues to the route's upstream.
   */
  private startStream(cfg: Config): void {
    const u = cfg.url;
    replaceHeader(HeaderMap.Request, ":method", "GET");
    replaceHeader(HeaderMap.Request, ":path", this.auth.pathWith(u.path));
    replaceHeader(HeaderMap.Request, ":authority", u.authority);
    replaceHeader(HeaderMap.Request, "accept", "text/event-stream");
    removeHeader(HeaderMap.Request, "content-type");
    // content-length 0 (not absent): with an emptied body still to come, an absent length
    // makes Envoy frame the GET as chunked.
    replaceHeader(HeaderMap.Request, "content-length", "0");
    removeHeader(HeaderMap.Request, "transfer-encoding");
    removeHeader(HeaderMap.Request, VERSION_HEADER);
    removeHeader(HeaderMap.Request, SESSION_HEADER);
    for (let i = 0; i < this.auth.headers.length; i++) replaceHeader(HeaderMap.Request, this.auth.headers[i].name, this.auth.headers[i].value);
    setBuffer(Buffer.RequestBody, this.bodySize, new ArrayBuffer(0));
    this.sse = new SseExchange(this.exchange!, cfg.maxResponseBytes);
    this.phase = Phase.Stream;
    sseStreams.add(this.id);
  }

  /** Transport sse: the stream's headers; held until the exchange ends. */
  onResponseHeaders(endOfStream: bool): i32 {
    if (this.pass !== null) return this.pass!.onResponseHeaders(endOfStream);
    if (this.phase != Phase.Stream) return CONTINUE;
    const sse = this.sse!;
    const status = getHeader(HeaderMap.Response, ":status");
    sse.onStreamHeaders(status !== null ? parseStatus(status) : 0, getHeader(HeaderMap.Response, "content-type"));
    if (endOfStream) sse.onStreamBytes(new Uint8Array(0), true);
    this.afterSse();
    return STOP_ITERATION;
  }

  /** Transport sse: a chunk of the stream, parsed and consumed (never forwarded). */
  onResponseBody(size: u32, endOfStream: bool): i32 {
    if (this.pass !== null) return this.pass!.onResponseBody(size, endOfStream);
    if (this.phase != Phase.Stream) return CONTINUE;
    const chunk = getBuffer(Buffer.ResponseBody, 0, size);
    this.sse!.onStreamBytes(Uint8Array.wrap(chunk), endOfStream);
    this.afterSse();
    return STOP_NO_BUFFER;
  }

  /** Root tick: ends the exchange when server.timeout passed without an answer. */
  onTick(now: i64): void {
    if (this.phase != Phase.Stream || now < this.deadlineMs) return;
    this.sse!.onTimeout();
    this.afterSse();
  }

  /** Dispatches what the SSE machine queued, or sends the final reply. */
  private afterSse(): void {
    const sse = this.sse!;
    while (!sse.done && sse.outbox.length > 0) {
      const post = sse.outbox.shift();
      const left = this.deadlineMs - nowMs();
      const token = left > 0 ? httpCall(this.cluster, post.headers, String.UTF8.encode(post.body), <u32>left) : 0;
      if (token == 0) {
        sse.fail(left > 0 ? "dispatch to the SSE endpoint refused by Envoy (cluster \"" + this.cluster + "\")"
          : "timeout: server.timeout " + sse.core.config.timeoutMs.toString() + " ms elapsed");
        break;
      }
      this.tokens.set(token, <i32>post.step);
      calls.set(token, this.id);
    }
    if (sse.done) this.finishExchange();
  }

  /** Dispatches the exchange's current step within what is left of server.timeout. */
  private sendStep(): void {
    const ex = this.exchange!;
    const left = this.deadlineMs - nowMs();
    if (left <= 0) {
      ex.failStep("timeout: server.timeout " + ex.config.timeoutMs.toString() + " ms elapsed");
      return this.finishExchange();
    }
    const out: Outgoing = ex.request();
    const token = httpCall(this.cluster, out.headers, String.UTF8.encode(out.body), <u32>left);
    if (token == 0) {
      ex.failStep("dispatch refused by Envoy (unknown cluster \"" + this.cluster + "\"?)");
      return this.finishExchange();
    }
    this.tokens.set(token, <i32>ex.step);
    calls.set(token, this.id);
  }

  /** A dispatched call came back (headers empty = reset). */
  onHttpCallResponse(token: u32, headers: Header[], body: ArrayBuffer): void {
    if (!this.tokens.has(token)) return;
    const step = <Step>this.tokens.get(token);
    this.tokens.delete(token);
    const status = headers.length == 0 ? 0 : statusOf(headers);
    if (this.phase == Phase.Stream) {
      this.sse!.onPostAnswer(step, status);
      this.afterSse();
      return;
    }
    if (this.phase != Phase.Backend) return;
    const ex = this.exchange!;
    if (ex.onResponse(status, headers, Uint8Array.wrap(body))) {
      this.sendStep();
      return;
    }
    this.finishExchange();
  }

  private finishExchange(): void {
    const ex = this.exchange!;
    const f = ex.final!;
    if (f.logLine.length > 0) log(Level.Warn, "mcp-proxy[" + ex.config.serverName + "]: " + f.logLine);
    this.done();
    this.reply(200, f.body, "mcp_backend");
    if (ex.sessionId.length > 0) endBackendSession(this.plugin.id, this.cluster, ex);
  }

  private done(): void {
    if (this.phase == Phase.Stream) sseStreams.delete(this.id);
    this.phase = Phase.Done;
  }

  /** The stream is going away: forget its pending calls so late answers are dropped. */
  onDelete(): void {
    const pending = this.tokens.keys();
    for (let i = 0; i < pending.length; i++) if (calls.has(pending[i])) calls.delete(pending[i]);
    this.tokens.clear();
    this.done();
  }
}

/**
 * Ends the backend session with DELETE (spec: Session Management) so stateful backends do
 * not accumulate one session per gateway call. Dispatched from the root context, so it
 * outlives the client's stream; its answer is not awaited (no token is registered).
 */
function endBackendSession(rootId: u32, cluster: string, ex: Exchange): void {
  const h = new Array<Header>();
  h.push(new Header(":method", "DELETE"));
  h.push(new Header(":path", ex.path()));
  h.push(new Header(":authority", ex.config.url.authority));
  h.push(new Header(":scheme", ex.config.url.scheme));
  for (let i = 0; i < ex.authHeaders.length; i++) h.push(ex.authHeaders[i]);
  h.push(new Header(SESSION_HEADER, ex.sessionId));
  h.push(new Header(VERSION_HEADER, ex.backendVersion));
  setEffectiveContext(rootId);
  httpCall(cluster, h, new ArrayBuffer(0), <u32>ex.config.timeoutMs);
}
