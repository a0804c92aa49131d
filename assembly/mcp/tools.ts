// Tool policy: which tools a client may list and call. The effective set is the config's
// `allowTools` intersected with the request's `x-envoy-allow-mcp-tools` header (the header
// can narrow what the operator allowed, never widen it). Either side absent = no limit.
import { Kind, elements, kindOf, member, skipWs, stringAt, textOf } from "../jsonrpc/scan";

/** The request header that narrows allowTools per request (Higress name). */
export const ALLOW_TOOLS_HEADER = "x-envoy-allow-mcp-tools";

/** A set of allowed tool names; `unrestricted` when neither config nor header limits it. */
export class ToolPolicy {
  constructor(public unrestricted: bool, public names: Set<string>) {}

  /** True when `name` may be listed and called. */
  allows(name: string): bool {
    return this.unrestricted || this.names.has(name);
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

/**
 * The effective policy. `config` null = no allowTools configured. `header` null or blank =
 * header absent or empty, which adds no restriction.
 */
export function effectivePolicy(config: string[] | null, header: string | null): ToolPolicy {
  const fromHeader = header !== null ? parseToolsHeader(header) : new Array<string>();
  const hasHeader = fromHeader.length > 0;
  if (config === null && !hasHeader) return new ToolPolicy(true, new Set<string>());
  const names = new Set<string>();
  if (config !== null && hasHeader) {
    const allowed = new Set<string>();
    for (let i = 0; i < config.length; i++) allowed.add(config[i]);
    for (let i = 0; i < fromHeader.length; i++) if (allowed.has(fromHeader[i])) names.add(fromHeader[i]);
  } else if (config !== null) {
    for (let i = 0; i < config.length; i++) names.add(config[i]);
  } else {
    for (let i = 0; i < fromHeader.length; i++) names.add(fromHeader[i]);
  }
  return new ToolPolicy(false, names);
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

