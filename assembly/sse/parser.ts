// Incremental parser for Server-Sent Events (WHATWG HTML §9.2.6 "Interpreting an event
// stream"), fed raw bytes as they arrive. Lines end in LF, CRLF or CR, and a chunk may end
// anywhere — inside a line, between CR and LF, inside a multi-byte UTF-8 character — so
// lines are split on bytes (CR and LF never occur inside a UTF-8 sequence) and decoded only
// once complete. The pending partial line is bounded by `maxLineBytes`, and so is an event's
// data.
//
// Linear in the bytes fed, with a constant number of allocations per event: fields are told
// apart on bytes, and data lines are appended to one growable byte buffer decoded once when
// the event is dispatched. (Keeping a string per line, in an array, is quadratic under the
// incremental GC: the array is rescanned whole after every push once it is marked.)

/** One dispatched event. `event` defaults to "message" as the spec says. */
export class SseEvent {
  constructor(public event: string, public data: string, public id: string) {}
}

/** Parser state for one stream. */
export class SseParser {
  private line: Uint8Array;
  private lineLen: i32 = 0;
  private skipLF: bool = false;
  private eventType: string = "";
  /** The event's data lines, LF-separated, as bytes; `hasData` once a data field was seen. */
  private data: Uint8Array = new Uint8Array(256);
  private dataLen: i32 = 0;
  private hasData: bool = false;
  private lastId: string = "";
  /** Bytes of a leading UTF-8 BOM (EF BB BF) matched so far; -1 once past the start. */
  private bom: i32 = 0;
  /** Set once a single line (or event) grew past the bound; the stream must be failed. */
  overflow: bool = false;
  /** Work done so far, in bytes and characters handled (tests check it grows linearly). */
  steps: i64 = 0;

  constructor(public maxLineBytes: i32 = 4 * 1024 * 1024) {
    this.line = new Uint8Array(256);
  }

  /** Feeds a chunk of bytes; returns the events it completed, in order. */
  feed(bytes: Uint8Array): SseEvent[] {
    const out = new Array<SseEvent>();
    if (this.overflow) return out;
    const n = bytes.length;
    for (let i = 0; i < n; i++) {
      const b = unchecked(bytes[i]);
      if (this.bom >= 0) {
        // The spec strips one leading U+FEFF from the stream; it may be split across chunks.
        const want: u8 = this.bom == 0 ? 0xef : this.bom == 1 ? 0xbb : 0xbf;
        if (b == want) {
          this.bom = this.bom == 2 ? -1 : this.bom + 1;
          continue;
        }
        // Not a BOM after all: replay the bytes matched so far as data.
        const matched = this.bom;
        this.bom = -1;
        if (matched >= 1 && !this.push(0xef)) return out;
        if (matched >= 2 && !this.push(0xbb)) return out;
      }
      if (this.skipLF) {
        this.skipLF = false;
        if (b == 0x0a) continue;
      }
      if (b == 0x0a || b == 0x0d) {
        if (b == 0x0d) this.skipLF = true;
        this.endLine(out);
        if (this.overflow) return out;
        continue;
      }
      if (!this.push(b)) return out;
    }
    return out;
  }

  /** Feeds a string (tests, whole bodies). */
  feedString(text: string): SseEvent[] {
    return this.feed(Uint8Array.wrap(String.UTF8.encode(text)));
  }

  /**
   * Ends the stream. Per spec an event not terminated by a blank line is discarded, but a
   * whole response body read at once (a dispatched call) often lacks the final blank line,
   * so `lenient` dispatches what is pending.
   */
  finish(lenient: bool): SseEvent[] {
    const out = new Array<SseEvent>();
    if (this.overflow) return out;
    if (this.lineLen > 0) this.endLine(out);
    if (lenient) this.dispatch(out);
    return out;
  }

  private push(b: u8): bool {
    if (this.lineLen >= this.maxLineBytes) {
      this.overflow = true;
      return false;
    }
    if (this.lineLen == this.line.length) this.line = grow(this.line, this.lineLen + 1);
    unchecked((this.line[this.lineLen++] = b));
    this.steps++;
    return true;
  }

  private endLine(out: SseEvent[]): void {
    const len = this.lineLen;
    this.lineLen = 0;
    if (len == 0) {
      this.dispatch(out);
      return;
    }
    const line = this.line;
    if (unchecked(line[0]) == 0x3a) return; // ":" comment line
    let colon = 0;
    while (colon < len && unchecked(line[colon]) != 0x3a) colon++;
    let valueStart = colon < len ? colon + 1 : len;
    if (valueStart < len && unchecked(line[valueStart]) == 0x20) valueStart++;
    if (fieldIs(line, colon, "data")) {
      const add = len - valueStart + (this.hasData ? 1 : 0);
      if (this.dataLen + add > this.maxLineBytes) {
        this.overflow = true;
        return;
      }
      if (this.dataLen + add > this.data.length) this.data = grow(this.data, this.dataLen + add);
      if (this.hasData) unchecked((this.data[this.dataLen++] = 0x0a));
      memory.copy(this.data.dataStart + <usize>this.dataLen, line.dataStart + <usize>valueStart, <usize>(len - valueStart));
      this.dataLen += len - valueStart;
      this.hasData = true;
      this.steps += add;
    } else if (fieldIs(line, colon, "event")) {
      this.eventType = String.UTF8.decodeUnsafe(line.dataStart + <usize>valueStart, <usize>(len - valueStart));
    } else if (fieldIs(line, colon, "id")) {
      const id = String.UTF8.decodeUnsafe(line.dataStart + <usize>valueStart, <usize>(len - valueStart));
      if (id.indexOf("\0") < 0) this.lastId = id;
    }
    // "retry" and unknown fields are ignored.
  }

  private dispatch(out: SseEvent[]): void {
    if (this.hasData) {
      const data = String.UTF8.decodeUnsafe(this.data.dataStart, <usize>this.dataLen);
      this.steps += this.dataLen;
      out.push(new SseEvent(this.eventType.length > 0 ? this.eventType : "message", data, this.lastId));
    }
    this.dataLen = 0;
    this.hasData = false;
    this.eventType = "";
  }
}

/** True when `line[0, n)` is the ASCII field name `name`. */
function fieldIs(line: Uint8Array, n: i32, name: string): bool {
  if (n != name.length) return false;
  for (let i = 0; i < n; i++) if (<i32>unchecked(line[i]) != name.charCodeAt(i)) return false;
  return true;
}

/** A copy of `b` with room for at least `need` bytes (doubling). */
function grow(b: Uint8Array, need: i32): Uint8Array {
  let cap = b.length;
  while (cap < need) cap <<= 1;
  const bigger = new Uint8Array(cap);
  bigger.set(b);
  return bigger;
}
