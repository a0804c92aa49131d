// A bounded reader of the protobuf wire format (varints, fixed64, length-delimited fields), for
// the one message Envoy hands the filter serialized: the request's dynamic metadata. Every read
// is checked against the end of the buffer; a malformed message sets `failed` and yields zeros,
// never a trap. (as-proto's reader indexes without bounds checks and throws on bad input.)

/** Wire types (protobuf encoding). */
export enum Wire {
  Varint = 0,
  Fixed64 = 1,
  Len = 2,
  Fixed32 = 5,
}

/** A field key: number and wire type. */
export class FieldKey {
  constructor(public num: u32, public wire: u32) {}
}

/** Reads one message from `bytes[start, end)`. */
export class ProtoReader {
  pos: i32;
  failed: bool = false;

  constructor(public bytes: Uint8Array, start: i32, public end: i32) {
    this.pos = start;
  }

  /** True while fields remain and nothing failed. */
  get more(): bool {
    return !this.failed && this.pos < this.end;
  }

  /** A varint (at most 10 bytes). */
  varint(): u64 {
    let v: u64 = 0;
    for (let shift: u64 = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) break;
      const b = <u64>this.bytes[this.pos++];
      v |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    this.failed = true;
    return 0;
  }

  /** The next field key. */
  key(): FieldKey {
    const k = this.varint();
    return new FieldKey(<u32>(k >> 3), <u32>(k & 7));
  }

  /** A little-endian double (wire type Fixed64). */
  double(): f64 {
    if (this.end - this.pos < 8) {
      this.failed = true;
      return 0;
    }
    let bits: u64 = 0;
    for (let i = 7; i >= 0; i--) bits = (bits << 8) | <u64>this.bytes[this.pos + i];
    this.pos += 8;
    return reinterpret<f64>(bits);
  }

  /** The bounds [start, end) of a length-delimited field's payload; advances past it. */
  len(): Span {
    const n = this.varint();
    if (this.failed || n > <u64>(this.end - this.pos)) {
      this.failed = true;
      return new Span(this.pos, this.pos);
    }
    const s = new Span(this.pos, this.pos + <i32>n);
    this.pos = s.end;
    return s;
  }

  /** A length-delimited field as UTF-8 text. */
  text(): string {
    const s = this.len();
    if (this.failed) return "";
    return String.UTF8.decodeUnsafe(this.bytes.dataStart + <usize>s.start, <usize>(s.end - s.start));
  }

  /** Skips a field's value of wire type `wire` (groups are refused). */
  skip(wire: u32): void {
    if (wire == Wire.Varint) this.varint();
    else if (wire == Wire.Fixed64) this.advance(8);
    else if (wire == Wire.Len) this.len();
    else if (wire == Wire.Fixed32) this.advance(4);
    else this.failed = true;
  }

  private advance(n: i32): void {
    if (this.end - this.pos < n) this.failed = true;
    else this.pos += n;
  }
}

/** Bounds of a length-delimited payload within the buffer. */
export class Span {
  constructor(public start: i32, public end: i32) {}
}
