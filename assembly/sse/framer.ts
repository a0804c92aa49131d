// Splits an SSE byte stream into whole events *as raw bytes*, so a proxy can forward each
// event unchanged (or rewrite just one) as soon as its terminating blank line has arrived.
// Line ends are LF, CRLF or CR; a CR at the end of the available bytes waits for the next
// chunk (it may be the first half of CRLF). Bounded: a partial event over `maxBytes` is
// reported as overflow and the caller falls back to forwarding bytes unparsed.

/** Incremental event splitter. */
export class SseFramer {
  private buf: Uint8Array = new Uint8Array(0);
  private lineStart: i32 = 0;
  private scanPos: i32 = 0;
  overflow: bool = false;

  constructor(public maxBytes: i32 = 4 * 1024 * 1024) {}

  /** Appends a chunk; returns the events it completed, each with its terminating blank line. */
  push(chunk: Uint8Array): Uint8Array[] {
    const out = new Array<Uint8Array>();
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    this.buf = joined;
    const n = joined.length;
    let segStart = 0;
    let i = this.scanPos;
    let lineStart = this.lineStart;
    while (i < n) {
      const c = unchecked(joined[i]);
      if (c != 0x0a && c != 0x0d) {
        i++;
        continue;
      }
      let end = i + 1;
      if (c == 0x0d) {
        if (i + 1 >= n) break; // CR at the end: wait to see whether LF follows
        if (unchecked(joined[i + 1]) == 0x0a) end = i + 2;
      }
      if (i == lineStart) {
        out.push(joined.slice(segStart, end));
        segStart = end;
      }
      lineStart = end;
      i = end;
    }
    this.buf = joined.slice(segStart);
    this.scanPos = i - segStart;
    this.lineStart = lineStart - segStart;
    if (this.buf.length > this.maxBytes) this.overflow = true;
    return out;
  }

  /** The bytes of an unfinished event (forwarded as they are at end of stream or overflow). */
  takeRest(): Uint8Array {
    const r = this.buf;
    this.buf = new Uint8Array(0);
    this.lineStart = 0;
    this.scanPos = 0;
    return r;
  }
}
