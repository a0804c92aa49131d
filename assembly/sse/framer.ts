// Splits an SSE byte stream into whole events *as raw bytes*, so a proxy can forward each
// event unchanged (or rewrite just one) as soon as its terminating blank line has arrived.
// Line ends are LF, CRLF or CR; a CR at the end of the available bytes waits for the next
// chunk (it may be the first half of CRLF). Bounded: a partial event over `maxBytes` is
// reported as overflow and the caller falls back to forwarding bytes unparsed.
//
// Linear in the bytes fed: pending bytes live in one buffer that grows by doubling, each byte
// is scanned once, and consumed events are dropped by moving a start offset (the buffer is
// compacted only when most of it is consumed), never by re-copying the pending event per chunk.

/** Incremental event splitter. */
export class SseFramer {
  private buf: Uint8Array = new Uint8Array(256);
  /** Pending bytes are buf[start, end). */
  private start: i32 = 0;
  private end: i32 = 0;
  /** Next byte to scan, and where the current line began (absolute offsets in buf). */
  private scanPos: i32 = 0;
  private lineStart: i32 = 0;
  overflow: bool = false;
  /** Bytes copied or scanned so far (tests check it grows linearly). */
  steps: i64 = 0;

  constructor(public maxBytes: i32 = 4 * 1024 * 1024) {}

  /** Appends a chunk; returns the events it completed, each with its terminating blank line. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.append(chunk);
    const out = new Array<Uint8Array>();
    const b = this.buf;
    let i = this.scanPos;
    let lineStart = this.lineStart;
    while (i < this.end) {
      this.steps++;
      const c = unchecked(b[i]);
      if (c != 0x0a && c != 0x0d) {
        i++;
        continue;
      }
      let next = i + 1;
      if (c == 0x0d) {
        if (i + 1 >= this.end) break; // CR at the end: wait to see whether LF follows
        if (unchecked(b[i + 1]) == 0x0a) next = i + 2;
      }
      if (i == lineStart) {
        // A blank line ends the event that began at `start`.
        out.push(b.slice(this.start, next));
        this.steps += next - this.start;
        this.start = next;
      }
      lineStart = next;
      i = next;
    }
    this.scanPos = i;
    this.lineStart = lineStart;
    if (this.end - this.start > this.maxBytes) this.overflow = true;
    return out;
  }

  /** The bytes of an unfinished event (forwarded as they are at end of stream or overflow). */
  takeRest(): Uint8Array {
    const r = this.buf.slice(this.start, this.end);
    this.start = 0;
    this.end = 0;
    this.scanPos = 0;
    this.lineStart = 0;
    return r;
  }

  /**
   * Adds `chunk` after the pending bytes. When it does not fit, the pending bytes move to the
   * front — of a buffer at least twice as large as what must be kept, so that the next move
   * happens only after as many new bytes arrived as were moved (amortized constant per byte).
   */
  private append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const pending = this.end - this.start;
      let cap = this.buf.length;
      while (pending + chunk.length > cap >> 1) cap <<= 1;
      if (cap > this.buf.length) {
        const nb = new Uint8Array(cap);
        nb.set(this.buf.subarray(this.start, this.end));
        this.buf = nb;
      } else {
        this.buf.copyWithin(0, this.start, this.end);
      }
      this.steps += pending;
      this.scanPos -= this.start;
      this.lineStart -= this.start;
      this.end = pending;
      this.start = 0;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
    this.steps += chunk.length;
  }
}
