// Parsing of the security part of a configuration: `server.securitySchemes`, the default
// requirements, `server.passthroughAuthHeader`, and the per-tool overrides in `tools[]`.
import { JSON } from "json-as";
import { DownstreamRequirement, HttpAuth, KeyIn, SchemeType, SecurityConfig, SecurityScheme, ToolSecurity, UpstreamRequirement } from "../security/schemes";
import { boolField, choiceField, objField, stringField } from "./fields";

/** A SecurityConfig or the error that refused it. */
export class SecurityResult {
  constructor(public config: SecurityConfig, public error: string) {}
}

/** Parses the security fields of `server` (path `sp`) and `tools` of `top` (path `tp`). */
export function parseSecurity(server: JSON.Obj, sp: string, top: JSON.Obj, tp: string): SecurityResult {
  const sec = new SecurityConfig();
  let err = parseSchemes(server, sp + "securitySchemes", sec);
  if (err.length > 0) return new SecurityResult(sec, err);
  const d = objField(server, "defaultDownstreamSecurity", sp + "defaultDownstreamSecurity");
  if (d.error.length > 0) return new SecurityResult(sec, d.error);
  if (d.obj !== null) {
    const r = downstream(d.obj!, sp + "defaultDownstreamSecurity", sec);
    if (r.error.length > 0) return new SecurityResult(sec, r.error);
    sec.downstream = r.req;
  }
  const u = objField(server, "defaultUpstreamSecurity", sp + "defaultUpstreamSecurity");
  if (u.error.length > 0) return new SecurityResult(sec, u.error);
  if (u.obj !== null) {
    const r = upstream(u.obj!, sp + "defaultUpstreamSecurity", sec);
    if (r.error.length > 0) return new SecurityResult(sec, r.error);
    sec.upstream = r.req;
  }
  const pah = boolField(server, "passthroughAuthHeader", sp + "passthroughAuthHeader", false);
  if (pah.error.length > 0) return new SecurityResult(sec, pah.error);
  sec.passthroughAuthHeader = pah.value;
  err = parseTools(top, tp, sec);
  return new SecurityResult(sec, err);
}

/** Adds the schemes of `o.securitySchemes` (path `path`) to `sec`; the error, or "". */
function parseSchemes(o: JSON.Obj, path: string, sec: SecurityConfig): string {
  const sv = o.get("securitySchemes");
  if (sv === null || sv.type == JSON.Types.Null) return "";
  if (sv.type != JSON.Types.Array) return path + " must be an array";
  const arr = sv.get<JSON.Arr>();
  for (let i = 0; i < arr.length; i++) {
    const p = path + "[" + i.toString() + "]";
    const e = arr.at(i);
    if (e.type != JSON.Types.Object) return p + " must be an object";
    const err = parseScheme(e.get<JSON.Obj>(), p, sec);
    if (err.length > 0) return err;
  }
  return "";
}

function parseScheme(o: JSON.Obj, path: string, sec: SecurityConfig): string {
  const s = new SecurityScheme();
  const id = stringField(o, "id", path + ".id", true);
  if (id.error.length > 0) return id.error;
  if (id.value.length == 0) return path + ".id must not be empty";
  if (sec.scheme(id.value) !== null) return path + ".id \"" + id.value + "\" is defined twice";
  s.id = id.value;
  const type = stringField(o, "type", path + ".type", true);
  if (type.error.length > 0) return type.error;
  if (type.value == "http") {
    s.type = SchemeType.Http;
    const sch = stringField(o, "scheme", path + ".scheme", true);
    if (sch.error.length > 0) return sch.error;
    const v = sch.value.toLowerCase();
    if (v == "bearer") s.auth = HttpAuth.Bearer;
    else if (v == "basic") s.auth = HttpAuth.Basic;
    else return path + ".scheme must be \"bearer\" or \"basic\" (got \"" + sch.value + "\")";
  } else if (type.value == "apiKey") {
    s.type = SchemeType.ApiKey;
    const inf = choiceField(o, "in", path + ".in", ["header", "query"], true);
    if (inf.error.length > 0) return inf.error;
    s.keyIn = inf.index == 0 ? KeyIn.Header : KeyIn.Query;
    const name = stringField(o, "name", path + ".name", true);
    if (name.error.length > 0) return name.error;
    if (name.value.length == 0) return path + ".name must not be empty";
    s.name = name.value;
  } else {
    return path + ".type must be \"http\" or \"apiKey\" (got \"" + type.value + "\")";
  }
  const dc = stringField(o, "defaultCredential", path + ".defaultCredential", false);
  if (dc.error.length > 0) return dc.error;
  s.defaultCredential = dc.value;
  sec.schemes.push(s);
  return "";
}

class DownResult {
  constructor(public req: DownstreamRequirement | null, public error: string) {}
}

function downstream(o: JSON.Obj, path: string, sec: SecurityConfig): DownResult {
  const id = stringField(o, "id", path + ".id", true);
  if (id.error.length > 0) return new DownResult(null, id.error);
  const s = sec.scheme(id.value);
  if (s === null) return new DownResult(null, path + ".id \"" + id.value + "\" names no entry of server.securitySchemes");
  const pt = boolField(o, "passthrough", path + ".passthrough", false);
  if (pt.error.length > 0) return new DownResult(null, pt.error);
  const rq = boolField(o, "required", path + ".required", false);
  if (rq.error.length > 0) return new DownResult(null, rq.error);
  return new DownResult(new DownstreamRequirement(s, pt.value, rq.value), "");
}

class UpResult {
  constructor(public req: UpstreamRequirement | null, public error: string) {}
}

function upstream(o: JSON.Obj, path: string, sec: SecurityConfig): UpResult {
  const id = stringField(o, "id", path + ".id", true);
  if (id.error.length > 0) return new UpResult(null, id.error);
  const s = sec.scheme(id.value);
  if (s === null) return new UpResult(null, path + ".id \"" + id.value + "\" names no entry of server.securitySchemes");
  const c = stringField(o, "credential", path + ".credential", false);
  if (c.error.length > 0) return new UpResult(null, c.error);
  return new UpResult(new UpstreamRequirement(s, c.value), "");
}

/** `tools[]`: Higress tool definitions; only `name` and the security overrides are read. */
function parseTools(top: JSON.Obj, tp: string, sec: SecurityConfig): string {
  const tv = top.get("tools");
  if (tv === null || tv.type == JSON.Types.Null) return "";
  if (tv.type != JSON.Types.Array) return tp + "tools must be an array";
  const arr = tv.get<JSON.Arr>();
  for (let i = 0; i < arr.length; i++) {
    const path = tp + "tools[" + i.toString() + "]";
    const e = arr.at(i);
    if (e.type != JSON.Types.Object) return path + " must be an object";
    const o = e.get<JSON.Obj>();
    const name = stringField(o, "name", path + ".name", true);
    if (name.error.length > 0) return name.error;
    sec.toolNames.push(name.value);
    const t = new ToolSecurity();
    const s = objField(o, "security", path + ".security");
    if (s.error.length > 0) return s.error;
    if (s.obj !== null) {
      const r = downstream(s.obj!, path + ".security", sec);
      if (r.error.length > 0) return r.error;
      t.downstream = r.req;
    }
    const rt = objField(o, "requestTemplate", path + ".requestTemplate");
    if (rt.error.length > 0) return rt.error;
    if (rt.obj !== null) {
      const rs = objField(rt.obj!, "security", path + ".requestTemplate.security");
      if (rs.error.length > 0) return rs.error;
      if (rs.obj !== null) {
        const r = upstream(rs.obj!, path + ".requestTemplate.security", sec);
        if (r.error.length > 0) return r.error;
        t.upstream = r.req;
      }
    }
    // Only tools with security of their own are kept: their calls are what must be checked.
    if (t.downstream !== null || t.upstream !== null) sec.tools.set(name.value, t);
  }
  return "";
}

/**
 * The security of one backend of a federated server (`server.backends[i]`): the server's
 * schemes, downstream requirements and per-tool overrides, plus the backend's own
 * `securitySchemes` and `defaultUpstreamSecurity` (what the gateway sends that backend).
 */
export function parseBackendSecurity(o: JSON.Obj, path: string, server: SecurityConfig): SecurityResult {
  const sec = new SecurityConfig();
  for (let i = 0; i < server.schemes.length; i++) sec.schemes.push(server.schemes[i]);
  sec.downstream = server.downstream;
  sec.upstream = server.upstream;
  sec.passthroughAuthHeader = server.passthroughAuthHeader;
  sec.tools = server.tools;
  const err = parseSchemes(o, path + ".securitySchemes", sec);
  if (err.length > 0) return new SecurityResult(sec, err);
  const u = objField(o, "defaultUpstreamSecurity", path + ".defaultUpstreamSecurity");
  if (u.error.length > 0) return new SecurityResult(sec, u.error);
  if (u.obj !== null) {
    const r = upstream(u.obj!, path + ".defaultUpstreamSecurity", sec);
    if (r.error.length > 0) return new SecurityResult(sec, r.error);
    sec.upstream = r.req;
  }
  return new SecurityResult(sec, "");
}
