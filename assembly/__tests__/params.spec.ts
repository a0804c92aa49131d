import { JSON } from "json-as";
import * as codes from "../jsonrpc/codes";
import { backendMeta, buildCallParams } from "../mcp/params";

const GATEWAY_INFO = '"io.modelcontextprotocol/clientInfo":{"name":"mcp-proxy-wasm","version":"0.1.0"}';
const VERSION = '"io.modelcontextprotocol/protocolVersion":"2026-07-28"';

describe("buildCallParams", () => {
  it("rebuilds tools/call from name and arguments only", () => {
    const p = buildCallParams("tools/call", '{"name":"echo","arguments":{"text":"x"},"junk":1,"_meta":{"a":1}}');
    expect(p.errorCode).toBe(0);
    expect(p.toolName).toBe("echo");
    expect(p.raw).toBe('{"name":"echo","arguments":{"text":"x"}}');
    expect(p.modernExtra).toBe("");
  });

  it("keeps inputResponses and requestState for modern backends only", () => {
    const p = buildCallParams("tools/call",
      '{"name":"confirm","arguments":{"env":"prod"},"inputResponses":{"confirm":{"action":"accept"}},"requestState":"s-1"}');
    expect(p.errorCode).toBe(0);
    expect(p.raw).toBe('{"name":"confirm","arguments":{"env":"prod"}}');
    expect(p.modernExtra).toBe(',"inputResponses":{"confirm":{"action":"accept"}},"requestState":"s-1"');
    expect(p.modern("{}")).toBe('{"name":"confirm","arguments":{"env":"prod"},"inputResponses":{"confirm":{"action":"accept"}},"requestState":"s-1","_meta":{}}');
  });

  it("keeps requestState byte for byte (escapes included)", () => {
    const p = buildCallParams("tools/call", '{"name":"t","requestState":"a\\"b\\u00e9"}');
    expect(p.modernExtra).toBe(',"requestState":"a\\"b\\u00e9"');
  });

  it("refuses malformed params with -32602 (table)", () => {
    const bad: string[] = [
      "", "{}", '{"name":5}', '{"name":null}',
      '{"name":"t","arguments":[1]}', '{"name":"t","arguments":"x"}',
      '{"name":"t","inputResponses":[1]}', '{"name":"t","inputResponses":"x"}', '{"name":"t","inputResponses":null}',
      '{"name":"t","requestState":7}', '{"name":"t","requestState":{}}', '{"name":"t","requestState":null}',
    ];
    const msg: string[] = [
      codes.MSG_NO_TOOL_NAME, codes.MSG_NO_TOOL_NAME, codes.MSG_NO_TOOL_NAME, codes.MSG_NO_TOOL_NAME,
      codes.MSG_BAD_ARGUMENTS, codes.MSG_BAD_ARGUMENTS,
      codes.MSG_BAD_INPUT_RESPONSES, codes.MSG_BAD_INPUT_RESPONSES, codes.MSG_BAD_INPUT_RESPONSES,
      codes.MSG_BAD_REQUEST_STATE, codes.MSG_BAD_REQUEST_STATE, codes.MSG_BAD_REQUEST_STATE,
    ];
    for (let i = 0; i < bad.length; i++) {
      const p = buildCallParams("tools/call", bad[i]);
      expect(p.errorCode).toBe(codes.INVALID_PARAMS, bad[i]);
      expect(p.errorMessage).toBe(msg[i], bad[i]);
    }
  });

  it("accepts null arguments and omits them", () => {
    expect(buildCallParams("tools/call", '{"name":"t","arguments":null}').raw).toBe('{"name":"t"}');
  });

  it("rebuilds tools/list from the cursor only", () => {
    expect(buildCallParams("tools/list", "").raw).toBe("");
    expect(buildCallParams("tools/list", '{"_meta":{}}').raw).toBe("");
    expect(buildCallParams("tools/list", '{"cursor":"c2","x":1}').raw).toBe('{"cursor":"c2"}');
    expect(buildCallParams("tools/list", '{"cursor":2}').errorMessage).toBe(codes.MSG_BAD_CURSOR);
  });
});

describe("CallParams.modern", () => {
  it("appends _meta to the rebuilt members (table)", () => {
    expect(buildCallParams("tools/list", "").modern('{"m":1}')).toBe('{"_meta":{"m":1}}');
    expect(buildCallParams("tools/list", '{"cursor":"c"}').modern("{}")).toBe('{"cursor":"c","_meta":{}}');
    expect(buildCallParams("tools/call", '{"name":"t"}').modern("{}")).toBe('{"name":"t","_meta":{}}');
    expect(buildCallParams("tools/call", '{"name":"t","requestState":"s"}').modern("{}")).toBe('{"name":"t","requestState":"s","_meta":{}}');
  });
});

describe("backendMeta", () => {
  it("without a client _meta: the modern version, the gateway identity, no capabilities", () => {
    const want = "{" + VERSION + "," + GATEWAY_INFO + ',"io.modelcontextprotocol/clientCapabilities":{}}';
    expect(backendMeta("")).toBe(want);
    expect(backendMeta("{}")).toBe(want);
    expect(backendMeta("[1]")).toBe(want);
    expect(backendMeta("null")).toBe(want);
  });

  it("overrides the client's version and identity, keeps its capabilities and other keys", () => {
    const client = '{"io.modelcontextprotocol/protocolVersion":"2099-01-01","io.modelcontextprotocol/clientInfo":{"name":"evil"},' +
      '"traceparent":"00-abc-def-01","io.modelcontextprotocol/clientCapabilities":{"elicitation":{"form":{}}},"tracestate":"v=1","progressToken":5}';
    expect(backendMeta(client)).toBe("{" + VERSION + "," + GATEWAY_INFO +
      ',"traceparent":"00-abc-def-01","tracestate":"v=1","progressToken":5,"io.modelcontextprotocol/clientCapabilities":{"elicitation":{"form":{}}}}');
  });

  it("replaces capabilities that are not an object by {}", () => {
    const out = backendMeta('{"io.modelcontextprotocol/clientCapabilities":[],"baggage":"k=v"}');
    expect(out).toBe("{" + VERSION + "," + GATEWAY_INFO + ',"baggage":"k=v","io.modelcontextprotocol/clientCapabilities":{}}');
  });

  it("never repeats a key it sets, even when the client repeats it", () => {
    const out = backendMeta('{"io.modelcontextprotocol/protocolVersion":"a","io.modelcontextprotocol/protocolVersion":"b","io.modelcontextprotocol/clientInfo":1}');
    expect(out).toBe("{" + VERSION + "," + GATEWAY_INFO + ',"io.modelcontextprotocol/clientCapabilities":{}}');
    expect(JSON.parse<JSON.Value>(out).type).toBe(JSON.Types.Object);
  });

  it("recognises its keys when the client escapes them", () => {
    const out = backendMeta('{"io.modelcontextprotocol\\/protocolVersion":"2099-01-01","io.modelcontextprotocol\\u002fclientInfo":{"name":"x"}}');
    expect(out).toBe("{" + VERSION + "," + GATEWAY_INFO + ',"io.modelcontextprotocol/clientCapabilities":{}}');
  });
});
