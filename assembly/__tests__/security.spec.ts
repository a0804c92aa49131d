import { parseConfig } from "../config/config";
import { parsePlugin, hostOf } from "../config/rules";
import { applyCredential, backendCredential, base64, challenge, extractCredential, takeQueryParam, urlDecode, urlEncode } from "../security/credentials";
import { DownstreamRequirement, HttpAuth, KeyIn, SchemeType, SecurityScheme, UpstreamRequirement } from "../security/schemes";

function scheme(type: SchemeType, auth: HttpAuth, keyIn: KeyIn, name: string, dflt: string = ""): SecurityScheme {
  const s = new SecurityScheme();
  s.id = "s";
  s.type = type;
  s.auth = auth;
  s.keyIn = keyIn;
  s.name = name;
  s.defaultCredential = dflt;
  return s;
}
const BEARER = scheme(SchemeType.Http, HttpAuth.Bearer, KeyIn.None, "");
const BASIC = scheme(SchemeType.Http, HttpAuth.Basic, KeyIn.None, "", "svc:pw");
const HKEY = scheme(SchemeType.ApiKey, HttpAuth.None, KeyIn.Header, "X-Api-Key", "dk");
const QKEY = scheme(SchemeType.ApiKey, HttpAuth.None, KeyIn.Query, "api_key");

describe("encoding", () => {
  it("base64 (RFC 4648 vectors)", () => {
    const i: string[] = ["", "f", "fo", "foo", "foob", "fooba", "foobar", "user:pä"];
    const o: string[] = ["", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy", "dXNlcjpww6Q="];
    for (let k = 0; k < i.length; k++) expect(base64(i[k])).toBe(o[k]);
  });
  it("url-encodes and decodes", () => {
    expect(urlEncode("a b&c=d/é~")).toBe("a%20b%26c%3Dd%2F%C3%A9~");
    expect(urlDecode("a%20b+c%C3%A9%zz%")).toBe("a b cé%zz%");
  });
});

describe("extractCredential", () => {
  it("reads each scheme and leaves others (table)", () => {
    expect(extractCredential(BEARER, "Bearer tok", "/mcp").value).toBe("tok");
    expect(extractCredential(BEARER, "bearer  tok ", "/mcp").value).toBe("tok");
    expect(extractCredential(BEARER, "Basic abc", "/mcp").value).toBe("");
    expect(extractCredential(BEARER, "Bearer", "/mcp").value).toBe("");
    expect(extractCredential(BEARER, null, "/mcp").value).toBe("");
    expect(extractCredential(BEARER, null, "/mcp").removeHeader).toBe("authorization");
    expect(extractCredential(BASIC, "Basic dTpw", "/mcp").value).toBe("dTpw");
    expect(extractCredential(HKEY, " k1 ", "/mcp").value).toBe("k1");
    expect(extractCredential(HKEY, null, "/").removeHeader).toBe("x-api-key");
    const q = extractCredential(QKEY, null, "/mcp?a=1&api_key=s%20k&b=2&api_key=x");
    expect(q.value).toBe("s k");
    expect(q.path).toBe("/mcp?a=1&b=2");
    expect(extractCredential(QKEY, null, "/mcp?api_key=z").path).toBe("/mcp");
    expect(extractCredential(QKEY, null, "/mcp").value).toBe("");
  });
  it("takes query params from odd queries", () => {
    expect(takeQueryParam("/p?&&api_key&x", "api_key").path).toBe("/p?x");
    expect(takeQueryParam("/p?", "k").path).toBe("/p");
  });
});

describe("applyCredential", () => {
  it("writes each form (table)", () => {
    expect(applyCredential(BEARER, "t").headerValue).toBe("Bearer t");
    expect(applyCredential(BEARER, "Bearer t").headerValue).toBe("Bearer t");
    expect(applyCredential(BASIC, "u:p").headerValue).toBe("Basic dTpw");
    expect(applyCredential(BASIC, "dTpw").headerValue).toBe("Basic dTpw");
    expect(applyCredential(HKEY, "k").headerName).toBe("x-api-key");
    expect(applyCredential(QKEY, "a b").query).toBe("api_key=a%20b");
    expect(applyCredential(QKEY, "a").pathWith("/m?x=1")).toBe("/m?x=1&api_key=a");
    expect(applyCredential(BEARER, "").headerName).toBe("");
  });
  it("chooses passthrough, configured or default credentials", () => {
    const down = new DownstreamRequirement(BEARER, true, false);
    const noPass = new DownstreamRequirement(BEARER, false, false);
    expect(backendCredential(down, new UpstreamRequirement(HKEY, "cfg"), "client")!.headerValue).toBe("client");
    expect(backendCredential(noPass, new UpstreamRequirement(HKEY, "cfg"), "client")!.headerValue).toBe("cfg");
    expect(backendCredential(noPass, new UpstreamRequirement(HKEY, ""), "client")!.headerValue).toBe("dk");
    expect(backendCredential(down, new UpstreamRequirement(HKEY, "cfg"), "")!.headerValue).toBe("cfg");
    expect(backendCredential(down, null, "client")!.headerValue).toBe("Bearer client");
    expect(backendCredential(noPass, null, "client") === null).toBe(true);
    expect(backendCredential(null, new UpstreamRequirement(BASIC, ""), "")!.headerValue).toBe("Basic c3ZjOnB3");
  });
  it("challenges per scheme", () => {
    expect(challenge(BEARER)).toBe('Bearer realm="mcp"');
    expect(challenge(BASIC)).toBe('Basic realm="mcp"');
    expect(challenge(QKEY)).toBe('ApiKey realm="mcp", in="query", name="api_key"');
  });
});

const SEC = '{"server":{"name":"s","type":"mcp-proxy","mcpServerURL":"http://h/mcp","securitySchemes":[' +
  '{"id":"B","type":"http","scheme":"bearer"},{"id":"K","type":"apiKey","in":"header","name":"x-k","defaultCredential":"d"}],' +
  '"defaultDownstreamSecurity":{"id":"B","required":true},"defaultUpstreamSecurity":{"id":"K","credential":"c"},"passthroughAuthHeader":true},' +
  '"tools":[{"name":"t1","security":{"id":"K","passthrough":true},"requestTemplate":{"security":{"id":"B"}}},{"name":"t2"}]}';

describe("security config", () => {
  it("reads schemes, defaults and tool overrides", () => {
    const r = parseConfig(SEC);
    expect(r.error).toBe("");
    const s = r.config!.security;
    expect(s.schemes.length).toBe(2);
    expect(s.passthroughAuthHeader).toBe(true);
    expect(s.downstreamFor("")!.required).toBe(true);
    expect(s.downstreamFor("t1")!.scheme.id).toBe("K");
    expect(s.downstreamFor("t2")!.scheme.id).toBe("B");
    expect(s.upstreamFor("t1")!.scheme.id).toBe("B");
    expect(s.upstreamFor("x")!.credential).toBe("c");
  });
  it("refuses bad security config naming the field (table)", () => {
    const S = '"name":"s","type":"mcp-proxy","mcpServerURL":"http://h/mcp"';
    const cases: string[] = [
      '{"server":{' + S + ',"securitySchemes":{}}}',
      '{"server":{' + S + ',"securitySchemes":[{"type":"http","scheme":"bearer"}]}}',
      '{"server":{' + S + ',"securitySchemes":[{"id":"a","type":"oauth2"}]}}',
      '{"server":{' + S + ',"securitySchemes":[{"id":"a","type":"http","scheme":"digest"}]}}',
      '{"server":{' + S + ',"securitySchemes":[{"id":"a","type":"apiKey","in":"cookie","name":"n"}]}}',
      '{"server":{' + S + ',"securitySchemes":[{"id":"a","type":"apiKey","in":"header"}]}}',
      '{"server":{' + S + ',"securitySchemes":[{"id":"a","type":"http","scheme":"bearer"},{"id":"a","type":"http","scheme":"basic"}]}}',
      '{"server":{' + S + ',"defaultDownstreamSecurity":{"id":"nope"}}}',
      '{"server":{' + S + ',"defaultUpstreamSecurity":{"id":"nope"}}}',
      '{"server":{' + S + ',"securitySchemes":[{"id":"a","type":"http","scheme":"bearer"}],"defaultDownstreamSecurity":{"id":"a","required":"yes"}}}',
      '{"server":{' + S + ',"passthroughAuthHeader":1}}',
      '{"server":{' + S + '},"tools":[{"security":{"id":"x"}}]}',
      '{"server":{' + S + '},"tools":[{"name":"t","security":{"id":"x"}}]}',
      '{"server":{' + S + '},"tools":[{"name":"t","requestTemplate":{"security":{"id":"x"}}}]}',
    ];
    const want: string[] = [
      "server.securitySchemes", "server.securitySchemes[0].id", "server.securitySchemes[0].type", "server.securitySchemes[0].scheme",
      "server.securitySchemes[0].in", "server.securitySchemes[0].name", "server.securitySchemes[1].id",
      "server.defaultDownstreamSecurity.id", "server.defaultUpstreamSecurity.id", "server.defaultDownstreamSecurity.required",
      "server.passthroughAuthHeader", "tools[0].name", "tools[0].security.id", "tools[0].requestTemplate.security.id",
    ];
    for (let i = 0; i < cases.length; i++) {
      const r = parseConfig(cases[i]);
      expect(r.config === null).toBe(true, cases[i]);
      expect(r.error.startsWith(want[i])).toBe(true, r.error);
    }
  });
});

const RULES = '{"server":{"name":"g","type":"mcp-proxy","mcpServerURL":"http://g/mcp"},"_rules_":[' +
  '{"_match_route_":["r1"],"server":{"name":"route","type":"mcp-proxy","mcpServerURL":"http://r/mcp"}},' +
  '{"_match_domain_":["*.Example.com","exact.test"],"server":{"name":"domain","type":"mcp-proxy","mcpServerURL":"http://d/mcp"}},' +
  '{"_match_service_":["svc_a"],"server":{"name":"service","type":"mcp-proxy","mcpServerURL":"http://s/mcp"}}]}';

describe("_rules_", () => {
  it("selects the first matching rule, else global", () => {
    const p = parsePlugin(RULES).plugin!;
    expect(p.select("r1", "a.example.com", "svc_a")!.serverName).toBe("route");
    expect(p.select("rx", "a.example.com:8080", "svc_a")!.serverName).toBe("domain");
    expect(p.select("rx", "EXACT.test", "")!.serverName).toBe("domain");
    expect(p.select("rx", "example.com", "svc_a")!.serverName).toBe("service");
    expect(p.select("rx", "other", "svc_b")!.serverName).toBe("g");
    expect(p.select("", "", "")!.serverName).toBe("g");
  });
  it("leaves requests untouched without a global config", () => {
    const p = parsePlugin('{"_rules_":[{"_match_route_":["r1"],"server":{"name":"x","type":"mcp-proxy","mcpServerURL":"http://x/"}}]}').plugin!;
    expect(p.global === null).toBe(true);
    expect(p.select("r1", "", "")!.serverName).toBe("x");
    expect(p.select("r2", "", "") === null).toBe(true);
  });
  it("refuses bad rules naming the place (table)", () => {
    const C = '"server":{"name":"x","type":"mcp-proxy","mcpServerURL":"http://x/"}';
    const cases: string[] = [
      '{"_rules_":{}}', '{"_rules_":[1]}', '{"_rules_":[{' + C + '}]}', '{"_rules_":[{"_match_route_":["a"],"_match_domain_":["b"],' + C + '}]}',
      '{"_rules_":[{"_match_route_":[],' + C + '}]}', '{"_rules_":[{"_match_route_":"a",' + C + '}]}', '{"_rules_":[{"_match_route_":["a"]}]}',
      '{"_rules_":[{"_match_route_":["a"],"server":{"name":"x","type":"mcp-proxy","mcpServerURL":"http://x/","timeout":0}}]}', "{}",
    ];
    const want: string[] = ["_rules_", "_rules_[0]", "_rules_[0]", "_rules_[0]", "_rules_[0]._match_route_", "_rules_[0]._match_route_",
      "_rules_[0].server", "_rules_[0].server.timeout", "server"];
    for (let i = 0; i < cases.length; i++) {
      const r = parsePlugin(cases[i]);
      expect(r.plugin === null).toBe(true, cases[i]);
      expect(r.error.startsWith(want[i])).toBe(true, r.error);
    }
  });
  it("strips ports from authorities", () => {
    expect(hostOf("A.b:80")).toBe("a.b");
    expect(hostOf("[::1]:9")).toBe("[::1]");
    expect(hostOf("[::1]")).toBe("[::1]");
  });
});
