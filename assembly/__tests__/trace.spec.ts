import { member, stringAt } from "../jsonrpc/scan";
import { metaWithTrace, sessionTag, traceHeaders, traceOf, validTraceparent, validTracestate } from "../stats/trace";

const TP = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01";
const TP2 = "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-00";

describe("W3C traceparent", () => {
  it("accepts valid values", () => {
    expect(validTraceparent(TP)).toBe(true);
    expect(validTraceparent(TP2)).toBe(true);
    // A later version may carry more fields.
    expect(validTraceparent("01" + TP.substring(2) + "-extra")).toBe(true);
    expect(validTraceparent("01" + TP.substring(2))).toBe(true);
  });

  it("refuses malformed values (table)", () => {
    const bad: string[] = [
      "", "00", TP.toUpperCase(), TP + "-x", TP.substring(0, 54), "ff" + TP.substring(2),
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
      "00_0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01", "00-0af7651916cd43dd8448eb211c80319g-00f067aa0ba902b7-01",
      "01" + TP.substring(2) + "x", "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-0\n", "zz" + TP.substring(2),
    ];
    for (let i = 0; i < bad.length; i++) expect(validTraceparent(bad[i])).toBe(false, bad[i]);
  });

  it("passes tracestate only as printable ASCII within 1024 characters", () => {
    expect(validTracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")).toBe(true);
    expect(validTracestate("")).toBe(false);
    expect(validTracestate("a=b\r\nx-injected: 1")).toBe(false);
    expect(validTracestate("a=" + "b".repeat(1100))).toBe(false);
    expect(validTracestate("a=ü")).toBe(false);
  });
});

describe("one trace context per request", () => {
  it("takes _meta's when valid, else the headers'", () => {
    const meta = "{\"traceparent\":\"" + TP + "\",\"tracestate\":\"m=1\"}";
    const t = traceOf(meta, TP2, "h=1")!;
    expect(t.traceparent).toBe(TP);
    expect(t.tracestate).toBe("m=1");
    expect(t.fromMeta).toBe(true);
    expect(t.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    const h = traceOf("{\"progressToken\":1}", TP2, "h=1")!;
    expect(h.traceparent).toBe(TP2);
    expect(h.tracestate).toBe("h=1");
    expect(h.fromMeta).toBe(false);
    // An invalid _meta value falls back to the header.
    expect(traceOf("{\"traceparent\":\"junk\"}", TP2, "")!.traceparent).toBe(TP2);
    expect(traceOf("{\"traceparent\":7}", TP2, "")!.traceparent).toBe(TP2);
    expect(traceOf("", TP2, "")!.tracestate).toBe("");
  });

  it("has none without a valid traceparent anywhere (table)", () => {
    expect(traceOf("", null, "") === null).toBe(true);
    expect(traceOf("", "junk", "a=b") === null).toBe(true);
    expect(traceOf("{\"tracestate\":\"a=b\"}", null, "") === null).toBe(true);
    expect(traceOf("[1]", null, "") === null).toBe(true);
    expect(traceOf("{\"traceparent\":", null, "") === null).toBe(true);
  });

  it("drops a tracestate that cannot be passed on", () => {
    expect(traceOf("{\"traceparent\":\"" + TP + "\",\"tracestate\":\"a\\nb\"}", null, "")!.tracestate).toBe("");
    expect(traceOf("", TP, "x\ny")!.tracestate).toBe("");
  });

  it("writes the context into _meta, keeping the other members", () => {
    const t = traceOf("", TP2, "h=1")!;
    const m = metaWithTrace("{\"progressToken\":7,\"traceparent\":\"old\",\"tracestate\":\"old=1\",\"x\":{\"y\":[1]}}", t);
    expect(m).toBe("{\"progressToken\":7,\"x\":{\"y\":[1]},\"traceparent\":\"" + TP2 + "\",\"tracestate\":\"h=1\"}");
    expect(stringAt(m, member(m, 0, "traceparent"))).toBe(TP2);
    expect(metaWithTrace("", traceOf("", TP, "")!)).toBe("{\"traceparent\":\"" + TP + "\"}");
    const hs = traceHeaders(t);
    expect(hs.length).toBe(2);
    expect(hs[0].name + "=" + hs[0].value).toBe("traceparent=" + TP2);
    expect(traceHeaders(traceOf("", TP, "")!).length).toBe(1);
  });
});

describe("session tag", () => {
  it("is 8 hex digits of SHA-256, stable and distinct", () => {
    // SHA-256("abc") = ba7816bf...
    expect(sessionTag("abc")).toBe("ba7816bf");
    expect(sessionTag("s1")).toBe(sessionTag("s1"));
    expect(sessionTag("s1")).not.toBe(sessionTag("s2"));
    expect(sessionTag("").length).toBe(8);
  });
});
