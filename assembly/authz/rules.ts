// Per-tool authorization from the verified JWT claims (`server.authorization.rules`). The first
// rule whose `tools` match a tool decides: the call is allowed when the token holds every scope
// of the rule and every claim of the rule matches; with no matching rule `defaultAction`
// decides. Pure: the claims come in already decoded (authz/claims.ts).
import { Claim, ClaimKind } from "./claims";

/** A claim a rule requires: the claim at `path` (dotted) equals `value` or is a list holding it. */
export class ClaimRequirement {
  constructor(public path: string, public value: string) {}
}

/** One rule of `server.authorization.rules`. */
export class AuthzRule {
  /** Tool names, or prefixes ending in `*` (`*` alone matches every tool). */
  tools: string[] = [];
  scopes: string[] = [];
  claims: ClaimRequirement[] = [];

  /** True when one of the rule's patterns matches `tool`. */
  matches(tool: string): bool {
    for (let i = 0; i < this.tools.length; i++) if (patternMatches(this.tools[i], tool)) return true;
    return false;
  }
}

/** `server.authorization`, validated (config/authorization.ts). */
export class AuthzConfig {
  /** The canonical URI of the MCP endpoint (RFC 8707 resource, the tokens' audience). */
  resource: string = "";
  /** URL of the Protected Resource Metadata (RFC 9728 §3.1, path-inserted form). */
  metadataUrl: string = "";
  /** Request paths the metadata is served on: the path-inserted form and the root form. */
  metadataPaths: string[] = [];
  authorizationServers: string[] = [];
  scopesSupported: string[] = [];
  /** jwt_authn's `payload_in_metadata` key. */
  payloadKey: string = "jwt_payload";
  rules: AuthzRule[] = [];
  /** `defaultAction: "allow"`: a tool no rule matches may be called. */
  defaultAllow: bool = false;
}

/** True when `pattern` (a name, or a prefix ending in `*`) matches `tool`. */
export function patternMatches(pattern: string, tool: string): bool {
  if (pattern.endsWith("*")) return tool.startsWith(pattern.substring(0, pattern.length - 1));
  return pattern == tool;
}

/** Who is calling: the verified payload and the scopes it grants. */
export class Caller {
  scopes: Set<string> = new Set<string>();
  constructor(public payload: Claim) {
    addScopes(this.scopes, payload.get("scope"));
    addScopes(this.scopes, payload.get("scp"));
  }

  /** `iss` and `sub`: what pass-through sessions are bound to (stable across token refreshes). */
  get identity(): string {
    return "jwt\n" + text(this.payload.get("iss")) + "\n" + text(this.payload.get("sub"));
  }
}

function text(c: Claim | null): string {
  return c !== null && c.kind == ClaimKind.String ? c.str : "";
}

/** Scopes from a space-separated string (`scope`, RFC 9068; Azure's `scp`) or a list of strings (`scp`). */
function addScopes(out: Set<string>, c: Claim | null): void {
  if (c === null) return;
  if (c.kind == ClaimKind.String) {
    const parts = c.str.split(" ");
    for (let i = 0; i < parts.length; i++) if (parts[i].length > 0) out.add(parts[i]);
  } else if (c.kind == ClaimKind.List) {
    for (let i = 0; i < c.items.length; i++) if (c.items[i].kind == ClaimKind.String) out.add(c.items[i].str);
  }
}

/** A scalar claim as the text a rule compares: strings as is, numbers in decimal (42, 1.5), booleans true/false. */
function scalarText(c: Claim): string | null {
  if (c.kind == ClaimKind.String) return c.str;
  if (c.kind == ClaimKind.Bool) return c.flag ? "true" : "false";
  if (c.kind == ClaimKind.Number) {
    const n = c.num;
    if (!isFinite(n)) return null;
    if (n == Math.floor(n) && Math.abs(n) < 9007199254740992.0) return (<i64>n).toString();
    return n.toString();
  }
  return null;
}

/** True when the claim equals `value`, or is a list one of whose scalar items equals it. */
export function claimMatches(c: Claim | null, value: string): bool {
  if (c === null) return false;
  if (c.kind == ClaimKind.List) {
    for (let i = 0; i < c.items.length; i++) {
      const t = scalarText(c.items[i]);
      if (t !== null && t == value) return true;
    }
    return false;
  }
  const t = scalarText(c);
  return t !== null && t == value;
}

/** The outcome for one tool. */
export class Decision {
  /** The deciding rule's scopes (what a 403 asks for); empty when the default decided. */
  scopes: string[] = [];
  constructor(public allowed: bool, public rule: i32) {}
}

/** Decides whether `caller` may call `tool`. */
export function decide(cfg: AuthzConfig, caller: Caller, tool: string): Decision {
  for (let r = 0; r < cfg.rules.length; r++) {
    const rule = cfg.rules[r];
    if (!rule.matches(tool)) continue;
    let ok = true;
    for (let i = 0; i < rule.scopes.length && ok; i++) ok = caller.scopes.has(rule.scopes[i]);
    for (let i = 0; i < rule.claims.length && ok; i++) ok = claimMatches(caller.payload.at(rule.claims[i].path), rule.claims[i].value);
    const d = new Decision(ok, r);
    d.scopes = rule.scopes;
    return d;
  }
  return new Decision(cfg.defaultAllow, -1);
}

/** The per-caller authorization a request carries (the tool policy consults it). */
export class CallerAuthz {
  constructor(public config: AuthzConfig, public caller: Caller) {}

  /** True when the caller may list and call `tool`. */
  allows(tool: string): bool {
    return decide(this.config, this.caller, tool).allowed;
  }

  /**
   * The scopes a 403 names for the calls `tools` of one request: the union of the deciding
   * rules' scopes of all of them (MCP: all scopes the operation needs, in one challenge).
   */
  neededScopes(tools: string[]): string[] {
    const out = new Array<string>();
    for (let t = 0; t < tools.length; t++) {
      if (tools[t].length == 0) continue;
      const s = decide(this.config, this.caller, tools[t]).scopes;
      for (let i = 0; i < s.length; i++) if (!out.includes(s[i])) out.push(s[i]);
    }
    return out;
  }
}
