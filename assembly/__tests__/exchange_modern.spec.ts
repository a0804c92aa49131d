import { parseConfig } from "../config/config";
import { Header, findHeader } from "../http/header";
import { effectivePolicy } from "../mcp/tools";
import { backendMeta, buildCallParams } from "../mcp/params";
import { Era } from "../terminate/era";
import { Exchange, Step } from "../terminate/exchange";
import { b, hdrs } from "./support";

const CFG = '{"server":{"name":"demo","type":"mcp-proxy","mcpServerURL":"http://backend:9000/mcp","timeout":1000}}';
const CLIENT_META = '{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}},"traceparent":"00-a-b-01"}';
const DISCOVER_MODERN = '{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","supportedVersions":["2026-07-28"],"capabilities":{"tools":{}}}}';
const INIT_OK = '{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"b","version":"1"}}}';
const CALL_OK = '{"jsonrpc":"2.0","id":2,"result":{"content":[]}}';

function ex(method: string, params: string, era: Era, modernClient: bool = true, allow: string[] | null = null): Exchange {
  const e = new Exchange(parseConfig(CFG).config!, method, buildCallParams(method, params), "7", effectivePolicy(allow, null), "2025-06-18", era);
  e.client.modern = modernClient;
  e.client.metaRaw = modernClient ? CLIENT_META : "";
  return e;
}
function json(e: Exchange, status: i32, body: string): bool {
  return e.onResponse(status, hdrs(status.toString(), "application/json"), b(body));
}

describe("Exchange, unknown era: discover first", () => {
  it("sends server/discover with the modern headers and the gateway's _meta", () => {
    const e = ex("tools/call", '{"name":"echo"}', Era.Unknown);
    expect(e.step).toBe(Step.Discover);
    const r = e.request();
    expect(findHeader(r.headers, ":method")).toBe("POST");
    expect(findHeader(r.headers, ":path")).toBe("/mcp");
    expect(findHeader(r.headers, "mcp-protocol-version")).toBe("2026-07-28");
    expect(findHeader(r.headers, "mcp-method")).toBe("server/discover");
    expect(findHeader(r.headers, "mcp-name")).toBeNull();
    expect(findHeader(r.headers, "mcp-session-id")).toBeNull();
    expect(r.body).toBe('{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":' + backendMeta("") + "}}");
  });

  it("discover → modern: one call, the result with resultType", () => {
    const e = ex("tools/call", '{"name":"echo","arguments":{"t":1}}', Era.Unknown);
    expect(json(e, 200, DISCOVER_MODERN)).toBe(true);
    expect(e.era).toBe(Era.Modern);
    expect(e.probed).toBe(true);
    expect(e.step).toBe(Step.Call);
    expect(json(e, 200, CALL_OK)).toBe(false);
    expect(e.final!.body).toBe('{"jsonrpc":"2.0","id":7,"result":{"resultType":"complete","content":[]}}');
  });

  it("discover answered like a legacy server → the handshake (table)", () => {
    const statuses: i32[] = [400, 404, 405, 200, 200, 200];
    const bodies: string[] = [
      '{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"Bad Request: Server not initialized"}}',
      "not found", "", '{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}',
      '{"jsonrpc":"2.0","id":1,"result":{"supportedVersions":["2025-11-25"]}}', "garbage",
    ];
    for (let i = 0; i < statuses.length; i++) {
      const e = ex("tools/list", "", Era.Unknown);
      expect(json(e, statuses[i], bodies[i])).toBe(true, bodies[i]);
      expect(e.era).toBe(Era.Legacy, bodies[i]);
      expect(e.probed).toBe(true);
      expect(e.step).toBe(Step.Initialize);
      expect(e.request().body.includes('"method":"initialize"')).toBe(true);
      expect(json(e, 200, INIT_OK)).toBe(true);
      expect(e.onResponse(202, hdrs("202", ""), b(""))).toBe(true);
      expect(e.request().body).toBe('{"jsonrpc":"2.0","id":2,"method":"tools/list"}');
      expect(json(e, 200, '{"jsonrpc":"2.0","id":2,"result":{"tools":[]}}')).toBe(false);
      expect(e.final!.body).toBe('{"jsonrpc":"2.0","id":7,"result":{"resultType":"complete","ttlMs":0,"cacheScope":"private","tools":[]}}');
    }
  });

  it("a transport failure at discover ends the exchange, nothing learned (table)", () => {
    // No answer, a server error or a refused credential says nothing about the era.
    const statuses: i32[] = [0, 502, 503, 504, 500, 401, 403];
    const want: string[] = ["connection reset", "HTTP 502", "HTTP 503", "HTTP 504", "HTTP 500", "HTTP 401", "HTTP 403"];
    for (let i = 0; i < statuses.length; i++) {
      const e = ex("tools/call", '{"name":"echo"}', Era.Unknown);
      const h = statuses[i] == 0 ? new Array<Header>() : hdrs(statuses[i].toString(), "text/plain");
      expect(e.onResponse(statuses[i], h, b("upstream"))).toBe(false);
      expect(e.probed).toBe(false);
      expect(e.step).toBe(Step.Done);
      const body = e.final!.body;
      expect(body.includes('"code":-32603')).toBe(true, body);
      expect(body.includes("backend discover failed: " + want[i])).toBe(true, body);
    }
  });
});

describe("Exchange, cached modern era", () => {
  it("builds the modern call: headers, params, _meta", () => {
    const e = ex("tools/call", '{"name":"工具","arguments":{"x":1},"inputResponses":{"a":{}},"requestState":"s","junk":2}', Era.Modern);
    e.authHeaders.push(new Header("x-api-key", "k"));
    e.authQuery = "key=v";
    e.client.paramHeaders.push(new Header("mcp-param-region", "eu"));
    expect(e.step).toBe(Step.Call);
    const r = e.request();
    expect(findHeader(r.headers, ":path")).toBe("/mcp?key=v");
    expect(findHeader(r.headers, "mcp-protocol-version")).toBe("2026-07-28");
    expect(findHeader(r.headers, "mcp-method")).toBe("tools/call");
    expect(findHeader(r.headers, "mcp-name")).toBe("=?base64?5bel5YW3?=");
    expect(findHeader(r.headers, "mcp-param-region")).toBe("eu");
    expect(findHeader(r.headers, "x-api-key")).toBe("k");
    expect(r.body).toBe('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"工具","arguments":{"x":1},' +
      '"inputResponses":{"a":{}},"requestState":"s","_meta":' + backendMeta(CLIENT_META) + "}}");
  });

  it("tools/list: Mcp-Method only; a legacy client's call gets clientCapabilities {}", () => {
    const e = ex("tools/list", '{"cursor":"c"}', Era.Modern, false);
    const r = e.request();
    expect(findHeader(r.headers, "mcp-method")).toBe("tools/list");
    expect(findHeader(r.headers, "mcp-name")).toBeNull();
    expect(r.body).toBe('{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"c","_meta":' + backendMeta("") + "}}");
    expect(r.body.includes('"io.modelcontextprotocol/clientCapabilities":{}')).toBe(true);
  });

  it("a stale era is probed again once, not twice (table of stale answers)", () => {
    const statuses: i32[] = [200, 400, 400, 404, 405, 400];
    const bodies: string[] = [
      '{"jsonrpc":"2.0","id":2,"error":{"code":-32022,"message":"Unsupported protocol version"}}',
      '{"jsonrpc":"2.0","id":2,"error":{"code":-32022,"message":"Unsupported protocol version"}}',
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request: Server not initialized"}}',
      "Not Found", "", '{"jsonrpc":"2.0","id":2,"error":{"code":-32019,"message":"x"}}',
    ];
    for (let i = 0; i < statuses.length; i++) {
      const e = ex("tools/call", '{"name":"echo"}', Era.Modern);
      expect(json(e, statuses[i], bodies[i])).toBe(true, bodies[i]);
      expect(e.step).toBe(Step.Discover);
      expect(json(e, 200, DISCOVER_MODERN)).toBe(true);
      expect(e.step).toBe(Step.Call);
      // Stale again: no third probe; the answer ends the exchange.
      expect(json(e, statuses[i], bodies[i])).toBe(false, bodies[i]);
      expect(e.step).toBe(Step.Done);
    }
  });

  it("a stale modern era re-learned as legacy: discover → handshake → call", () => {
    const e = ex("tools/call", '{"name":"echo"}', Era.Modern);
    expect(json(e, 400, '{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}')).toBe(true);
    expect(json(e, 400, '{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request"}}')).toBe(true);
    expect(e.era).toBe(Era.Legacy);
    expect(e.step).toBe(Step.Initialize);
  });

  it("errors of a modern backend are not staleness: passed to the client (table)", () => {
    const statuses: i32[] = [400, 200, 404, 400];
    const codes: string[] = ["-32021", "-32602", "-32601", "-32602"];
    for (let i = 0; i < statuses.length; i++) {
      const e = ex("tools/call", '{"name":"echo"}', Era.Modern);
      const body = '{"jsonrpc":"2.0","id":2,"error":{"code":' + codes[i] + ',"message":"m","data":{"d":1}}}';
      expect(json(e, statuses[i], body)).toBe(false, body);
      expect(e.final!.body).toBe('{"jsonrpc":"2.0","id":7,"error":{"code":' + codes[i] + ',"message":"m","data":{"d":1}}}');
    }
  });

  it("a -32020 without Mcp-Param-* headers: reads the tool, mirrors its x-mcp-header arguments, calls again", () => {
    const e = ex("tools/call", '{"name":"region","arguments":{"region":"eu-wést","n":3,"b":true}}', Era.Modern);
    expect(json(e, 400, '{"jsonrpc":"2.0","id":2,"error":{"code":-32020,"message":"Mcp-Param-Region header is absent"}}')).toBe(true);
    expect(e.step).toBe(Step.ListTools);
    const list = e.request();
    expect(list.body.includes('"method":"tools/list"')).toBe(true);
    expect(findHeader(list.headers, "mcp-method")).toBe("tools/list");
    // The tool is on the second page.
    expect(json(e, 200, '{"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"echo"}],"nextCursor":"p2"}}')).toBe(true);
    expect(e.request().body.includes('"cursor":"p2"')).toBe(true);
    const tool = '{"name":"region","inputSchema":{"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"},"n":{"type":"integer","x-mcp-header":"N"},"b":{"type":"boolean","x-mcp-header":"B"},"x":{"type":"string","x-mcp-header":"X"}}}}';
    expect(json(e, 200, '{"jsonrpc":"2.0","id":3,"result":{"tools":[' + tool + "]}}")).toBe(true);
    expect(e.step).toBe(Step.Call);
    const call = e.request();
    expect(findHeader(call.headers, "mcp-param-region")).toBe("=?base64?ZXUtd8Opc3Q=?=");
    expect(findHeader(call.headers, "mcp-param-n")).toBe("3");
    expect(findHeader(call.headers, "mcp-param-b")).toBe("true");
    expect(findHeader(call.headers, "mcp-param-x")).toBeNull();
    // A second -32020 is the backend's answer: no second round.
    expect(json(e, 400, '{"jsonrpc":"2.0","id":2,"error":{"code":-32020,"message":"still"}}')).toBe(false);
    expect(e.final!.body.includes('"message":"still"')).toBe(true);
  });

  it("a -32020 the tool's definition cannot fix passes through", () => {
    const e = ex("tools/call", '{"name":"echo","arguments":{}}', Era.Modern);
    expect(json(e, 400, '{"jsonrpc":"2.0","id":2,"error":{"code":-32020,"message":"m","data":{"d":1}}}')).toBe(true);
    expect(json(e, 200, '{"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"echo","inputSchema":{"type":"object"}}]}}')).toBe(false);
    expect(e.final!.body).toBe('{"jsonrpc":"2.0","id":7,"error":{"code":-32020,"message":"m","data":{"d":1}}}');
  });

  it("input_required reaches a modern client unchanged, a legacy one as -32603", () => {
    const ir = '{"resultType":"input_required","inputRequests":{},"requestState":"s"}';
    const m = ex("tools/call", '{"name":"confirm"}', Era.Modern);
    json(m, 200, '{"jsonrpc":"2.0","id":2,"result":' + ir + "}");
    expect(m.final!.body).toBe('{"jsonrpc":"2.0","id":7,"result":' + ir + "}");
    const l = ex("tools/call", '{"name":"confirm"}', Era.Modern, false);
    json(l, 200, '{"jsonrpc":"2.0","id":2,"result":' + ir + "}");
    expect(l.final!.body.includes('"code":-32603')).toBe(true);
    expect(l.final!.body.includes("input_required")).toBe(true);
  });

  it("a list narrowed per request becomes private", () => {
    const allow: string[] = ["a"];
    const e = ex("tools/list", "", Era.Modern, true, allow);
    e.client.perRequestPolicy = true;
    json(e, 200, '{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"a"},{"name":"b"}],"ttlMs":9,"cacheScope":"public"}}');
    expect(e.final!.body).toBe('{"jsonrpc":"2.0","id":7,"result":{"resultType":"complete","cacheScope":"private","tools":[{"name":"a"}],"ttlMs":9}}');
  });
});

describe("Exchange, cached legacy era", () => {
  it("initialize refused for its version (-32022 / -32020) → discover → modern call", () => {
    const codes: string[] = ["-32022", "-32020"];
    for (let i = 0; i < codes.length; i++) {
      const e = ex("tools/call", '{"name":"echo"}', Era.Legacy);
      expect(e.step).toBe(Step.Initialize);
      expect(json(e, 400, '{"jsonrpc":"2.0","id":1,"error":{"code":' + codes[i] + ',"message":"no"}}')).toBe(true);
      expect(e.step).toBe(Step.Discover);
      expect(json(e, 200, DISCOVER_MODERN)).toBe(true);
      expect(e.step).toBe(Step.Call);
      expect(findHeader(e.request().headers, "mcp-method")).toBe("tools/call");
      expect(json(e, 200, CALL_OK)).toBe(false);
      expect(e.final!.body).toBe('{"jsonrpc":"2.0","id":7,"result":{"resultType":"complete","content":[]}}');
    }
  });

  it("after a probe in the same exchange, a refused initialize is final (-32602 to the client)", () => {
    const e = ex("tools/call", '{"name":"echo"}', Era.Unknown);
    expect(json(e, 404, "")).toBe(true);
    expect(e.step).toBe(Step.Initialize);
    expect(json(e, 400, '{"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"no"}}')).toBe(false);
    expect(e.final!.body.includes('"code":-32602')).toBe(true, e.final!.body);
  });
});
