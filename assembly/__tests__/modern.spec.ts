import { Mirrors, checkEra, decodeMirrored, encodeMirrored, nameFieldOf, readMeta } from "../mcp/modern";
import { ALL_VERSIONS, MODERN_VERSION, isKnownVersion, isModern, negotiate } from "../mcp/version";
import { decodeBase64 } from "../util/base64";
import { firstInvalidUtf8 } from "../util/utf8";
import * as codes from "../jsonrpc/codes";

const META = '"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}';

function mirrors(version: string, method: string, name: string): Mirrors {
  const v = version.length > 0 ? [version] : new Array<string>();
  const m = method.length > 0 ? [method] : new Array<string>();
  const n = name.length > 0 ? [name] : new Array<string>();
  return new Mirrors(v, m, n);
}

describe("versions", () => {
  it("knows both eras", () => {
    expect(isModern(MODERN_VERSION)).toBe(true);
    expect(isKnownVersion("2025-06-18")).toBe(true);
    expect(isKnownVersion("2026-07-29")).toBe(false);
    expect(ALL_VERSIONS[0]).toBe("2026-07-28");
    expect(ALL_VERSIONS.length).toBe(5);
    // initialize never negotiates to the modern revision: it has no handshake.
    expect(negotiate("2026-07-28")).toBe("2025-11-25");
  });
});

describe("_meta", () => {
  it("reads version and capabilities", () => {
    const m = readMeta("{" + META + "}");
    expect(m.version).toBe("2026-07-28");
    expect(m.capabilitiesRaw).toBe("{}");
    expect(m.versionMalformed).toBe(false);
  });
  it("copes with malformed _meta (table)", () => {
    const inputs: string[] = ["", "{}", '{"_meta":5}', '{"_meta":{"io.modelcontextprotocol/protocolVersion":7}}',
      '{"_meta":{"io.modelcontextprotocol/clientCapabilities":[]}}', '{"_meta":null}'];
    const malformed: bool[] = [false, false, false, true, false, false];
    for (let i = 0; i < inputs.length; i++) {
      const m = readMeta(inputs[i]);
      expect(m.versionMalformed).toBe(malformed[i]);
      expect(m.capabilitiesRaw).toBe("");
      if (!malformed[i]) expect(m.version).toBeNull();
    }
  });
});

describe("mirrored header values", () => {
  it("decodes plain and base64 values", () => {
    expect(decodeMirrored("echo")).toBe("echo");
    expect(decodeMirrored("=?base64?SGVsbG8sIOS4lueVjA==?=")).toBe("Hello, 世界");
    expect(decodeMirrored("=?base64?IHBhZGRlZCA=?=")).toBe(" padded ");
    expect(decodeMirrored("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=")).toBe("=?base64?literal?=");
    // Upper-case markers are no markers: the value is literal.
    expect(decodeMirrored("=?BASE64?SGk=?=")).toBe("=?BASE64?SGk=?=");
  });
  it("refuses malformed values (table)", () => {
    const bad: string[] = ["=?base64?SGVsbG8?=", "=?base64?SGk*?=", "caf\u00e9", "a\u0001b", "=?base64?/w==?=", "=?base64?SGVsbG9=?="];
    for (let i = 0; i < bad.length; i++) expect(decodeMirrored(bad[i])).toBeNull();
  });
  it("encodes what is unsafe, round trip", () => {
    expect(encodeMirrored("echo")).toBe("echo");
    expect(encodeMirrored("Hello, 世界")).toBe("=?base64?SGVsbG8sIOS4lueVjA==?=");
    expect(encodeMirrored(" padded ")).toBe("=?base64?IHBhZGRlZCA=?=");
    expect(encodeMirrored("=?base64?literal?=")).toBe("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=");
    const values: string[] = ["line1\nline2", "工具", "", "tab\there"];
    for (let i = 0; i < values.length; i++) expect(decodeMirrored(encodeMirrored(values[i]))).toBe(values[i]);
  });
  it("names the mirrored field per method", () => {
    expect(nameFieldOf("tools/call")).toBe("name");
    expect(nameFieldOf("prompts/get")).toBe("name");
    expect(nameFieldOf("resources/read")).toBe("uri");
    expect(nameFieldOf("tools/list")).toBe("");
  });
});

describe("era check", () => {
  it("passes legacy requests untouched", () => {
    const c = checkEra("tools/list", "", true, mirrors("2025-06-18", "", ""), true);
    expect(c.modern).toBe(false);
    expect(c.refused).toBe(false);
    const init = checkEra("initialize", '{"protocolVersion":"2025-06-18"}', true, mirrors("", "", ""), true);
    expect(init.refused).toBe(false);
  });
  it("accepts a well-formed modern tools/call", () => {
    const p = '{"name":"echo","arguments":{},' + META + "}";
    const c = checkEra("tools/call", p, true, mirrors("2026-07-28", "tools/call", "echo"), true);
    expect(c.modern).toBe(true);
    expect(c.refused).toBe(false);
    const b64 = checkEra("tools/call", '{"name":"工具",' + META + "}", true, mirrors("2026-07-28", "tools/call", "=?base64?5bel5YW3?="), true);
    expect(b64.refused).toBe(false);
  });
  it("refuses what the spec refuses (table)", () => {
    const call = '{"name":"echo",' + META + "}";
    const methods: string[] = ["tools/call", "tools/call", "tools/call", "tools/call", "tools/call", "tools/call", "tools/list", "tools/list", "tools/list", "tools/call"];
    const params: string[] = [call, call, call, call, call, call,
      '{"_meta":{"io.modelcontextprotocol/protocolVersion":"2027-01-01","io.modelcontextprotocol/clientCapabilities":{}}}',
      '{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}',
      '{"_meta":{"io.modelcontextprotocol/protocolVersion":true}}', call];
    const hs: Mirrors[] = [
      mirrors("2026-07-28", "", "echo"), // no Mcp-Method
      mirrors("2026-07-28", "tools/list", "echo"), // Mcp-Method differs
      mirrors("2026-07-28", "tools/call", "add"), // Mcp-Name differs
      mirrors("2026-07-28", "tools/call", ""), // no Mcp-Name
      mirrors("", "tools/call", "echo"), // no MCP-Protocol-Version
      mirrors("2025-11-25", "tools/call", "echo"), // header and _meta differ
      mirrors("2027-01-01", "tools/list", ""), // unsupported version
      mirrors("2026-07-28", "tools/list", ""), // no clientCapabilities
      mirrors("2026-07-28", "tools/list", ""), // version not a string
      new Mirrors(["2026-07-28"], ["tools/call", "tools/call"], ["echo"]), // repeated Mcp-Method
    ];
    const want: i32[] = [codes.HEADER_MISMATCH, codes.HEADER_MISMATCH, codes.HEADER_MISMATCH, codes.HEADER_MISMATCH,
      codes.HEADER_MISMATCH, codes.HEADER_MISMATCH, codes.UNSUPPORTED_PROTOCOL_VERSION, codes.INVALID_PARAMS,
      codes.INVALID_PARAMS, codes.HEADER_MISMATCH];
    for (let i = 0; i < want.length; i++) {
      const c = checkEra(methods[i], params[i], true, hs[i], true);
      expect(c.status).toBe(400);
      expect(c.code).toBe(want[i]);
    }
  });
  it("carries supported and requested on -32022", () => {
    const c = checkEra("tools/list", "", true, mirrors("1999-01-01", "", ""), true);
    expect(c.code).toBe(codes.UNSUPPORTED_PROTOCOL_VERSION);
    expect(c.dataRaw).toBe('{"supported":["2026-07-28","2025-11-25","2025-06-18","2025-03-26","2024-11-05"],"requested":"1999-01-01"}');
  });
  it("leaves versions to the backend when not strict", () => {
    const p = '{"_meta":{"io.modelcontextprotocol/protocolVersion":"2027-01-01"}}';
    const c = checkEra("tools/list", p, true, mirrors("2027-01-01", "tools/list", ""), false);
    expect(c.refused).toBe(false);
    const bad = checkEra("tools/list", p, true, mirrors("2027-01-01", "tools/call", ""), false);
    expect(bad.code).toBe(codes.HEADER_MISMATCH);
  });
  it("skips mirror checks on notifications", () => {
    const c = checkEra("notifications/cancelled", "{" + META + "}", false, mirrors("2026-07-28", "", ""), true);
    expect(c.refused).toBe(false);
  });
});

describe("base64 and UTF-8", () => {
  it("decodes strictly (table)", () => {
    expect(decodeBase64("SGk=", false)!.length).toBe(2);
    expect(decodeBase64("SGk", true)!.length).toBe(2);
    const bad: string[] = ["SGk", "S", "SG=k", "SGl=", "SGk*"];
    for (let i = 0; i < bad.length; i++) expect(decodeBase64(bad[i], false)).toBeNull();
    expect(decodeBase64("SGk=", true)).toBeNull();
  });
  it("finds invalid UTF-8 (table)", () => {
    const cases: u8[][] = [[0x61], [0xc3, 0xa9], [0xc3, 0x22], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xf0, 0x9f, 0x98, 0x80]];
    const want: i32[] = [-1, -1, 0, 0, 0, 0, 0, 0, -1];
    for (let i = 0; i < cases.length; i++) {
      const b = new Uint8Array(cases[i].length);
      for (let k = 0; k < cases[i].length; k++) b[k] = cases[i][k];
      expect(firstInvalidUtf8(b)).toBe(want[i]);
    }
  });
});
