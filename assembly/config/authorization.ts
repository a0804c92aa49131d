// Parsing of `server.authorization`: the gateway as an OAuth 2.1 resource server (MCP
// 2026-07-28 basic/authorization). Envoy's jwt_authn verifies tokens; this names the resource,
// its authorization servers, where jwt_authn leaves the verified payload, and the per-tool
// rules. Errors name the field; unknown fields are refused (a misspelt `scope` in a rule would
// otherwise silently allow every caller).
import { JSON } from "json-as";
import { AuthzConfig, AuthzRule, ClaimRequirement } from "../authz/rules";
import { PRM_WELL_KNOWN } from "../authz/metadata";
import { choiceField, objField, stringField, stringList } from "./fields";
import { parseUrl } from "./url";

/** An AuthzConfig (null when the field is absent), or the error that refused it. */
export class AuthzResult {
  constructor(public config: AuthzConfig | null, public error: string) {}
}

const FIELDS: string[] = ["resource", "authorizationServers", "scopesSupported", "payloadMetadataKey", "rules", "defaultAction"];
const RULE_FIELDS: string[] = ["tools", "scopes", "claims"];

function fail(message: string): AuthzResult {
  return new AuthzResult(null, message);
}

/** The first key of `o` not in `known`, or "". */
function unknownKey(o: JSON.Obj, known: string[]): string {
  const keys = o.keys();
  for (let i = 0; i < keys.length; i++) if (!known.includes(keys[i])) return keys[i];
  return "";
}

/** RFC 6749 §3.3 scope-token: 1*( %x21 / %x23-5B / %x5D-7E ) — safe inside a quoted header value. */
export function isScopeToken(s: string): bool {
  if (s.length == 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c == 0x22 || c == 0x5c) return false;
  }
  return true;
}

/** True when `s` can sit inside a quoted header parameter: visible ASCII without `"` and `\`. */
function isQuotable(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c == 0x22 || c == 0x5c) return false;
  }
  return true;
}

/** An optional list of scope tokens at `path` (absent = empty). */
function scopeList(o: JSON.Obj, key: string, path: string, out: string[]): string {
  const l = stringList(o, key, path);
  if (l.error.length > 0) return l.error;
  if (l.list === null) return "";
  const list = l.list!;
  for (let i = 0; i < list.length; i++) {
    if (!isScopeToken(list[i])) return path + "[" + i.toString() + "] must be an OAuth scope token (visible ASCII without spaces, quotes or backslashes)";
    out.push(list[i]);
  }
  return "";
}

/** Parses `server.authorization` of `server` (path prefix `sp`, e.g. `server.`). */
export function parseAuthorization(server: JSON.Obj, sp: string): AuthzResult {
  const f = objField(server, "authorization", sp + "authorization");
  if (f.error.length > 0) return fail(f.error);
  if (f.obj === null) return new AuthzResult(null, "");
  const o = f.obj!;
  const p = sp + "authorization.";
  const unknown = unknownKey(o, FIELDS);
  if (unknown.length > 0) return fail(p + unknown + " is not a field of server.authorization");
  const c = new AuthzConfig();

  const r = stringField(o, "resource", p + "resource", true);
  if (r.error.length > 0) return fail(r.error);
  const u = parseUrl(r.value);
  if (u === null || r.value.indexOf("#") >= 0 || r.value.indexOf("?") >= 0 || !isQuotable(r.value)) {
    return fail(p + "resource must be the absolute http(s) URI of the MCP endpoint, without query or fragment (got \"" + r.value + "\")");
  }
  c.resource = r.value;
  // RFC 9728 §3.1: the well-known path goes between the authority and the resource's path.
  const path = u.path == "/" ? "" : u.path;
  c.metadataUrl = u.scheme + "://" + u.authority + PRM_WELL_KNOWN + path;
  if (path.length > 0) c.metadataPaths.push(PRM_WELL_KNOWN + path);
  c.metadataPaths.push(PRM_WELL_KNOWN);

  const as = stringList(o, "authorizationServers", p + "authorizationServers");
  if (as.error.length > 0) return fail(as.error);
  if (as.list === null || as.list!.length == 0) return fail(p + "authorizationServers is required: a non-empty array of issuer URLs");
  for (let i = 0; i < as.list!.length; i++) {
    const s = as.list![i];
    if (parseUrl(s) === null) return fail(p + "authorizationServers[" + i.toString() + "] must be an absolute http(s) URL (got \"" + s + "\")");
    c.authorizationServers.push(s);
  }

  const ss = scopeList(o, "scopesSupported", p + "scopesSupported", c.scopesSupported);
  if (ss.length > 0) return fail(ss);

  const key = stringField(o, "payloadMetadataKey", p + "payloadMetadataKey", false);
  if (key.error.length > 0) return fail(key.error);
  if (key.present) {
    if (key.value.length == 0) return fail(p + "payloadMetadataKey must not be empty");
    c.payloadKey = key.value;
  }

  const da = choiceField(o, "defaultAction", p + "defaultAction", ["allow", "deny"], false);
  if (da.error.length > 0) return fail(da.error);
  if (da.index == 0) c.defaultAllow = true;

  const rv = o.get("rules");
  if (rv !== null && rv.type != JSON.Types.Null) {
    if (rv.type != JSON.Types.Array) return fail(p + "rules must be an array");
    const arr = rv.get<JSON.Arr>();
    for (let i = 0; i < arr.length; i++) {
      const rp = p + "rules[" + i.toString() + "]";
      const e = arr.at(i);
      if (e.type != JSON.Types.Object) return fail(rp + " must be an object");
      const rule = new AuthzRule();
      const err = parseRule(e.get<JSON.Obj>(), rp, rule);
      if (err.length > 0) return fail(err);
      c.rules.push(rule);
    }
  }
  return new AuthzResult(c, "");
}

function parseRule(o: JSON.Obj, rp: string, rule: AuthzRule): string {
  const unknown = unknownKey(o, RULE_FIELDS);
  if (unknown.length > 0) return rp + "." + unknown + " is not a field of a rule (tools, scopes, claims)";
  const t = stringList(o, "tools", rp + ".tools");
  if (t.error.length > 0) return t.error;
  if (t.list === null || t.list!.length == 0) return rp + ".tools is required: a non-empty array of tool names or prefixes ending in *";
  for (let i = 0; i < t.list!.length; i++) {
    const pat = t.list![i];
    const star = pat.indexOf("*");
    if (pat.length == 0 || (star >= 0 && star != pat.length - 1)) {
      return rp + ".tools[" + i.toString() + "] must be a tool name or a prefix ending in * (got \"" + pat + "\")";
    }
    rule.tools.push(pat);
  }
  const se = scopeList(o, "scopes", rp + ".scopes", rule.scopes);
  if (se.length > 0) return se;
  const cl = objField(o, "claims", rp + ".claims");
  if (cl.error.length > 0) return cl.error;
  if (cl.obj !== null) {
    const keys = cl.obj!.keys();
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const kp = rp + ".claims[\"" + k + "\"]";
      if (k.length == 0 || k.startsWith(".") || k.endsWith(".") || k.indexOf("..") >= 0) return kp + ": a claim path is dot-separated names";
      const v = cl.obj!.get(k);
      if (v === null || v.type != JSON.Types.String) return kp + " must be a string (the value the claim must equal or contain)";
      rule.claims.push(new ClaimRequirement(k, v.get<string>()));
    }
  }
  return "";
}
