// The per-request context (terminating mode). Lifecycle and the pause/resume pairing:
//
//   Headers   POST: pause headers (StopIteration) until the body is complete → Body
//             anything else: local 405 (ends the stream)
//   Body      buffer (StopIterationAndBuffer) until end of stream, then parse:
//             answered locally (initialize, ping, notifications, errors) → local reply
//             tools/list, tools/call → dispatch the first backend call → Backend
//   Backend   each call's answer dispatches the next step or ends in the local reply;
//             a failed dispatch ends in a local -32603 reply
//   Done      a local reply was sent; later callbacks do nothing
//
// The request never continues upstream in this mode: every pause ends in exactly one local
// reply. Requests for other hosts' routes see the same thing — the route exists only so
// Envoy has a cluster to name (`xds.cluster_name`).
import { Config } from "../config/config";
import { Header, HeaderMap, Buffer, Level, getBuffer, getHeader, getProperty, httpCall, log, nowMs, removeHeader, setEffectiveContext, setProperty } from "../host/host";
import * as codes from "../jsonrpc/codes";
import { Message, MessageKind, errorResponse, parseMessage, resultResponse } from "../jsonrpc/message";
import { member, skipWs, stringAt } from "../jsonrpc/scan";
import { statusOf } from "../http/header";
import { buildCallParams, localInitializeResult } from "../mcp/backend";
import { ALLOW_TOOLS_HEADER, effectivePolicy } from "../mcp/tools";
import { LATEST_VERSION, isSupported, negotiate } from "../mcp/version";
import { Exchange, Outgoing, SESSION_HEADER, VERSION_HEADER } from "../terminate/exchange";
import { Plugin } from "./plugin";
import { calls } from "./registry";
import { replyEmpty, replyJson } from "./reply";

/** proxy-wasm FilterHeadersStatus / FilterDataStatus values used here. */
// @ts-ignore: decorator
@inline const CONTINUE: i32 = 0;
// @ts-ignore: decorator
@inline const STOP_ITERATION: i32 = 1;
// @ts-ignore: decorator
@inline const STOP_AND_BUFFER: i32 = 1;

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
  exchange: Exchange | null = null;
  pendingToken: u32 = 0;
  deadlineMs: i64 = 0;
  cluster: string = "";

  constructor(public id: u32, public plugin: Plugin) {}

  /** Request headers: only POST carries MCP messages in this mode. */
  onRequestHeaders(endOfStream: bool): i32 {
    const cfg = this.plugin.config;
    if (cfg === null) return CONTINUE;
    const method = getHeader(HeaderMap.Request, ":method");
    if (method === null || method != "POST") {
      this.done();
      replyJson(405, errorResponse("null", codes.INVALID_REQUEST, codes.MSG_METHOD_NOT_ALLOWED), "mcp_method_not_allowed",
        [new Header("allow", "POST")]);
      return STOP_ITERATION;
    }
    this.allowHeader = getHeader(HeaderMap.Request, ALLOW_TOOLS_HEADER);
    if (this.allowHeader !== null) removeHeader(HeaderMap.Request, ALLOW_TOOLS_HEADER);
    this.clientVersion = getHeader(HeaderMap.Request, VERSION_HEADER);
    if (endOfStream) {
      this.done();
      replyJson(400, errorResponse("null", codes.INVALID_REQUEST, codes.MSG_EMPTY_BODY), "mcp_empty_body");
      return STOP_ITERATION;
    }
    this.phase = Phase.Body;
    return STOP_ITERATION;
  }

  /** Request body: buffered by Envoy until end of stream (its buffer limit answers 413). */
  onRequestBody(size: u32, endOfStream: bool): i32 {
    if (this.phase != Phase.Body) return CONTINUE;
    this.bodySize = size;
    if (!endOfStream) return STOP_AND_BUFFER;
    this.handleBody();
    return STOP_AND_BUFFER;
  }

  /** Trailers end the request when the body did not (HTTP/2 with trailers). */
  onRequestTrailers(): i32 {
    if (this.phase != Phase.Body) return CONTINUE;
    this.handleBody();
    return STOP_ITERATION;
  }

  private handleBody(): void {
    const cfg = this.plugin.config!;
    const bytes = getBuffer(Buffer.RequestBody, 0, this.bodySize);
    if (bytes.byteLength == 0) {
      this.done();
      replyJson(400, errorResponse("null", codes.INVALID_REQUEST, codes.MSG_EMPTY_BODY), "mcp_empty_body");
      return;
    }
    const msg = parseMessage(String.UTF8.decode(bytes));
    this.dispatchMessage(cfg, msg);
  }

  /** Routes one parsed client message to its local answer or to the backend. */
  private dispatchMessage(cfg: Config, msg: Message): void {
    if (msg.kind == MessageKind.Invalid) {
      this.done();
      replyJson(400, errorResponse(msg.idRaw, msg.errorCode, msg.errorMessage), "mcp_invalid_request");
      return;
    }
    if (msg.kind == MessageKind.Notification || msg.kind == MessageKind.Response) {
      this.done();
      replyEmpty(202, "mcp_accepted");
      return;
    }
    const m = msg.method;
    if (m == "initialize") return this.answerInitialize(cfg, msg);
    if (m == "ping") return this.answer(resultResponse(msg.idRaw, "{}"));
    if (m == "tools/list" || m == "tools/call") return this.startExchange(cfg, msg);
    this.answer(errorResponse(msg.idRaw, codes.METHOD_NOT_FOUND, codes.MSG_METHOD_NOT_FOUND + m));
  }

  private answer(body: string): void {
    this.done();
    replyJson(200, body, "mcp_local");
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
    this.deadlineMs = nowMs() + <i64>cfg.timeoutMs;
    this.phase = Phase.Backend;
    this.sendStep();
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
    this.pendingToken = token;
    calls.set(token, this.id);
  }

  /** A dispatched call came back (headers empty = reset). */
  onHttpCallResponse(token: u32, headers: Header[], body: ArrayBuffer): void {
    if (this.phase != Phase.Backend || token != this.pendingToken) return;
    this.pendingToken = 0;
    const ex = this.exchange!;
    const status = headers.length == 0 ? 0 : statusOf(headers);
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
    replyJson(200, f.body, "mcp_backend");
    if (ex.sessionId.length > 0) endBackendSession(this.plugin.id, this.cluster, ex);
  }

  private done(): void {
    this.phase = Phase.Done;
  }

  /** The stream is going away: forget its pending call so a late answer is dropped. */
  onDelete(): void {
    if (this.pendingToken != 0 && calls.has(this.pendingToken)) calls.delete(this.pendingToken);
    this.pendingToken = 0;
    this.phase = Phase.Done;
  }
}

/** The current route's cluster: `xds.cluster_name` in Envoy, `cluster_name` in Higress. */
function routeCluster(): string {
  let c = getProperty(["xds", "cluster_name"]);
  if (c === null || c.length == 0) c = getProperty(["cluster_name"]);
  return c !== null ? c : "";
}

/**
 * Ends the backend session with DELETE (spec: Session Management) so stateful backends do
 * not accumulate one session per gateway call. Dispatched from the root context, so it
 * outlives the client's stream; its answer is not awaited (no token is registered).
 */
function endBackendSession(rootId: u32, cluster: string, ex: Exchange): void {
  const h = new Array<Header>();
  h.push(new Header(":method", "DELETE"));
  h.push(new Header(":path", ex.config.url.path));
  h.push(new Header(":authority", ex.config.url.authority));
  h.push(new Header(":scheme", ex.config.url.scheme));
  h.push(new Header(SESSION_HEADER, ex.sessionId));
  h.push(new Header(VERSION_HEADER, ex.backendVersion));
  setEffectiveContext(rootId);
  httpCall(cluster, h, new ArrayBuffer(0), <u32>ex.config.timeoutMs);
}
