// Every local reply the filter sends goes through here, so status, content-type and
// logging are uniform. A local reply ends the stream: it is the "resume" half of every pause.
import { Header, Level, log, sendLocalResponse } from "../host/host";

/** Sends a JSON body with `status` (JSON-RPC replies, errors with JSON-RPC bodies). */
export function replyJson(status: u32, body: string, details: string, extra: Header[] | null = null): void {
  const headers = new Array<Header>();
  headers.push(new Header("content-type", "application/json"));
  if (extra !== null) for (let i = 0; i < extra.length; i++) headers.push(extra[i]);
  if (!sendLocalResponse(status, details, String.UTF8.encode(body), headers)) {
    log(Level.Warn, "mcp-proxy: local reply " + status.toString() + " refused by host (" + details + ")");
  }
}

/** Sends an empty reply (202 Accepted for notifications). */
export function replyEmpty(status: u32, details: string, headers: Header[] | null = null): void {
  if (!sendLocalResponse(status, details, new ArrayBuffer(0), headers !== null ? headers : new Array<Header>())) {
    log(Level.Warn, "mcp-proxy: local reply " + status.toString() + " refused by host (" + details + ")");
  }
}
