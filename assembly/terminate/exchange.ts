// The terminating mode's short MCP session with a backend, as a pure state machine:
//   initialize → notifications/initialized → the real call (tools/list | tools/call)
// Each step is one HTTP POST; the filter dispatches what `request()` describes and feeds
// the answer to `onResponse()`, which says whether to send the next step or to reply to
// the client. Host-free, so every path (and every failure) is unit-tested.
import { Config } from "../config/config";
import { Header, findHeader } from "../http/header";
import * as codes from "../jsonrpc/codes";
import { Reply, errorResponse, resultResponse } from "../jsonrpc/message";
import { BodyOutcome, CALL_ID, INIT_ID, callBody, initializeBody, initializedBody, readBackendBody, resultProtocolVersion } from "../mcp/backend";
import { ToolPolicy, filterToolsResult } from "../mcp/tools";
import { SESSION_HEADER, VERSION_HEADER } from "../mcp/headers";
import { isSupported } from "../mcp/version";
import { appendQuery } from "../security/credentials";


/** Where the exchange is. */
export enum Step {
  Initialize,
  Notify,
  Call,
  Done,
}

/** Readable step names for error messages and logs. */
export function stepName(step: Step): string {
  switch (step) {
    case Step.Initialize: return "initialize";
    case Step.Notify: return "notification";
    case Step.Call: return "call";
    default: return "done";
  }
}

/** One backend HTTP request to dispatch. */
export class Outgoing {
  constructor(public headers: Header[], public body: string) {}
}

/** The client's reply once the exchange is over (always HTTP 200, JSON-RPC inside). */
export class Final {
  constructor(public body: string, public logLine: string) {}
}

/** The backend exchange for one client request. */
export class Exchange {
  step: Step = Step.Initialize;
  /** The backend's session id, once initialize returned one. */
  sessionId: string = "";
  /** The version the backend agreed to. */
  backendVersion: string;
  /** Set when the exchange ended; the client reply. */
  final: Final | null = null;
  /** Credential headers every backend request carries (see security schemes). */
  authHeaders: Header[] = [];
  /** Credential query parameter (`name=value`) appended to every backend URL, or "". */
  authQuery: string = "";

  constructor(
    public config: Config,
    public method: string,
    public paramsRaw: string,
    public clientIdRaw: string,
    public policy: ToolPolicy,
    public requestedVersion: string,
  ) {
    this.backendVersion = requestedVersion;
  }

  /** `p` (default: the server URL's path) with the credential query appended. */
  path(p: string = ""): string {
    return appendQuery(p.length > 0 ? p : this.config.url.path, this.authQuery);
  }

  /** The HTTP request for the current step. */
  request(): Outgoing {
    const h = new Array<Header>();
    h.push(new Header(":method", "POST"));
    h.push(new Header(":path", this.path()));
    h.push(new Header(":authority", this.config.url.authority));
    h.push(new Header(":scheme", this.config.url.scheme));
    h.push(new Header("content-type", "application/json"));
    h.push(new Header("accept", "application/json, text/event-stream"));
    for (let i = 0; i < this.authHeaders.length; i++) h.push(this.authHeaders[i]);
    if (this.step != Step.Initialize) {
      if (this.sessionId.length > 0) h.push(new Header(SESSION_HEADER, this.sessionId));
      h.push(new Header(VERSION_HEADER, this.backendVersion));
    }
    let body: string;
    if (this.step == Step.Initialize) body = initializeBody(this.requestedVersion);
    else if (this.step == Step.Notify) body = initializedBody();
    else body = callBody(this.method, this.paramsRaw);
    return new Outgoing(h, body);
  }

  /**
   * Feeds the backend's answer to the current step. `status` 0 means the call came back
   * without headers (reset). Returns true when another request must be sent; false when
   * `final` holds the client reply.
   */
  onResponse(status: i32, headers: Header[], body: Uint8Array): bool {
    if (this.step == Step.Initialize) return this.onInitialize(status, headers, body);
    if (this.step == Step.Notify) return this.onNotify(status);
    if (this.step == Step.Call) return this.onCall(status, headers, body);
    return false;
  }

  /** Ends the exchange with -32603 naming the step and the cause. */
  failStep(cause: string): bool {
    const msg = "backend " + stepName(this.step) + " failed: " + cause;
    this.finish(errorResponse(this.clientIdRaw, codes.INTERNAL_ERROR, msg), msg);
    return false;
  }

  /** Ends the exchange with `body` as the client reply. */
  finish(body: string, logLine: string): void {
    this.step = Step.Done;
    this.final = new Final(body, logLine);
  }

  private onInitialize(status: i32, headers: Header[], body: Uint8Array): bool {
    if (status == 0) return this.failStep(transportCause(status, this.config.timeoutMs));
    const reading = readBackendBody(findHeader(headers, "content-type"), body, INIT_ID);
    if (reading.outcome == BodyOutcome.Found && reading.reply.isError) return this.onInitialized(reading.reply);
    if (status < 200 || status > 299) return this.failStep(transportCause(status, this.config.timeoutMs));
    if (reading.outcome != BodyOutcome.Found) return this.failStep(bodyCause(reading.outcome));
    if (!this.onInitialized(reading.reply)) return false;
    const sid = findHeader(headers, SESSION_HEADER);
    if (sid !== null) this.sessionId = sid;
    return true;
  }

  /**
   * Checks the backend's answer to initialize: a -32602 error (the backend rejects our
   * protocol version) or a version outside ours ends with -32602; another error ends with
   * -32603. On success records the version and moves to the notification step.
   */
  onInitialized(r: Reply): bool {
    if (r.isError) {
      if (r.code == codes.INVALID_PARAMS) {
        const msg = "backend rejected protocol version " + this.requestedVersion + ": " + r.message;
        this.finish(errorResponse(this.clientIdRaw, codes.INVALID_PARAMS, msg), msg);
        return false;
      }
      return this.failStep("JSON-RPC error " + r.code.toString() + ": " + r.message);
    }
    const v = resultProtocolVersion(r.resultRaw);
    if (v === null || !isSupported(v)) {
      const msg = "backend negotiated an unsupported protocol version" + (v !== null ? " " + v : "");
      this.finish(errorResponse(this.clientIdRaw, codes.INVALID_PARAMS, msg), msg);
      return false;
    }
    this.backendVersion = v;
    this.step = Step.Notify;
    return true;
  }

  /** The call's JSON-RPC reply becomes the client's reply (tools/list filtered). */
  onCallReply(r: Reply): void {
    if (r.isError) {
      // The backend's own JSON-RPC error reaches the client as it was.
      this.finish(errorResponse(this.clientIdRaw, r.code, r.message, r.dataRaw), "");
      return;
    }
    let result = r.resultRaw;
    if (this.method == "tools/list") result = filterToolsResult(result, this.policy);
    this.finish(resultResponse(this.clientIdRaw, result), "");
  }

  private onNotify(status: i32): bool {
    if (status < 200 || status > 299) return this.failStep(transportCause(status, this.config.timeoutMs));
    this.step = Step.Call;
    return true;
  }

  private onCall(status: i32, headers: Header[], body: Uint8Array): bool {
    if (status == 0) return this.failStep(transportCause(status, this.config.timeoutMs));
    const reading = readBackendBody(findHeader(headers, "content-type"), body, CALL_ID);
    if (reading.outcome == BodyOutcome.Found) {
      this.onCallReply(reading.reply);
      return false;
    }
    if (status < 200 || status > 299) return this.failStep(transportCause(status, this.config.timeoutMs));
    return this.failStep(bodyCause(reading.outcome));
  }
}

/** Describes a failed HTTP exchange; 503/504 are what Envoy answers for refused/timeout. */
export function transportCause(status: i32, timeoutMs: i32): string {
  if (status == 0) return "connection reset (no response headers)";
  if (status == 503) return "HTTP 503 (backend unavailable: connection refused, reset or overflow)";
  if (status == 504) return "HTTP 504 (timeout: no answer within server.timeout " + timeoutMs.toString() + " ms)";
  return "HTTP " + status.toString();
}

function bodyCause(outcome: BodyOutcome): string {
  if (outcome == BodyOutcome.Unparsable) return "unparsable response body (neither JSON nor SSE-framed JSON)";
  return "the response body holds no JSON-RPC response with the expected id";
}
