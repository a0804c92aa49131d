// The outcome of one client request, for the `outcome` label of the gateway's stats: one place
// maps what the client got (HTTP status, the JSON-RPC error code of the reply, whether a
// backend timed out) to one of six fixed values. Order matters: the first rule that applies
// decides (README "Observability", outcome table).
import * as codes from "../jsonrpc/codes";
import { skipValue } from "../jsonrpc/scan";

/** What happened to a request, as an operator asks it. */
export enum Outcome {
  Ok,
  ClientError,
  Denied,
  BackendError,
  Timeout,
  Unauthorized,
}

/** Number of Outcome values. */
// @ts-ignore: decorator
@inline export const OUTCOMES: i32 = 6;

/** The label value of each Outcome, by its value. */
export const OUTCOME_LABELS: string[] = ["ok", "client_error", "denied", "backend_error", "timeout", "unauthorized"];

/** The facts of a request's answer the outcome is decided from. */
export class Facts {
  /** HTTP status the client got (0: none yet). */
  status: i32 = 0;
  /** JSON-RPC error code of the reply (0: none, or a reply the gateway did not read). */
  code: i32 = 0;
  /** The reply is the gateway's -32602 "Tool not allowed" (allowTools or x-envoy-allow-mcp-tools). */
  toolDenied: bool = false;
  /** A backend exchange ran out of time (504 from Envoy, server.timeout, the SSE tick deadline). */
  timedOut: bool = false;
}

/**
 * The outcome of an answer:
 *   401                                                          → unauthorized
 *   403, -32003 (insufficient_scope), -32602 "Tool not allowed",
 *   503 with -32000 (server.maxSessions reached)                → denied
 *   a backend timeout, or HTTP 504                               → timeout
 *   other 5xx, -32603, other server-defined or application codes → backend_error
 *   other 4xx, -32700, -32600..-32602, -32001, -32020..-32022     → client_error
 *   anything else (2xx/202 without a JSON-RPC error)             → ok
 */
export function outcomeOf(f: Facts): Outcome {
  const s = f.status;
  const c = f.code;
  if (s == 401) return Outcome.Unauthorized;
  if (s == 403 || c == codes.FORBIDDEN || f.toolDenied || (s == 503 && c == codes.SERVER_BUSY)) return Outcome.Denied;
  if (f.timedOut || s == 504) return Outcome.Timeout;
  if (s >= 500) return Outcome.BackendError;
  if (s >= 400) return Outcome.ClientError;
  if (c == 0) return Outcome.Ok;
  return isClientCode(c) ? Outcome.ClientError : Outcome.BackendError;
}

/** JSON-RPC codes that blame the request: parse/request/method/params errors, credentials, mirrors, versions. */
export function isClientCode(c: i32): bool {
  return c == codes.PARSE_ERROR || c == codes.INVALID_REQUEST || c == codes.METHOD_NOT_FOUND || c == codes.INVALID_PARAMS ||
    c == codes.UNAUTHORIZED || c == codes.HEADER_MISMATCH || c == codes.MISSING_CLIENT_CAPABILITY ||
    c == codes.UNSUPPORTED_PROTOCOL_VERSION;
}

/** The error of a reply body, as far as the outcome needs it. */
export class ReplyError {
  constructor(public code: i32, public toolDenied: bool) {}
}

const PREFIX = '{"jsonrpc":"2.0","id":';
const ERROR_CODE = ',"error":{"code":';
const TOOL_DENIED_MESSAGE = ',"message":"' + codes.MSG_TOOL_NOT_ALLOWED;

/**
 * The JSON-RPC error of a reply the gateway built (jsonrpc/message.ts errorResponse: jsonrpc,
 * id, error in that order); code 0 for a result or any other shape. Reads only the id and the
 * error's head, so a large result costs nothing.
 */
export function replyError(body: string): ReplyError {
  if (!body.startsWith(PREFIX)) return new ReplyError(0, false);
  const afterId = skipValue(body, PREFIX.length);
  if (afterId < 0 || !textAt(body, afterId, ERROR_CODE)) return new ReplyError(0, false);
  let i = afterId + ERROR_CODE.length;
  let neg = false;
  if (i < body.length && body.charCodeAt(i) == 0x2d) {
    neg = true;
    i++;
  }
  const start = i;
  let v: i32 = 0;
  while (i < body.length && i - start < 9) {
    const d = body.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    i++;
  }
  if (i == start) return new ReplyError(0, false);
  const code = neg ? -v : v;
  const denied = code == codes.INVALID_PARAMS && textAt(body, i, TOOL_DENIED_MESSAGE);
  return new ReplyError(code, denied);
}

/** True when `s` holds `t` at `at` (compared in place: replies can be large). */
function textAt(s: string, at: i32, t: string): bool {
  if (at + t.length > s.length) return false;
  for (let k = 0; k < t.length; k++) if (s.charCodeAt(at + k) != t.charCodeAt(k)) return false;
  return true;
}
