// Helpers shared by the unit specs: request bytes from text, and the response headers a
// backend answer arrives with (as the host hands them to the exchange state machines).
import { Header } from "../http/header";

/** The UTF-8 bytes of `s`. */
export function b(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

/** Response headers: `:status`, and content-type and Mcp-Session-Id when given. */
export function hdrs(status: string, ct: string, sid: string = ""): Header[] {
  const h = new Array<Header>();
  h.push(new Header(":status", status));
  if (ct.length > 0) h.push(new Header("content-type", ct));
  if (sid.length > 0) h.push(new Header("mcp-session-id", sid));
  return h;
}
