import { JSON } from "json-as";
import { RESULT_COMPLETE, RESULT_INPUT_REQUIRED, discoverResult, modernResult, resultTypeOf } from "../mcp/results";

describe("modernResult", () => {
  it("adds what a modern client requires (table)", () => {
    // [raw result, list, forcePrivate, expected]
    const inputs: string[] = [
      '{"content":[]}',
      '{"tools":[]}',
      "{}",
      " { } ",
      '{"tools":[],"ttlMs":60000,"cacheScope":"public"}',
      '{"tools":[],"ttlMs":60000,"cacheScope":"public"}',
      '{"tools":[],"ttlMs":60000,"cacheScope":"private","resultType":"complete"}',
      '{"tools":[],"ttlMs":"60","cacheScope":"shared"}',
      '{"tools":[],"ttlMs":null,"cacheScope":7}',
      '{"resultType":"input_required","requestState":"s"}',
      '{"resultType":"complete","ttlMs":5}',
      '{"tools":[{"name":"a"}],"nextCursor":"c","_meta":{"k":1}}',
    ];
    const list: bool[] = [false, true, false, true, true, true, true, true, true, false, false, true];
    const force: bool[] = [false, false, false, false, false, true, true, false, true, false, false, true];
    const want: string[] = [
      '{"resultType":"complete","content":[]}',
      '{"resultType":"complete","ttlMs":0,"cacheScope":"private","tools":[]}',
      '{"resultType":"complete"}',
      ' {"resultType":"complete","ttlMs":0,"cacheScope":"private" } ',
      '{"resultType":"complete","tools":[],"ttlMs":60000,"cacheScope":"public"}',
      '{"resultType":"complete","cacheScope":"private","tools":[],"ttlMs":60000}',
      '{"tools":[],"ttlMs":60000,"cacheScope":"private","resultType":"complete"}',
      '{"resultType":"complete","ttlMs":0,"cacheScope":"private","tools":[]}',
      '{"resultType":"complete","ttlMs":0,"cacheScope":"private","tools":[]}',
      '{"resultType":"input_required","requestState":"s"}',
      '{"resultType":"complete","ttlMs":5}',
      '{"resultType":"complete","ttlMs":0,"cacheScope":"private","tools":[{"name":"a"}],"nextCursor":"c","_meta":{"k":1}}',
    ];
    for (let i = 0; i < inputs.length; i++) {
      expect(modernResult(inputs[i], list[i], force[i])).toBe(want[i], inputs[i]);
    }
  });

  it("keeps a present resultType of any value, and values that are already right, byte for byte", () => {
    const raw = '{ "resultType" : "weird" , "tools" : [ ] , "ttlMs" : 1 , "cacheScope" : "public" }';
    expect(modernResult(raw, true, false)).toBe(raw);
    expect(modernResult('{"resultType":"input_required"}', false, true)).toBe('{"resultType":"input_required"}');
  });

  it("leaves results that are not objects alone (table)", () => {
    const odd: string[] = ["", "[]", "null", "7", '"text"', "true", "not json"];
    for (let i = 0; i < odd.length; i++) {
      expect(modernResult(odd[i], true, true)).toBe(odd[i]);
      expect(modernResult(odd[i], false, false)).toBe(odd[i]);
    }
  });

  it("drops duplicate hints it replaces (no key appears twice)", () => {
    const out = modernResult('{"ttlMs":"a","tools":[],"ttlMs":"b","cacheScope":"x","cacheScope":"y"}', true, false);
    expect(out).toBe('{"resultType":"complete","ttlMs":0,"cacheScope":"private","tools":[]}');
  });

  it("produces valid JSON for every table entry", () => {
    const raws: string[] = ['{"a":1}', "{}", '{"tools":[],"cacheScope":"public"}', '{"ttlMs":1}'];
    for (let i = 0; i < raws.length; i++) {
      const out = modernResult(raws[i], true, true);
      const v = JSON.parse<JSON.Value>(out);
      expect(v.type).toBe(JSON.Types.Object, out);
    }
  });
});

describe("resultTypeOf", () => {
  it("reads resultType (table)", () => {
    expect(resultTypeOf('{"resultType":"input_required"}')).toBe(RESULT_INPUT_REQUIRED);
    expect(resultTypeOf(' {"x":1,"resultType":"complete"}')).toBe(RESULT_COMPLETE);
    expect(resultTypeOf('{"resultType":5}')).toBeNull();
    expect(resultTypeOf("{}")).toBeNull();
    expect(resultTypeOf("[]")).toBeNull();
    expect(resultTypeOf("")).toBeNull();
  });
});

describe("discoverResult", () => {
  it("names every version, the tools capability and the server", () => {
    expect(discoverResult("gw")).toBe(
      '{"resultType":"complete","supportedVersions":["2026-07-28","2025-11-25","2025-06-18","2025-03-26","2024-11-05"],' +
      '"capabilities":{"tools":{}},"ttlMs":300000,"cacheScope":"public",' +
      '"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"gw","version":"0.1.0"}}}');
  });
  it("escapes the server name", () => {
    const out = discoverResult('a"b\\c');
    expect(out.includes('"name":"a\\"b\\\\c"')).toBe(true, out);
    expect(JSON.parse<JSON.Value>(out).type).toBe(JSON.Types.Object);
  });
});
