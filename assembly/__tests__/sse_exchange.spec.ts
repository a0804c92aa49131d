import { parseConfig } from "../config/config";
import { findHeader } from "../http/header";
import { resolveEndpoint } from "../mcp/endpoint";
import { effectivePolicy } from "../mcp/tools";
import { buildCallParams } from "../mcp/params";
import { Exchange, Step } from "../terminate/exchange";
import { SseExchange, SsePhase } from "../terminate/sse_exchange";
import { b } from "./support";

const CFG = '{"server":{"name":"s","type":"mcp-proxy","transport":"sse","mcpServerURL":"http://backend:9000/sse","timeout":1000}}';

function make(method: string = "tools/call", params: string = '{"name":"echo"}', allow: string[] | null = null): SseExchange {
  const c = parseConfig(CFG).config!;
  return new SseExchange(new Exchange(c, method, buildCallParams(method, params), '"cid"', effectivePolicy(allow, null), "2024-11-05"), 4096);
}
const INIT = 'event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2024-11-05","capabilities":{}}}\n\n';
const CALL = 'event: message\ndata: {"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"hi"}]}}\n\n';

/** Drives a full exchange; returns the final body. Feeds the stream split every `step` bytes. */
function run(split: i32): string {
  const x = make();
  x.onStreamHeaders(200, "text/event-stream");
  const stream = ": hello\r\nevent: endpoint\r\ndata: /messages?sessionId=abc\r\n\r\n";
  const all = b(stream + 'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message"}\n\n' + INIT);
  for (let i = 0; i < all.length; i += split) x.onStreamBytes(all.subarray(i, min(i + split, all.length)), false);
  expect(x.phase).toBe(SsePhase.AwaitNotifyAck);
  expect(x.outbox.length).toBe(2);
  expect(findHeader(x.outbox[0].headers, ":path")).toBe("/messages?sessionId=abc");
  expect(x.outbox[0].step).toBe(Step.Initialize);
  expect(x.outbox[1].body).toBe('{"jsonrpc":"2.0","method":"notifications/initialized"}');
  x.outbox = [];
  x.onPostAnswer(Step.Initialize, 202);
  x.onPostAnswer(Step.Notify, 202);
  expect(x.phase).toBe(SsePhase.AwaitCall);
  expect(x.outbox[0].body).toBe('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo"}}');
  const c = b('event: ping\ndata: x\n\ndata: {"jsonrpc":"2.0","id":7,"result":{}}\n\n' + CALL);
  for (let i = 0; i < c.length; i += split) x.onStreamBytes(c.subarray(i, min(i + split, c.length)), false);
  expect(x.done).toBe(true);
  return x.core.final!.body;
}

describe("SseExchange", () => {
  it("completes split at any chunk size", () => {
    for (let s = 1; s < 40; s++) {
      expect(run(s)).toBe('{"jsonrpc":"2.0","id":"cid","result":{"content":[{"type":"text","text":"hi"}]}}');
    }
  });
  it("fails each hostile case with a message naming it (table)", () => {
    const x1 = make();
    x1.onStreamHeaders(404, "text/html");
    expect(x1.core.final!.body.includes("backend SSE stream failed: HTTP 404")).toBe(true);
    const x2 = make();
    x2.onStreamHeaders(200, "application/json");
    expect(x2.core.final!.body.includes("is not text/event-stream")).toBe(true);
    const x3 = make();
    x3.onStreamHeaders(200, "text/event-stream");
    x3.onStreamBytes(b("event: endpoint\ndata: /m\n\n"), true);
    expect(x3.core.final!.body.includes("closed before the initialize answer")).toBe(true);
    const x4 = make();
    x4.onStreamHeaders(200, "text/event-stream");
    x4.onStreamBytes(b("event: endpoint\ndata: http://evil:9000/m\n\n"), false);
    expect(x4.core.final!.body.includes("another origin")).toBe(true);
    expect(x4.outbox.length).toBe(0);
    const x5 = make();
    x5.onStreamHeaders(200, "text/event-stream");
    x5.onStreamBytes(b("event: endpoint\ndata: /m\n\n"), false);
    x5.onPostAnswer(Step.Initialize, 500);
    expect(x5.core.final!.body.includes("backend endpoint POST (initialize) answered HTTP 500")).toBe(true);
    const x6 = make();
    x6.onStreamHeaders(200, "text/event-stream");
    let big = "data: ";
    for (let i = 0; i < 5000; i++) big += "x";
    x6.onStreamBytes(b(big), false);
    expect(x6.core.final!.body.includes("maxResponseBytes")).toBe(true);
    const x7 = make();
    x7.onStreamHeaders(200, "text/event-stream");
    x7.onTimeout();
    expect(x7.core.final!.body.includes("timeout: no endpoint event")).toBe(true);
    expect(x7.core.final!.body.includes('"code":-32603')).toBe(true);
    const x8 = make();
    x8.onStreamHeaders(200, "text/event-stream");
    x8.onStreamBytes(b('event: endpoint\ndata: /m\n\ndata: {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad version"}}\n\n'), false);
    expect(x8.core.final!.body.includes('"code":-32602')).toBe(true);
  });
});

describe("resolveEndpoint", () => {
  it("resolves paths and same-origin URLs, refuses others (table)", () => {
    const u = parseConfig(CFG).config!.url;
    const inputs: string[] = ["/messages?s=1", "messages?s=1", "http://backend:9000/m", "HTTP://BACKEND:9000/m", "//backend:9000/m",
      "http://evil:9000/m", "https://backend:9000/m", "http://backend:9001/m", "//evil/m", "ftp://backend:9000/m", "", "/a b", "javascript:alert(1)"];
    const want: string[] = ["/messages?s=1", "/messages?s=1", "/m", "/m", "/m", "", "", "", "", "", "", "", ""];
    for (let i = 0; i < inputs.length; i++) {
      const e = resolveEndpoint(inputs[i], u);
      expect(e.path).toBe(want[i], inputs[i]);
      expect(e.error.length > 0).toBe(want[i].length == 0, inputs[i]);
    }
  });
});
