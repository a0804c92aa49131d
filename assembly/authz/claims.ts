// The verified JWT payload as Envoy's jwt_authn leaves it: `payload_in_metadata` writes it as a
// google.protobuf.Struct under metadata.filter_metadata["envoy.filters.http.jwt_authn"][key].
// The filter reads the whole `metadata` property, which Envoy serializes as the
// envoy.config.core.v3.Metadata protobuf, and decodes it here into typed claims. Reading a
// claim's own property path instead loses its type (a string, a list serialized as pairs and an
// 8-byte double are indistinguishable bytes) and fails on a null anywhere inside a struct
// (tests/oauth-probe.test.mjs shows both in Envoy 1.40).
import { ProtoReader, Span, Wire } from "./protobuf";

/** Nesting deeper than this reads as null: such claims never match. */
// @ts-ignore: decorator
@inline const MAX_DEPTH: i32 = 32;

/** The metadata namespace jwt_authn writes. */
export const JWT_AUTHN_FILTER = "envoy.filters.http.jwt_authn";

/** JSON types of a claim (google.protobuf.Value kinds). */
export enum ClaimKind {
  Null,
  Number,
  String,
  Bool,
  Object,
  List,
}

/** One claim value. */
export class Claim {
  kind: ClaimKind = ClaimKind.Null;
  str: string = "";
  num: f64 = 0;
  flag: bool = false;
  /** Object members (a repeated key: the last wins, as protobuf maps do). */
  keys: string[] = [];
  values: Claim[] = [];
  /** List items. */
  items: Claim[] = [];

  /** The member `key` of an object, or null. */
  get(key: string): Claim | null {
    if (this.kind != ClaimKind.Object) return null;
    for (let i = this.keys.length - 1; i >= 0; i--) if (this.keys[i] == key) return this.values[i];
    return null;
  }

  /** The claim at a dotted path (`realm_access.roles`), or null. */
  at(path: string): Claim | null {
    const parts = path.split(".");
    let c: Claim | null = this;
    for (let i = 0; i < parts.length && c !== null; i++) c = c.get(parts[i]);
    return c;
  }
}

/** Decoding state: a malformed message anywhere fails the whole payload. */
class Decoder {
  failed: bool = false;
  constructor(public bytes: Uint8Array) {}

  /** A map entry message {1: key, 2: value}: the key, and the value's span in `value`. */
  entry(span: Span, value: Span): string {
    const r = new ProtoReader(this.bytes, span.start, span.end);
    let key = "";
    while (r.more) {
      const k = r.key();
      if (k.num == 1 && k.wire == Wire.Len) key = r.text();
      else if (k.num == 2 && k.wire == Wire.Len) {
        const s = r.len();
        value.start = s.start;
        value.end = s.end;
      } else r.skip(k.wire);
    }
    if (r.failed) this.failed = true;
    return key;
  }

  /** The span of the value of map field `field` whose key is `key` in the message at `span`, or null. */
  find(span: Span, field: u32, key: string): Span | null {
    const r = new ProtoReader(this.bytes, span.start, span.end);
    let found: Span | null = null;
    while (r.more) {
      const k = r.key();
      if (k.num == field && k.wire == Wire.Len) {
        const e = r.len();
        const v = new Span(0, 0);
        if (this.entry(e, v) == key) found = v;
      } else r.skip(k.wire);
    }
    if (r.failed) this.failed = true;
    return this.failed ? null : found;
  }

  /** A google.protobuf.Struct as an object claim. */
  struct(span: Span, depth: i32): Claim {
    const c = new Claim();
    if (depth > MAX_DEPTH) return c;
    c.kind = ClaimKind.Object;
    const r = new ProtoReader(this.bytes, span.start, span.end);
    while (r.more) {
      const k = r.key();
      if (k.num == 1 && k.wire == Wire.Len) {
        const v = new Span(0, 0);
        const key = this.entry(r.len(), v);
        c.keys.push(key);
        c.values.push(this.value(v, depth + 1));
      } else r.skip(k.wire);
    }
    if (r.failed) this.failed = true;
    return c;
  }

  /** A google.protobuf.Value (oneof: null, number, string, bool, struct, list). */
  value(span: Span, depth: i32): Claim {
    let c = new Claim();
    if (depth > MAX_DEPTH) return c;
    const r = new ProtoReader(this.bytes, span.start, span.end);
    while (r.more) {
      const k = r.key();
      if (k.num == 1 && k.wire == Wire.Varint) {
        r.varint();
        c = new Claim();
      } else if (k.num == 2 && k.wire == Wire.Fixed64) {
        c = new Claim();
        c.kind = ClaimKind.Number;
        c.num = r.double();
      } else if (k.num == 3 && k.wire == Wire.Len) {
        c = new Claim();
        c.kind = ClaimKind.String;
        c.str = r.text();
      } else if (k.num == 4 && k.wire == Wire.Varint) {
        c = new Claim();
        c.kind = ClaimKind.Bool;
        c.flag = r.varint() != 0;
      } else if (k.num == 5 && k.wire == Wire.Len) {
        c = this.struct(r.len(), depth + 1);
      } else if (k.num == 6 && k.wire == Wire.Len) {
        c = this.list(r.len(), depth + 1);
      } else r.skip(k.wire);
    }
    if (r.failed) this.failed = true;
    return c;
  }

  /** A google.protobuf.ListValue {1: repeated Value}. */
  list(span: Span, depth: i32): Claim {
    const c = new Claim();
    if (depth > MAX_DEPTH) return c;
    c.kind = ClaimKind.List;
    const r = new ProtoReader(this.bytes, span.start, span.end);
    while (r.more) {
      const k = r.key();
      if (k.num == 1 && k.wire == Wire.Len) c.items.push(this.value(r.len(), depth + 1));
      else r.skip(k.wire);
    }
    if (r.failed) this.failed = true;
    return c;
  }
}

/**
 * The payload jwt_authn verified, from the serialized envoy.config.core.v3.Metadata
 * (`filter_metadata` = field 1, map<string, Struct>): the Struct under
 * filter_metadata[JWT_AUTHN_FILTER][key]. Null when there is none (no token, or one that
 * failed verification), or the message is malformed.
 */
export function payloadFromMetadata(bytes: Uint8Array, key: string): Claim | null {
  const d = new Decoder(bytes);
  const ns = d.find(new Span(0, bytes.length), 1, JWT_AUTHN_FILTER);
  if (ns === null) return null;
  // The namespace is a Struct: its `fields` (1) map the key to a Value holding the payload.
  const v = d.find(ns, 1, key);
  if (v === null) return null;
  const payload = d.value(v, 0);
  if (d.failed || payload.kind != ClaimKind.Object) return null;
  return payload;
}
