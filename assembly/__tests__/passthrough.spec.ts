import { isLoopbackOrigin, originAllowed, preflightHeaders } from "../passthrough/cors";
import { inspectBody } from "../passthrough/inspect";
import { rewriteJsonBody, rewriteSseEvent } from "../passthrough/rewrite";
import { SESSION_ID_LENGTH, SessionEntry, credentialHash, decodeEntry, encodeEntry, isExpired, mintId, needsTouch, parseId, tagOf } from "../passthrough/session";
import { effectivePolicy } from "../mcp/tools";
import { SseFramer } from "../sse/framer";
import { findHeader } from "../http/header";
import { b } from "./support";

function str(u: Uint8Array): string {
  return String.UTF8.decodeUnsafe(u.dataStart, <usize>u.length);
}

describe("session slots", () => {
  it("round-trips entries and rejects junk (table)", () => {
    const e = decodeEntry(encodeEntry(new SessionEntry("tag", 1234, "cred", "a|b-c")))!;
    expect(e.backendId).toBe("a|b-c");
    expect(e.lastSeenMs).toBe(1234);
    expect(e.tag).toBe("tag");
    expect(e.credHash).toBe("cred");
    const bad: string[] = ["", "|5|c|b", "abc", "t|1|c|", "t|x1|c|b", "t|1234567890123456789|c|b", "t|1"];
    for (let i = 0; i < bad.length; i++) expect(decodeEntry(bad[i]) === null).toBe(true, bad[i]);
    expect(decodeEntry(null) === null).toBe(true);
  });
  it("expires and touches on time", () => {
    expect(isExpired(0, 1001, 1000)).toBe(true);
    expect(isExpired(0, 1000, 1000)).toBe(false);
    expect(needsTouch(0, 50, 1000)).toBe(false);
    expect(needsTouch(0, 101, 1000)).toBe(true);
    expect(needsTouch(0, 60001, 3600000)).toBe(true);
  });
  it("mints URL-safe ids that name their slot and tag", () => {
    const random = new Uint8Array(16);
    for (let i = 0; i < 16; i++) random[i] = <u8>(i * 17 + 250);
    const id = mintId(70000, random);
    expect(id.length).toBe(SESSION_ID_LENGTH);
    const g = parseId(id, 100000)!;
    expect(g.slot).toBe(70000);
    expect(g.tag).toBe(tagOf(random));
    // A slot past the table, a wrong length, characters outside base64url: not an id.
    expect(parseId(id, 70000) === null).toBe(true);
    const bad: string[] = ["", "short", id + "A", id.substring(1), "+" + id.substring(1), id.substring(0, 3) + "=" + id.substring(4)];
    for (let i = 0; i < bad.length; i++) expect(parseId(bad[i], 100000) === null).toBe(true, bad[i]);
    // The tag is the id's last 22 characters: a changed one never matches what the slot holds.
    const forged = parseId(id.substring(0, 25) + (id.charAt(25) == "A" ? "B" : "A"), 100000)!;
    const entry = new SessionEntry(tagOf(random), 0, "c", "b");
    expect(entry.matches(g.tag, "c")).toBe(true);
    expect(entry.matches(forged.tag, "c")).toBe(false);
  });
  it("binds entries to a credential, compared whole", () => {
    const e = new SessionEntry("t1", 0, credentialHash("Bearer A"), "b");
    expect(e.matches("t1", credentialHash("Bearer A"))).toBe(true);
    expect(e.matches("t1", credentialHash("Bearer B"))).toBe(false);
    expect(e.matches("t2", credentialHash("Bearer A"))).toBe(false);
    expect(credentialHash("").length).toBe(22);
  });
});

describe("origins", () => {
  it("allows loopback by default (table)", () => {
    const ok: string[] = ["http://localhost", "http://localhost:3000", "https://127.0.0.1:8443", "http://[::1]:9"];
    for (let i = 0; i < ok.length; i++) expect(originAllowed(ok[i], null)).toBe(true, ok[i]);
    const no: string[] = ["null", "http://evil.com", "http://localhost.evil.com", "http://127.0.0.1.nip.io", "file://", "http://localhost/x", ""];
    for (let i = 0; i < no.length; i++) expect(originAllowed(no[i], null)).toBe(false, no[i]);
    expect(isLoopbackOrigin("ftp://localhost")).toBe(false);
  });
  it("uses the configured list", () => {
    const list: string[] = ["https://app.example", "http://x.test/"];
    expect(originAllowed("https://APP.example", list)).toBe(true);
    expect(originAllowed("http://x.test", list)).toBe(true);
    expect(originAllowed("http://localhost", list)).toBe(false);
    const any: string[] = ["*"];
    expect(originAllowed("https://whatever", any)).toBe(true);
  });
  it("answers preflights", () => {
    const h = preflightHeaders("http://localhost", null);
    expect(findHeader(h, "access-control-allow-origin")).toBe("http://localhost");
    expect(findHeader(h, "access-control-expose-headers")).toBe("Mcp-Session-Id");
  });
});

const ECHO_ONLY: string[] = ["echo"];
const A_ONLY: string[] = ["a"];

describe("inspectBody", () => {
  it("finds initialize, tools/list and refused calls", () => {
    const p = effectivePolicy(ECHO_ONLY, null);
    expect(inspectBody(b('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}'), p).initialize).toBe(true);
    expect(inspectBody(b('{"jsonrpc":"2.0","id":"x","method":"tools/list"}'), p).toolsListIds[0]).toBe('"x"');
    expect(inspectBody(b('{"jsonrpc":"2.0","id":"x","method":"tools\\/list"}'), p).toolsListIds.length).toBe(1);
    expect(inspectBody(b('{"jsonrpc":"2.0","id":3,"method":"tools\\/call","params":{"name":"n\\/x"}}'), p).deniedTool).toBe("n/x");
    expect(inspectBody(b('[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"tools/list"}]'), p).toolsListIds.length).toBe(2);
    const d = inspectBody(b('{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"secret"}}'), p);
    expect(d.deniedTool).toBe("secret");
    expect(d.deniedId).toBe("9");
    expect(inspectBody(b('{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo"}}'), p).deniedTool).toBe("");
    const batch = inspectBody(b('[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x"}}]'), p);
    expect(batch.deniedTool).toBe("x");
  });
  it("lets malformed bodies through to the backend (table)", () => {
    const p = effectivePolicy(ECHO_ONLY, null);
    const bodies: string[] = ["", "{", "[]", "42", '{"method":5}', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}}', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[]}'];
    for (let i = 0; i < bodies.length; i++) {
      const r = inspectBody(b(bodies[i]), p);
      expect(r.deniedTool).toBe("", bodies[i]);
      expect(r.initialize).toBe(false);
    }
  });
});

describe("tools/list rewriting", () => {
  it("rewrites the JSON answer with the right id only", () => {
    const p = effectivePolicy(A_ONLY, null);
    const five: string[] = ["5"];
    expect(rewriteJsonBody('{"jsonrpc":"2.0","id":5,"result":{"tools":[{"name":"a"},{"name":"b"}]}}', five, p)!).toBe('{"jsonrpc":"2.0","id":5,"result":{"tools":[{"name":"a"}]}}');
    expect(rewriteJsonBody('{"jsonrpc":"2.0","id":6,"result":{"tools":[]}}', five, p) === null).toBe(true);
    expect(rewriteJsonBody("junk", five, p) === null).toBe(true);
  });
  it("matches ids as the backend re-serialized them (table)", () => {
    const p = effectivePolicy(A_ONLY, null);
    const asked: string[] = ["1.0", "1e1", "-0", '"\\u0041b"', '"a\\/b"'];
    const echoed: string[] = ["1", "10", "0", '"Ab"', '"a/b"'];
    for (let i = 0; i < asked.length; i++) {
      const ids: string[] = [asked[i]];
      const r = rewriteJsonBody('{"jsonrpc":"2.0","id":' + echoed[i] + ',"result":{"tools":[{"name":"a"},{"name":"b"}]}}', ids, p);
      expect(r !== null).toBe(true, asked[i]);
      expect(r!.includes('"b"')).toBe(false, asked[i]);
    }
  });
  it("rewrites batch answers element by element", () => {
    const p = effectivePolicy(A_ONLY, null);
    const ids: string[] = ["1", "2"];
    const r = rewriteJsonBody('[{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"b"}]}},{"jsonrpc":"2.0","id":3,"result":{}},{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"a"},{"name":"b"}]}}]', ids, p)!;
    expect(r).toBe('[{"jsonrpc":"2.0","id":1,"result":{"tools":[]}},{"jsonrpc":"2.0","id":3,"result":{}},{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"a"}]}}]');
  });
  it("rewrites only the SSE event that carries the answer", () => {
    const p = effectivePolicy(A_ONLY, null);
    const five: string[] = ["5"];
    const ev = rewriteSseEvent(b('event: message\nid: 7\ndata: {"jsonrpc":"2.0","id":5,\ndata: "result":{"tools":[{"name":"a"},{"name":"b"}]}}\n\n'), five, p)!;
    expect(ev).toBe('event: message\nid: 7\ndata: {"jsonrpc":"2.0","id":5,"result":{"tools":[{"name":"a"}]}}\n\n');
    expect(rewriteSseEvent(b('data: {"jsonrpc":"2.0","method":"notifications/message"}\n\n'), five, p) === null).toBe(true);
    expect(rewriteSseEvent(b(": comment\n\n"), five, p) === null).toBe(true);
  });
});

const FRAMED = "event: a\r\ndata: 1\r\n\r\n: c\n\ndata: 2\rdata: 3\r\rdata: é\n\n";

describe("SseFramer", () => {
  it("splits raw events at every chunk boundary", () => {
    const all = b(FRAMED);
    for (let cut = 0; cut <= all.length; cut++) {
      const f = new SseFramer();
      const got = new Array<string>();
      const x = f.push(all.subarray(0, cut));
      for (let i = 0; i < x.length; i++) got.push(str(x[i]));
      const y = f.push(all.subarray(cut));
      for (let i = 0; i < y.length; i++) got.push(str(y[i]));
      expect(got.length).toBe(4, cut.toString());
      expect(got.join("")).toBe(FRAMED);
      expect(got[0]).toBe("event: a\r\ndata: 1\r\n\r\n");
      expect(got[2]).toBe("data: 2\rdata: 3\r\r");
      expect(f.takeRest().length).toBe(0);
    }
  });
  it("holds a trailing CR and flags overflow", () => {
    const f = new SseFramer(8);
    expect(f.push(b("data: x\r")).length).toBe(0);
    expect(f.push(b("\r")).length).toBe(0); // may still be the first half of CRLF
    expect(f.push(b("\n")).length).toBe(1);
    f.push(b("data: 0123456789"));
    expect(f.overflow).toBe(true);
    expect(str(f.takeRest())).toBe("data: 0123456789");
  });
});
