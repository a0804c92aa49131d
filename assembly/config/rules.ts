// Higress rule matching: a plugin configuration may carry `_rules_`, each a match key
// (`_match_route_`, `_match_domain_` or `_match_service_`) plus a complete configuration.
// The first rule whose key matches the request wins; otherwise the global configuration
// (the top-level fields) applies; with no global configuration the request is left alone.
import { JSON } from "json-as";
import { Config, ConfigResult, parseConfigObject, parseTop } from "./config";
import { stringList } from "./fields";

/** What a rule matches on. */
export enum MatchKind {
  Route,
  Domain,
  Service,
}

/** One `_rules_` entry. */
export class Rule {
  constructor(public kind: MatchKind, public patterns: string[], public config: Config) {}
}

/** Everything one plugin instance was configured with. */
export class PluginConfig {
  /** The top-level configuration, or null when the top level has no `server`. */
  global: Config | null = null;
  rules: Rule[] = [];

  /** The configuration for a request, or null to leave it untouched. */
  select(route: string, authority: string, cluster: string): Config | null {
    if (this.rules.length > 0) {
      const host = hostOf(authority);
      for (let i = 0; i < this.rules.length; i++) {
        const r = this.rules[i];
        const subject = r.kind == MatchKind.Route ? route : r.kind == MatchKind.Domain ? host : cluster;
        if (subject.length > 0 && matchesAny(r, subject)) return r.config;
      }
    }
    return this.global;
  }
}

/** A PluginConfig or the error that refused it. */
export class PluginResult {
  constructor(public plugin: PluginConfig | null, public error: string) {}
}

const MATCH_KEYS: string[] = ["_match_route_", "_match_domain_", "_match_service_"];

/** Parses plugin configuration text, with or without `_rules_`. */
export function parsePlugin(text: string): PluginResult {
  const top = parseTop(text);
  if (top.error.length > 0) return new PluginResult(null, top.error);
  const obj = top.obj!;
  const p = new PluginConfig();
  const rv = obj.get("_rules_");
  const hasRules = rv !== null && rv.type != JSON.Types.Null;
  if (hasRules) {
    if (rv!.type != JSON.Types.Array) return new PluginResult(null, "_rules_ must be an array");
    const arr = rv!.get<JSON.Arr>();
    for (let i = 0; i < arr.length; i++) {
      const path = "_rules_[" + i.toString() + "]";
      const e = arr.at(i);
      if (e.type != JSON.Types.Object) return new PluginResult(null, path + " must be an object");
      const err = parseRule(e.get<JSON.Obj>(), path, p);
      if (err.length > 0) return new PluginResult(null, err);
    }
  }
  const sv = obj.get("server");
  if ((sv !== null && sv.type != JSON.Types.Null) || !hasRules) {
    const g = parseConfigObject(obj, "");
    if (g.config === null) return new PluginResult(null, g.error);
    p.global = g.config;
  }
  return new PluginResult(p, "");
}

function parseRule(o: JSON.Obj, path: string, p: PluginConfig): string {
  let kind: i32 = -1;
  let patterns: string[] = [];
  for (let k = 0; k < MATCH_KEYS.length; k++) {
    const l = stringList(o, MATCH_KEYS[k], path + "." + MATCH_KEYS[k]);
    if (l.error.length > 0) return l.error;
    if (l.list === null) continue;
    if (kind >= 0) return path + " must have exactly one of _match_route_, _match_domain_, _match_service_";
    if (l.list!.length == 0) return path + "." + MATCH_KEYS[k] + " must not be empty";
    kind = k;
    patterns = l.list!;
  }
  if (kind < 0) return path + " needs one of _match_route_, _match_domain_, _match_service_";
  const c: ConfigResult = parseConfigObject(o, path + ".");
  if (c.config === null) return c.error;
  const lowered = new Array<string>();
  for (let i = 0; i < patterns.length; i++) lowered.push(kind == <i32>MatchKind.Domain ? patterns[i].toLowerCase() : patterns[i]);
  p.rules.push(new Rule(<MatchKind>kind, lowered, c.config!));
  return "";
}

/** `:authority` without its port, lower-cased (`[v6]:port` keeps the brackets). */
export function hostOf(authority: string): string {
  const a = authority.toLowerCase();
  const close = a.lastIndexOf("]");
  const colon = a.lastIndexOf(":");
  return colon > close ? a.substring(0, colon) : a;
}

function matchesAny(r: Rule, subject: string): bool {
  for (let i = 0; i < r.patterns.length; i++) {
    const pat = r.patterns[i];
    if (r.kind == MatchKind.Domain && pat.startsWith("*.")) {
      // "*.example.com" matches any subdomain, not the bare domain.
      const suffix = pat.substring(1);
      if (subject.length > suffix.length && subject.endsWith(suffix)) return true;
    } else if (pat == subject) {
      return true;
    }
  }
  return false;
}
