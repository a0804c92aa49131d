import { MAX_TOOL_NAME } from "../stats/names";
import { MAX_LEARNED_TOOLS, listedToolNames, namesOfReply, registrable, reserveNext, toolCountKey, toolKey, toolNamesOf } from "../stats/tools";

function bytes(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

const LIST = "{\"tools\":[{\"name\":\"echo\",\"inputSchema\":{}},{\"name\":\"add\"},{\"title\":\"no name\"},7,{\"name\":3}],\"nextCursor\":\"c\"}";

describe("tool names of a tools/list result", () => {
  it("lists every entry's name", () => {
    expect(toolNamesOf(LIST).join(",")).toBe("echo,add");
    expect(namesOfReply("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":" + LIST + "}").join(",")).toBe("echo,add");
  });

  it("lists nothing from malformed results (table)", () => {
    const bad: string[] = ["", "[]", "{}", "{\"tools\":{}}", "{\"tools\":\"x\"}", "{\"tools\":[", "null"];
    for (let i = 0; i < bad.length; i++) expect(toolNamesOf(bad[i]).length).toBe(0, bad[i]);
    expect(namesOfReply("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32603,\"message\":\"x\"}}").length).toBe(0);
  });

  it("reads a pass-through answer for the listed ids only: JSON, batch, SSE", () => {
    const ok = "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":" + LIST + "}";
    expect(listedToolNames(bytes(ok), ["5"], false).join(",")).toBe("echo,add");
    expect(listedToolNames(bytes(ok), ["6"], false).length).toBe(0);
    expect(listedToolNames(bytes("[" + ok + ",{\"jsonrpc\":\"2.0\",\"id\":6,\"result\":{\"tools\":[{\"name\":\"z\"}]}}]"), ["5", "6"], false).join(",")).toBe("echo,add,z");
    const sse = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\n\n" +
      ": comment\r\nevent: message\r\ndata: " + ok + "\r\n\r\n";
    expect(listedToolNames(bytes(sse), ["5"], true).join(",")).toBe("echo,add");
    // The last event without its blank line still counts (the whole body was read).
    expect(listedToolNames(bytes("data: " + ok), ["5"], true).join(",")).toBe("echo,add");
    // Other event types and error answers list nothing.
    expect(listedToolNames(bytes("event: other\ndata: " + ok + "\n\n"), ["5"], true).length).toBe(0);
    expect(listedToolNames(bytes("{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":1,\"message\":\"m\"}}"), ["5"], false).length).toBe(0);
  });

  it("lists nothing from garbage (table)", () => {
    const bad: string[] = ["", "not json", "{\"id\":5", "[1,2", "\u0000\u0001", "data: {\n\n"];
    for (let i = 0; i < bad.length; i++) {
      expect(listedToolNames(bytes(bad[i]), ["5"], false).length).toBe(0, bad[i]);
      expect(listedToolNames(bytes(bad[i]), ["5"], true).length).toBe(0, bad[i]);
    }
  });
});

describe("the registry's bounds", () => {
  it("registers names of 1..128 characters", () => {
    expect(registrable("")).toBe(false);
    expect(registrable("x")).toBe(true);
    expect(registrable("x".repeat(MAX_TOOL_NAME))).toBe(true);
    expect(registrable("x".repeat(MAX_TOOL_NAME + 1))).toBe(false);
  });

  it("reserves up to MAX_LEARNED_TOOLS names, then refuses", () => {
    expect(MAX_LEARNED_TOOLS).toBe(1000);
    expect(reserveNext(null)).toBe(1);
    expect(reserveNext("")).toBe(1);
    expect(reserveNext("1")).toBe(2);
    expect(reserveNext("999")).toBe(1000);
    expect(reserveNext("1000")).toBe(-1);
    expect(reserveNext("5000")).toBe(-1);
    let v: string | null = null;
    let n = 0;
    while (true) {
      const next = reserveNext(v);
      if (next < 0) break;
      v = next.toString();
      n++;
    }
    expect(n).toBe(MAX_LEARNED_TOOLS);
  });

  it("counts a malformed count as full (table)", () => {
    const bad: string[] = ["-1", "x", "1 ", "99999999999", "1e3", "0x10"];
    for (let i = 0; i < bad.length; i++) expect(reserveNext(bad[i])).toBe(-1, bad[i]);
  });

  it("keys names per server without ambiguity", () => {
    expect(toolKey("a/b", "c")).not.toBe(toolKey("a", "b/c"));
    expect(toolKey("s", "echo")).toBe("mcp-proxy/stats/tool/1/s/echo");
    expect(toolCountKey("s")).toBe("mcp-proxy/stats/tool/count/s");
  });
});
