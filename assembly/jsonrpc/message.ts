// JSON-RPC 2.0 messages as the gateway reads them from clients and writes them back.
// Reading never throws: the body is validated before anything parses it, and each field's
// JSON type is checked by the scanner (a typed parse of a wrong-shaped field would abort).
import { validateJSON } from "json-as/assembly/util/validateJson";
import * as codes from "./codes";
import { isValidUtf8 } from "../util/utf8";
import { Kind, idsEqual, kindAt, kindOf, member, skipWs, stringAt, textOf, quote } from "./scan";

/** What a client body turned out to be. */
export enum MessageKind {
  /** Has a method and an id: needs a response. */
  Request,
  /** Has a method and no id: gets 202 and no body. */
  Notification,
  /** A JSON-RPC response or error from the client (no method): accepted, 202. */
  Response,
  /** Not a valid message: answer with `errorCode` / `errorMessage` and id `idRaw`. */
  Invalid,
}

/** A client message, with raw JSON slices of the parts the gateway passes through. */
export class Message {
  kind: MessageKind = MessageKind.Invalid;
  /** The id exactly as the client wrote it ("null" when unknown). */
  idRaw: string = "null";
  method: string = "";
  /** The raw `params` object, or "" when absent. */
  paramsRaw: string = "";
  errorCode: i32 = 0;
  errorMessage: string = "";
}

function invalid(code: i32, message: string, idRaw: string): Message {
  const m = new Message();
  m.kind = MessageKind.Invalid;
  m.errorCode = code;
  m.errorMessage = message;
  m.idRaw = idRaw;
  return m;
}

/** Parses one client body's bytes: not UTF-8 is not JSON (-32700), else parseMessage. */
export function parseBody(bytes: ArrayBuffer): Message {
  if (!isValidUtf8(Uint8Array.wrap(bytes))) return invalid(codes.PARSE_ERROR, codes.MSG_PARSE_ERROR, "null");
  return parseMessage(String.UTF8.decode(bytes));
}

/** Parses one client body into a Message (never throws). */
export function parseMessage(body: string): Message {
  if (skipWs(body, 0) >= body.length) return invalid(codes.INVALID_REQUEST, codes.MSG_EMPTY_BODY, "null");
  if (!validateJSON(body)) return invalid(codes.PARSE_ERROR, codes.MSG_PARSE_ERROR, "null");
  const top = kindAt(body, 0);
  if (top == Kind.Array) return invalid(codes.INVALID_REQUEST, codes.MSG_BATCH, "null");
  if (top != Kind.Object) return invalid(codes.INVALID_REQUEST, codes.MSG_NOT_OBJECT, "null");
  const root = skipWs(body, 0);

  // The id first, so that later errors can carry it (JSON-RPC 2.0 §5).
  const id = member(body, root, "id");
  const idKind = kindOf(body, id);
  let idRaw = "null";
  if (id.found) {
    if (idKind != Kind.String && idKind != Kind.Number && idKind != Kind.Null) {
      return invalid(codes.INVALID_REQUEST, codes.MSG_BAD_ID, "null");
    }
    idRaw = textOf(body, id);
  }
  const version = stringAt(body, member(body, root, "jsonrpc"));
  if (version === null || version != "2.0") return invalid(codes.INVALID_REQUEST, codes.MSG_BAD_VERSION, idRaw);

  const methodSpan = member(body, root, "method");
  if (!methodSpan.found) {
    // A response to a server-initiated request carries result or error instead of method.
    if (id.found && (member(body, root, "result").found || member(body, root, "error").found)) {
      const r = new Message();
      r.kind = MessageKind.Response;
      r.idRaw = idRaw;
      return r;
    }
    return invalid(codes.INVALID_REQUEST, codes.MSG_NO_METHOD, idRaw);
  }
  const method = stringAt(body, methodSpan);
  if (method === null) return invalid(codes.INVALID_REQUEST, codes.MSG_NO_METHOD, idRaw);

  const params = member(body, root, "params");
  if (params.found && kindOf(body, params) != Kind.Object) {
    return invalid(codes.INVALID_REQUEST, codes.MSG_BAD_PARAMS, idRaw);
  }
  // MCP (basic, "Requests"): a request id MUST NOT be null; JSON-RPC would allow it, but a
  // null id cannot be told apart from the id of an error about an unreadable request.
  if (idKind == Kind.Null) return invalid(codes.INVALID_REQUEST, codes.MSG_NULL_ID, "null");
  const m = new Message();
  m.kind = id.found ? MessageKind.Request : MessageKind.Notification;
  m.idRaw = idRaw;
  m.method = method;
  m.paramsRaw = textOf(body, params);
  return m;
}

/** A success response carrying a raw JSON result. */
export function resultResponse(idRaw: string, resultRaw: string): string {
  return '{"jsonrpc":"2.0","id":' + idRaw + ',"result":' + resultRaw + "}";
}

/** An error response; `dataRaw` is raw JSON or "" for none. */
export function errorResponse(idRaw: string, code: i32, message: string, dataRaw: string = ""): string {
  let e = '{"code":' + code.toString() + ',"message":' + quote(message);
  if (dataRaw.length > 0) e += ',"data":' + dataRaw;
  return '{"jsonrpc":"2.0","id":' + idRaw + ',"error":' + e + "}}";
}

/** A request the gateway sends (ids are the gateway's own, not the client's). */
export function request(id: i32, method: string, paramsRaw: string): string {
  let s = '{"jsonrpc":"2.0","id":' + id.toString() + ',"method":' + quote(method);
  if (paramsRaw.length > 0) s += ',"params":' + paramsRaw;
  return s + "}";
}

/** A notification the gateway sends. */
export function notification(method: string): string {
  return '{"jsonrpc":"2.0","method":' + quote(method) + "}";
}

/** The outcome of reading a backend's response to one request. */
export class Reply {
  /** True when a response with the expected id was found. */
  found: bool = false;
  /** True for an error response; then code/message/dataRaw are set. */
  isError: bool = false;
  resultRaw: string = "";
  code: i32 = 0;
  message: string = "";
  dataRaw: string = "";
}

/**
 * Reads one JSON-RPC message from a backend; returns a Reply with found=false when the
 * text is not a response to `expectedId` (a notification, a request, another id, junk).
 */
export function readReply(text: string, expectedId: i32): Reply {
  return readReplyRaw(text, expectedId.toString());
}

/** As readReply, matching the id by its JSON text (a client's id passed through). */
export function readReplyRaw(text: string, idRaw: string): Reply {
  const r = new Reply();
  if (!validateJSON(text) || kindAt(text, 0) != Kind.Object) return r;
  const root = skipWs(text, 0);
  const id = member(text, root, "id");
  if (!id.found || !idsEqual(textOf(text, id), idRaw)) return r;
  const result = member(text, root, "result");
  if (result.found) {
    r.found = true;
    r.resultRaw = textOf(text, result);
    return r;
  }
  const err = member(text, root, "error");
  if (kindOf(text, err) != Kind.Object) return r;
  r.found = true;
  r.isError = true;
  const code = member(text, err.start, "code");
  r.code = kindOf(text, code) == Kind.Number ? parseCode(textOf(text, code)) : codes.INTERNAL_ERROR;
  const msg = stringAt(text, member(text, err.start, "message"));
  r.message = msg !== null ? msg : "";
  const data = member(text, err.start, "data");
  r.dataRaw = textOf(text, data);
  return r;
}

/** An integer error code from its JSON text; non-integers become INTERNAL_ERROR. */
function parseCode(t: string): i32 {
  let neg = false;
  let i = 0;
  if (t.length > 0 && t.charCodeAt(0) == 0x2d) {
    neg = true;
    i = 1;
  }
  if (i >= t.length || t.length - i > 9) return codes.INTERNAL_ERROR;
  let v: i32 = 0;
  for (; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return codes.INTERNAL_ERROR;
    v = v * 10 + (c - 0x30);
  }
  return neg ? -v : v;
}

