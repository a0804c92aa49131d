// What the gateway publishes as an OAuth 2.1 resource server (MCP 2026-07-28
// basic/authorization): the Protected Resource Metadata document (RFC 9728 §2) and the
// `WWW-Authenticate` challenges of its 401 and 403 answers (RFC 6750 §3, RFC 9728 §5.1).
// Every value that goes into a challenge was validated at configuration time (URLs without
// quotes or controls, scope tokens of RFC 6749's character set), never taken from a request.
import { quote } from "../jsonrpc/scan";
import { AuthzConfig } from "./rules";

/** The well-known path of RFC 9728 §3. */
export const PRM_WELL_KNOWN = "/.well-known/oauth-protected-resource";

/** A JSON array of strings. */
function jsonArray(items: string[]): string {
  let s = "[";
  for (let i = 0; i < items.length; i++) s += (i > 0 ? "," : "") + quote(items[i]);
  return s + "]";
}

/** The Protected Resource Metadata document; `name` becomes `resource_name`. */
export function metadataDocument(cfg: AuthzConfig, name: string): string {
  let s = '{"resource":' + quote(cfg.resource) + ',"authorization_servers":' + jsonArray(cfg.authorizationServers);
  if (cfg.scopesSupported.length > 0) s += ',"scopes_supported":' + jsonArray(cfg.scopesSupported);
  return s + ',"bearer_methods_supported":["header"],"resource_name":' + quote(name) + "}";
}

/** True when `path` (query ignored) is one the metadata is served on. */
export function isMetadataPath(cfg: AuthzConfig, path: string): bool {
  const q = path.indexOf("?");
  const p = q >= 0 ? path.substring(0, q) : path;
  return cfg.metadataPaths.includes(p);
}

/** ` scope="a b"` parameter text, "" for no scopes. */
function scopeParam(scopes: string[]): string {
  return scopes.length > 0 ? ', scope="' + scopes.join(" ") + '"' : "";
}

/**
 * The 401 challenge. Without a token (`invalid` false) no error code (RFC 6750 §3.1); a token
 * that failed verification gets `invalid_token`. `scope` lists scopes_supported (MCP: the
 * scopes a client should request first).
 */
export function unauthorizedChallenge(cfg: AuthzConfig, invalid: bool): string {
  const meta = 'resource_metadata="' + cfg.metadataUrl + '"';
  if (!invalid) return "Bearer " + meta + scopeParam(cfg.scopesSupported);
  return 'Bearer error="invalid_token", error_description="the access token is invalid, expired or not issued for this resource", '
    + meta + scopeParam(cfg.scopesSupported);
}

/** The 403 challenge of a tools/call the token's scopes or claims do not allow. */
export function forbiddenChallenge(cfg: AuthzConfig, scopes: string[]): string {
  return 'Bearer error="insufficient_scope"' + scopeParam(scopes) + ', resource_metadata="' + cfg.metadataUrl
    + '", error_description="the access token does not allow this tool"';
}
