import { Claim, ClaimKind } from "../authz/claims";
import { forbiddenChallenge, isMetadataPath, metadataDocument, unauthorizedChallenge } from "../authz/metadata";
import { AuthzConfig, Caller, CallerAuthz, claimMatches, decide, patternMatches } from "../authz/rules";
import { isScopeToken } from "../config/authorization";
import { parseConfig } from "../config/config";
import { effectivePolicy, filterToolsResult } from "../mcp/tools";

function s(v: string): Claim {
  const c = new Claim();
  c.kind = ClaimKind.String;
  c.str = v;
  return c;
}
function n(v: f64): Claim {
  const c = new Claim();
  c.kind = ClaimKind.Number;
  c.num = v;
  return c;
}
function b(v: bool): Claim {
  const c = new Claim();
  c.kind = ClaimKind.Bool;
  c.flag = v;
  return c;
}
function list(items: Claim[]): Claim {
  const c = new Claim();
  c.kind = ClaimKind.List;
  c.items = items;
  return c;
}
function obj(keys: string[], values: Claim[]): Claim {
  const c = new Claim();
  c.kind = ClaimKind.Object;
  c.keys = keys;
  c.values = values;
  return c;
}

const SERVER = '"name":"d","type":"mcp-proxy","mcpServerURL":"http://h/mcp"';
function authz(body: string): AuthzConfig {
  const r = parseConfig('{"server":{' + SERVER + ',"authorization":{' + body + "}}}");
  expect(r.error).toBe("");
  return r.config!.authorization!;
}
const BASE = '"resource":"https://mcp.example.com/mcp","authorizationServers":["https://as.example.com"]';
const RULES = BASE + ',"scopesSupported":["mcp:tools"],"rules":['
  + '{"tools":["echo"],"scopes":["mcp:tools"]},'
  + '{"tools":["admin_*"],"scopes":["mcp:admin","mcp:tools"],"claims":{"groups":"ops","org.tier":"gold"}},'
  + '{"tools":["echo","add"],"scopes":["never"]},'
  + '{"tools":["public"]}]';

describe("patterns and claims", () => {
  it("a pattern is a name or a prefix ending in * (table)", () => {
    expect(patternMatches("echo", "echo")).toBe(true);
    expect(patternMatches("echo", "echo2")).toBe(false);
    expect(patternMatches("echo", "ech")).toBe(false);
    expect(patternMatches("admin_*", "admin_reset")).toBe(true);
    expect(patternMatches("admin_*", "admin_")).toBe(true);
    expect(patternMatches("admin_*", "admin")).toBe(false);
    expect(patternMatches("*", "anything")).toBe(true);
    expect(patternMatches("*", "")).toBe(true);
  });
  it("a claim equals the value or is a list holding it (table)", () => {
    expect(claimMatches(s("ops"), "ops")).toBe(true);
    expect(claimMatches(s("ops "), "ops")).toBe(false);
    expect(claimMatches(s("OPS"), "ops")).toBe(false);
    expect(claimMatches(list([s("dev"), s("ops")]), "ops")).toBe(true);
    expect(claimMatches(list([s("dev")]), "ops")).toBe(false);
    expect(claimMatches(list([list([s("ops")])]), "ops")).toBe(false);
    expect(claimMatches(n(42), "42")).toBe(true);
    expect(claimMatches(n(42), "42.0")).toBe(false);
    expect(claimMatches(n(1.5), "1.5")).toBe(true);
    expect(claimMatches(list([n(7), n(42)]), "42")).toBe(true);
    expect(claimMatches(b(true), "true")).toBe(true);
    expect(claimMatches(b(false), "true")).toBe(false);
    expect(claimMatches(new Claim(), "null")).toBe(false);
    expect(claimMatches(obj(["ops"], [s("ops")]), "ops")).toBe(false);
    expect(claimMatches(null, "ops")).toBe(false);
  });
  it("scopes come from scope (space separated) and scp (list or string)", () => {
    const c1 = new Caller(obj(["scope"], [s(" a  b ")]));
    expect(c1.scopes.has("a") && c1.scopes.has("b") && c1.scopes.size == 2).toBe(true);
    const c2 = new Caller(obj(["scp"], [list([s("x"), n(1), s("y")])]));
    expect(c2.scopes.has("x") && c2.scopes.has("y") && c2.scopes.size == 2).toBe(true);
    const c3 = new Caller(obj(["scope", "scp"], [s("a"), s("b c")]));
    expect(c3.scopes.size).toBe(3);
    const c4 = new Caller(obj(["scope"], [list([s("a")])]));
    expect(c4.scopes.has("a")).toBe(true);
    expect(new Caller(obj(["scope"], [n(1)])).scopes.size).toBe(0);
    expect(new Caller(obj(["iss", "sub"], [s("i"), s("u")])).identity).toBe("jwt\ni\nu");
  });
});

function rulesCfg(): AuthzConfig {
  return authz(RULES);
}
function opsCaller(): Caller {
  return new Caller(obj(["scope", "groups", "org"], [s("mcp:tools mcp:admin"), list([s("ops")]), obj(["tier"], [s("gold")])]));
}
function toolsCaller(): Caller {
  return new Caller(obj(["scope"], [s("mcp:tools")]));
}
function noCaller(): Caller {
  return new Caller(obj([], []));
}

describe("decide", () => {
  it("the first matching rule decides (table)", () => {
    const cfg = rulesCfg();
    const ops = opsCaller();
    const tools = toolsCaller();
    const none = noCaller();
    expect(decide(cfg, tools, "echo").allowed).toBe(true);
    expect(decide(cfg, none, "echo").allowed).toBe(false);
    expect(decide(cfg, none, "echo").scopes.join(" ")).toBe("mcp:tools");
    // rule 2 never decides echo: rule 0 came first
    expect(decide(cfg, tools, "echo").rule).toBe(0);
    expect(decide(cfg, tools, "add").allowed).toBe(false);
    expect(decide(cfg, tools, "add").rule).toBe(2);
    expect(decide(cfg, ops, "admin_reset").allowed).toBe(true);
    expect(decide(cfg, tools, "admin_reset").allowed).toBe(false);
    expect(decide(cfg, none, "public").allowed).toBe(true);
    expect(decide(cfg, ops, "unlisted").allowed).toBe(false);
    expect(decide(cfg, ops, "unlisted").rule).toBe(-1);
  });
  it("every claim of a rule must match, scopes alone are not enough", () => {
    const cfg = rulesCfg();
    const ops = opsCaller();
    const tools = toolsCaller();
    const none = noCaller();
    const silver = new Caller(obj(["scope", "groups", "org"], [s("mcp:tools mcp:admin"), s("ops"), obj(["tier"], [s("silver")])]));
    expect(decide(cfg, silver, "admin_reset").allowed).toBe(false);
    const noGroup = new Caller(obj(["scope", "org"], [s("mcp:tools mcp:admin"), obj(["tier"], [s("gold")])]));
    expect(decide(cfg, noGroup, "admin_reset").allowed).toBe(false);
    // Every scope of the rule, not only the first.
    const adminOnly = new Caller(obj(["scope", "groups", "org"], [s("mcp:admin"), s("ops"), obj(["tier"], [s("gold")])]));
    expect(decide(cfg, adminOnly, "admin_reset").allowed).toBe(false);
  });
  it("defaultAction allow applies only where no rule matches", () => {
    const cfg = rulesCfg();
    const ops = opsCaller();
    const tools = toolsCaller();
    const none = noCaller();
    const open = authz(BASE + ',"defaultAction":"allow","rules":[{"tools":["echo"],"scopes":["s"]}]');
    expect(decide(open, none, "other").allowed).toBe(true);
    expect(decide(open, none, "echo").allowed).toBe(false);
  });
  it("the union of the deciding rules' scopes for a 403", () => {
    const cfg = rulesCfg();
    const ops = opsCaller();
    const tools = toolsCaller();
    const none = noCaller();
    const a = new CallerAuthz(cfg, none);
    expect(a.neededScopes(["echo", "admin_x", "", "unlisted"]).join(" ")).toBe("mcp:tools mcp:admin");
  });
  it("narrows the tool policy and its lists per caller", () => {
    const cfg = rulesCfg();
    const ops = opsCaller();
    const tools = toolsCaller();
    const none = noCaller();
    const p = effectivePolicy(["echo", "add", "public"], null);
    p.authorizeFor(new CallerAuthz(cfg, tools));
    expect(p.perRequest).toBe(true);
    expect(p.unrestricted).toBe(false);
    expect(p.allows("echo")).toBe(true);
    expect(p.allows("add")).toBe(false);
    expect(p.allowsStatically("add")).toBe(true);
    expect(p.allowsStatically("admin_x")).toBe(false);
    const q = effectivePolicy(null, null);
    q.authorizeFor(new CallerAuthz(cfg, tools));
    expect(q.allowsStatically("anything")).toBe(true);
    const listed = filterToolsResult('{"tools":[{"name":"echo"},{"name":"add"},{"name":"public"}]}', q);
    expect(listed).toBe('{"tools":[{"name":"echo"},{"name":"public"}]}');
  });
});

describe("metadata and challenges", () => {
  it("derives the metadata URL and paths (RFC 9728 §3.1)", () => {
    const c = authz(BASE);
    expect(c.metadataUrl).toBe("https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
    expect(isMetadataPath(c, "/.well-known/oauth-protected-resource/mcp")).toBe(true);
    expect(isMetadataPath(c, "/.well-known/oauth-protected-resource")).toBe(true);
    expect(isMetadataPath(c, "/.well-known/oauth-protected-resource?x=1")).toBe(true);
    expect(isMetadataPath(c, "/.well-known/oauth-protected-resource/other")).toBe(false);
    expect(isMetadataPath(c, "/mcp")).toBe(false);
    const root = authz('"resource":"http://127.0.0.1:8080","authorizationServers":["https://as"]');
    expect(root.metadataUrl).toBe("http://127.0.0.1:8080/.well-known/oauth-protected-resource");
    expect(root.metadataPaths.length).toBe(1);
    expect(root.payloadKey).toBe("jwt_payload");
    expect(root.defaultAllow).toBe(false);
  });
  it("writes the document and the challenges", () => {
    const c = authz(RULES);
    expect(metadataDocument(c, "srv")).toBe('{"resource":"https://mcp.example.com/mcp","authorization_servers":["https://as.example.com"],'
      + '"scopes_supported":["mcp:tools"],"bearer_methods_supported":["header"],"resource_name":"srv"}');
    expect(metadataDocument(authz(BASE), "x").includes("scopes_supported")).toBe(false);
    const meta = 'resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"';
    expect(unauthorizedChallenge(c, false)).toBe("Bearer " + meta + ', scope="mcp:tools"');
    expect(unauthorizedChallenge(c, true).startsWith('Bearer error="invalid_token", ')).toBe(true);
    expect(unauthorizedChallenge(c, true).includes(meta)).toBe(true);
    expect(forbiddenChallenge(c, ["a", "b"]).startsWith('Bearer error="insufficient_scope", scope="a b", ' + meta)).toBe(true);
    expect(forbiddenChallenge(c, []).includes("scope=\"")).toBe(false);
  });
});

describe("server.authorization config", () => {
  it("reads every field", () => {
    const c = authz(BASE + ',"scopesSupported":["a","b"],"payloadMetadataKey":"claims","defaultAction":"allow","rules":[{"tools":["x","y*"],"scopes":["a"],"claims":{"g.h":"v"}}]');
    expect(c.scopesSupported.join(" ")).toBe("a b");
    expect(c.payloadKey).toBe("claims");
    expect(c.defaultAllow).toBe(true);
    expect(c.rules[0].tools.join(",")).toBe("x,y*");
    expect(c.rules[0].claims[0].path).toBe("g.h");
    expect(c.rules[0].claims[0].value).toBe("v");
    expect(parseConfig('{"server":{' + SERVER + "}}").config!.authorization === null).toBe(true);
  });
  it("scope tokens (RFC 6749 §3.3)", () => {
    expect(isScopeToken("mcp:tools")).toBe(true);
    expect(isScopeToken("a b")).toBe(false);
    expect(isScopeToken('a"b')).toBe(false);
    expect(isScopeToken("a\\b")).toBe(false);
    expect(isScopeToken("é")).toBe(false);
    expect(isScopeToken("")).toBe(false);
  });
  it("refuses malformed configurations naming the field (table)", () => {
    const A = '"authorizationServers":["https://as"]';
    const R = '"resource":"https://h/mcp"';
    const inputs: string[] = [
      '"authorization":1',
      '"authorization":{' + A + "}",
      '"authorization":{"resource":5,' + A + "}",
      '"authorization":{"resource":"mcp.example.com",' + A + "}",
      '"authorization":{"resource":"https://h/mcp#f",' + A + "}",
      '"authorization":{"resource":"https://h/mcp?q=1",' + A + "}",
      '"authorization":{"resource":"https://h/m\\"cp",' + A + "}",
      '"authorization":{' + R + "}",
      '"authorization":{' + R + ',"authorizationServers":[]}',
      '"authorization":{' + R + ',"authorizationServers":"https://as"}',
      '"authorization":{' + R + ',"authorizationServers":["as.example"]}',
      '"authorization":{' + R + "," + A + ',"scopesSupported":["a b"]}',
      '"authorization":{' + R + "," + A + ',"scopesSupported":"a"}',
      '"authorization":{' + R + "," + A + ',"payloadMetadataKey":""}',
      '"authorization":{' + R + "," + A + ',"payloadMetadataKey":1}',
      '"authorization":{' + R + "," + A + ',"defaultAction":"permit"}',
      '"authorization":{' + R + "," + A + ',"rules":{}}',
      '"authorization":{' + R + "," + A + ',"rules":[1]}',
      '"authorization":{' + R + "," + A + ',"rules":[{"scopes":["a"]}]}',
      '"authorization":{' + R + "," + A + ',"rules":[{"tools":[]}]}',
      '"authorization":{' + R + "," + A + ',"rules":[{"tools":["a*b"]}]}',
      '"authorization":{' + R + "," + A + ',"rules":[{"tools":[""]}]}',
      '"authorization":{' + R + "," + A + ',"rules":[{"tools":["a"],"scope":["x"]}]}',
      '"authorization":{' + R + "," + A + ',"rules":[{"tools":["a"],"scopes":["x y"]}]}',
      '"authorization":{' + R + "," + A + ',"rules":[{"tools":["a"],"claims":{"g":1}}]}',
      '"authorization":{' + R + "," + A + ',"rules":[{"tools":["a"],"claims":{"g..h":"v"}}]}',
      '"authorization":{' + R + "," + A + ',"rules":[{"tools":["a"],"claims":[]}]}',
      '"authorization":{' + R + "," + A + ',"rule":[]}',
      '"securitySchemes":[{"id":"b","type":"http","scheme":"bearer"}],"defaultDownstreamSecurity":{"id":"b"},"authorization":{' + R + "," + A + "}",
    ];
    const field: string[] = [
      "server.authorization", "server.authorization.resource", "server.authorization.resource", "server.authorization.resource",
      "server.authorization.resource", "server.authorization.resource", "server.authorization.resource",
      "server.authorization.authorizationServers", "server.authorization.authorizationServers", "server.authorization.authorizationServers",
      "server.authorization.authorizationServers[0]", "server.authorization.scopesSupported[0]", "server.authorization.scopesSupported",
      "server.authorization.payloadMetadataKey", "server.authorization.payloadMetadataKey", "server.authorization.defaultAction",
      "server.authorization.rules", "server.authorization.rules[0]", "server.authorization.rules[0].tools",
      "server.authorization.rules[0].tools", "server.authorization.rules[0].tools[0]", "server.authorization.rules[0].tools[0]",
      "server.authorization.rules[0].scope", "server.authorization.rules[0].scopes[0]", "server.authorization.rules[0].claims",
      "server.authorization.rules[0].claims", "server.authorization.rules[0].claims", "server.authorization.rule", "server.authorization",
    ];
    expect(inputs.length).toBe(field.length);
    for (let i = 0; i < inputs.length; i++) {
      const r = parseConfig('{"server":{' + SERVER + "," + inputs[i] + "}}");
      expect(r.config === null).toBe(true, inputs[i]);
      expect(r.error.includes(field[i])).toBe(true, inputs[i] + " => " + r.error);
    }
  });
});
