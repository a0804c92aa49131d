import * as codes from "../jsonrpc/codes";
import { MessageKind, errorResponse, parseBody, parseMessage, readReply, resultResponse } from "../jsonrpc/message";
import { isValidUtf8 } from "../util/utf8";
import { Kind, decodeString, elements, idsEqual, kindAt, member, normalizeSlashEscapes, skipValue, stringAt, textOf } from "../jsonrpc/scan";

describe("scan", () => {
  it("skips every kind of value", () => {
    const cases: string[] = ['"a\\"b"', "{}", "[]", '{"a":[1,{"b":"]"}]}', "123", "-1.5e10", "true", "null", '[["x"],{"y":{}}]'];
    for (let i = 0; i < cases.length; i++) {
      expect(skipValue(cases[i], 0)).toBe(cases[i].length, cases[i]);
    }
  });
  it("returns -1 on truncated values instead of throwing", () => {
    const cases: string[] = ['"abc', "{", '[1,2', '{"a":"}', "", "   "];
    for (let i = 0; i < cases.length; i++) expect(skipValue(cases[i], 0)).toBe(-1, cases[i]);
  });
  it("finds members, last duplicate wins", () => {
    const s = '{"a":1,"b":{"c":"x"},"a":"last"}';
    expect(textOf(s, member(s, 0, "a"))).toBe('"last"');
    expect(textOf(s, member(s, 0, "b"))).toBe('{"c":"x"}');
    expect(member(s, 0, "zz").found).toBe(false);
  });
  it("matches escaped keys", () => {
    const s = '{"n\\u0061me":"tool"}';
    expect(stringAt(s, member(s, 0, "name"))).toBe("tool");
  });
  it("decodes every escape, \\/ included (table)", () => {
    const tokens: string[] = ['"tools\\/call"', '"a\\"b\\\\c"', '"\\b\\f\\n\\r\\t"', '"\\u0041\\u00e9\\ud83d\\ude00"', '"x"', '""', '"\\q"', '"\\u12"'];
    const want: string[] = ["tools/call", 'a"b\\c', "\b\f\n\r\t", "Aé😀", "x", "", "\\q", "\\u12"];
    for (let i = 0; i < tokens.length; i++) expect(decodeString(tokens[i])).toBe(want[i], tokens[i]);
  });
  it("normalizes \\/ escapes for json-as, keeping \\\\/", () => {
    expect(normalizeSlashEscapes('{"u":"http:\\/\\/h\\/p","k":"a\\\\/b"}')).toBe('{"u":"http://h/p","k":"a\\\\/b"}');
  });
  it("compares ids by meaning", () => {
    expect(idsEqual("1", "1.0")).toBe(true);
    expect(idsEqual("10", "1e1")).toBe(true);
    expect(idsEqual('"A"', '"\\u0041"')).toBe(true);
    expect(idsEqual("1", '"1"')).toBe(false);
    expect(idsEqual("null", "null")).toBe(true);
    expect(idsEqual("1", "2")).toBe(false);
  });
  it("lists array elements", () => {
    const s = '[ 1 , "two" , {"x":[3]} ]';
    const e = elements(s, 0);
    expect(e.length).toBe(3);
    expect(textOf(s, e[2])).toBe('{"x":[3]}');
    expect(elements("[]", 0).length).toBe(0);
    expect(elements("{}", 0).length).toBe(0);
  });
  it("classifies kinds", () => {
    expect(kindAt(" {", 0)).toBe(Kind.Object);
    expect(kindAt("-1", 0)).toBe(Kind.Number);
    expect(kindAt("x", 0)).toBe(Kind.None);
    expect(kindAt("", 0)).toBe(Kind.None);
  });
});

describe("parseMessage", () => {
  it("reads requests keeping the id text exactly", () => {
    const ids: string[] = ["0", "12345678901234567890", '"42"', '"abc"', "-7", "1.5", '""'];
    for (let i = 0; i < ids.length; i++) {
      const m = parseMessage('{"jsonrpc":"2.0","id":' + ids[i] + ',"method":"ping"}');
      expect(m.kind).toBe(MessageKind.Request, ids[i]);
      expect(m.idRaw).toBe(ids[i]);
      expect(m.method).toBe("ping");
    }
  });
  it("reads notifications and client responses", () => {
    expect(parseMessage('{"jsonrpc":"2.0","method":"notifications/initialized"}').kind).toBe(MessageKind.Notification);
    expect(parseMessage('{"jsonrpc":"2.0","id":3,"result":{}}').kind).toBe(MessageKind.Response);
  });
  it("keeps raw params", () => {
    const m = parseMessage('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}');
    expect(m.paramsRaw).toBe('{"name":"echo"}');
  });
  it("rejects malformed input with the right code (table)", () => {
    const bodies: string[] = [
      "", "   ", "{bad json", "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", "42", '"str"', "null",
      '{"jsonrpc":"2.0","id":1}', '{"jsonrpc":"1.0","id":1,"method":"ping"}', '{"id":1,"method":"ping"}',
      '{"jsonrpc":2,"id":1,"method":"ping"}', '{"jsonrpc":"2.0","id":1,"method":5}', '{"jsonrpc":"2.0","id":{},"method":"ping"}',
      '{"jsonrpc":"2.0","id":[1],"method":"ping"}', '{"jsonrpc":"2.0","id":true,"method":"ping"}',
      '{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}', '{"jsonrpc":"2.0","id":1,"method":"ping","params":"x"}',
      '{"jsonrpc":"2.0","id":1,"method":"ping"', "\u{feff}{}", '{"jsonrpc":"2.0","id":null,"method":"ping"}',
    ];
    const want: i32[] = [
      codes.INVALID_REQUEST, codes.INVALID_REQUEST, codes.PARSE_ERROR, codes.INVALID_REQUEST, codes.INVALID_REQUEST,
      codes.INVALID_REQUEST, codes.INVALID_REQUEST, codes.INVALID_REQUEST, codes.INVALID_REQUEST, codes.INVALID_REQUEST,
      codes.INVALID_REQUEST, codes.INVALID_REQUEST, codes.INVALID_REQUEST, codes.INVALID_REQUEST, codes.INVALID_REQUEST,
      codes.INVALID_REQUEST, codes.INVALID_REQUEST, codes.PARSE_ERROR, codes.PARSE_ERROR, codes.INVALID_REQUEST,
    ];
    for (let i = 0; i < bodies.length; i++) {
      const m = parseMessage(bodies[i]);
      expect(m.kind).toBe(MessageKind.Invalid, bodies[i]);
      expect(m.errorCode).toBe(want[i], bodies[i]);
    }
  });
  it("survives deep nesting and huge numbers", () => {
    let deep = "";
    for (let i = 0; i < 10000; i++) deep += "[";
    expect(parseMessage(deep).errorCode).toBe(codes.PARSE_ERROR);
    let nested = '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":';
    for (let i = 0; i < 10000; i++) nested += "[";
    expect(parseMessage(nested).kind).toBe(MessageKind.Invalid);
    expect(parseMessage('{"jsonrpc":"2.0","id":1e999,"method":"ping"}').idRaw).toBe("1e999");
  });
});

describe("responses", () => {
  it("builds results and errors around the raw id", () => {
    expect(resultResponse('"a"', "{}")).toBe('{"jsonrpc":"2.0","id":"a","result":{}}');
    expect(errorResponse("null", -32700, 'bad "x"')).toBe('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad \\"x\\""}}');
    expect(errorResponse("1", -1, "m", '{"d":1}')).toBe('{"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"m","data":{"d":1}}}');
  });
  it("reads backend replies by id", () => {
    const ok = readReply('{"jsonrpc":"2.0","id":2,"result":{"x":[1]}}', 2);
    expect(ok.found).toBe(true);
    expect(ok.resultRaw).toBe('{"x":[1]}');
    const err = readReply('{"jsonrpc":"2.0","id":2,"error":{"code":-32602,"message":"nope","data":[1]}}', 2);
    expect(err.isError).toBe(true);
    expect(err.code).toBe(-32602);
    expect(err.message).toBe("nope");
    expect(err.dataRaw).toBe("[1]");
  });
  it("ignores what is not the awaited reply (table)", () => {
    const bodies: string[] = [
      '{"jsonrpc":"2.0","id":3,"result":{}}', '{"jsonrpc":"2.0","method":"notifications/progress"}',
      '{"jsonrpc":"2.0","id":"2","result":{}}', "not json", "[]", '{"jsonrpc":"2.0","id":2,"error":"x"}', "",
    ];
    for (let i = 0; i < bodies.length; i++) expect(readReply(bodies[i], 2).found).toBe(false, bodies[i]);
  });
  it("turns odd error codes into -32603", () => {
    expect(readReply('{"jsonrpc":"2.0","id":2,"error":{"code":1.5,"message":"m"}}', 2).code).toBe(-32603);
    expect(readReply('{"jsonrpc":"2.0","id":2,"error":{"code":"x","message":"m"}}', 2).code).toBe(-32603);
    expect(readReply('{"jsonrpc":"2.0","id":2,"error":{"code":99999999999,"message":"m"}}', 2).code).toBe(-32603);
  });
});

function bytesOf(list: u8[]): Uint8Array {
  const b = new Uint8Array(list.length);
  for (let i = 0; i < list.length; i++) b[i] = list[i];
  return b;
}

describe("UTF-8 bodies", () => {
  it("accepts well-formed UTF-8 (table)", () => {
    const ok: u8[][] = [
      [], [0x7b, 0x7d], [0xc2, 0x80], [0xdf, 0xbf], [0xe0, 0xa0, 0x80], [0xed, 0x9f, 0xbf], [0xee, 0x80, 0x80],
      [0xef, 0xbf, 0xbf], [0xf0, 0x90, 0x80, 0x80], [0xf4, 0x8f, 0xbf, 0xbf], [0xe2, 0x82, 0xac, 0x41],
    ];
    for (let i = 0; i < ok.length; i++) expect(isValidUtf8(bytesOf(ok[i]))).toBe(true, i.toString());
  });
  it("refuses overlong forms, surrogates, stray and truncated bytes, values past U+10FFFF (table)", () => {
    const bad: u8[][] = [
      [0xff], [0xfe], [0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf],
      [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf0, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80],
      [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0x41, 0xc2], [0xc2, 0x41], [0xe2, 0x28, 0xa1],
    ];
    for (let i = 0; i < bad.length; i++) expect(isValidUtf8(bytesOf(bad[i]))).toBe(false, i.toString());
  });
  it("a client body that is not UTF-8 is a parse error, even when the rest is JSON", () => {
    const ping = '{"jsonrpc":"2.0","id":5,"method":"ping"}';
    const good = parseBody(String.UTF8.encode(ping));
    expect(good.kind).toBe(MessageKind.Request);
    expect(good.method).toBe("ping");
    const enc = Uint8Array.wrap(String.UTF8.encode(ping));
    const tail = new Uint8Array(enc.length + 1);
    tail.set(enc);
    tail[enc.length] = 0xff;
    const bad = parseBody(tail.buffer);
    expect(bad.kind).toBe(MessageKind.Invalid);
    expect(bad.errorCode).toBe(codes.PARSE_ERROR);
    expect(bad.idRaw).toBe("null");
  });
});
