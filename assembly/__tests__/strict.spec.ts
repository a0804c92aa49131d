// The strict reader of pass-through bodies (what a policy is decided on must be read exactly
// as every backend reads it), the Higress header semantics, and linear-time SSE handling.
import { ambiguousKey, foldKey, inspectBody } from "../passthrough/inspect";
import { effectivePolicy, effectivePolicyOf } from "../mcp/tools";
import { SseParser } from "../sse/parser";
import { SseFramer } from "../sse/framer";
import { isSafeHeaderValue } from "../http/header";
import { b } from "./support";

function bytesOf(parts: string[], raw: u8[]): Uint8Array {
  // parts[0] + raw bytes + parts[1]
  const a = b(parts[0]);
  const c = b(parts[1]);
  const out = new Uint8Array(a.length + raw.length + c.length);
  out.set(a);
  for (let i = 0; i < raw.length; i++) out[a.length + i] = raw[i];
  out.set(c, a.length + raw.length);
  return out;
}

const ECHO: string[] = ["echo"];
const ADD = '"arguments":{"a":1,"b":2}';

describe("strict reader: unreadable bodies", () => {
  it("refuses what it cannot read exactly (table)", () => {
    const p = effectivePolicy(ECHO, null);
    let deep = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"x":';
    for (let i = 0; i < 300; i++) deep += "[";
    for (let i = 0; i < 300; i++) deep += "]";
    deep += "}}}";
    const texts: string[] = [deep, "{", "", "not json", '{"a":1}x'];
    for (let i = 0; i < texts.length; i++) expect(inspectBody(b(texts[i]), p).unreadable).toBe(true, texts[i]);
    // A stray lead byte before the closing quote or before a letter (a lenient decoder keeps
    // the JSON well-formed there), an overlong form, a surrogate, a lone continuation.
    const pre = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add",' + ADD + ',"note":"x';
    const post = '"}}';
    const raws: u8[][] = [[0xc3], [0xc3, 0x62], [0xc0, 0xae], [0xed, 0xa0, 0x80], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]];
    for (let i = 0; i < raws.length; i++) expect(inspectBody(bytesOf([pre, post], raws[i]), p).unreadable).toBe(true);
    // Valid multi-byte text is read.
    const ok = inspectBody(bytesOf([pre, post], [0xc3, 0xa9]), p);
    expect(ok.unreadable).toBe(false);
    expect(ok.deniedTool).toBe("add");
  });
});

describe("strict reader: key spellings", () => {
  it("folds keys as Go's encoding/json compares them", () => {
    expect(foldKey("METHOD")).toBe("method");
    expect(foldKey("param\u017f")).toBe("params");
    expect(foldKey("\u212aey")).toBe("key");
    expect(foldKey("naïve")).toBe("naïve");
  });
  it("finds repeated and respelled keys (table)", () => {
    const p = effectivePolicy(ECHO, null);
    const bodies: string[] = [
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","Name":"add",' + ADD + "}}",
      '{"jsonrpc":"2.0","id":1,"method":"ping","METHOD":"tools/call","params":{"name":"add"}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"},"param\\u017f":{"name":"add"}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"},"paramſ":{"name":"add"}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"add"}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","\\u006eame":"add"}}',
      '{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/call","params":{"name":"echo"}}',
      '{"jsonrpc":"2.0","JSONRPC":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{},"ARGUMENTS":{}}}',
      '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/call","Params":{"name":"add"}}]',
    ];
    const keys: string[] = ["Name", "METHOD", "param\u017f", "paramſ", "name", "name", "id", "JSONRPC", "ARGUMENTS", "Params"];
    for (let i = 0; i < bodies.length; i++) {
      const r = inspectBody(b(bodies[i]), p);
      expect(r.unreadable).toBe(false, bodies[i]);
      expect(r.ambiguousKey).toBe(keys[i], bodies[i]);
    }
  });
  it("leaves other keys alone (table)", () => {
    const p = effectivePolicy(ECHO, null);
    const fine: string[] = [
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"Name":1,"name":2,"name":3},"_meta":{"\\u212a":1}}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"c","Cursor":"d"}}',
      '{"jsonrpc":"2.0","id":1,"result":{}}',
    ];
    for (let i = 0; i < fine.length; i++) expect(inspectBody(b(fine[i]), p).ambiguousKey).toBe("", fine[i]);
    expect(ambiguousKey('{"a":1,"A":2}', 0, ECHO)).toBe("");
  });
});

describe("strict reader: batches", () => {
  it("lists every message's tool for credentials", () => {
    const p = effectivePolicy(null, null);
    const r = inspectBody(b('[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}},{"jsonrpc":"2.0","id":2,"method":"tools/list"},{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"add"}}]'), p);
    expect(r.batch).toBe(true);
    expect(r.tools.length).toBe(3);
    expect(r.tools[0]).toBe("echo");
    expect(r.tools[1]).toBe("");
    expect(r.tools[2]).toBe("add");
    const single = inspectBody(b('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{}}}'), p);
    expect(single.batch).toBe(false);
    expect(single.method).toBe("tools/call");
    expect(single.isRequest).toBe(true);
    expect(single.paramsRaw).toBe('{"name":"echo","arguments":{}}');
  });
});

describe("x-envoy-allow-mcp-tools (Higress semantics)", () => {
  it("treats empty, blank and repeated values as documented (table)", () => {
    const empty: string[] = [""];
    expect(effectivePolicyOf(null, empty).unrestricted).toBe(true);
    const blank: string[] = [" , , "];
    const none = effectivePolicyOf(null, blank);
    expect(none.unrestricted).toBe(false);
    expect(none.allows("echo")).toBe(false);
    const two: string[] = ["echo, add", "add, image"];
    const both = effectivePolicyOf(null, two);
    expect(both.allows("add")).toBe(true);
    expect(both.allows("echo")).toBe(false);
    expect(both.allows("image")).toBe(false);
    expect(both.perRequest).toBe(true);
    const cfg: string[] = ["echo", "add"];
    const withEmpty: string[] = ["", "add"];
    const p = effectivePolicyOf(cfg, withEmpty);
    expect(p.allows("add")).toBe(true);
    expect(p.allows("echo")).toBe(false);
    expect(effectivePolicyOf(cfg, new Array<string>()).perRequest).toBe(false);
  });
});

describe("header values", () => {
  it("refuses control characters (table)", () => {
    expect(isSafeHeaderValue("Bearer abc\tdef")).toBe(true);
    const bad: string[] = ["a\r\nx-evil: 1", "a\nb", "a\u0000b", "a\u007fb", "\r"];
    for (let i = 0; i < bad.length; i++) expect(isSafeHeaderValue(bad[i])).toBe(false);
  });
});

/** Steps to parse `n` empty data lines in one event, fed in `chunk`-byte pieces. */
function parserSteps(n: i32, chunk: i32): i64 {
  const p = new SseParser(64 * 1024 * 1024);
  let text = "";
  const line = "data:\n";
  const parts = new Array<string>();
  for (let i = 0; i < n; i++) parts.push(line);
  parts.push("\n");
  text = parts.join("");
  const all = b(text);
  let events = 0;
  for (let at = 0; at < all.length; at += chunk) {
    const end = min(at + chunk, all.length);
    events += p.feed(all.subarray(at, end)).length;
  }
  expect(events).toBe(1);
  return p.steps;
}

/** Steps to frame one `n`-byte event fed in `chunk`-byte pieces. */
function framerSteps(n: i32, chunk: i32): i64 {
  const f = new SseFramer(64 * 1024 * 1024);
  const body = new Uint8Array(n + 8);
  const head = b("data: ");
  body.set(head);
  for (let i = head.length; i < n; i++) body[i] = 0x61;
  body[n] = 0x0a;
  body[n + 1] = 0x0a;
  let events = 0;
  for (let at = 0; at < n + 2; at += chunk) {
    const end = min(at + chunk, n + 2);
    events += f.push(body.subarray(at, end)).length;
  }
  expect(events).toBe(1);
  return f.steps;
}

describe("SSE handling is linear", () => {
  // A bounded number of steps per input byte at two sizes: linear. (The quadratic versions did
  // about n²/2 steps for n empty data lines, and n²/(2·chunk) when framing one large event.)
  it("parses many empty data lines in linear steps", () => {
    const lines: i32[] = [20000, 80000];
    for (let i = 0; i < lines.length; i++) {
      const bytes = <i64>lines[i] * 6;
      expect(parserSteps(lines[i], 4096)).toBeLessThan(bytes * 3);
    }
  });
  it("frames a large event fed in small chunks in linear steps", () => {
    const sizes: i32[] = [200000, 800000];
    for (let i = 0; i < sizes.length; i++) expect(framerSteps(sizes[i], 512)).toBeLessThan(<i64>sizes[i] * 5);
  });
});
