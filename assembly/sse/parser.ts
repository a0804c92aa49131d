// Incremental parser for Server-Sent Events (WHATWG HTML §9.2.6 "Interpreting an event
// stream"), fed raw bytes as they arrive. Lines end in LF, CRLF or CR, and a chunk may end
// anywhere — inside a line, between CR and LF, inside a multi-byte UTF-8 character — so
// lines are split on bytes (CR and LF never occur inside a UTF-8 sequence) and decoded only
// once complete. The pending partial line is bounded by `maxLineBytes`.

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
  private data: string = "";
  private hasData: bool = false;
  private lastId: string = "";
  /** Bytes of a leading UTF-8 BOM (EF BB BF) matched so far; -1 once past the start. */
  private bom: i32 = 0;
  /** Set once a single line (or event) grew past the bound; the stream must be failed. */
  overflow: bool = false;

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
    if (this.lineLen == this.line.length) {
      const bigger = new Uint8Array(this.line.length * 2);
      bigger.set(this.line);
      this.line = bigger;
    }
    unchecked((this.line[this.lineLen++] = b));
    return true;
  }

  private endLine(out: SseEvent[]): void {
    const len = this.lineLen;
    this.lineLen = 0;
    if (len == 0) {
      this.dispatch(out);
      return;
    }
    const text = String.UTF8.decodeUnsafe(this.line.dataStart, <usize>len);
    if (text.charCodeAt(0) == 0x3a) return; // ":" comment line
    const colon = text.indexOf(":");
    let field = text;
    let value = "";
    if (colon >= 0) {
      field = text.substring(0, colon);
      value = text.substring(colon + 1);
      if (value.length > 0 && value.charCodeAt(0) == 0x20) value = value.substring(1);
    }
    if (field == "data") {
      if (this.data.length + value.length > this.maxLineBytes) {
        this.overflow = true;
        return;
      }
      this.data = this.hasData ? this.data + "\n" + value : value;
      this.hasData = true;
    } else if (field == "event") {
      this.eventType = value;
    } else if (field == "id") {
      if (value.indexOf("\0") < 0) this.lastId = value;
    }
    // "retry" and unknown fields are ignored.
  }

  private dispatch(out: SseEvent[]): void {
    if (this.hasData) {
      out.push(new SseEvent(this.eventType.length > 0 ? this.eventType : "message", this.data, this.lastId));
    }
    this.data = "";
    this.hasData = false;
    this.eventType = "";
  }
}
