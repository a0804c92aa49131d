import { parseConfig } from "../config/config";
import { Header, findHeader } from "../http/header";
import { effectivePolicy } from "../mcp/tools";
import { buildCallParams } from "../mcp/params";
import { Exchange, Step } from "../terminate/exchange";
import { b, hdrs } from "./support";

const CFG = '{"server":{"name":"demo","type":"mcp-proxy","mcpServerURL":"http://backend:9000/mcp","timeout":1000}}';

function ex(method: string, params: string, allow: string[] | null = null): Exchange {
  return new Exchange(parseConfig(CFG).config!, method, buildCallParams(method, params), "7", effectivePolicy(allow, null), "2025-06-18");
}
const INIT_OK = '{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"b","version":"1"}}}';

/** Runs initialize + notification successfully. */
function handshake(e: Exchange): void {
  expect(e.onResponse(200, hdrs("200", "application/json", "s-1"), b(INIT_OK))).toBe(true);
  expect(e.step).toBe(Step.Notify);
  expect(e.onResponse(202, hdrs("202", ""), b(""))).toBe(true);
  expect(e.step).toBe(Step.Call);
}

describe("Exchange", () => {
  it("builds each step's request with session id and version", () => {
    const e = ex("tools/call", '{"name":"echo"}');
    const r1 = e.request();
    expect(findHeader(r1.headers, ":path")).toBe("/mcp");
    expect(findHeader(r1.headers, ":authority")).toBe("backend:9000");
    expect(findHeader(r1.headers, "accept")).toBe("application/json, text/event-stream");
    expect(findHeader(r1.headers, "mcp-session-id")).toBeNull();
    expect(r1.body.includes('"method":"initialize"')).toBe(true);
    expect(e.onResponse(200, hdrs("200", "application/json", "s-1"), b(INIT_OK))).toBe(true);
    const r2 = e.request();
    expect(findHeader(r2.headers, "mcp-session-id")).toBe("s-1");
    expect(findHeader(r2.headers, "mcp-protocol-version")).toBe("2025-06-18");
    expect(r2.body).toBe('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    e.onResponse(202, hdrs("202", ""), b(""));
    expect(e.request().body).toBe('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo"}}');
  });
  it("replies with the result under the client's id", () => {
    const e = ex("tools/call", '{"name":"echo"}');
    handshake(e);
    expect(e.onResponse(200, hdrs("200", "text/event-stream"), b('data: {"jsonrpc":"2.0","id":2,"result":{"content":[]}}\n\n'))).toBe(false);
    expect(e.final!.body).toBe('{"jsonrpc":"2.0","id":7,"result":{"content":[]}}');
  });
  it("filters tools/list", () => {
    const allow: string[] = ["a"];
    const e = ex("tools/list", "", allow);
    handshake(e);
    e.onResponse(200, hdrs("200", "application/json"), b('{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"a"},{"name":"b"}]}}'));
    expect(e.final!.body).toBe('{"jsonrpc":"2.0","id":7,"result":{"tools":[{"name":"a"}]}}');
  });
  it("passes backend JSON-RPC errors through", () => {
    const e = ex("tools/call", '{"name":"nope"}');
    handshake(e);
    e.onResponse(200, hdrs("200", "application/json"), b('{"jsonrpc":"2.0","id":2,"error":{"code":-32602,"message":"Tool nope not found"}}'));
    expect(e.final!.body).toBe('{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"Tool nope not found"}}');
  });
  it("maps a rejected protocol version to -32602", () => {
    const e = ex("tools/list", "");
    e.onResponse(400, hdrs("400", "application/json"), b('{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"Unsupported protocol version"}}'));
    expect(e.final!.body.includes('"code":-32602')).toBe(true);
    expect(e.final!.body.includes("Unsupported protocol version")).toBe(true);
    const e2 = ex("tools/list", "");
    e2.onResponse(200, hdrs("200", "application/json"), b('{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"1999-01-01"}}'));
    expect(e2.final!.body.includes('"code":-32602')).toBe(true);
  });
  it("names the step and the cause of every failure (table)", () => {
    // [step reached by handshake count, status, content-type, body, expected fragment]
    const statuses: i32[] = [0, 503, 504, 500, 200, 200, 404];
    const bodies: string[] = ["", "upstream connect error", "upstream request timeout", "oops", "not json", '{"jsonrpc":"2.0","id":99,"result":{}}', "{}"];
    const want: string[] = ["reset", "HTTP 503", "HTTP 504", "HTTP 500", "unparsable", "expected id", "HTTP 404"];
    for (let stage = 0; stage < 3; stage++) {
      for (let i = 0; i < statuses.length; i++) {
        const e = ex("tools/call", '{"name":"echo"}');
        if (stage >= 1) expect(e.onResponse(200, hdrs("200", "application/json", "s"), b(INIT_OK))).toBe(true);
        if (stage >= 2) expect(e.onResponse(202, hdrs("202", ""), b(""))).toBe(true);
        const st = statuses[i];
        const h = st == 0 ? new Array<Header>() : hdrs(st.toString(), "application/json");
        const more = e.onResponse(st, h, b(bodies[i]));
        if (stage == 1 && st >= 200 && st < 300) {
          expect(more).toBe(true); // a notification only needs a 2xx
          continue;
        }
        expect(more).toBe(false);
        const body = e.final!.body;
        const stepName = stage == 0 ? "initialize" : stage == 1 ? "notification" : "call";
        expect(body.includes('"code":-32603')).toBe(true, body);
        expect(body.includes("backend " + stepName + " failed")).toBe(true, body);
        expect(body.includes(want[i])).toBe(true, body);
        expect(body.startsWith('{"jsonrpc":"2.0","id":7,')).toBe(true);
      }
    }
  });
});
