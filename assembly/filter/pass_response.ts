// Pass-through mode, response side: the tool policy applied to `tools/list` answers in
// flight (passthrough/rewrite.ts decides what to rewrite; this drives the buffers):
//
//   Stream      nothing to filter: bytes pass untouched
//   JsonBuffer  a JSON answer: headers held, body buffered to the end, rewritten,
//               content-length fixed
//   SseRewrite  an SSE answer (or the GET stream): split into events as they arrive, only
//               the events that answer a listed id (on the GET stream: any list) rewritten
import { Buffer, HeaderMap, HeaderView, getBuffer, removeHeader, replaceHeader, setBuffer } from "../host/host";
import { isEventStream } from "../mcp/backend";
import { ToolPolicy } from "../mcp/tools";
import { rewriteJsonBody, rewriteSseEvent } from "../passthrough/rewrite";
import { SseFramer } from "../sse/framer";
import { CONTINUE, STOP_AND_BUFFER, STOP_ITERATION } from "./status";

/** How the response body is handled. */
export enum BodyMode {
  Stream,
  JsonBuffer,
  SseRewrite,
}

/** The tools/list filter of one pass-through response. */
export class ListFilter {
  mode: BodyMode = BodyMode.Stream;
  framer: SseFramer | null = null;

  /**
   * `ids`: the raw ids of the request's tools/list messages; `anyList`: filter every list
   * answer (the GET stream, whose answers belong to earlier requests).
   */
  constructor(public policy: ToolPolicy, public ids: string[], public anyList: bool, public maxBytes: i32) {}

  /** Response headers: chooses the mode; STOP_ITERATION holds them for a JSON rewrite. */
  onHeaders(endOfStream: bool, response: HeaderView): i32 {
    if (endOfStream || this.policy.unrestricted || (this.ids.length == 0 && !this.anyList)) return CONTINUE;
    if (isEventStream(response.get("content-type"))) {
      this.mode = BodyMode.SseRewrite;
      this.framer = new SseFramer(this.maxBytes);
      removeHeader(HeaderMap.Response, "content-length");
      return CONTINUE;
    }
    if (this.anyList) return CONTINUE; // the GET stream is SSE or nothing
    this.mode = BodyMode.JsonBuffer;
    return STOP_ITERATION; // held until the whole JSON body is rewritten (content-length changes)
  }

  onBody(size: u32, endOfStream: bool): i32 {
    if (this.mode == BodyMode.JsonBuffer) {
      if (!endOfStream) return STOP_AND_BUFFER;
      const body = String.UTF8.decode(getBuffer(Buffer.ResponseBody, 0, size));
      const rewritten = rewriteJsonBody(body, this.ids, this.policy);
      if (rewritten !== null) {
        const bytes = String.UTF8.encode(rewritten);
        setBuffer(Buffer.ResponseBody, size, bytes);
        replaceHeader(HeaderMap.Response, "content-length", bytes.byteLength.toString());
      }
      return CONTINUE;
    }
    if (this.mode == BodyMode.SseRewrite) return this.rewriteSseChunk(size, endOfStream);
    return CONTINUE;
  }

  /** Forwards complete events as they arrive; only list answers are rewritten. */
  private rewriteSseChunk(size: u32, endOfStream: bool): i32 {
    const framer = this.framer!;
    const chunk = Uint8Array.wrap(getBuffer(Buffer.ResponseBody, 0, size));
    const events = framer.push(chunk);
    const parts = new Array<Uint8Array>();
    for (let i = 0; i < events.length; i++) {
      const r = rewriteSseEvent(events[i], this.ids, this.policy, this.anyList);
      parts.push(r !== null ? Uint8Array.wrap(String.UTF8.encode(r)) : events[i]);
    }
    if (endOfStream || framer.overflow) {
      // Past the bound (or at the end) the rest goes through unparsed.
      parts.push(framer.takeRest());
      if (framer.overflow) this.mode = BodyMode.Stream;
    }
    setBuffer(Buffer.ResponseBody, size, concat(parts));
    return CONTINUE;
  }
}

function concat(parts: Uint8Array[]): ArrayBuffer {
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += parts[i].length;
  const out = new Uint8Array(n);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    out.set(parts[i], at);
    at += parts[i].length;
  }
  return out.buffer;
}
