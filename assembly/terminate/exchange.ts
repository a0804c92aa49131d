// The terminating mode's exchange with a backend for one client request, as a pure state
// machine. The backend's era decides the steps:
//
//   era unknown   Discover → (modern) Call | (legacy) Initialize → Notify → Call
//   modern        Call: one POST with `_meta` and the Mcp-Method/Mcp-Name headers
//                 (a -32020 for a missing Mcp-Param-* header: ListTools to read the tool's
//                 x-mcp-header arguments, then Call again with them: mirror.ts)
//   legacy        Initialize → Notify → Call, then the backend session is kept (reuse.ts);
//                 with a kept session (or for a backend known stateless) only Call — and
//                 when that call is refused for the want of a handshake, Initialize → Notify
//                 → Call again, once
//
// A cached era can be stale: a -32022, or a 4xx without a modern JSON-RPC error, from a
// backend believed modern (or an initialize refused for its version by one believed legacy)
// makes the exchange probe again with Discover, once. Each step is one HTTP POST; the filter
// dispatches what `request()` describes and feeds the answer to `onResponse()`, which says
// whether to send the next step or to reply to the client. Host-free, so every path (and
// every failure) is unit-tested.
import { Config } from "../config/config";
import { Header, findHeader } from "../http/header";
import * as codes from "../jsonrpc/codes";
import { Reply, errorResponse, request } from "../jsonrpc/message";
import { BodyOutcome, CALL_ID, INIT_ID, callBody, initializeBody, initializedBody, readBackendBody, resultProtocolVersion } from "../mcp/backend";
import { CallParams, backendMeta } from "../mcp/params";
import { ToolPolicy } from "../mcp/tools";
import { SESSION_HEADER, VERSION_HEADER } from "../mcp/headers";
import { isSupported } from "../mcp/version";
import { appendQuery } from "../security/credentials";
import { ClientSide, Final, answerFor } from "./answer";
import { bodyCause, isEraError, needsHandshake, staleModern, transportCause } from "./causes";
import { Era, eraOfDiscover } from "./era";
import { LIST_ID, MirrorStep, ParamMirror } from "./mirror";
import { CachedSession } from "./reuse";
import { Outgoing, Step, modernHeaders, stepName } from "./step";

export { ClientSide, Final, Outgoing, Step, stepName, transportCause };

/** The backend exchange for one client request. */
export class Exchange {
  step: Step = Step.Initialize;
  /** The era the exchange works with (from the cache, or learned by Discover). */
  era: Era;
  /** True once Discover ran in this exchange (its answer should be cached). */
  probed: bool = false;
  /** The backend's session id (kept, or returned by this exchange's initialize). */
  sessionId: string = "";
  /** The kept backend session (or stateless profile) this exchange started from, if any. */
  cached: CachedSession | null = null;
  /** The handshake ran in this exchange (its session, "" if none, may be kept). */
  handshook: bool = false;
  /** The kept session was refused (gone, or the backend wants a handshake after all). */
  staleCache: bool = false;
  /** The backend's own reply to the call (before it was shaped for the client), if any. */
  reply: Reply | null = null;
  /** Why the exchange failed ("" when the backend answered the call). */
  failure: string = "";
  /** The backend said its tool list changed (notifications/tools/list_changed). */
  listChanged: bool = false;
  /** The version the backend agreed to. */
  backendVersion: string;
  /** Set when the exchange ended; the client reply. */
  final: Final | null = null;
  /** Credential headers every backend request carries (see security schemes). */
  authHeaders: Header[] = [];
  /** Credential query parameter (`name=value`) appended to every backend URL, or "". */
  authQuery: string = "";
  /** The client's side of the request. */
  client: ClientSide = new ClientSide();
  /** The rebuilt call params (legacy form in `paramsRaw`). */
  params: CallParams;
  /** The legacy form of the call params ("" for none). */
  paramsRaw: string;
  /** ListTools: reading a tool's x-mcp-header arguments for a client that did not send them. */
  private mirror: ParamMirror = new ParamMirror();

  constructor(
    public config: Config,
    public method: string,
    params: CallParams,
    public clientIdRaw: string,
    public policy: ToolPolicy,
    public requestedVersion: string,
    era: Era = Era.Legacy,
  ) {
    this.params = params;
    this.paramsRaw = params.raw;
    this.backendVersion = requestedVersion;
    this.era = era;
    this.step = era == Era.Unknown ? Step.Discover : era == Era.Modern ? Step.Call : Step.Initialize;
  }

  /** Starts from a kept backend session (legacy backends): only the call is sent. */
  useCached(c: CachedSession): void {
    this.cached = c;
    if (this.era == Era.Legacy && this.step == Step.Initialize) this.resumeCached();
  }

  private resumeCached(): void {
    const c = this.cached!;
    this.sessionId = c.sessionId;
    this.backendVersion = c.version;
    this.step = Step.Call;
  }

  /** The first step with a legacy backend: the kept session's call, or the handshake. */
  private legacyStart(): Step {
    if (this.cached !== null && !this.staleCache) {
      this.resumeCached();
      return Step.Call;
    }
    return Step.Initialize;
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
    if (this.step == Step.Discover) {
      modernHeaders(h, "server/discover", "");
      return new Outgoing(h, request(INIT_ID, "server/discover", '{"_meta":' + backendMeta("") + "}"));
    }
    if (this.step == Step.ListTools) {
      modernHeaders(h, "tools/list", "");
      return new Outgoing(h, this.mirror.listBody());
    }
    if (this.step == Step.Call && this.era == Era.Modern) {
      modernHeaders(h, this.method, this.params.toolName);
      for (let i = 0; i < this.client.paramHeaders.length; i++) h.push(this.client.paramHeaders[i]);
      return new Outgoing(h, request(CALL_ID, this.method, this.params.modern(backendMeta(this.client.metaRaw))));
    }
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
    if (this.step == Step.Discover) return this.onDiscover(status, headers, body);
    if (this.step == Step.Initialize) return this.onInitialize(status, headers, body);
    if (this.step == Step.Notify) return this.onNotify(status);
    if (this.step == Step.Call) return this.onCall(status, headers, body);
    if (this.step == Step.ListTools) return this.onListTools(status, headers, body);
    return false;
  }

  /** Ends the exchange with -32603 naming the step and the cause. */
  failStep(cause: string): bool {
    const msg = "backend " + stepName(this.step) + " failed: " + cause;
    this.failure = msg;
    this.finish(errorResponse(this.clientIdRaw, codes.INTERNAL_ERROR, msg), msg);
    return false;
  }

  /** Ends the exchange with `body` as the client reply. */
  finish(body: string, logLine: string): void {
    this.step = Step.Done;
    this.final = new Final(body, logLine);
  }

  /**
   * A modern server answers with its supportedVersions; anything else that is not a
   * transport failure (an error, 4xx, no JSON-RPC body) means a legacy server.
   */
  private onDiscover(status: i32, headers: Header[], body: Uint8Array): bool {
    // A failure that says nothing about the era (no answer, a server error, a credential
    // refused) ends the request and is not cached.
    if (status == 0 || status >= 500 || status == 401 || status == 403 || status == 407) {
      return this.failStep(transportCause(status, this.config.timeoutMs));
    }
    const reading = readBackendBody(findHeader(headers, "content-type"), body, INIT_ID);
    this.probed = true;
    this.era = status >= 200 && status <= 299 && reading.outcome == BodyOutcome.Found ? eraOfDiscover(reading.reply) : Era.Legacy;
    this.step = this.era == Era.Modern ? Step.Call : this.legacyStart();
    return true;
  }

  /** Probes again when the cached era turned out wrong (once, and only for a cached era). */
  private reprobe(): bool {
    if (this.probed) return false;
    this.step = Step.Discover;
    this.sessionId = "";
    return true;
  }

  private onInitialize(status: i32, headers: Header[], body: Uint8Array): bool {
    if (status == 0) return this.failStep(transportCause(status, this.config.timeoutMs));
    const reading = readBackendBody(findHeader(headers, "content-type"), body, INIT_ID);
    const found = reading.outcome == BodyOutcome.Found;
    // A modern-only server refuses initialize by naming its versions (-32022) or, reading
    // it as a modern request without headers, with -32020.
    if (found && reading.reply.isError && isEraError(reading.reply.code) && this.reprobe()) return true;
    if (found && reading.reply.isError) return this.onInitialized(reading.reply);
    if (status < 200 || status > 299) return this.failStep(transportCause(status, this.config.timeoutMs));
    if (!found) return this.failStep(bodyCause(reading.outcome));
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
      if (r.code == codes.INVALID_PARAMS || r.code == codes.UNSUPPORTED_PROTOCOL_VERSION) {
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

  /** The call's JSON-RPC reply becomes the client's reply (terminate/answer.ts). */
  onCallReply(r: Reply): void {
    this.step = Step.Done;
    this.reply = r;
    this.final = answerFor(this.method, this.policy, this.client, this.clientIdRaw, r);
  }

  private onNotify(status: i32): bool {
    if (status < 200 || status > 299) return this.failStep(transportCause(status, this.config.timeoutMs));
    this.handshook = true;
    this.step = Step.Call;
    return true;
  }

  private onCall(status: i32, headers: Header[], body: Uint8Array): bool {
    if (status == 0) return this.failStep(transportCause(status, this.config.timeoutMs));
    const reading = readBackendBody(findHeader(headers, "content-type"), body, CALL_ID);
    if (reading.listChanged) this.listChanged = true;
    const found = reading.outcome == BodyOutcome.Found;
    if (this.era == Era.Modern && staleModern(status, found, reading.reply) && this.reprobe()) return true;
    if (this.era == Era.Legacy && this.cached !== null && !this.handshook && needsHandshake(status, found, reading.reply)) {
      // The kept session is gone (404) or the backend wants initialize after all: do it, once.
      this.staleCache = true;
      this.sessionId = "";
      this.backendVersion = this.requestedVersion;
      this.step = Step.Initialize;
      return true;
    }
    if (found && this.mirror.wants(reading.reply, this.method, this.client.paramHeaders.length > 0)) {
      this.step = Step.ListTools;
      return true;
    }
    if (found) {
      this.onCallReply(reading.reply);
      return false;
    }
    if (status < 200 || status > 299) return this.failStep(transportCause(status, this.config.timeoutMs));
    return this.failStep(bodyCause(reading.outcome));
  }

  /** The gateway's own tools/list page: find the tool, mirror its arguments, call again. */
  private onListTools(status: i32, headers: Header[], body: Uint8Array): bool {
    const reading = readBackendBody(findHeader(headers, "content-type"), body, LIST_ID);
    const ok = status >= 200 && status <= 299 && reading.outcome == BodyOutcome.Found && !reading.reply.isError;
    const next = this.mirror.onPage(ok ? reading.reply.resultRaw : null, this.params.toolName, this.params.argsRaw);
    if (next == MirrorStep.NextPage) return true;
    if (next == MirrorStep.Call) {
      this.client.paramHeaders = this.mirror.headers;
      this.step = Step.Call;
      return true;
    }
    // Nothing to mirror: the backend's refusal stands.
    this.onCallReply(this.mirror.refusal!);
    return false;
  }
}
