import { LATEST_VERSION, negotiate, isSupported } from "../mcp/version";
import { effectivePolicy, filterToolsResult, parseToolsHeader } from "../mcp/tools";
import { BodyOutcome, readBackendBody, localInitializeResult } from "../mcp/backend";
import { buildCallParams } from "../mcp/params";
import * as codes from "../jsonrpc/codes";
import { b } from "./support";

describe("version negotiation", () => {
  it("keeps supported versions, answers the latest otherwise", () => {
    const supported: string[] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
    for (let i = 0; i < supported.length; i++) expect(negotiate(supported[i])).toBe(supported[i]);
    const unknown: string[] = ["", "2099-01-01", "1.0", "2025-11-25 ", "latest"];
    for (let i = 0; i < unknown.length; i++) expect(negotiate(unknown[i])).toBe(LATEST_VERSION);
    expect(isSupported("2024-10-07")).toBe(false);
  });
  it("answers initialize with tools capability and server name", () => {
    expect(localInitializeResult("2025-06-18", 'a"b')).toBe(
      '{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"a\\"b","version":"0.1.0"}}');
  });
});

describe("allowTools", () => {
  it("splits and trims the header", () => {
    const t = parseToolsHeader(" echo, weather ,,  ");
    expect(t.length).toBe(2);
    expect(t[0]).toBe("echo");
    expect(t[1]).toBe("weather");
  });
  it("intersects config and header", () => {
    expect(effectivePolicy(null, null).unrestricted).toBe(true);
    expect(effectivePolicy(null, "").unrestricted).toBe(true);
    // Higress: a value naming no tool allows none; an empty one adds no restriction.
    expect(effectivePolicy(null, " , ").unrestricted).toBe(false);
    expect(effectivePolicy(null, " , ").allows("echo")).toBe(false);
    expect(effectivePolicy(null, " , ").perRequest).toBe(true);
    const cfg: string[] = ["echo", "image"];
    const p1 = effectivePolicy(cfg, null);
    expect(p1.allows("echo")).toBe(true);
    expect(p1.allows("weather")).toBe(false);
    const p2 = effectivePolicy(cfg, "echo, weather");
    expect(p2.allows("echo")).toBe(true);
    expect(p2.allows("image")).toBe(false);
    expect(p2.allows("weather")).toBe(false);
    const p3 = effectivePolicy(null, "weather");
    expect(p3.allows("weather")).toBe(true);
    expect(p3.allows("echo")).toBe(false);
    const p4 = effectivePolicy(new Array<string>(), null);
    expect(p4.allows("echo")).toBe(false);
  });
  it("filters tools/list results byte for byte", () => {
    const r = '{"tools":[{"name":"echo","x":1},{"name":"secret"},{"name":"image"}],"nextCursor":"c2"}';
    const cfg: string[] = ["echo", "image"];
    expect(filterToolsResult(r, effectivePolicy(cfg, null))).toBe('{"tools":[{"name":"echo","x":1},{"name":"image"}],"nextCursor":"c2"}');
    expect(filterToolsResult(r, effectivePolicy(null, null))).toBe(r);
  });
  it("copes with malformed tool lists (table)", () => {
    const cfg: string[] = ["echo"];
    const p = effectivePolicy(cfg, null);
    const inputs: string[] = ['{"tools":"x"}', '{"tools":[1,null,{"name":5},{"name":"echo"}]}', "{}", "[]", '{"tools":[]}'];
    const want: string[] = ['{"tools":"x"}', '{"tools":[{"name":"echo"}]}', "{}", "[]", '{"tools":[]}'];
    for (let i = 0; i < inputs.length; i++) expect(filterToolsResult(inputs[i], p)).toBe(want[i]);
  });
});

describe("backend bodies", () => {
  it("reads JSON replies", () => {
    const r = readBackendBody("application/json", b('{"jsonrpc":"2.0","id":2,"result":{"ok":true}}'), 2);
    expect(r.outcome).toBe(BodyOutcome.Found);
    expect(r.reply.resultRaw).toBe('{"ok":true}');
  });
  it("reads SSE replies skipping progress and logging events", () => {
    const body = 'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\n' +
      'data: {"jsonrpc":"2.0","method":"notifications/message","params":{}}\n\n' +
      'data: {"jsonrpc":"2.0","id":2,"result":{"content":[]}}\n\n';
    const r = readBackendBody("text/event-stream; charset=utf-8", b(body), 2);
    expect(r.outcome).toBe(BodyOutcome.Found);
    expect(r.reply.resultRaw).toBe('{"content":[]}');
  });
  it("reads a batch and an SSE body without the final blank line", () => {
    expect(readBackendBody("application/json", b('[{"jsonrpc":"2.0","id":1,"result":{}},{"jsonrpc":"2.0","id":2,"result":[]}]'), 2).reply.resultRaw).toBe("[]");
    expect(readBackendBody("text/event-stream", b('data: {"jsonrpc":"2.0","id":2,"result":1}'), 2).outcome).toBe(BodyOutcome.Found);
  });
  it("classifies bad bodies (table)", () => {
    const types: string[] = ["application/json", "application/json", "text/event-stream", "text/event-stream", "application/json", "text/html"];
    const bodies: string[] = ["not json", "", "data: nope\n\n", 'data: {"jsonrpc":"2.0","id":9,"result":{}}\n\n', '{"jsonrpc":"2.0","id":3,"result":{}}', "<html>"];
    const want: BodyOutcome[] = [BodyOutcome.Unparsable, BodyOutcome.Unparsable, BodyOutcome.Unparsable, BodyOutcome.Missing, BodyOutcome.Missing, BodyOutcome.Unparsable];
    for (let i = 0; i < bodies.length; i++) expect(readBackendBody(types[i], b(bodies[i]), 2).outcome).toBe(want[i], bodies[i]);
  });
  it("rebuilds call params and rejects bad ones (table)", () => {
    expect(buildCallParams("tools/call", '{"name":"echo","arguments":{"text":"hi"},"_meta":{"progressToken":1}}').raw).toBe('{"name":"echo","arguments":{"text":"hi"}}');
    expect(buildCallParams("tools/call", '{"name":"a","name":"b"}').toolName).toBe("b");
    expect(buildCallParams("tools/list", "").raw).toBe("");
    expect(buildCallParams("tools/list", '{"cursor":"abc"}').raw).toBe('{"cursor":"abc"}');
    const bad: string[] = ["", '{"name":5}', '{"name":null}', '{"name":"x","arguments":[1]}', '{"name":"x","arguments":"s"}'];
    for (let i = 0; i < bad.length; i++) expect(buildCallParams("tools/call", bad[i]).errorCode).toBe(codes.INVALID_PARAMS, bad[i]);
    expect(buildCallParams("tools/list", '{"cursor":1}').errorCode).toBe(codes.INVALID_PARAMS);
  });
});
