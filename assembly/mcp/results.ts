// Results as the gateway answers them in terminating mode. A modern (2026-07-28) client
// requires `resultType` on every result (basic/index, "ResultType"; the SDK v2 client
// rejects a result without it) and `ttlMs` + `cacheScope` on list results
// (server/utilities/caching). Results from legacy backends lack them, so the gateway adds
// safe values: `ttlMs: 0` (immediately stale) and `cacheScope: "private"` (never shared
// across authorization contexts).
import { Kind, kindAt, kindOf, member, members, quote, skipWs, stringAt } from "../jsonrpc/scan";
import { GATEWAY_VERSION } from "./backend";
import { META_SERVER_INFO } from "./modern";
import { supportedVersionsJson } from "./version";

/** `resultType` of a finished request. */
export const RESULT_COMPLETE = "complete";
/** `resultType` of a multi round-trip request that needs client input (basic/patterns/mrtr). */
export const RESULT_INPUT_REQUIRED = "input_required";

/** How long a client may cache the gateway's discover answer (ms). */
// @ts-ignore: decorator
@inline export const DISCOVER_TTL_MS: i32 = 300000;

/**
 * The gateway's `server/discover` result: every version it speaks, the `tools` capability,
 * and its identity in `_meta` (the revision moved serverInfo there). It does not depend on
 * who asks, so it is `public`.
 */
export function discoverResult(serverName: string): string {
  return '{"resultType":"complete","supportedVersions":' + supportedVersionsJson() +
    ',"capabilities":{"tools":{}},"ttlMs":' + DISCOVER_TTL_MS.toString() + ',"cacheScope":"public","_meta":{' +
    quote(META_SERVER_INFO) + ':{"name":' + quote(serverName) + ',"version":' + quote(GATEWAY_VERSION) + "}}}";
}

/** The `resultType` of a raw result, or null when absent or not a string. */
export function resultTypeOf(resultRaw: string): string | null {
  if (kindAt(resultRaw, 0) != Kind.Object) return null;
  return stringAt(resultRaw, member(resultRaw, skipWs(resultRaw, 0), "resultType"));
}

/**
 * A raw result as a modern client must see it: `resultType` (default complete) and, for
 * list results, `ttlMs` (default 0) and `cacheScope` (default private). `forcePrivate` makes
 * `cacheScope` private whatever the backend said: a list filtered by a per-request policy
 * (the x-envoy-allow-mcp-tools header) must not be shared with another caller.
 */
export function modernResult(resultRaw: string, list: bool, forcePrivate: bool): string {
  if (kindAt(resultRaw, 0) != Kind.Object) return resultRaw;
  const root = skipWs(resultRaw, 0);
  let text = resultRaw;
  let added = "";
  if (!member(text, root, "resultType").found) added += '"resultType":"complete"';
  if (list) {
    if (kindOf(text, member(text, root, "ttlMs")) != Kind.Number) {
      text = withoutMember(text, skipWs(text, 0), "ttlMs");
      added += (added.length > 0 ? "," : "") + '"ttlMs":0';
    }
    const scope = member(text, skipWs(text, 0), "cacheScope");
    const value = stringAt(text, scope);
    if (value === null || (value != "public" && value != "private") || (forcePrivate && value != "private")) {
      text = withoutMember(text, skipWs(text, 0), "cacheScope");
      added += (added.length > 0 ? "," : "") + '"cacheScope":"private"';
    }
  }
  if (added.length == 0) return text;
  const open = skipWs(text, 0);
  const rest = skipWs(text, open + 1);
  const empty = rest < text.length && text.charCodeAt(rest) == 0x7d;
  return text.substring(0, open + 1) + added + (empty ? "" : ",") + text.substring(open + 1);
}

/**
 * A list result whose `cacheScope` (when it has one) says "private": what the pass-through
 * mode sends when the x-envoy-allow-mcp-tools header narrowed the list for one caller.
 */
export function privateScope(resultRaw: string): string {
  if (kindAt(resultRaw, 0) != Kind.Object) return resultRaw;
  const root = skipWs(resultRaw, 0);
  const scope = stringAt(resultRaw, member(resultRaw, root, "cacheScope"));
  if (scope === null || scope == "private") return resultRaw;
  const text = withoutMember(resultRaw, root, "cacheScope");
  return text.substring(0, text.length - 1) + (text.length > 2 ? "," : "") + '"cacheScope":"private"}';
}

/** The object rebuilt without the members named `key` (other members byte for byte). */
function withoutMember(text: string, root: i32, key: string): string {
  if (!member(text, root, key).found) return text;
  const ms = members(text, root);
  const kept = new Array<string>();
  for (let i = 0; i < ms.length; i++) {
    if (ms[i].key != key) kept.push(text.substring(ms[i].keySpan.start, ms[i].value.end));
  }
  return "{" + kept.join(",") + "}";
}
