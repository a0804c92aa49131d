// Federation, host side: one client tools/list or tools/call of a server with several
// backends (`server.backends`). Each backend is a Config of its own, so each part below is an
// ordinary BackendCall (era probe, kept sessions, transports) whose finished exchange comes
// back here instead of going to the client.
//
//   List   tools/list, and the routing of a tools/call under prefixMode conflict or never:
//          every backend at once, each against its own deadline — its cached list
//          (filter/listcache.ts) or one BackendCall per page (nextCursor followed, at most
//          MAX_PAGES). When every part answered or failed, the lists are merged
//          (federation/merge.ts) and the client answered. failureMode closed: the first
//          failed part answers -32603 and the other parts are dropped.
//   Call   tools/call: the one backend the name routes to, called with its own tool name;
//          that BackendCall answers the client itself.
//   Done   answered; late callbacks do nothing.
//
// A backend with transport sse uses the client's own request as its SSE channel (there is
// only one), so a federated server has at most one, and it needs prefixMode always (a call
// is then routed without a list phase that would have used the channel already).
import { Config, Transport } from "../config/config";
import { FailureMode, Federation, PrefixMode } from "../config/federation";
import { pageHints } from "../federation/listcache";
import { BackendList, Route, mergeLists, route } from "../federation/merge";
import { Header, nowMs } from "../host/host";
import * as codes from "../jsonrpc/codes";
import { errorResponse, resultResponse } from "../jsonrpc/message";
import { quote } from "../jsonrpc/scan";
import { CallParams, buildCallParams, nextCursorOf, withToolName } from "../mcp/params";
import { modernResult } from "../mcp/results";
import { ToolPolicy, effectivePolicy } from "../mcp/tools";
import { Era } from "../terminate/era";
import { Exchange } from "../terminate/exchange";
import { ownerOf } from "../terminate/reuse";
import { authorize } from "./auth";
import { BackendCall, CallPhase, ExchangeSink, readEra } from "./backend";
import { FedRequest, Part } from "./fed_parts";
import { cachedList, generation, keepList } from "./listcache";
import { noteFederatedEnd } from "./observe";
import { routeCluster } from "./plugin";
import { replyJson } from "./reply";
import { CONTINUE, STOP_ITERATION, STOP_NO_BUFFER } from "./status";

/** Pages of one backend's tools/list read before it counts as failed. */
// @ts-ignore: decorator
@inline const MAX_PAGES: i32 = 20;

/** JSON-RPC id of the gateway's own tools/list calls (their answer never reaches a client). */
const LIST_ID_RAW = "0";

/** Where a federated request is (see the table above). */
export enum FedPhase {
  List,
  Call,
  Done,
}

/** One federated client request. */
export class FedCall extends ExchangeSink {
  phase: FedPhase = FedPhase.List;
  parts: Part[] = [];
  /** The call that uses the client's request as its SSE channel (transport sse), if any. */
  stream: BackendCall | null = null;
  /** Parts are being started: a part that ends at once must not answer yet. */
  private starting: bool = false;
  private anyTool: ToolPolicy = effectivePolicy(null, null);

  constructor(public fed: Federation, backends: Config[], public req: FedRequest) {
    super();
    for (let i = 0; i < backends.length; i++) this.parts.push(new Part(backends[i]));
  }

  start(): void {
    // The merged list is one page: the gateway never hands out a cursor, so none is valid.
    if (this.req.method == "tools/list" && this.req.params.raw.length > 0) {
      return this.reply(errorResponse(this.req.idRaw, codes.INVALID_PARAMS, "Invalid cursor: a federated tools/list is one page"));
    }
    if (this.req.method == "tools/call" && this.fed.prefixMode == PrefixMode.Always) {
      this.callRoute(route(this.req.params.toolName, PrefixMode.Always, this.prefixes(), null));
      return;
    }
    this.starting = true;
    for (let i = 0; i < this.parts.length && this.phase == FedPhase.List; i++) this.startPart(this.parts[i]);
    this.starting = false;
    this.afterPart();
  }

  private prefixes(): string[] {
    const out = new Array<string>();
    for (let i = 0; i < this.parts.length; i++) out.push(this.parts[i].config.prefix);
    return out;
  }

  /** Sets the backend's cluster and credentials for this request; the reason when it cannot. */
  private prepare(p: Part, tool: string): string {
    const cfg = p.config;
    p.cluster = cfg.cluster.length > 0 ? cfg.cluster : routeCluster();
    if (p.cluster.length == 0) return "the gateway has no cluster for it: set its cluster";
    p.auth = authorize(cfg.security, tool, this.req.headers);
    if (!p.auth.ok) return "its credentials do not apply to this request";
    return "";
  }

  /** A part's list: from the cache when fresh, else fetched. */
  private startPart(p: Part): void {
    const why = this.prepare(p, "");
    if (why.length > 0) return this.fail(p, why);
    const cfg = p.config;
    const owner = ownerOf(p.cluster, cfg.url.authority + cfg.url.path, p.auth.headers, p.auth.query);
    p.owner = owner;
    const hit = cachedList(cfg, owner);
    if (hit !== null) {
      for (let i = 0; i < hit.entries.length; i++) p.list.addEntry(hit.entries[i]);
      p.list.ok = true;
      p.list.ttlMs = hit.expiresMs - nowMs();
      p.list.isPublic = hit.isPublic;
      p.done = true;
      return;
    }
    p.generation = generation(cfg.serverName, cfg.backendName);
    p.deadlineMs = nowMs() + <i64>cfg.timeoutMs;
    this.fetchPage(p, "");
  }

  private fetchPage(p: Part, cursor: string): void {
    const params = buildCallParams("tools/list", cursor.length > 0 ? '{"cursor":' + quote(cursor) + "}" : "");
    const call = this.newCall(p, "tools/list", params, LIST_ID_RAW, this.anyTool);
    call.sink = this;
    p.pages++;
    this.dispatch(p, call);
  }

  private newCall(p: Part, method: string, params: CallParams, idRaw: string, policy: ToolPolicy): BackendCall {
    const cfg = p.config;
    // Legacy HTTP+SSE backends predate discover; Streamable HTTP ones are probed once.
    const era = cfg.transport == Transport.Sse ? Era.Legacy : readEra(p.cluster, cfg);
    const ex = new Exchange(cfg, method, params, idRaw, policy, this.req.version, era);
    ex.authHeaders = p.auth.headers;
    ex.authQuery = p.auth.query;
    ex.client = this.req.client;
    const call = new BackendCall(this.req.streamId, this.req.rootId, p.cluster, ex, this.req.corsHeaders);
    call.trace = this.req.trace;
    if (p.deadlineMs > 0) call.deadlineMs = p.deadlineMs;
    return call;
  }

  private dispatch(p: Part, call: BackendCall): void {
    p.call = call;
    if (p.config.transport == Transport.Sse) {
      this.stream = call;
      call.startStream(this.req.bodySize, p.auth);
    } else {
      call.start();
    }
  }

  /** A list page came back (or its exchange failed). */
  onExchangeDone(call: BackendCall): void {
    if (this.phase != FedPhase.List) return;
    let p: Part | null = null;
    for (let i = 0; i < this.parts.length; i++) if (this.parts[i].call === call) p = this.parts[i];
    if (p === null) return;
    const part = p!;
    part.call = null;
    const ex = call.exchange;
    const r = ex.reply;
    if (r === null) return this.fail(part, ex.failure.length > 0 ? ex.failure : "no answer");
    if (r.isError) return this.fail(part, "tools/list error " + r.code.toString() + ": " + r.message);
    if (!part.list.addPage(r.resultRaw)) return this.fail(part, "its tools/list result has no tools array");
    const modern = ex.era == Era.Modern;
    if (modern) part.noteHints(pageHints(r.resultRaw));
    const next = nextCursorOf(r.resultRaw);
    if (next !== null) {
      if (part.config.transport == Transport.Sse) return this.fail(part, "its list has more pages, which are read over transport http only");
      if (part.pages >= MAX_PAGES) return this.fail(part, "its list has more than " + MAX_PAGES.toString() + " pages");
      return this.fetchPage(part, next!);
    }
    this.complete(part, modern);
  }

  /** A part's list is whole: cached when it may be, then counted as answered. */
  private complete(p: Part, modern: bool): void {
    const ttl = p.finish(modern, this.fed);
    if (ttl > 0) keepList(p.config, p.owner!, ttl, p.list.isPublic, p.generation, p.list.entries);
    this.afterPart();
  }

  private fail(p: Part, cause: string): void {
    p.list.ok = false;
    p.list.cause = cause;
    p.done = true;
    if (this.fed.failureMode == FailureMode.Closed) {
      const msg = "backend " + p.config.backendName + " failed: " + cause + " (failureMode closed)";
      return this.reply(errorResponse(this.req.idRaw, codes.INTERNAL_ERROR, msg));
    }
    this.afterPart();
  }

  /** Every part done: the merged list, or the routed call. */
  private afterPart(): void {
    if (this.starting || this.phase != FedPhase.List) return;
    for (let i = 0; i < this.parts.length; i++) if (!this.parts[i].done) return;
    const lists = new Array<BackendList>();
    for (let i = 0; i < this.parts.length; i++) lists.push(this.parts[i].list);
    const req = this.req;
    if (req.method == "tools/call") return this.callRoute(route(req.params.toolName, this.fed.prefixMode, this.prefixes(), lists));
    const merged = mergeLists(lists, this.fed.prefixMode, req.policy, req.client.modern);
    this.reply(resultResponse(req.idRaw, req.client.modern ? modernResult(merged, true, req.policy.perRequest) : merged));
  }

  /** tools/call: the backend of the name gets the call under the tool's own name. */
  private callRoute(r: Route): void {
    const req = this.req;
    if (r.backend < 0) return this.reply(errorResponse(req.idRaw, codes.INVALID_PARAMS, r.error));
    const p = this.parts[r.backend];
    if (!p.list.policy.allows(r.tool)) {
      return this.reply(errorResponse(req.idRaw, codes.INVALID_PARAMS, codes.MSG_TOOL_NOT_ALLOWED + req.params.toolName));
    }
    const why = this.prepare(p, req.params.toolName);
    if (why.length > 0) {
      return this.reply(errorResponse(req.idRaw, codes.INTERNAL_ERROR, "backend " + p.config.backendName + ": " + why));
    }
    this.phase = FedPhase.Call;
    p.deadlineMs = 0;
    this.dispatch(p, this.newCall(p, "tools/call", withToolName(req.params, r.tool), req.idRaw, req.policy));
  }

  /** The local answer; pending parts are dropped (their late answers find nothing). */
  private reply(body: string): void {
    this.drop();
    this.phase = FedPhase.Done;
    noteFederatedEnd(this.req.method, body);
    replyJson(200, body, "mcp_backend", null, this.req.corsHeaders);
  }

  private drop(): void {
    for (let i = 0; i < this.parts.length; i++) {
      const c = this.parts[i].call;
      if (c !== null) c.onDelete();
      this.parts[i].call = null;
    }
  }

  /** True while the client's request continues upstream as an SSE channel. */
  streaming(): bool {
    const s = this.stream;
    return s !== null && s.phase == CallPhase.Stream;
  }

  /** The channel's response: read by its call; held while other parts still run. */
  onResponseHeaders(endOfStream: bool): i32 {
    const s = this.stream;
    if (s !== null && s.phase == CallPhase.Stream) return s.onResponseHeaders(endOfStream);
    return s !== null && this.phase == FedPhase.List ? STOP_ITERATION : CONTINUE;
  }

  onResponseBody(size: u32, endOfStream: bool): i32 {
    const s = this.stream;
    if (s !== null && s.phase == CallPhase.Stream) return s.onResponseBody(size, endOfStream);
    return s !== null && this.phase == FedPhase.List ? STOP_NO_BUFFER : CONTINUE;
  }

  onHttpCallResponse(token: u32, headers: Header[], body: ArrayBuffer): void {
    for (let i = 0; i < this.parts.length; i++) {
      const c = this.parts[i].call;
      if (c !== null && c.tokens.has(token)) return c.onHttpCallResponse(token, headers, body);
    }
  }

  onTick(now: i64): void {
    const s = this.stream;
    if (s !== null && s.phase == CallPhase.Stream) s.onTick(now);
  }

  onDelete(): void {
    this.drop();
    const s = this.stream;
    if (s !== null) s.onDelete();
    this.phase = FedPhase.Done;
  }
}
