import { SseEvent, SseParser } from "../sse/parser";

function bytes(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

/** Feeds `text` split at `cut` (and, when cut2 > cut, again at cut2). */
function parseSplit(text: string, cut: i32, cut2: i32): SseEvent[] {
  const all = bytes(text);
  const p = new SseParser(1 << 20);
  const out = new Array<SseEvent>();
  const a = p.feed(all.subarray(0, cut));
  for (let i = 0; i < a.length; i++) out.push(a[i]);
  if (cut2 > cut) {
    const b = p.feed(all.subarray(cut, cut2));
    for (let i = 0; i < b.length; i++) out.push(b[i]);
    const c = p.feed(all.subarray(cut2));
    for (let i = 0; i < c.length; i++) out.push(c[i]);
  } else {
    const b = p.feed(all.subarray(cut));
    for (let i = 0; i < b.length; i++) out.push(b[i]);
  }
  return out;
}

const STREAM =
  ": comment\r\n" +
  "event: endpoint\r\n" +
  "data: /messages?session=é€😀\r\n\r\n" +
  "event: ping\n\n" +
  "id: 7\n" +
  "data: {\"a\":1,\n" +
  "data: \"b\":2}\n\n" +
  "retry: 10\r" +
  "data:nospace\r\r" +
  "data\n\n";

function checkStream(events: SseEvent[]): void {
  expect(events.length).toBe(4);
  expect(events[0].event).toBe("endpoint");
  expect(events[0].data).toBe("/messages?session=é€😀");
  expect(events[1].event).toBe("message");
  expect(events[1].data).toBe('{"a":1,\n"b":2}');
  expect(events[1].id).toBe("7");
  expect(events[2].data).toBe("nospace");
  expect(events[3].data).toBe("");
}

describe("SseParser", () => {
  it("parses LF, CRLF, CR, comments, multi-line data and data without value", () => {
    checkStream(new SseParser().feedString(STREAM));
  });
  it("gives the same events when split at every byte boundary", () => {
    const n = bytes(STREAM).length;
    for (let cut = 0; cut <= n; cut++) checkStream(parseSplit(STREAM, cut, 0));
  });
  it("gives the same events when split at every pair of boundaries", () => {
    const n = bytes(STREAM).length;
    for (let cut = 1; cut < n; cut += 3) {
      for (let cut2 = cut + 1; cut2 < n; cut2 += 2) checkStream(parseSplit(STREAM, cut, cut2));
    }
  });
  it("feeds byte by byte", () => {
    const all = bytes(STREAM);
    const p = new SseParser();
    const out = new Array<SseEvent>();
    for (let i = 0; i < all.length; i++) {
      const e = p.feed(all.subarray(i, i + 1));
      for (let j = 0; j < e.length; j++) out.push(e[j]);
    }
    checkStream(out);
  });
  it("drops an unterminated event unless lenient", () => {
    const p = new SseParser();
    expect(p.feedString("data: x").length).toBe(0);
    expect(p.finish(false).length).toBe(0);
    const q = new SseParser();
    q.feedString("data: x");
    const tail = q.finish(true);
    expect(tail.length).toBe(1);
    expect(tail[0].data).toBe("x");
  });
  it("flags overflow of a line past the bound (malformed table)", () => {
    const p = new SseParser(16);
    p.feedString("data: 0123456789abcdefghij");
    expect(p.overflow).toBe(true);
    expect(p.feedString("\n\n").length).toBe(0);
    const q = new SseParser(16);
    q.feedString("data: 0123456789\ndata: 0123456789\n");
    expect(q.overflow).toBe(true);
  });
  it("ignores junk fields, empty events and a NUL in id", () => {
    const p = new SseParser();
    const e = p.feedString("foo: bar\n\n\n\nid: a\u0000b\ndata: y\n\nevent: x\n\n");
    expect(e.length).toBe(1);
    expect(e[0].data).toBe("y");
    expect(e[0].id).toBe("");
  });
  it("strips one leading BOM, even split across chunks", () => {
    const p = new SseParser();
    const bom = new Uint8Array(3);
    bom[0] = 0xef; bom[1] = 0xbb; bom[2] = 0xbf;
    expect(p.feed(bom.subarray(0, 1)).length).toBe(0);
    expect(p.feed(bom.subarray(1)).length).toBe(0);
    const e = p.feedString("event: endpoint\ndata: /m\n\n");
    expect(e.length).toBe(1);
    expect(e[0].event).toBe("endpoint");
    const q = new SseParser();
    const e2 = q.feedString("\u{feff}\u{feff}data: x\n\n");
    expect(e2.length).toBe(0); // a second BOM makes the first line's field name "\u{feff}data"
  });
  it("survives invalid UTF-8", () => {
    const raw = new Uint8Array(8);
    raw[0] = 0x64; raw[1] = 0x61; raw[2] = 0x74; raw[3] = 0x61; raw[4] = 0x3a; raw[5] = 0xff; raw[6] = 0x0a; raw[7] = 0x0a;
    const e = new SseParser().feed(raw);
    expect(e.length).toBe(1);
  });
});
