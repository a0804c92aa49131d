// The gateway's side of an MCP session with a backend (terminating mode): the bodies it
// sends and the reading of what comes back. A Streamable HTTP server answers a POSTed
// request either with one JSON body (`application/json`) or with an SSE stream
// (`text/event-stream`) whose events may include notifications and requests before the
// response (spec: basic/transports, "Sending Messages to the Server").
import * as codes from "../jsonrpc/codes";
import { Reply, readReply, request, notification } from "../jsonrpc/message";
import { Kind, elements, kindAt, kindOf, member, quote, skipWs, stringAt, textOf } from "../jsonrpc/scan";
import { SseParser } from "../sse/parser";
import { validateJSON } from "json-as/assembly/util/validateJson";

/** The gateway's client identity towards backends. */
export const CLIENT_NAME = "mcp-proxy-wasm";
/** The gateway version reported in clientInfo / serverInfo. */
export const GATEWAY_VERSION = "0.1.0";

/** JSON-RPC ids the gateway uses on its backend session. */
// @ts-ignore: decorator
@inline export const INIT_ID: i32 = 1;
// @ts-ignore: decorator
@inline export const CALL_ID: i32 = 2;

/** The `initialize` request the gateway sends to a backend. */
export function initializeBody(version: string): string {
  return request(INIT_ID, "initialize",
    '{"protocolVersion":' + quote(version) + ',"capabilities":{},"clientInfo":{"name":' +
    quote(CLIENT_NAME) + ',"version":' + quote(GATEWAY_VERSION) + "}}");
}

/** The `notifications/initialized` notification that completes the handshake. */
export function initializedBody(): string {
  return notification("notifications/initialized");
}

/** The real call, with the params the gateway rebuilt from the client's. */
export function callBody(method: string, paramsRaw: string): string {
  return request(CALL_ID, method, paramsRaw);
}

/** The `initialize` result the gateway answers clients with. */
export function localInitializeResult(version: string, serverName: string): string {
  return '{"protocolVersion":' + quote(version) + ',"capabilities":{"tools":{}},"serverInfo":{"name":' +
    quote(serverName) + ',"version":' + quote(GATEWAY_VERSION) + "}}";
}

/** How a backend body turned out. */
export enum BodyOutcome {
  /** A response with the expected id was found (see `reply`). */
  Found,
  /** The body parsed but held no response with the expected id. */
  Missing,
  /** The body was neither JSON nor SSE carrying JSON. */
  Unparsable,
}

/** The reading of one backend body. */
export class BodyReading {
  /** The body carried `notifications/tools/list_changed` (a cached list of it is stale). */
  listChanged: bool = false;
  constructor(public outcome: BodyOutcome, public reply: Reply) {}
}

/** Method of the notification by which a server says its tool list changed. */
export const LIST_CHANGED = "notifications/tools/list_changed";

/** True when an SSE message's JSON is the list_changed notification (a cheap check first). */
export function isListChanged(data: string): bool {
  if (!data.includes(LIST_CHANGED) || !validateJSON(data) || kindAt(data, 0) != Kind.Object) return false;
  const m = stringAt(data, member(data, skipWs(data, 0), "method"));
  return m !== null && m == LIST_CHANGED;
}

/** True when a content-type names an SSE stream. */
export function isEventStream(contentType: string | null): bool {
  return contentType !== null && contentType.toLowerCase().indexOf("text/event-stream") >= 0;
}

/** Finds the response to `expectedId` in a whole backend body (JSON or SSE-framed). */
export function readBackendBody(contentType: string | null, body: Uint8Array, expectedId: i32): BodyReading {
  if (isEventStream(contentType)) return readSseBody(body, expectedId);
  const text = String.UTF8.decodeUnsafe(body.dataStart, <usize>body.length);
  if (!validateJSON(text)) return new BodyReading(BodyOutcome.Unparsable, new Reply());
  const top = kindAt(text, 0);
  if (top == Kind.Array) {
    // A batch of responses: look for ours among them.
    const items = elements(text, skipWs(text, 0));
    for (let i = 0; i < items.length; i++) {
      const r = readReply(textOf(text, items[i]), expectedId);
      if (r.found) return new BodyReading(BodyOutcome.Found, r);
    }
    return new BodyReading(BodyOutcome.Missing, new Reply());
  }
  const r = readReply(text, expectedId);
  return new BodyReading(r.found ? BodyOutcome.Found : BodyOutcome.Missing, r);
}

/** SSE body: events other than the expected response (progress, logging, requests) are skipped. */
function readSseBody(body: Uint8Array, expectedId: i32): BodyReading {
  const parser = new SseParser(body.length + 1);
  const events = parser.feed(body);
  const tail = parser.finish(true);
  for (let i = 0; i < tail.length; i++) events.push(tail[i]);
  let sawJson = false;
  let changed = false;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.event != "message") continue;
    if (isListChanged(e.data)) changed = true;
    const r = readReply(e.data, expectedId);
    if (r.found) {
      const found = new BodyReading(BodyOutcome.Found, r);
      found.listChanged = changed;
      return found;
    }
    if (validateJSON(e.data)) sawJson = true;
  }
  const missing = new BodyReading(sawJson ? BodyOutcome.Missing : BodyOutcome.Unparsable, new Reply());
  missing.listChanged = changed;
  return missing;
}

/** The `protocolVersion` of a backend's initialize result, or null. */
export function resultProtocolVersion(resultRaw: string): string | null {
  if (kindAt(resultRaw, 0) != Kind.Object) return null;
  return stringAt(resultRaw, member(resultRaw, skipWs(resultRaw, 0), "protocolVersion"));
}
