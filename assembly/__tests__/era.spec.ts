import { Reply, readReply } from "../jsonrpc/message";
import { ERA_KEY_PREFIX, ERA_TTL_MS, Era, decodeEra, encodeEra, eraKey, eraOfDiscover } from "../terminate/era";

describe("era cache entries", () => {
  it("encodes the era and the expiry", () => {
    expect(encodeEra(Era.Modern, 1234)).toBe("m|1234");
    expect(encodeEra(Era.Legacy, 0)).toBe("l|0");
    expect(ERA_TTL_MS).toBe(300000);
  });

  it("round-trips until the entry expires", () => {
    const eras: Era[] = [Era.Modern, Era.Legacy];
    for (let i = 0; i < eras.length; i++) {
      const v = encodeEra(eras[i], 1700000000000 + ERA_TTL_MS);
      expect(decodeEra(v, 1700000000000)).toBe(eras[i]);
      expect(decodeEra(v, 1700000000000 + ERA_TTL_MS - 1)).toBe(eras[i]);
      expect(decodeEra(v, 1700000000000 + ERA_TTL_MS)).toBe(Era.Unknown);
      expect(decodeEra(v, 1800000000000)).toBe(Era.Unknown);
    }
  });

  it("reads absent and malformed entries as Unknown (table)", () => {
    const bad: string[] = [
      "", "m", "m|", "l|", "x|999999", "m-999999", "M|999999", "m|12a4", "m|-5", "m| 99999",
      "m|999999999999999999", // longer than 16 digits: refused rather than overflowing
      "ml|99999", "|m|9999",
    ];
    expect(decodeEra(null, 0)).toBe(Era.Unknown);
    for (let i = 0; i < bad.length; i++) expect(decodeEra(bad[i], 10)).toBe(Era.Unknown, bad[i]);
  });

  it("accepts the longest expiry it writes (16 digits)", () => {
    expect(decodeEra("m|9999999999999999", 10)).toBe(Era.Modern);
  });

  it("keys the cache by cluster and backend URL", () => {
    expect(eraKey("c1", "host:80", "/mcp")).toBe(ERA_KEY_PREFIX + "c1|host:80/mcp");
    expect(eraKey("c1", "host:80", "/mcp")).not.toBe(eraKey("c2", "host:80", "/mcp"));
    expect(eraKey("c1", "host:80", "/mcp")).not.toBe(eraKey("c1", "host:80", "/other"));
  });
});

function reply(body: string): Reply {
  return readReply(body, 1);
}

describe("eraOfDiscover", () => {
  it("is Modern only when supportedVersions lists 2026-07-28 (table)", () => {
    const bodies: string[] = [
      '{"jsonrpc":"2.0","id":1,"result":{"supportedVersions":["2026-07-28"],"capabilities":{}}}',
      '{"jsonrpc":"2.0","id":1,"result":{"supportedVersions":["2027-01-01","2026-07-28","2025-11-25"]}}',
      '{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","supportedVersions":[1,null,"2026-07-28"]}}',
      '{"jsonrpc":"2.0","id":1,"result":{"supportedVersions":["2025-11-25"]}}',
      '{"jsonrpc":"2.0","id":1,"result":{"supportedVersions":[]}}',
      '{"jsonrpc":"2.0","id":1,"result":{"supportedVersions":"2026-07-28"}}',
      '{"jsonrpc":"2.0","id":1,"result":{}}',
      '{"jsonrpc":"2.0","id":1,"result":[]}',
      '{"jsonrpc":"2.0","id":1,"result":"2026-07-28"}',
      '{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}',
      '{"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"x","data":{"supported":["2026-07-28"]}}}',
      '{"jsonrpc":"2.0","id":9,"result":{"supportedVersions":["2026-07-28"]}}',
      "not json",
    ];
    const want: Era[] = [
      Era.Modern, Era.Modern, Era.Modern,
      Era.Legacy, Era.Legacy, Era.Legacy, Era.Legacy, Era.Legacy, Era.Legacy, Era.Legacy, Era.Legacy, Era.Legacy, Era.Legacy,
    ];
    for (let i = 0; i < bodies.length; i++) expect(eraOfDiscover(reply(bodies[i]))).toBe(want[i], bodies[i]);
  });

  it("reads an empty Reply (no answer found) as Legacy", () => {
    expect(eraOfDiscover(new Reply())).toBe(Era.Legacy);
  });
});
