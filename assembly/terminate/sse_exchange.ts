// The terminating mode over a legacy HTTP+SSE backend (MCP 2024-11-05 transport), as a
// pure state machine. The client's own request has become `GET <sse path>` (the stream);
// the machine reads that stream's bytes and emits the POSTs to send to the endpoint:
//
//   AwaitHeaders  → 200 text/event-stream, else fail
//   AwaitEndpoint → `event: endpoint` → POST initialize                         → AwaitInit
//   AwaitInit     → `message` with id 1 → POST notifications/initialized        → AwaitNotifyAck
//   AwaitNotifyAck→ that POST answered 2xx → POST the call                      → AwaitCall
//   AwaitCall     → `message` with id 2 → the client reply                      → Done
//
// Answers to the POSTs only acknowledge (202); results arrive on the stream, in any order
// relative to the acknowledgements. Any non-2xx acknowledgement, a closed stream, an
// oversized event or the deadline ends the exchange with -32603 naming what happened.
import { Header } from "../http/header";
import * as codes from "../jsonrpc/codes";
import { errorResponse, readReply } from "../jsonrpc/message";
import { CALL_ID, INIT_ID, callBody, initializeBody, initializedBody, isEventStream, isListChanged } from "../mcp/backend";
import { resolveEndpoint } from "../mcp/endpoint";
import { SseParser } from "../sse/parser";
import { VERSION_HEADER } from "../mcp/headers";
import { Exchange, Step, stepName, transportCause } from "./exchange";

/** Where the SSE exchange is (see the table above). */
export enum SsePhase {
  AwaitHeaders,
  AwaitEndpoint,
  AwaitInit,
  AwaitNotifyAck,
  AwaitCall,
  Done,
}

/** A POST to the endpoint, tagged with the step it carries. */
export class Post {
  constructor(public step: Step, public headers: Header[], public body: string) {}
}

/** The SSE-transport exchange for one client request. */
export class SseExchange {
  phase: SsePhase = SsePhase.AwaitHeaders;
  /** The endpoint's `:path`, once announced. */
  endpointPath: string = "";
  /** POSTs to dispatch now (drained by the filter after each input). */
  outbox: Post[] = [];
  private parser: SseParser;

  constructor(public core: Exchange, public maxBytes: i32) {
    this.parser = new SseParser(maxBytes);
  }

  /** True once `core.final` holds the client reply. */
  get done(): bool {
    return this.phase == SsePhase.Done;
  }

  /** The stream's response headers. */
  onStreamHeaders(status: i32, contentType: string | null): void {
    if (this.phase != SsePhase.AwaitHeaders) return;
    if (status != 200) return this.fail("backend SSE stream failed: HTTP " + status.toString() + " (expected 200 text/event-stream)");
    if (!isEventStream(contentType)) {
      return this.fail("backend SSE stream failed: content-type " + (contentType !== null ? contentType : "(none)") + " is not text/event-stream");
    }
    this.phase = SsePhase.AwaitEndpoint;
  }

  /** A chunk of the stream; `end` when the backend closed it. */
  onStreamBytes(bytes: Uint8Array, end: bool): void {
    if (this.done) return;
    const events = this.parser.feed(bytes);
    if (this.parser.overflow) {
      return this.fail("backend SSE stream exceeded server.maxResponseBytes (" + this.maxBytes.toString() + " bytes in one event)");
    }
    for (let i = 0; i < events.length && !this.done; i++) this.onEvent(events[i].event, events[i].data);
    if (end && !this.done) this.fail("backend SSE stream closed before the " + stepName(this.core.step) + " answer");
  }

  /** The acknowledgement of a POST (status 0 = reset). */
  onPostAnswer(step: Step, status: i32): void {
    if (this.done) return;
    if (status < 200 || status > 299) {
      return this.fail("backend endpoint POST (" + stepName(step) + ") answered " + transportCause(status, this.core.config.timeoutMs));
    }
    if (step == Step.Notify && this.phase == SsePhase.AwaitNotifyAck) {
      this.core.step = Step.Call;
      this.phase = SsePhase.AwaitCall;
      this.post(Step.Call, callBody(this.core.method, this.core.paramsRaw));
    }
  }

  /** The deadline passed with the exchange unfinished. */
  onTimeout(): void {
    if (this.done) return;
    const what = this.phase == SsePhase.AwaitHeaders ? "no SSE stream" :
      this.phase == SsePhase.AwaitEndpoint ? "no endpoint event" : "no answer";
    this.core.failStep("timeout: " + what + " within server.timeout " + this.core.config.timeoutMs.toString() + " ms");
    this.phase = SsePhase.Done;
  }

  /** Ends with -32603 and `message` (kept verbatim). */
  fail(message: string): void {
    this.core.finish(errorResponse(this.core.clientIdRaw, codes.INTERNAL_ERROR, message), message);
    this.phase = SsePhase.Done;
  }

  private onEvent(event: string, data: string): void {
    if (event == "endpoint") {
      if (this.phase != SsePhase.AwaitEndpoint) return; // a repeated endpoint is ignored
      const ep = resolveEndpoint(data, this.core.config.url);
      if (ep.error.length > 0) return this.fail("backend endpoint refused: " + ep.error);
      this.endpointPath = ep.path;
      this.phase = SsePhase.AwaitInit;
      this.post(Step.Initialize, initializeBody(this.core.requestedVersion));
      return;
    }
    if (event != "message") return; // ping and unknown events
    if (isListChanged(data)) this.core.listChanged = true;
    if (this.phase == SsePhase.AwaitInit) {
      const r = readReply(data, INIT_ID);
      if (!r.found) return;
      if (!this.core.onInitialized(r)) {
        this.phase = SsePhase.Done;
        return;
      }
      this.phase = SsePhase.AwaitNotifyAck;
      this.post(Step.Notify, initializedBody());
      return;
    }
    if (this.phase == SsePhase.AwaitCall || this.phase == SsePhase.AwaitNotifyAck) {
      const r = readReply(data, CALL_ID);
      if (!r.found) return;
      this.core.onCallReply(r);
      this.phase = SsePhase.Done;
    }
  }

  private post(step: Step, body: string): void {
    const url = this.core.config.url;
    const h = new Array<Header>();
    h.push(new Header(":method", "POST"));
    h.push(new Header(":path", this.core.path(this.endpointPath)));
    h.push(new Header(":authority", url.authority));
    h.push(new Header(":scheme", url.scheme));
    h.push(new Header("content-type", "application/json"));
    for (let i = 0; i < this.core.authHeaders.length; i++) h.push(this.core.authHeaders[i]);
    if (step != Step.Initialize) h.push(new Header(VERSION_HEADER, this.core.backendVersion));
    this.outbox.push(new Post(step, h, body));
  }
}
