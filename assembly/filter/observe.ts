// What the gateway observes of one request: its method and tools, how it ended (the facts its
// outcome is decided from), the time it spent with the backend and in the filter. The mode
// state machines call the one-line hooks below; the stats are counted once, when the stream
// ends (filter/stats.ts), and the access-log properties set as soon as the answer is known.
//
// Callbacks never nest in a VM, so the request being served is a module-level `current`, set by
// the ABI entry points (filter/entry.ts) around every callback of a stream: hooks deep in the
// state machines (a local reply, a dispatched call) need no handle passed down.
import { Config } from "../config/config";
import { Buffer, getBuffer, setProperty } from "../host/host";
import { parseStatus } from "../http/header";
import { nowNs } from "../host/clock";
import * as codes from "../jsonrpc/codes";
import { Message, MessageKind } from "../jsonrpc/message";
import { member, skipWs, stringAt } from "../jsonrpc/scan";
import { isEventStream } from "../mcp/backend";
import { Inspection } from "../passthrough/inspect";
import { Era } from "../terminate/era";
import { Exchange } from "../terminate/exchange";
import {
  BackendStep, METHOD_BATCH, METHOD_INVALID, METHOD_LABELS, METHOD_RESPONSE, SessionEvent, httpMethodLabel, methodOf, pseudoMethod,
} from "../stats/names";
import { Facts, outcomeOf, replyError } from "../stats/outcome";
import { listedToolNames, namesOfReply } from "../stats/tools";
import { sessionTag } from "../stats/trace";
import { ServerStats, statsOf } from "./stats";

/** One request, as observed. */
export class RequestObs {
  /** The server's stats; null when `server.stats` is false (properties are still set). */
  stats: ServerStats | null;
  /** Index of the method label (stats/names.ts METHOD_LABELS). */
  method: i32;
  facts: Facts = new Facts();
  /** The answer is known (a local reply, or the backend's response headers). */
  answered: bool = false;
  /** The tools/call names of the request ("" entries: messages that are no call). */
  tools: string[] | null = null;
  /** Time spent inside the filter's callbacks, ns. */
  busyNs: u64 = 0;
  /** When the backend exchange (or the forwarded request) started, ns; 0 = none. */
  backendStartNs: u64 = 0;
  /** Pass-through: ids of tools/list requests whose answer names tools to learn. */
  listIds: string[] | null = null;
  listSse: bool = false;
  listBody: Uint8Array | null = null;
  listLen: i32 = 0;

  constructor(public config: Config, httpMethod: string) {
    this.stats = statsOf(config);
    this.method = pseudoMethod(httpMethodLabel(httpMethod));
  }
}

let current: RequestObs | null = null;

/** A stream callback starts: `obs` is the request being served; returns the clock to time it by (0: untimed). */
export function enter(obs: RequestObs | null, timed: bool): u64 {
  current = obs;
  return timed ? nowNs() : 0;
}

/** The callback ends: its duration is added to the request's time in the filter. */
export function leave(obs: RequestObs | null, t0: u64): void {
  current = null;
  if (obs === null || t0 == 0 || obs.stats === null) return;
  const t = nowNs();
  if (t > t0) obs.busyNs += t - t0;
}

/** A request that a configuration applies to begins; it is the current one from now on. */
export function beginRequest(cfg: Config, httpMethod: string): RequestObs {
  const obs = new RequestObs(cfg, httpMethod);
  current = obs;
  return obs;
}

/** The stream ends: the request is counted (once), with the time it spent in the filter. */
export function endRequest(obs: RequestObs): void {
  const s = obs.stats;
  if (s === null) return;
  if (obs.answered) {
    const outcome = outcomeOf(obs.facts);
    s.countRequest(obs.method, outcome);
    const tools = obs.tools;
    if (tools !== null) for (let i = 0; i < tools.length; i++) if (tools[i].length > 0) s.countTool(tools[i], outcome);
  }
  s.recordGatewayTime(obs.busyNs / 1000);
}

/** Terminating mode: the parsed client message (its method, and the tool of a tools/call). */
export function noteMessage(msg: Message): void {
  const obs = current;
  if (obs === null) return;
  if (msg.kind == MessageKind.Invalid) obs.method = pseudoMethod(METHOD_INVALID);
  else if (msg.kind == MessageKind.Response) obs.method = pseudoMethod(METHOD_RESPONSE);
  else obs.method = methodOf(msg.method);
  if (msg.method != "tools/call" || msg.paramsRaw.length == 0) return;
  const name = stringAt(msg.paramsRaw, member(msg.paramsRaw, skipWs(msg.paramsRaw, 0), "name"));
  obs.tools = [name !== null ? name : ""];
}

/** Pass-through mode: the inspected body; a tools/list answer is read for tool names when nothing filters it. */
export function notePassRequest(ins: Inspection, unrestricted: bool): void {
  const obs = current;
  if (obs === null) return;
  if (ins.unreadable) obs.method = pseudoMethod(METHOD_INVALID);
  else if (ins.batch) obs.method = pseudoMethod(METHOD_BATCH);
  else if (ins.method.length == 0) obs.method = pseudoMethod(ins.isRequest ? METHOD_INVALID : METHOD_RESPONSE);
  else obs.method = methodOf(ins.method);
  obs.tools = ins.tools;
  if (unrestricted && ins.toolsListIds.length > 0 && obs.stats !== null) obs.listIds = ins.toolsListIds;
}

/** A local reply (filter/reply.ts): its status and JSON-RPC error decide the outcome. */
export function noteReply(status: u32, body: string): void {
  const obs = current;
  if (obs === null) return;
  const f = obs.facts;
  f.status = <i32>status;
  const e = replyError(body);
  f.code = e.code;
  f.toolDenied = e.toolDenied;
  obs.answered = true;
  // The session table was full (server.maxSessions): a session refused.
  if (status == 503 && e.code == codes.SERVER_BUSY && obs.stats !== null) obs.stats!.countSession(SessionEvent.Refused);
  settle(obs);
}

/** A backend exchange (terminating) or the forwarded request (pass-through) starts. */
export function noteBackendStart(): void {
  const obs = current;
  // The first start counts: a federated request starts a call per backend (and per page).
  if (obs !== null && obs.stats !== null && obs.backendStartNs == 0) obs.backendStartNs = nowNs();
}

/** Terminating mode: the backend exchange ended; its reply follows (noteReply). */
export function noteBackendEnd(ex: Exchange): void {
  const obs = current;
  if (obs === null) return;
  const f = ex.final!;
  // Gateway-made failures name their cause; a timeout is "…timeout: …" (terminate/causes.ts, sse_exchange.ts).
  obs.facts.timedOut = f.logLine.includes("timeout:");
  setProperty("mcp_backend_era", ex.era == Era.Modern ? "modern" : ex.era == Era.Legacy ? "legacy" : "unknown");
  const s = obs.stats;
  if (s === null) return;
  backendTime(obs, s);
  if (ex.method == "tools/list" && f.logLine.length == 0) s.learn(namesOfReply(f.body));
}

/**
 * Terminating mode, several backends: the parts ended, the merged list (or the refusal) is the
 * reply. Its names are the ones clients see, so a merged list teaches the prefixed names.
 */
export function noteFederatedEnd(method: string, body: string): void {
  const obs = current;
  if (obs === null) return;
  setProperty("mcp_backend_era", "federated");
  const s = obs.stats;
  if (s === null) return;
  backendTime(obs, s);
  if (method == "tools/list") s.learn(namesOfReply(body));
}

/** Pass-through mode: the request goes to the backend. */
export function noteForwarded(): void {
  const obs = current;
  if (obs === null || obs.stats === null) return;
  obs.stats!.countBackend(BackendStep.Forward);
  obs.backendStartNs = nowNs();
}

/** Pass-through mode: the backend's response headers (`status`, `contentType`). */
export function notePassResponse(status: string | null, contentType: string | null): void {
  const obs = current;
  if (obs === null) return;
  const f = obs.facts;
  f.status = status !== null ? parseStatus(status) : 0;
  f.code = 0;
  f.toolDenied = false;
  obs.answered = true;
  settle(obs);
  const s = obs.stats;
  if (s === null) return;
  backendTime(obs, s);
  if (obs.listIds !== null) {
    obs.listSse = isEventStream(contentType);
    obs.listBody = new Uint8Array(1024);
  }
}

/** Pass-through mode: a chunk of the response body; a tools/list answer is read (never changed). */
export function notePassBody(size: u32, endOfStream: bool): void {
  const obs = current;
  if (obs === null || obs.listBody === null) return;
  const chunk = Uint8Array.wrap(getBuffer(Buffer.ResponseBody, 0, size));
  const need = obs.listLen + chunk.length;
  if (need > obs.config.maxResponseBytes) {
    obs.listBody = null; // too large to read: its names are not learned
    return;
  }
  let buf = obs.listBody!;
  if (need > buf.length) {
    const grown = new Uint8Array(max(need, buf.length * 2));
    grown.set(buf.subarray(0, obs.listLen));
    buf = grown;
    obs.listBody = buf;
  }
  buf.set(chunk, obs.listLen);
  obs.listLen = need;
  if (!endOfStream) return;
  obs.listBody = null;
  obs.stats!.learn(listedToolNames(buf.subarray(0, obs.listLen), obs.listIds!, obs.listSse));
}

/** Pass-through mode: the request's gateway session id (sent, or minted for its answer). */
export function noteSession(id: string): void {
  if (current !== null) setProperty("mcp_session_tag", sessionTag(id));
}

/** Records the backend time of a request once. */
function backendTime(obs: RequestObs, s: ServerStats): void {
  if (obs.backendStartNs == 0) return;
  const t = nowNs();
  if (t > obs.backendStartNs) s.recordBackendTime((t - obs.backendStartNs) / 1000);
  obs.backendStartNs = 0;
}

/** The access-log properties of an answered request (mcp_server_name for every request: here only). */
function settle(obs: RequestObs): void {
  setProperty("mcp_server_name", obs.config.serverName);
  setProperty("mcp_method", METHOD_LABELS[obs.method]);
  if (obs.facts.code != 0) setProperty("mcp_error_code", obs.facts.code.toString());
}
