// The steps of the terminating mode's backend exchange (exchange.ts): their names in errors,
// logs and stats, the request each one dispatches, and the headers that mirror a modern
// request's method and tool name.
import { Header } from "../http/header";
import { VERSION_HEADER } from "../mcp/headers";
import { METHOD_HEADER, NAME_HEADER, encodeMirrored } from "../mcp/modern";
import { MODERN_VERSION } from "../mcp/version";

/** Where the exchange is. */
export enum Step {
  Discover,
  Initialize,
  Notify,
  Call,
  ListTools,
  Done,
}

/** Readable step names for error messages and logs. */
export function stepName(step: Step): string {
  switch (step) {
    case Step.Discover: return "discover";
    case Step.Initialize: return "initialize";
    case Step.Notify: return "notification";
    case Step.Call: return "call";
    case Step.ListTools: return "tools/list";
    default: return "done";
  }
}

/** One backend HTTP request to dispatch. */
export class Outgoing {
  constructor(public headers: Header[], public body: string) {}
}

/** The mirrored headers of a modern request (spec: streamable-http, "Request Metadata"). */
export function modernHeaders(h: Header[], method: string, toolName: string): void {
  h.push(new Header(VERSION_HEADER, MODERN_VERSION));
  h.push(new Header(METHOD_HEADER, method));
  if (method == "tools/call") h.push(new Header(NAME_HEADER, encodeMirrored(toolName)));
}
