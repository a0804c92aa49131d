// How the terminating mode reads a backend's failures: the wording of -32603 messages, and the
// answers that mean a cached era or a cached backend session went stale.
import * as codes from "../jsonrpc/codes";
import { Reply } from "../jsonrpc/message";
import { BodyOutcome } from "../mcp/backend";

/** Describes a failed HTTP exchange; 503/504 are what Envoy answers for refused/timeout. */
export function transportCause(status: i32, timeoutMs: i32): string {
  if (status == 0) return "connection reset (no response headers)";
  if (status == 503) return "HTTP 503 (backend unavailable: connection refused, reset or overflow)";
  if (status == 504) return "HTTP 504 (timeout: no answer within server.timeout " + timeoutMs.toString() + " ms)";
  return "HTTP " + status.toString();
}

/** Describes a body that held no usable answer. */
export function bodyCause(outcome: BodyOutcome): string {
  if (outcome == BodyOutcome.Unparsable) return "unparsable response body (neither JSON nor SSE-framed JSON)";
  return "the response body holds no JSON-RPC response with the expected id";
}

/** Codes by which a server says it does not speak the version of the request. */
export function isEraError(code: i32): bool {
  return code == codes.UNSUPPORTED_PROTOCOL_VERSION || code == codes.HEADER_MISMATCH;
}

/** A legacy server's implementation-defined codes (-32000..-32019): "not initialized" and kin. */
function legacyCode(r: Reply): bool {
  return r.isError && r.code <= -32000 && r.code >= -32019;
}

/**
 * A modern call refused as if the backend were not (or no longer) modern: -32022, or a
 * 400/404/405 without a modern JSON-RPC error (legacy servers answer a session-less call
 * with their own implementation-defined codes, or a bare status).
 */
export function staleModern(status: i32, found: bool, r: Reply): bool {
  if (found && r.isError && r.code == codes.UNSUPPORTED_PROTOCOL_VERSION) return true;
  if (status != 400 && status != 404 && status != 405) return false;
  return !found || !r.isError || legacyCode(r);
}

/**
 * A call made without a handshake refused for the want of one: the backend no longer knows
 * the cached session (404), or it needs initialize first (400, or a legacy code such as
 * "Server not initialized"). The gateway then initializes and retries, once.
 */
export function needsHandshake(status: i32, found: bool, r: Reply): bool {
  if (status == 404 || status == 400) return !found || r.isError;
  return found && legacyCode(r);
}
