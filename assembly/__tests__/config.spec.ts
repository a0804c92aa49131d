import { DEFAULT_TIMEOUT_MS, Transport, parseConfig } from "../config/config";
import { parseUrl } from "../config/url";

const OK = '{"server":{"name":"demo","type":"mcp-proxy","transport":"http","mcpServerURL":"http://127.0.0.1:8080/mcp","timeout":1500,"cluster":"c1"},"allowTools":["echo","image"]}';

describe("parseConfig", () => {
  it("reads a full config", () => {
    const r = parseConfig(OK);
    expect(r.error).toBe("");
    const c = r.config!;
    expect(c.serverName).toBe("demo");
    expect(c.transport).toBe(Transport.Http);
    expect(c.url.authority).toBe("127.0.0.1:8080");
    expect(c.url.path).toBe("/mcp");
    expect(c.timeoutMs).toBe(1500);
    expect(c.cluster).toBe("c1");
    expect(c.allowTools!.length).toBe(2);
  });
  it("reads \\/ escapes as slashes (json-as would read U+0000)", () => {
    const c = parseConfig('{"server":{"name":"d","type":"mcp-proxy","mcpServerURL":"http:\\/\\/h:1\\/mcp"},"allowTools":["a\\/b"]}').config!;
    expect(c.url.path).toBe("/mcp");
    expect(c.allowTools![0]).toBe("a/b");
  });
  it("applies defaults", () => {
    const c = parseConfig('{"server":{"name":"d","type":"mcp-proxy","mcpServerURL":"https://h"}}').config!;
    expect(c.timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
    expect(c.transport).toBe(Transport.Http);
    expect(c.allowTools === null).toBe(true);
    expect(c.url.port).toBe(443);
    expect(c.url.path).toBe("/");
  });
  it("intersects server.allowTools and allowTools", () => {
    const c = parseConfig('{"server":{"name":"d","type":"mcp-proxy","transport":"sse","mcpServerURL":"http://h/sse","allowTools":["a","b"]},"allowTools":["b","c"]}').config!;
    expect(c.transport).toBe(Transport.Sse);
    expect(c.allowTools!.length).toBe(1);
    expect(c.allowTools![0]).toBe("b");
  });
  it("refuses bad configs naming the field (table)", () => {
    const S = '"name":"d","type":"mcp-proxy","mcpServerURL":"http://h/mcp"';
    const inputs: string[] = [
      "", "   ", "not json", "[1]", '"x"', "{}", '{"server":1}', '{"server":[]}',
      '{"server":{"type":"mcp-proxy","mcpServerURL":"http://h"}}',
      '{"server":{"name":7,"type":"mcp-proxy","mcpServerURL":"http://h"}}',
      '{"server":{"name":"","type":"mcp-proxy","mcpServerURL":"http://h"}}',
      '{"server":{"name":"d","mcpServerURL":"http://h"}}',
      '{"server":{"name":"d","type":"rest","mcpServerURL":"http://h"}}',
      '{"server":{' + S + ',"transport":"grpc"}}',
      '{"server":{' + S + ',"transport":1}}',
      '{"server":{"name":"d","type":"mcp-proxy"}}',
      '{"server":{"name":"d","type":"mcp-proxy","mcpServerURL":"ftp://h/x"}}',
      '{"server":{"name":"d","type":"mcp-proxy","mcpServerURL":"not a url"}}',
      '{"server":{"name":"d","type":"mcp-proxy","mcpServerURL":5}}',
      '{"server":{' + S + ',"timeout":"5s"}}',
      '{"server":{' + S + ',"timeout":-1}}',
      '{"server":{' + S + ',"timeout":1.5}}',
      '{"server":{' + S + ',"cluster":[]}}',
      '{"server":{' + S + ',"allowTools":"echo"}}',
      '{"server":{' + S + '},"allowTools":[1]}',
      '{"server":{' + S + '},"tools":{}}',
    ];
    const field: string[] = [
      "empty", "empty", "JSON", "object", "object", "server", "server", "server",
      "server.name", "server.name", "server.name", "server.type", "server.type", "server.transport", "server.transport",
      "server.mcpServerURL", "server.mcpServerURL", "server.mcpServerURL", "server.mcpServerURL",
      "server.timeout", "server.timeout", "server.timeout", "server.cluster", "server.allowTools", "allowTools[0]", "tools",
    ];
    for (let i = 0; i < inputs.length; i++) {
      const r = parseConfig(inputs[i]);
      expect(r.config === null).toBe(true, inputs[i]);
      expect(r.error.includes(field[i])).toBe(true, inputs[i] + " => " + r.error);
    }
  });
  it("refuses deep nesting without trapping", () => {
    let deep = '{"server":';
    for (let i = 0; i < 5000; i++) deep += "[";
    expect(parseConfig(deep).config === null).toBe(true);
  });
});

describe("parseUrl", () => {
  it("splits scheme, authority, port and path", () => {
    const u = parseUrl("HTTP://[::1]:9000/a/b?x=1#frag")!;
    expect(u.scheme).toBe("http");
    expect(u.host).toBe("[::1]");
    expect(u.port).toBe(9000);
    expect(u.authority).toBe("[::1]:9000");
    expect(u.path).toBe("/a/b?x=1");
    expect(parseUrl("http://h?q")!.path).toBe("/?q");
  });
  it("rejects malformed URLs (table)", () => {
    const bad: string[] = ["", "h/x", "://h", "ftp://h", "http://", "http://u@h/", "http://h:0/", "http://h:70000/", "http://h:x/", "http://h h/", "http://:80/"];
    for (let i = 0; i < bad.length; i++) expect(parseUrl(bad[i]) === null).toBe(true, bad[i]);
  });
});

describe("config: fields with a fixed set of values", () => {
  it("names every allowed value and the one given", () => {
    const r = parseConfig('{"server":{"name":"s","type":"mcp-proxy","mcpServerURL":"http://h/mcp","transport":"ws"}}');
    expect(r.config === null).toBe(true);
    expect(r.error.includes('server.transport must be "http" or "sse" (got "ws")')).toBe(true, r.error);
    const f = parseConfig('{"server":{"name":"s","type":"mcp-proxy","backends":[{"name":"a","mcpServerURL":"http://h/mcp"}],"prefixMode":"x"}}');
    expect(f.error.includes('server.prefixMode must be "always", "conflict" or "never" (got "x")')).toBe(true, f.error);
    const ok = parseConfig('{"server":{"name":"s","type":"mcp-passthrough","mcpServerURL":"http://h/mcp","transport":"sse"}}');
    expect(ok.config!.transport).toBe(Transport.Sse);
  });
});
