// The per-request context (the proxy-wasm HttpContext). It selects the configuration
// (global or a `_rules_` match; none → the request is left alone), checks the Origin (both
// modes), runs the OAuth gate when `server.authorization` is set (filter/authz.ts: metadata,
// 401, the caller's claims), takes the x-envoy-allow-mcp-tools header off the request, then
// hands every later callback to the mode's state machine:
//
//   terminating mode (`mcp-proxy`)      → TermStream (filter/terminate.ts)
//   pass-through mode (`mcp-passthrough`) → PassStream (filter/passthrough.ts)
import { Caller, CallerAuthz } from "../authz/rules";
import { Config, Mode } from "../config/config";
import { ALLOW_METHODS, originAllowed, preflightHeaders, responseHeaders as corsResponseHeaders } from "../passthrough/cors";
import { Header, HeaderMap, HeaderView, headerView, removeHeader } from "../host/host";
import * as codes from "../jsonrpc/codes";
import { errorResponse } from "../jsonrpc/message";
import { ALLOW_TOOLS_HEADER, effectivePolicyOf } from "../mcp/tools";
import { gateRequest } from "./authz";
import { RequestObs, beginRequest, endRequest } from "./observe";
import { PassStream } from "./passthrough";
import { Plugin } from "./plugin";
import { replyEmpty, replyJson } from "./reply";
import { CONTINUE, STOP_ITERATION } from "./status";
import { TermStream } from "./terminate";

/** One client request. */
export class Stream {
  /** CORS headers for an allowed browser origin (empty without Origin). */
  corsHeaders: Header[] = [];
  /** Pass-through mode: the request's handler. */
  pass: PassStream | null = null;
  /** Terminating mode: the request's handler. */
  term: TermStream | null = null;
  /** What the gateway observes of the request (stats, access-log properties); null = no configuration applies. */
  obs: RequestObs | null = null;

  constructor(public id: u32, public plugin: Plugin) {}

  /**
   * Request headers: configuration, Origin, then the mode's own handling. The headers are
   * read once; every copy of x-envoy-allow-mcp-tools narrows the tool policy.
   */
  onRequestHeaders(endOfStream: bool): i32 {
    const headers = headerView(HeaderMap.Request);
    const authority = headers.get(":authority");
    const cfg = this.plugin.select(authority !== null ? authority : "");
    // No configuration applies (no matching rule, no global one): leave the request alone.
    if (cfg === null) return CONTINUE;
    const m = headers.get(":method");
    const method = m !== null ? m : "";
    this.obs = beginRequest(cfg, method);
    if (!this.checkOrigin(cfg, method, headers)) return STOP_ITERATION;
    const az = cfg.authorization;
    let caller: Caller | null = null;
    if (az !== null) {
      const gate = gateRequest(az, cfg.serverName, method, headers, this.corsHeaders);
      if (gate.answered) return STOP_ITERATION;
      caller = gate.caller;
    }
    const allow = headers.all(ALLOW_TOOLS_HEADER);
    if (allow.length > 0) removeHeader(HeaderMap.Request, ALLOW_TOOLS_HEADER);
    const policy = effectivePolicyOf(cfg.allowTools, allow);
    if (caller !== null) policy.authorizeFor(new CallerAuthz(az!, caller));
    if (cfg.mode == Mode.Passthrough) {
      const pass = new PassStream(this.id, this.plugin, cfg, policy, headers, this.corsHeaders);
      // Sessions are bound to who the token names (the token itself never reaches the filter).
      if (caller !== null) pass.binding = caller.identity;
      this.pass = pass;
      return pass.onRequestHeaders(method, endOfStream);
    }
    const term = new TermStream(this.id, this.plugin, cfg, policy, headers, this.corsHeaders);
    this.term = term;
    return term.onRequestHeaders(method, endOfStream);
  }

  /**
   * Origin check (MCP transports: validate Origin against DNS rebinding) and CORS preflight.
   * False when the request was answered (403, or the preflight's 204).
   */
  private checkOrigin(cfg: Config, method: string, headers: HeaderView): bool {
    const origin = headers.get("origin");
    if (origin !== null) {
      if (!originAllowed(origin, cfg.allowOrigins)) {
        replyJson(403, errorResponse("null", codes.INVALID_REQUEST, "Forbidden: origin " + origin + " is not allowed"), "mcp_origin_forbidden");
        return false;
      }
      this.corsHeaders = corsResponseHeaders(origin);
      if (method == "OPTIONS") {
        replyEmpty(204, "mcp_preflight", preflightHeaders(origin, headers.get("access-control-request-headers")));
        return false;
      }
    } else if (method == "OPTIONS" && cfg.mode == Mode.Passthrough) {
      // No preflight: pass-through names the methods it serves; terminating mode answers
      // OPTIONS like any non-POST method (405, Allow: POST).
      replyEmpty(204, "mcp_options", [new Header("allow", ALLOW_METHODS)]);
      return false;
    }
    return true;
  }

  onRequestBody(size: u32, endOfStream: bool): i32 {
    if (this.pass !== null) return this.pass!.onRequestBody(size, endOfStream);
    if (this.term !== null) return this.term!.onRequestBody(size, endOfStream);
    return CONTINUE;
  }

  onRequestTrailers(): i32 {
    if (this.pass !== null) return this.pass!.onRequestTrailers();
    if (this.term !== null) return this.term!.onRequestTrailers();
    return CONTINUE;
  }

  onResponseHeaders(endOfStream: bool): i32 {
    if (this.pass !== null) return this.pass!.onResponseHeaders(endOfStream);
    if (this.term !== null) return this.term!.onResponseHeaders(endOfStream);
    return CONTINUE;
  }

  onResponseBody(size: u32, endOfStream: bool): i32 {
    if (this.pass !== null) return this.pass!.onResponseBody(size, endOfStream);
    if (this.term !== null) return this.term!.onResponseBody(size, endOfStream);
    return CONTINUE;
  }

  /** A dispatched call came back (headers empty = reset). */
  onHttpCallResponse(token: u32, headers: Header[], body: ArrayBuffer): void {
    if (this.term !== null) this.term!.onHttpCallResponse(token, headers, body);
  }

  /** Root tick: deadline of a silent SSE channel. */
  onTick(now: i64): void {
    if (this.term !== null) this.term!.onTick(now);
  }

  /** True when the filter's time for this request is measured (its server's stats are on). */
  get timed(): bool {
    const o = this.obs;
    return o !== null && o.stats !== null;
  }

  /** The stream is going away: forget its pending calls so late answers are dropped; count it. */
  onDelete(): void {
    if (this.term !== null) this.term!.onDelete();
    const o = this.obs;
    if (o !== null) endRequest(o);
  }
}
