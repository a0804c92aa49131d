import { Claim, ClaimKind, JWT_AUTHN_FILTER, payloadFromMetadata } from "../authz/claims";
import { fromHex } from "./vectors/hex";

// `metadata` as Envoy 1.40 serialized it for a token with claims scope "a b", scp ["x","y"],
// num 42, big 1.5, flag true, nested {team: {ids: [1,2], name: "blue"}}, groups ["ops","dev"],
// nul null, empty [] (captured with tests/support/probe/property.ts, see oauth-probe.test.mjs).
const ENVOY_METADATA = "0a83030a1c656e766f792e66696c746572732e687474702e6a77745f617574686e12e2020adf020a0b6a77745f7061796c6f616412cf022acc020a100a036578701209110000402cacc3da410a090a036e756c120208000a0e0a0573636f706512051a036120620a0a0a04666c6167120220010a220a03697373121b1a1968747470733a2f2f617574682e746573742e6578616d706c650a100a036e756d12091100000000000045400a0f0a0373756212081a06757365722d310a1d0a0361756412161a14687474703a2f2f3132372e302e302e312f6d63700a100a03626967120911000000000000f83f0a1a0a0667726f7570731210320e0a051a036f70730a051a036465760a0b0a05656d707479120232000a100a036961741209110000c093abc3da410a490a066e6573746564123f2a3d0a3b0a047465616d12332a310a1f0a03696473121832160a0911000000000000f03f0a091100000000000000400a0e0a046e616d6512061a04626c75650a130a03736370120c320a0a031a01780a031a0179";

// Protobuf wire encoding, for hand-built messages.
function varint(n: u64): u8[] {
  const out = new Array<u8>();
  do {
    let b = <u8>(n & 0x7f);
    n >>= 7;
    if (n != 0) b |= 0x80;
    out.push(b);
  } while (n != 0);
  return out;
}
function cat(parts: u8[][]): u8[] {
  const out = new Array<u8>();
  for (let i = 0; i < parts.length; i++) for (let j = 0; j < parts[i].length; j++) out.push(parts[i][j]);
  return out;
}
function len(num: u32, payload: u8[]): u8[] {
  return cat([varint(<u64>((num << 3) | 2)), varint(<u64>payload.length), payload]);
}
function text(num: u32, s: string): u8[] {
  const b = Uint8Array.wrap(String.UTF8.encode(s));
  const a = new Array<u8>();
  for (let i = 0; i < b.length; i++) a.push(b[i]);
  return len(num, a);
}
/** A Struct with one member `key` holding the Value `value`. */
function struct1(key: string, value: u8[]): u8[] {
  return len(1, cat([text(1, key), len(2, value)]));
}
/** Metadata with filter_metadata[ns] = Struct{key: Value{struct_value: payload}}. */
function metadata(ns: string, key: string, payload: u8[]): Uint8Array {
  const m = len(1, cat([text(1, ns), len(2, struct1(key, len(5, payload)))]));
  const out = new Uint8Array(m.length);
  for (let i = 0; i < m.length; i++) out[i] = m[i];
  return out;
}

describe("payloadFromMetadata: Envoy's serialization", () => {
  it("reads every claim type with its type", () => {
    const p = payloadFromMetadata(fromHex(ENVOY_METADATA), "jwt_payload")!;
    expect(p.kind).toBe(ClaimKind.Object);
    expect(p.get("scope")!.str).toBe("a b");
    const scp = p.get("scp")!;
    expect(scp.kind).toBe(ClaimKind.List);
    expect(scp.items.length).toBe(2);
    expect(scp.items[1].str).toBe("y");
    expect(p.get("num")!.kind).toBe(ClaimKind.Number);
    expect(p.get("num")!.num).toBe(42.0);
    expect(p.get("big")!.num).toBe(1.5);
    expect(p.get("flag")!.kind).toBe(ClaimKind.Bool);
    expect(p.get("flag")!.flag).toBe(true);
    expect(p.get("nul")!.kind).toBe(ClaimKind.Null);
    expect(p.get("empty")!.kind).toBe(ClaimKind.List);
    expect(p.get("empty")!.items.length).toBe(0);
    expect(p.at("nested.team.name")!.str).toBe("blue");
    expect(p.at("nested.team.ids")!.items[1].num).toBe(2.0);
    expect(p.get("groups")!.items[0].str).toBe("ops");
    expect(p.get("iss")!.str).toBe("https://auth.test.example");
    expect(p.at("nested.missing") === null).toBe(true);
    expect(p.at("scope.x") === null).toBe(true);
  });
  it("another key or no jwt_authn namespace: no payload", () => {
    expect(payloadFromMetadata(fromHex(ENVOY_METADATA), "other") === null).toBe(true);
    expect(payloadFromMetadata(new Uint8Array(0), "jwt_payload") === null).toBe(true);
    const other = metadata("envoy.filters.http.rbac", "jwt_payload", struct1("sub", text(3, "x")));
    expect(payloadFromMetadata(other, "jwt_payload") === null).toBe(true);
  });
  it("every truncation of Envoy's message is refused, never a trap", () => {
    const full = fromHex(ENVOY_METADATA);
    for (let n = 0; n < full.length; n++) {
      expect(payloadFromMetadata(full.subarray(0, n), "jwt_payload") === null).toBe(true, n.toString());
    }
  });
  it("a repeated map key: the last wins (protobuf map semantics)", () => {
    const payload = cat([struct1("sub", text(3, "first")), struct1("sub", text(3, "last"))]);
    const p = payloadFromMetadata(metadata(JWT_AUTHN_FILTER, "jwt_payload", payload), "jwt_payload")!;
    expect(p.get("sub")!.str).toBe("last");
  });
});

describe("payloadFromMetadata: malformed messages (table)", () => {
  it("refuses or reads without trapping", () => {
    const ok = metadata(JWT_AUTHN_FILTER, "jwt_payload", struct1("sub", text(3, "u")));
    const bad: u8[][] = [
      [0x0a],                                   // length missing
      [0x0a, 0xff],                             // length varint cut
      [0x0a, 0x05, 0x01],                       // length past the end
      [0x0b],                                   // group start (wire type 3)
      [0x0f],                                   // wire type 7
      [0x09, 0x01, 0x02],                       // fixed64 cut
      [0x0d, 0x01],                             // fixed32 cut
      [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // varint of 11 bytes
      [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f],     // length 2^32-1
    ];
    for (let i = 0; i < bad.length; i++) {
      const b = new Uint8Array(bad[i].length);
      for (let j = 0; j < b.length; j++) b[j] = bad[i][j];
      expect(payloadFromMetadata(b, "jwt_payload") === null).toBe(true, i.toString());
    }
    // A payload that is not a struct is no payload.
    const str = len(1, cat([text(1, JWT_AUTHN_FILTER), len(2, struct1("jwt_payload", text(3, "x")))]));
    const s = new Uint8Array(str.length);
    for (let j = 0; j < s.length; j++) s[j] = str[j];
    expect(payloadFromMetadata(s, "jwt_payload") === null).toBe(true);
    expect(payloadFromMetadata(ok, "jwt_payload")!.get("sub")!.str).toBe("u");
  });
  it("nesting past the bound reads as null instead of recursing", () => {
    let v = text(3, "deep");
    for (let i = 0; i < 200; i++) v = len(5, struct1("a", v));
    const p = payloadFromMetadata(metadata(JWT_AUTHN_FILTER, "jwt_payload", struct1("a", v)), "jwt_payload")!;
    let path = "a";
    for (let i = 0; i < 10; i++) path += ".a";
    expect(p.at(path)!.kind).toBe(ClaimKind.Object);
    let deep = "a";
    for (let i = 0; i < 200; i++) deep += ".a";
    expect(p.at(deep) === null).toBe(true);
  });
  it("unknown fields are skipped", () => {
    const extra = cat([varint(0x10), varint(7), len(9, [1, 2, 3]), struct1("sub", text(3, "u"))]);
    const p = payloadFromMetadata(metadata(JWT_AUTHN_FILTER, "jwt_payload", extra), "jwt_payload")!;
    expect(p.get("sub")!.str).toBe("u");
    const c = new Claim();
    expect(c.at("x") === null).toBe(true);
  });
});
