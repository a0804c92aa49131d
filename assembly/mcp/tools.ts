// Tool policy: which tools a client may list and call. The effective set is the config's
// `allowTools` intersected with the request's `x-envoy-allow-mcp-tools` header (the header
// can narrow what the operator allowed, never widen it). Either side absent = no limit. With
// `server.authorization`, the caller's verified claims narrow it further (authz/rules.ts).
import { CallerAuthz } from "../authz/rules";
import { Kind, elements, kindOf, member, skipWs, stringAt, textOf } from "../jsonrpc/scan";

/** The request header that narrows allowTools per request (Higress name). */
export const ALLOW_TOOLS_HEADER = "x-envoy-allow-mcp-tools";

/**
 * A set of allowed tool names, narrowed per caller when `server.authorization` applies;
 * `unrestricted` when nothing limits it.
 */
export class ToolPolicy {
  /** True when the list differs per request (x-envoy-allow-mcp-tools, or per-caller authorization). */
  perRequest: bool = false;
  /** Per-caller authorization from the verified token's claims; null when not configured. */
  caller: CallerAuthz | null = null;
  /** True when allowTools and the header leave every name allowed. */
  private anyName: bool;

  constructor(public unrestricted: bool, public names: Set<string>) {
    this.anyName = unrestricted;
  }

  /** True when `name` may be listed and called. */
  allows(name: string): bool {
    return this.allowsStatically(name) && this.authorized(name);
  }

  /** True when allowTools and the header allow `name` (whoever calls). */
  allowsStatically(name: string): bool {
    return this.anyName || this.names.has(name);
  }

  /** True when the caller's token allows `name` (always, without authorization). */
  authorized(name: string): bool {
    const c = this.caller;
    return c === null || c.allows(name);
  }

  /** Narrows the policy to what `caller` may call; its lists are then private to it. */
  authorizeFor(caller: CallerAuthz): void {
    this.caller = caller;
    this.unrestricted = false;
    this.perRequest = true;
  }
}

/** Splits the header value on commas, trimming blanks; empty entries are dropped. */
export function parseToolsHeader(value: string): string[] {
  const out = new Array<string>();
  const parts = value.split(",");
  for (let i = 0; i < parts.length; i++) {
    const t = parts[i].trim();
    if (t.length > 0) out.push(t);
  }
  return out;
}

/** The effective policy for one copy of the header (null = absent); see effectivePolicyOf. */
export function effectivePolicy(config: string[] | null, header: string | null): ToolPolicy {
  return effectivePolicyOf(config, header !== null ? [header] : new Array<string>());
}

/**
 * The effective policy: `config` (null = no allowTools configured) intersected with every
 * copy of the header. Higress semantics per copy: an empty value adds no restriction; a value
 * that names no tool (" , , ") allows none. Several copies each narrow the set, so a client
 * cannot widen what an upstream filter set by adding a copy of its own.
 */
export function effectivePolicyOf(config: string[] | null, headers: string[]): ToolPolicy {
  let names: Set<string> | null = null;
  if (config !== null) {
    names = new Set<string>();
    for (let i = 0; i < config.length; i++) names.add(config[i]);
  }
  let narrowed = false;
  for (let h = 0; h < headers.length; h++) {
    if (headers[h].trim().length == 0) continue;
    narrowed = true;
    const listed = parseToolsHeader(headers[h]);
    const next = new Set<string>();
    for (let i = 0; i < listed.length; i++) {
      if (names === null || names.has(listed[i])) next.add(listed[i]);
    }
    names = next;
  }
  if (names === null) return new ToolPolicy(true, new Set<string>());
  const p = new ToolPolicy(false, names);
  p.perRequest = narrowed;
  return p;
}

/**
 * Filters a raw `tools/list` result: keeps the entries of `tools` whose `name` the policy
 * allows, byte for byte, and every other member of the result (nextCursor, _meta) as is.
 * A result without a `tools` array is returned unchanged.
 */
export function filterToolsResult(resultRaw: string, policy: ToolPolicy): string {
  if (policy.unrestricted) return resultRaw;
  const root = skipWs(resultRaw, 0);
  const tools = member(resultRaw, root, "tools");
  if (kindOf(resultRaw, tools) != Kind.Array) return resultRaw;
  const items = elements(resultRaw, tools.start);
  let kept = "[";
  let first = true;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const name = kindOf(resultRaw, item) == Kind.Object ? stringAt(resultRaw, member(resultRaw, item.start, "name")) : null;
    if (name === null || !policy.allows(name)) continue;
    if (!first) kept += ",";
    kept += textOf(resultRaw, item);
    first = false;
  }
  kept += "]";
  return resultRaw.substring(0, tools.start) + kept + resultRaw.substring(tools.end);
}

