import * as codes from "../jsonrpc/codes";
import { errorResponse, resultResponse } from "../jsonrpc/message";
import { Facts, OUTCOME_LABELS, Outcome, outcomeOf, replyError } from "../stats/outcome";

function facts(status: i32, code: i32, toolDenied: bool = false, timedOut: bool = false): Facts {
  const f = new Facts();
  f.status = status;
  f.code = code;
  f.toolDenied = toolDenied;
  f.timedOut = timedOut;
  return f;
}

class Row {
  constructor(public what: string, public f: Facts, public want: Outcome) {}
}

describe("outcome of an answer (README outcome table)", () => {
  it("maps status, code and cause to one of six labels (table)", () => {
    const rows: Row[] = [
      new Row("200 result", facts(200, 0), Outcome.Ok),
      new Row("202 accepted", facts(202, 0), Outcome.Ok),
      new Row("204 preflight", facts(204, 0), Outcome.Ok),
      new Row("pass-through 2xx (body not read)", facts(200, 0), Outcome.Ok),
      new Row("401 missing credential", facts(401, codes.UNAUTHORIZED), Outcome.Unauthorized),
      new Row("401 from a backend", facts(401, 0), Outcome.Unauthorized),
      new Row("403 insufficient_scope", facts(403, codes.FORBIDDEN), Outcome.Denied),
      new Row("403 origin", facts(403, codes.INVALID_REQUEST), Outcome.Denied),
      new Row("-32003 at another status", facts(200, codes.FORBIDDEN), Outcome.Denied),
      new Row("tool not allowed", facts(200, codes.INVALID_PARAMS, true), Outcome.Denied),
      new Row("503 session limit", facts(503, codes.SERVER_BUSY), Outcome.Denied),
      new Row("timeout cause", facts(200, codes.INTERNAL_ERROR, false, true), Outcome.Timeout),
      new Row("504 from Envoy (pass-through)", facts(504, 0), Outcome.Timeout),
      new Row("503 from Envoy (pass-through)", facts(503, 0), Outcome.BackendError),
      new Row("502", facts(502, 0), Outcome.BackendError),
      new Row("500 with a JSON-RPC error", facts(500, codes.INVALID_PARAMS), Outcome.BackendError),
      new Row("-32603 at 200", facts(200, codes.INTERNAL_ERROR), Outcome.BackendError),
      new Row("backend's -32000", facts(200, -32000), Outcome.BackendError),
      new Row("backend's application code", facts(200, 42), Outcome.BackendError),
      new Row("404 session not found", facts(404, codes.UNAUTHORIZED), Outcome.ClientError),
      new Row("405", facts(405, codes.INVALID_REQUEST), Outcome.ClientError),
      new Row("415", facts(415, codes.INVALID_REQUEST), Outcome.ClientError),
      new Row("400 -32020 mirrors", facts(400, codes.HEADER_MISMATCH), Outcome.ClientError),
      new Row("400 -32022 version", facts(400, codes.UNSUPPORTED_PROTOCOL_VERSION), Outcome.ClientError),
      new Row("-32601 at 200 (legacy)", facts(200, codes.METHOD_NOT_FOUND), Outcome.ClientError),
      new Row("-32602 bad params", facts(200, codes.INVALID_PARAMS), Outcome.ClientError),
      new Row("-32700", facts(400, codes.PARSE_ERROR), Outcome.ClientError),
      new Row("-32021 at 400", facts(400, codes.MISSING_CLIENT_CAPABILITY), Outcome.ClientError),
      new Row("401 wins over a timeout flag", facts(401, 0, false, true), Outcome.Unauthorized),
      new Row("tool denied wins over 5xx", facts(500, codes.INVALID_PARAMS, true), Outcome.Denied),
    ];
    for (let i = 0; i < rows.length; i++) expect(outcomeOf(rows[i].f)).toBe(rows[i].want, rows[i].what);
  });

  it("has one label per outcome, Prometheus-safe", () => {
    expect(OUTCOME_LABELS.length).toBe(6);
    expect(OUTCOME_LABELS[<i32>Outcome.Ok]).toBe("ok");
    expect(OUTCOME_LABELS[<i32>Outcome.Denied]).toBe("denied");
    expect(OUTCOME_LABELS[<i32>Outcome.Unauthorized]).toBe("unauthorized");
    for (let i = 0; i < OUTCOME_LABELS.length; i++) {
      expect(OUTCOME_LABELS[i].includes(".")).toBe(false);
      expect(OUTCOME_LABELS[i].includes("=")).toBe(false);
    }
  });
});

describe("the JSON-RPC error of a reply the gateway built", () => {
  it("reads the code of error replies, whatever the id", () => {
    const ids: string[] = ["1", "\"x\"", "null", "12345678901234567890", "\"a\\\",\\\"error\\\":{\\\"code\\\":1}\"", "-7.5e3"];
    for (let i = 0; i < ids.length; i++) {
      const e = replyError(errorResponse(ids[i], codes.INVALID_REQUEST, "bad", "{\"x\":1}"));
      expect(e.code).toBe(codes.INVALID_REQUEST, ids[i]);
      expect(e.toolDenied).toBe(false);
    }
    expect(replyError(errorResponse("1", codes.INTERNAL_ERROR, "backend call failed")).code).toBe(codes.INTERNAL_ERROR);
    expect(replyError(errorResponse("1", 42, "app")).code).toBe(42);
  });

  it("tells the tool policy's refusal from other -32602", () => {
    expect(replyError(errorResponse("1", codes.INVALID_PARAMS, codes.MSG_TOOL_NOT_ALLOWED + "x")).toolDenied).toBe(true);
    expect(replyError(errorResponse("1", codes.INVALID_PARAMS, codes.MSG_NO_TOOL_NAME)).toolDenied).toBe(false);
    // The same text under another code is no denial.
    expect(replyError(errorResponse("1", codes.INTERNAL_ERROR, codes.MSG_TOOL_NOT_ALLOWED + "x")).toolDenied).toBe(false);
  });

  it("reads results, even ones holding an `error` member, as no error", () => {
    expect(replyError(resultResponse("1", "{}")).code).toBe(0);
    expect(replyError(resultResponse("\"e\"", "{\"error\":{\"code\":-32603}}")).code).toBe(0);
    expect(replyError(resultResponse("1", "{\"content\":[],\"isError\":true}")).code).toBe(0);
  });

  it("reads any other text as no error (malformed table)", () => {
    const bad: string[] = [
      "", "{", "[]", "null", "{\"jsonrpc\":\"2.0\"", "{\"jsonrpc\":\"2.0\",\"id\":", "{\"jsonrpc\":\"2.0\",\"id\":\"open",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":", "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"x\"}}", "{\"id\":1,\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600}}",
      "{\"jsonrpc\":\"2.0\",\"id\":1 ,\"error\":{\"code\":-32600}}",
    ];
    for (let i = 0; i < bad.length; i++) expect(replyError(bad[i]).code).toBe(0, bad[i]);
  });

  it("bounds the digits it reads", () => {
    expect(replyError("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-3260000000000}}").code).toBe(-326000000);
  });
});
