import { parseConfig } from "../config/config";
import { Header, findHeader } from "../http/header";
import { effectivePolicy } from "../mcp/tools";
import { buildCallParams } from "../mcp/params";
import { Era } from "../terminate/era";
import { Exchange, Step } from "../terminate/exchange";
import { CachedSession, REUSE_SLOTS, decodeCached, encodeCached, ownerOf } from "../terminate/reuse";
import { b, hdrs } from "./support";

const CFG = '{"server":{"name":"demo","type":"mcp-proxy","mcpServerURL":"http://backend:9000/mcp","timeout":1000}}';

function ex(): Exchange {
  return new Exchange(parseConfig(CFG).config!, "tools/call", buildCallParams("tools/call", '{"name":"echo"}'), "7", effectivePolicy(null, null), "2025-06-18", Era.Legacy);
}
function kept(sid: string): CachedSession {
  return new CachedSession("owner", "cluster", sid, "2025-03-26", 1000, "", new Array<Header>());
}
const INIT_OK = '{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{}}}';
const CALL_OK = '{"jsonrpc":"2.0","id":2,"result":{"content":[]}}';

describe("kept backend sessions: entries", () => {
  it("round-trip, with the credential to end them", () => {
    const h = new Array<Header>();
    h.push(new Header("authorization", "Bearer t"));
    h.push(new Header("x-api-key", "k:v|w"));
    const e = decodeCached(encodeCached(new CachedSession("o", "c", "sid-1", "2025-06-18", 123456, "api_key=x", h)))!;
    expect(e.owner).toBe("o");
    expect(e.cluster).toBe("c");
    expect(e.sessionId).toBe("sid-1");
    expect(e.version).toBe("2025-06-18");
    expect(e.lastUsedMs).toBe(123456);
    expect(e.query).toBe("api_key=x");
    expect(e.headers.length).toBe(2);
    expect(e.headers[1].value).toBe("k:v|w");
    // A stateless backend: no session id.
    expect(decodeCached(encodeCached(kept("")))!.sessionId).toBe("");
  });
  it("rejects junk (table)", () => {
    const bad: string[] = ["", "a", "o\nc\ns\nv", "o\nc\ns\nv\nx\nq", "o\nc\ns\n\n5\nq", "\nc\ns\nv\n5\nq", "o\nc\ns\nv\n5\nq\nname"];
    for (let i = 0; i < bad.length; i++) expect(decodeCached(bad[i]) === null).toBe(true, bad[i]);
  });
  it("separates owners by backend and credential", () => {
    const none = new Array<Header>();
    const alice: Header[] = [new Header("authorization", "Bearer alice")];
    const bob: Header[] = [new Header("authorization", "Bearer bob")];
    const a = ownerOf("c", "h/mcp", alice, "");
    expect(a.tag).toBe(ownerOf("c", "h/mcp", alice, "").tag);
    expect(a.tag == ownerOf("c", "h/mcp", bob, "").tag).toBe(false);
    expect(a.tag == ownerOf("c2", "h/mcp", alice, "").tag).toBe(false);
    expect(ownerOf("c", "h/mcp", none, "k=1").tag == ownerOf("c", "h/mcp", none, "k=2").tag).toBe(false);
    expect(a.slot < REUSE_SLOTS).toBe(true);
  });
});

describe("kept backend sessions: the exchange", () => {
  it("sends only the call with the kept session and version", () => {
    const e = ex();
    e.useCached(kept("s-9"));
    expect(e.step).toBe(Step.Call);
    const r = e.request();
    expect(findHeader(r.headers, "mcp-session-id")).toBe("s-9");
    expect(findHeader(r.headers, "mcp-protocol-version")).toBe("2025-03-26");
    expect(r.body.includes('"method":"tools/call"')).toBe(true);
    expect(e.onResponse(200, hdrs("200", "application/json"), b(CALL_OK))).toBe(false);
    expect(e.handshook).toBe(false);
    expect(e.staleCache).toBe(false);
  });
  it("a refusal for the want of a handshake: initialize, then the call again, once (table)", () => {
    const statuses: i32[] = [404, 400, 200, 400];
    const bodies: string[] = ["", '{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}',
      '{"jsonrpc":"2.0","id":2,"error":{"code":-32002,"message":"Server not initialized"}}', "bad request"];
    for (let i = 0; i < statuses.length; i++) {
      const e = ex();
      e.useCached(kept("old"));
      expect(e.onResponse(statuses[i], hdrs(statuses[i].toString(), "application/json"), b(bodies[i]))).toBe(true, bodies[i]);
      expect(e.staleCache).toBe(true);
      expect(e.step).toBe(Step.Initialize);
      expect(findHeader(e.request().headers, "mcp-session-id")).toBeNull();
      expect(e.onResponse(200, hdrs("200", "application/json", "new"), b(INIT_OK))).toBe(true);
      expect(e.onResponse(202, hdrs("202", ""), b(""))).toBe(true);
      expect(e.handshook).toBe(true);
      expect(findHeader(e.request().headers, "mcp-session-id")).toBe("new");
      // A second refusal is the backend's answer: no second handshake.
      expect(e.onResponse(404, hdrs("404", "text/plain"), b("gone"))).toBe(false);
      expect(e.final!.body.includes("HTTP 404")).toBe(true);
    }
  });
  it("other answers to a kept session's call are the backend's (table)", () => {
    const bodies: string[] = ['{"jsonrpc":"2.0","id":2,"error":{"code":-32602,"message":"Tool nope not found"}}', CALL_OK];
    for (let i = 0; i < bodies.length; i++) {
      const e = ex();
      e.useCached(kept("s"));
      expect(e.onResponse(200, hdrs("200", "application/json"), b(bodies[i]))).toBe(false);
      expect(e.staleCache).toBe(false);
    }
  });
  it("a kept stateless profile: the call without a session id", () => {
    const e = ex();
    e.useCached(kept(""));
    expect(findHeader(e.request().headers, "mcp-session-id")).toBeNull();
    expect(e.step).toBe(Step.Call);
  });
  it("a kept session does not apply to a modern backend", () => {
    const e = new Exchange(parseConfig(CFG).config!, "tools/call", buildCallParams("tools/call", '{"name":"echo"}'), "7", effectivePolicy(null, null), "2025-06-18", Era.Modern);
    e.useCached(kept("s"));
    expect(findHeader(e.request().headers, "mcp-session-id")).toBeNull();
    expect(findHeader(e.request().headers, "mcp-protocol-version")).toBe("2026-07-28");
  });
});
