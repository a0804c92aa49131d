import { Transport, parseConfig } from "../config/config";
import { FailureMode, PrefixMode, validPrefix } from "../config/federation";
import { BackendList, FEDERATION_META, mergeLists, renameTool, route, visibleName } from "../federation/merge";
import { CachedList, LIST_SLOTS, cacheTtl, decodeList, encodeList, listKey, nameHash, pageHints } from "../federation/listcache";
import { buildCallParams, withToolName } from "../mcp/params";
import { ToolPolicy, effectivePolicy } from "../mcp/tools";

const B1 = '{"name":"github","mcpServerURL":"http://127.0.0.1:1/mcp","cluster":"gh","prefix":"gh","timeout":3000,"allowTools":["create_issue","search"]}';
const B2 = '{"name":"docs","mcpServerURL":"http://127.0.0.1:2/sse","transport":"sse"}';

function fed(extra: string, backends: string = B1 + "," + B2): string {
  return '{"server":{"name":"hub","type":"mcp-proxy","timeout":5000,"backends":[' + backends + "]" + extra + "}}";
}

function any(): ToolPolicy {
  return effectivePolicy(null, null);
}

/** A backend list that answered with tools `names` (entries `{"name":…,"description":"<backend>"}`). */
function answered(backend: string, prefix: string, names: string[], ttl: i64 = 1000, isPublic: bool = true, policy: ToolPolicy = any()): BackendList {
  const b = new BackendList(backend, prefix, policy);
  let page = '{"tools":[';
  for (let i = 0; i < names.length; i++) page += (i > 0 ? "," : "") + '{"name":"' + names[i] + '","description":"' + backend + '"}';
  b.addPage(page + "]}");
  b.ok = true;
  b.ttlMs = ttl;
  b.isPublic = isPublic;
  return b;
}

function down(backend: string, prefix: string, cause: string): BackendList {
  const b = new BackendList(backend, prefix, any());
  b.cause = cause;
  return b;
}

describe("federation config", () => {
  it("reads backends, each a Config of its own", () => {
    const r = parseConfig(fed(',"prefixMode":"conflict","failureMode":"closed","listCacheTtl":30,"listCacheMaxTtl":60', B1 + ',{"name":"docs","mcpServerURL":"http://127.0.0.1:2/mcp"}'));
    expect(r.error).toBe("");
    const c = r.config!;
    const f = c.federation!;
    expect(f.prefixMode).toBe(PrefixMode.Conflict);
    expect(f.failureMode).toBe(FailureMode.Closed);
    expect(f.listCacheTtlMs).toBe(30000);
    expect(f.listCacheMaxTtlMs).toBe(60000);
    expect(c.backends.length).toBe(2);
    const gh = c.backends[0];
    expect(gh.backendName).toBe("github");
    expect(gh.prefix).toBe("gh");
    expect(gh.serverName).toBe("hub");
    expect(gh.cluster).toBe("gh");
    expect(gh.timeoutMs).toBe(3000);
    expect(gh.allowTools!.length).toBe(2);
    const docs = c.backends[1];
    // The prefix defaults to the name; timeout and transport to the server's.
    expect(docs.prefix).toBe("docs");
    expect(docs.timeoutMs).toBe(5000);
    expect(docs.transport).toBe(Transport.Http);
    expect(docs.allowTools === null).toBe(true);
    expect(docs.url.path).toBe("/mcp");
  });
  it("applies the defaults: prefixes always, failure open, no legacy caching, 300 s cap", () => {
    const f = parseConfig(fed("")).config!.federation!;
    expect(f.prefixMode).toBe(PrefixMode.Always);
    expect(f.failureMode).toBe(FailureMode.Open);
    expect(f.listCacheTtlMs).toBe(0);
    expect(f.listCacheMaxTtlMs).toBe(300000);
  });
  it("gives each backend its own upstream credential", () => {
    const b = '{"name":"a","mcpServerURL":"http://h/mcp","securitySchemes":[{"id":"k","type":"apiKey","in":"header","name":"x-key","defaultCredential":"A"}],"defaultUpstreamSecurity":{"id":"k"}}';
    const c = parseConfig(fed("", b + ',{"name":"b","mcpServerURL":"http://h/b"}')).config!;
    expect(c.backends[0].security.upstream !== null).toBe(true);
    expect(c.backends[1].security.upstream === null).toBe(true);
  });
  it("keeps the single-backend form as it is", () => {
    const c = parseConfig('{"server":{"name":"one","type":"mcp-proxy","mcpServerURL":"http://h/mcp"}}').config!;
    expect(c.federation === null).toBe(true);
    expect(c.backends.length).toBe(0);
  });
  it("refuses malformed federations naming the field (table)", () => {
    const inputs: string[] = [
      fed("", ""),
      '{"server":{"name":"hub","type":"mcp-proxy","backends":{}}}',
      '{"server":{"name":"hub","type":"mcp-proxy","backends":[1]}}',
      '{"server":{"name":"hub","type":"mcp-proxy","mcpServerURL":"http://h/mcp","backends":[' + B1 + "]}}",
      '{"server":{"name":"hub","type":"mcp-passthrough","backends":[' + B1 + "]}}",
      fed("", B1 + "," + B1),
      fed("", B1 + ',{"name":"other","prefix":"gh","mcpServerURL":"http://h/mcp"}'),
      fed("", '{"mcpServerURL":"http://h/mcp"}'),
      fed("", '{"name":"a b","mcpServerURL":"http://h/mcp"}'),
      fed("", '{"name":"a","prefix":"x__y","mcpServerURL":"http://h/mcp"}'),
      fed("", '{"name":"a","prefix":"_x","mcpServerURL":"http://h/mcp"}'),
      fed("", '{"name":"a_","mcpServerURL":"http://h/mcp"}'),
      fed("", '{"name":"a"}'),
      fed("", '{"name":"a","mcpServerURL":"ftp://h"}'),
      fed("", '{"name":"a","mcpServerURL":"http://h/mcp","transport":"ws"}'),
      fed("", '{"name":"a","mcpServerURL":"http://h/mcp","timeout":0}'),
      fed("", '{"name":"a","mcpServerURL":"http://h/mcp","allowTools":"x"}'),
      fed("", '{"name":"a","mcpServerURL":"http://h/mcp","server":{}}'),
      fed("", B2 + ',{"name":"b","mcpServerURL":"http://h/sse","transport":"sse"}'),
      fed(',"prefixMode":"never"'),
      fed(',"prefixMode":"sometimes"'),
      fed(',"failureMode":"maybe"'),
      fed(',"listCacheTtl":-1'),
      fed(',"listCacheMaxTtl":"60"'),
      '{"server":{"name":"one","type":"mcp-proxy","mcpServerURL":"http://h/mcp","prefixMode":"always"}}',
      '{"server":{"name":"one","type":"mcp-proxy","mcpServerURL":"http://h/mcp","listCacheTtl":5}}',
    ];
    const field: string[] = [
      "server.backends", "server.backends", "server.backends[0]", "server.mcpServerURL", "server.backends",
      "server.backends[1].name", "server.backends[1].prefix", "server.backends[0].name", "server.backends[0].name",
      "server.backends[0].prefix", "server.backends[0].prefix", "server.backends[0].prefix", "server.backends[0].mcpServerURL",
      "server.backends[0].mcpServerURL", "server.backends[0].transport", "server.backends[0].timeout",
      "server.backends[0].allowTools", "server.backends[0]", "server.backends", "server.prefixMode",
      "server.prefixMode", "server.failureMode", "server.listCacheTtl", "server.listCacheMaxTtl",
      "server.prefixMode", "server.listCacheTtl",
    ];
    expect(inputs.length).toBe(field.length);
    for (let i = 0; i < inputs.length; i++) {
      const r = parseConfig(inputs[i]);
      expect(r.config === null).toBe(true, inputs[i]);
      expect(r.error.includes(field[i])).toBe(true, inputs[i] + " => " + r.error);
    }
  });
  it("accepts prefixes that split at their first separator only", () => {
    const ok: string[] = ["gh", "a-b", "a_b", "A1", "x"];
    const bad: string[] = ["", "a__b", "_a", "a_", "a b", "a.b", "ü"];
    for (let i = 0; i < ok.length; i++) expect(validPrefix(ok[i])).toBe(true, ok[i]);
    for (let i = 0; i < bad.length; i++) expect(validPrefix(bad[i])).toBe(false, bad[i]);
  });
});

describe("federation naming", () => {
  it("prefixes every name (always), only shared names (conflict), none (never)", () => {
    const a = answered("github", "gh", ["search", "create_issue"]);
    const b = answered("docs", "docs", ["search", "read"]);
    const lists = [a, b];
    expect(visibleName(PrefixMode.Always, lists, a, "create_issue")).toBe("gh__create_issue");
    expect(visibleName(PrefixMode.Conflict, lists, a, "create_issue")).toBe("create_issue");
    expect(visibleName(PrefixMode.Conflict, lists, a, "search")).toBe("gh__search");
    expect(visibleName(PrefixMode.Conflict, lists, b, "search")).toBe("docs__search");
    expect(visibleName(PrefixMode.Never, lists, b, "search")).toBe("search");
  });
  it("renames a tool entry keeping its other members byte for byte", () => {
    expect(renameTool('{"description":"d", "name":"x","inputSchema":{"type":"object"}}', "gh__x"))
      .toBe('{"description":"d","name":"gh__x","inputSchema":{"type":"object"}}');
    expect(renameTool('{"name":"q\\"uote"}', 'p__q"uote')).toBe('{"name":"p__q\\"uote"}');
  });
  it("rebuilds a call's params for the backend's own name", () => {
    const p = buildCallParams("tools/call", '{"name":"gh__echo","arguments":{"text":"hi"},"requestState":"s"}');
    const q = withToolName(p, "echo");
    expect(q.toolName).toBe("echo");
    expect(q.raw).toBe('{"name":"echo","arguments":{"text":"hi"}}');
    expect(q.modernExtra).toBe(',"requestState":"s"');
    expect(withToolName(buildCallParams("tools/call", '{"name":"x"}'), "y").raw).toBe('{"name":"y"}');
  });
});

describe("federation merge", () => {
  it("merges in configuration order, each backend's tools in its own order", () => {
    const out = mergeLists([answered("github", "gh", ["b", "a"]), answered("docs", "docs", ["c"])], PrefixMode.Always, any());
    expect(out).toBe('{"tools":[{"name":"gh__b","description":"github"},{"name":"gh__a","description":"github"},{"name":"docs__c","description":"docs"}],"ttlMs":1000,"cacheScope":"public"}');
  });
  it("applies each backend's allowTools to its own names, the server's policy to visible names", () => {
    const gh = answered("github", "gh", ["a", "b", "c"], 1000, true, effectivePolicy(["a", "b"], null));
    const out = mergeLists([gh], PrefixMode.Always, effectivePolicy(["gh__a", "c"], null), false);
    expect(out).toBe('{"tools":[{"name":"gh__a","description":"github"}]}');
  });
  it("notes the backends that did not answer, and lists the others (failure open)", () => {
    const out = mergeLists([down("github", "gh", "backend call failed: timeout"), answered("docs", "docs", ["c"])], PrefixMode.Always, any());
    expect(out).toBe('{"tools":[{"name":"docs__c","description":"docs"}],"ttlMs":1000,"cacheScope":"public","_meta":{"' + FEDERATION_META +
      '":{"unavailable":[{"backend":"github","cause":"backend call failed: timeout"}]}}}');
  });
  it("lists a shared name once under prefixMode never and names it a conflict", () => {
    const out = mergeLists([answered("github", "gh", ["search", "a"]), answered("docs", "docs", ["search"])], PrefixMode.Never, any(), false);
    expect(out).toBe('{"tools":[{"name":"search","description":"github"},{"name":"a","description":"github"}],"_meta":{"' + FEDERATION_META +
      '":{"conflicts":[{"name":"search","backends":["github","docs"]}]}}}');
  });
  it("takes the shortest ttlMs, and private when any part is private or the policy is per request", () => {
    const lists = [answered("a", "a", ["x"], 5000, true), answered("b", "b", ["y"], 2000, true)];
    expect(mergeLists(lists, PrefixMode.Always, any()).includes('"ttlMs":2000,"cacheScope":"public"')).toBe(true);
    lists.push(answered("c", "c", ["z"], 9000, false));
    expect(mergeLists(lists, PrefixMode.Always, any()).includes('"ttlMs":2000,"cacheScope":"private"')).toBe(true);
    const header = effectivePolicy(null, "a__x");
    expect(mergeLists([answered("a", "a", ["x"])], PrefixMode.Always, header).includes('"cacheScope":"private"')).toBe(true);
    // Nobody answered: nothing to cache.
    expect(mergeLists([down("a", "a", "down")], PrefixMode.Always, any()).includes('"ttlMs":0')).toBe(true);
  });
  it("skips tool entries that are not objects with a name", () => {
    const b = new BackendList("a", "a", any());
    expect(b.addPage('{"tools":[1,{"name":2},{"name":"ok"},"x"]}')).toBe(true);
    expect(b.names.length).toBe(1);
    expect(b.addPage('{"tools":{}}')).toBe(false);
    expect(b.addPage("[]")).toBe(false);
    expect(b.addEntry('{"name":"z"}')).toBe(true);
    expect(b.addEntry("{}")).toBe(false);
  });
});

function prefixes(): string[] {
  return ["gh", "docs"];
}

describe("federation routing", () => {
  it("routes by prefix under prefixMode always", () => {
    const r = route("gh__create_issue", PrefixMode.Always, prefixes(), null);
    expect(r.backend).toBe(0);
    expect(r.tool).toBe("create_issue");
    // Only the first separator splits: the rest is the backend's own name.
    expect(route("docs__a__b", PrefixMode.Always, prefixes(), null).tool).toBe("a__b");
    const bad: string[] = ["create_issue", "xx__a", "__a", "gh__", "gh_a"];
    for (let i = 0; i < bad.length; i++) expect(route(bad[i], PrefixMode.Always, prefixes(), null).backend).toBe(-1, bad[i]);
  });
  it("routes by the lists under conflict: plain unique names, prefixed shared ones", () => {
    const lists = [answered("github", "gh", ["search", "a"]), answered("docs", "docs", ["search", "b"])];
    expect(route("a", PrefixMode.Conflict, prefixes(), lists).backend).toBe(0);
    expect(route("b", PrefixMode.Conflict, prefixes(), lists).backend).toBe(1);
    expect(route("search", PrefixMode.Conflict, prefixes(), lists).error.includes("Ambiguous")).toBe(true);
    const r = route("docs__search", PrefixMode.Conflict, prefixes(), lists);
    expect(r.backend).toBe(1);
    expect(r.tool).toBe("search");
    expect(route("nope", PrefixMode.Conflict, prefixes(), lists).error.includes("Unknown tool")).toBe(true);
  });
  it("refuses a name two backends list under never, routes unique ones", () => {
    const lists = [answered("github", "gh", ["search", "a"]), answered("docs", "docs", ["search"])];
    const r = route("search", PrefixMode.Never, prefixes(), lists);
    expect(r.backend).toBe(-1);
    expect(r.error.includes("github, docs")).toBe(true);
    expect(route("a", PrefixMode.Never, prefixes(), lists).backend).toBe(0);
    expect(route("gh__a", PrefixMode.Never, prefixes(), lists).backend).toBe(-1);
  });
  it("never routes to a backend that did not answer, or to a tool its allowTools refuse", () => {
    const lists = [down("github", "gh", "down"), answered("docs", "docs", ["b"], 0, false, effectivePolicy(["x"], null))];
    expect(route("b", PrefixMode.Conflict, prefixes(), lists).backend).toBe(-1);
  });
});

describe("federation list cache", () => {
  it("keeps a modern list only when public, for the shortest ttl, capped", () => {
    expect(cacheTtl(true, true, 60000, 0, 300000)).toBe(60000);
    expect(cacheTtl(true, false, 60000, 0, 300000)).toBe(0);
    expect(cacheTtl(true, true, 900000, 0, 300000)).toBe(300000);
    expect(cacheTtl(true, true, 0, 0, 300000)).toBe(0);
    // Legacy lists only when server.listCacheTtl opts in (also capped).
    expect(cacheTtl(false, false, 0, 0, 300000)).toBe(0);
    expect(cacheTtl(false, false, 0, 30000, 300000)).toBe(30000);
    expect(cacheTtl(false, false, 0, 30000, 10000)).toBe(10000);
  });
  it("reads a page's caching hints (missing or odd ones mean: do not share, stale at once)", () => {
    const h = pageHints('{"tools":[],"ttlMs":1500,"cacheScope":"public"}');
    expect(h.ttlMs).toBe(1500);
    expect(h.isPublic).toBe(true);
    const odd: string[] = ['{"tools":[]}', '{"ttlMs":"5","cacheScope":"PUBLIC"}', '{"ttlMs":-5}', '{"ttlMs":1.5}', "[]", ""];
    for (let i = 0; i < odd.length; i++) {
      expect(pageHints(odd[i]).ttlMs).toBe(0, odd[i]);
      expect(pageHints(odd[i]).isPublic).toBe(false, odd[i]);
    }
  });
  it("encodes entries round trip, line breaks inside a tool folded to spaces", () => {
    const e = new CachedList("tag|github", 123456, true, 7, ['{"name":"a"}', '{"name":"b",\n"x":1}']);
    const d = decodeList(encodeList(e))!;
    expect(d.owner).toBe("tag|github");
    expect(d.expiresMs).toBe(123456);
    expect(d.isPublic).toBe(true);
    expect(d.generation).toBe(7);
    expect(d.entries.length).toBe(2);
    expect(d.entries[1]).toBe('{"name":"b", "x":1}');
    expect(decodeList(encodeList(new CachedList("o", 1, false, 0, [])))!.entries.length).toBe(0);
  });
  it("refuses malformed entries (table)", () => {
    const bad: string[] = ["", "o", "o\n1\n1", "\n1\n1\n0", "o\nx\n1\n0", "o\n1\n2\n0", "o\n1\n1\n-1"];
    for (let i = 0; i < bad.length; i++) expect(decodeList(bad[i]) === null).toBe(true, bad[i]);
    expect(decodeList(null) === null).toBe(true);
  });
  it("keys slots per server, and spreads the backends of one owner over them", () => {
    expect(listKey("hub", 3)).toBe("mcp-proxy/list/hub/3");
    expect(nameHash("")).toBe(2166136261);
    const names: string[] = ["a", "b", "c", "github", "docs", "modern"];
    const slots = new Set<u32>();
    for (let i = 0; i < names.length; i++) slots.add(nameHash(names[i]) % LIST_SLOTS);
    expect(slots.size).toBe(names.length);
  });
});
