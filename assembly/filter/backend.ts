// The terminating mode's backend exchange for one client request (tools/list, tools/call),
// host side: dispatches the pure machines' requests (terminate/exchange.ts for transport
// http, terminate/sse_exchange.ts for transport sse) and ends in exactly one local reply.
//
//   Dispatch  transport http: one dispatched call per step; each answer dispatches the next
//             step or ends the exchange; a refused dispatch ends it with -32603
//   Stream    transport sse: the client request was rewritten into `GET <sse path>` and
//             resumed; response headers are held (StopIteration) and the body consumed
//             (StopIterationNoBuffer) while POSTs go to the endpoint; the root tick enforces
//             the deadline; the final local reply replaces the held response
//   Done      the reply was sent (a DELETE ends a stateful backend session, unawaited)
import { AuthOutcome } from "./auth";
import { Config } from "../config/config";
import { Buffer, HeaderMap, Level, getBuffer, getHeader, getShared, httpCall, log, nowMs, removeHeader, replaceHeader, setBuffer, setEffectiveContext, setShared } from "../host/host";
import { Header, parseStatus, statusOf } from "../http/header";
import { SESSION_HEADER, VERSION_HEADER } from "../mcp/headers";
import { ERA_TTL_MS, Era, decodeEra, encodeEra, eraKey } from "../terminate/era";
import { CachedSession, Owner, ownerOf } from "../terminate/reuse";
import { bumpGeneration } from "./listcache";
import { Lookup, drop, endSession, lookup, store, touch } from "./reuse";
import { Exchange, Outgoing, Step, stepName } from "../terminate/exchange";
import { SseExchange } from "../terminate/sse_exchange";
import { calls, sseStreams } from "./registry";
import { noteBackendEnd, noteBackendStart } from "./observe";
import { replyJson } from "./reply";
import { backendStep, countBackend } from "./stats";
import { addTrace } from "./trace";
import { BackendStep } from "../stats/names";
import { TraceContext } from "../stats/trace";
import { CONTINUE, STOP_ITERATION, STOP_NO_BUFFER } from "./status";


/** Where the backend exchange is (see the table above). */
export enum CallPhase {
  Dispatch,
  Stream,
  Done,
}

/** Receives a finished exchange instead of a reply to the client (federation fans out). */
export class ExchangeSink {
  /** `call` finished: its exchange holds the backend's reply (or its failure). */
  onExchangeDone(call: BackendCall): void {}
}

/** The backend side of one terminating-mode request. */
export class BackendCall {
  phase: CallPhase = CallPhase.Dispatch;
  /** Transport sse: the stream-reading machine (wraps `exchange`). */
  sse: SseExchange | null = null;
  /** Pending dispatched calls: token → the Step it carries. */
  tokens: Map<u32, i32> = new Map<u32, i32>();
  deadlineMs: i64;
  /** Transport http with backend sessions kept: who the session belongs to, and its slot. */
  owner: Owner | null = null;
  /** Federation: where the finished exchange goes (null: reply to the client). */
  sink: ExchangeSink | null = null;
  found: Lookup | null = null;
  /** The client's trace context, copied onto every dispatched call (filter/trace.ts). */
  trace: TraceContext | null = null;

  constructor(public streamId: u32, public rootId: u32, public cluster: string, public exchange: Exchange, public corsHeaders: Header[]) {
    this.deadlineMs = nowMs() + <i64>exchange.config.timeoutMs;
    noteBackendStart();
  }

  /**
   * Transport sse: the client's POST becomes the backend's SSE channel (dispatched calls
   * buffer whole responses and an SSE stream never ends). Headers are still held here, so
   * they can be rewritten; the request then continues to the route's upstream.
   */
  startStream(bodySize: u32, auth: AuthOutcome): void {
    const cfg = this.exchange.config;
    const u = cfg.url;
    replaceHeader(HeaderMap.Request, ":method", "GET");
    replaceHeader(HeaderMap.Request, ":path", auth.pathWith(u.path));
    replaceHeader(HeaderMap.Request, ":authority", u.authority);
    replaceHeader(HeaderMap.Request, "accept", "text/event-stream");
    removeHeader(HeaderMap.Request, "content-type");
    // content-length 0 (not absent): with an emptied body still to come, an absent length
    // makes Envoy frame the GET as chunked.
    replaceHeader(HeaderMap.Request, "content-length", "0");
    removeHeader(HeaderMap.Request, "transfer-encoding");
    removeHeader(HeaderMap.Request, VERSION_HEADER);
    removeHeader(HeaderMap.Request, SESSION_HEADER);
    for (let i = 0; i < auth.headers.length; i++) replaceHeader(HeaderMap.Request, auth.headers[i].name, auth.headers[i].value);
    setBuffer(Buffer.RequestBody, bodySize, new ArrayBuffer(0));
    this.sse = new SseExchange(this.exchange, cfg.maxResponseBytes);
    countBackend(cfg, BackendStep.Stream);
    this.phase = CallPhase.Stream;
    sseStreams.add(this.streamId);
  }

  /** Transport sse: the stream's headers; held until the exchange ends. */
  onResponseHeaders(endOfStream: bool): i32 {
    if (this.phase != CallPhase.Stream) return CONTINUE;
    const sse = this.sse!;
    const status = getHeader(HeaderMap.Response, ":status");
    sse.onStreamHeaders(status !== null ? parseStatus(status) : 0, getHeader(HeaderMap.Response, "content-type"));
    if (endOfStream) sse.onStreamBytes(new Uint8Array(0), true);
    this.afterSse();
    return STOP_ITERATION;
  }

  /** Transport sse: a chunk of the stream, parsed and consumed (never forwarded). */
  onResponseBody(size: u32, endOfStream: bool): i32 {
    if (this.phase != CallPhase.Stream) return CONTINUE;
    const chunk = getBuffer(Buffer.ResponseBody, 0, size);
    this.sse!.onStreamBytes(Uint8Array.wrap(chunk), endOfStream);
    this.afterSse();
    return STOP_NO_BUFFER;
  }

  /** Root tick: ends the exchange when server.timeout passed without an answer. */
  onTick(now: i64): void {
    if (this.phase != CallPhase.Stream || now < this.deadlineMs) return;
    this.sse!.onTimeout();
    this.afterSse();
  }

  /** Dispatches what the SSE machine queued, or sends the final reply. */
  private afterSse(): void {
    const sse = this.sse!;
    while (!sse.done && sse.outbox.length > 0) {
      const post = sse.outbox.shift();
      const cause = this.dispatch(post.headers, post.body, post.step);
      if (cause.length > 0) sse.fail("backend " + stepName(post.step) + " failed: " + cause);
    }
    if (sse.done) this.finishExchange();
  }

  /**
   * Transport http: starts from the backend session kept for this backend and credential
   * (when keeping is on), then dispatches the first step.
   */
  start(): void {
    const ex = this.exchange;
    const cfg = ex.config;
    if (cfg.backendSessionIdleMs > 0) {
      const owner = ownerOf(this.cluster, cfg.url.authority + cfg.url.path, ex.authHeaders, ex.authQuery);
      const found = lookup(cfg, owner);
      this.owner = owner;
      this.found = found;
      if (found.entry !== null) ex.useCached(found.entry!);
    }
    this.sendStep();
  }

  /** Dispatches the exchange's current step (transport http). */
  sendStep(): void {
    const ex = this.exchange;
    const out: Outgoing = ex.request();
    const cause = this.dispatch(out.headers, out.body, ex.step);
    if (cause.length == 0) return;
    ex.failStep(cause);
    this.finishExchange();
  }

  /**
   * One backend call within what is left of server.timeout, registered so its answer finds
   * this stream. Returns "" when dispatched, else the cause of failure.
   */
  private dispatch(headers: Header[], body: string, step: Step): string {
    const left = this.deadlineMs - nowMs();
    if (left <= 0) return "timeout: server.timeout " + this.exchange.config.timeoutMs.toString() + " ms elapsed";
    addTrace(headers, this.trace);
    countBackend(this.exchange.config, backendStep(step));
    const token = httpCall(this.cluster, headers, String.UTF8.encode(body), <u32>left);
    if (token == 0) return "dispatch refused by Envoy (unknown cluster \"" + this.cluster + "\"?)";
    this.tokens.set(token, <i32>step);
    calls.set(token, this.streamId);
    return "";
  }

  /** A dispatched call came back (headers empty = reset). */
  onHttpCallResponse(token: u32, headers: Header[], body: ArrayBuffer): void {
    if (!this.tokens.has(token)) return;
    const step = <Step>this.tokens.get(token);
    this.tokens.delete(token);
    const status = headers.length == 0 ? 0 : statusOf(headers);
    if (this.phase == CallPhase.Stream) {
      this.sse!.onPostAnswer(step, status);
      this.afterSse();
      return;
    }
    if (this.phase != CallPhase.Dispatch) return;
    const ex = this.exchange;
    if (ex.onResponse(status, headers, Uint8Array.wrap(body))) {
      this.sendStep();
      return;
    }
    this.finishExchange();
  }

  private finishExchange(): void {
    const ex = this.exchange;
    const f = ex.final!;
    if (f.logLine.length > 0) log(Level.Warn, "mcp-proxy[" + ex.config.serverName + "]: " + f.logLine);
    this.finish();
    const sink = this.sink;
    if (sink === null) {
      noteBackendEnd(ex);
      replyJson(f.status, f.body, "mcp_backend", this.corsHeaders);
    }
    if (ex.probed) writeEra(this.cluster, ex.config, ex.era);
    this.keepOrEnd(ex);
    // A session-ending DELETE is dispatched from the root context; what follows (a federated
    // request answering its client) must run in this stream's context again.
    setEffectiveContext(this.streamId);
    if (ex.listChanged && ex.config.backendName.length > 0) bumpGeneration(ex.config.serverName, ex.config.backendName);
    if (sink !== null) sink.onExchangeDone(this);
  }

  /**
   * After the reply: a legacy backend's session is kept for the next client request (or
   * ended with DELETE when keeping is off); a kept one that proved stale is forgotten.
   */
  private keepOrEnd(ex: Exchange): void {
    const owner = this.owner;
    const found = this.found;
    if (owner === null || found === null) {
      if (ex.sessionId.length > 0) endSession(this.rootId, ex.config, this.session(ex));
      return;
    }
    if (ex.era != Era.Legacy) return;
    if (ex.handshook) store(this.rootId, ex.config, owner, found, this.session(ex), ex.staleCache);
    else if (ex.staleCache) drop(ex.config, owner, found);
    else if (ex.cached !== null) touch(ex.config, owner, found);
  }

  /** The exchange's backend session, as the cache keeps it. */
  private session(ex: Exchange): CachedSession {
    const tag = this.owner !== null ? this.owner!.tag : "-";
    return new CachedSession(tag, this.cluster, ex.sessionId, ex.backendVersion, nowMs(), ex.authQuery, ex.authHeaders);
  }

  private finish(): void {
    if (this.phase == CallPhase.Stream) sseStreams.delete(this.streamId);
    this.phase = CallPhase.Done;
  }

  /** The client stream is going away: forget pending calls so late answers are dropped. */
  onDelete(): void {
    const pending = this.tokens.keys();
    for (let i = 0; i < pending.length; i++) if (calls.has(pending[i])) calls.delete(pending[i]);
    this.tokens.clear();
    this.finish();
  }
}

/** The backend's era from the shared cache (every worker sees it); Unknown when not cached. */
export function readEra(cluster: string, cfg: Config): Era {
  return decodeEra(getShared(eraKey(cluster, cfg.url.authority, cfg.url.path)).value, nowMs());
}

/** Caches what a discover probe learned, for ERA_TTL_MS. */
function writeEra(cluster: string, cfg: Config, era: Era): void {
  setShared(eraKey(cluster, cfg.url.authority, cfg.url.path), encodeEra(era, nowMs() + ERA_TTL_MS), 0);
}
