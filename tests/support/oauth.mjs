// OAuth support for the tests/oauth-*.test.mjs files: an authorization server's signing keys
// (generated with `jose`, published as a JWKS file that Envoy's jwt_authn reads), tokens with
// chosen claims, and the Envoy configuration of examples/envoy/jwt-authn.yaml rewritten for a
// test (ports, JWKS file, issuer, audience, wasm, plugin configuration). The e2e tests run
// that example itself, so what the README documents is what is tested.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import YAML from 'yaml';
import { DEFAULT_WASM, ROOT, TMP_ROOT } from './envoy.mjs';

/** The documented jwt_authn + filter configuration. */
export const JWT_EXAMPLE = path.join(ROOT, 'examples', 'envoy', 'jwt-authn.yaml');
/** The issuer the test tokens name (and jwt_authn requires). */
export const ISSUER = 'https://auth.test.example';
/** The jwt_authn provider in the example. */
const PROVIDER = 'mcp_as';

/**
 * An authorization server for tests: an ES256 key pair whose public half is written as a JWKS
 * file, and `sign(claims, { expiresIn, issuer, audience, key })` for tokens. `otherKey` signs
 * tokens the JWKS does not hold (a forged signature). `close()` removes the JWKS file.
 */
export async function startIssuer({ audience }) {
  const kid = 'test-key-1';
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const other = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  mkdirSync(TMP_ROOT, { recursive: true });
  const dir = mkdtempSync(path.join(TMP_ROOT, 'jwks-'));
  const jwksPath = path.join(dir, 'jwks.json');
  writeFileSync(jwksPath, JSON.stringify({ keys: [jwk] }));
  const sign = async (claims = {}, opts = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
      .setIssuer(opts.issuer ?? ISSUER)
      .setAudience(opts.audience ?? audience)
      .setSubject(claims.sub ?? 'user-1')
      .setIssuedAt(now - 10)
      .setExpirationTime(opts.exp ?? now + 600);
    return jwt.sign(opts.key ?? privateKey);
  };
  return {
    jwksPath,
    sign,
    otherKey: other.privateKey,
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The filter of the example's http_filters list whose name is `name`. */
function filterNamed(hcm, name) {
  const f = hcm.http_filters.find((x) => x.name === name);
  if (!f) throw new Error(`examples/envoy/jwt-authn.yaml has no ${name} filter`);
  return f;
}

/**
 * examples/envoy/jwt-authn.yaml for a test: admin on ${ADMIN_PORT} (startEnvoy fills it),
 * listener on 127.0.0.1:listenPort, backend on 127.0.0.1:backendPort, the JWKS file, the issuer,
 * the audience, the wasm file (`wasmPath`) and the plugin configuration. Everything else —
 * jwt_authn's requirement, forward, payload_in_metadata, the route — stays as documented.
 */
export function renderJwtExample({ listenPort = 0, backendPort, jwksPath, audience, pluginConfig, wasmPath = DEFAULT_WASM, issuer = ISSUER }) {
  const doc = YAML.parse(readFileSync(JWT_EXAMPLE, 'utf8'));
  doc.admin.address.socket_address = { address: '127.0.0.1', port_value: '${ADMIN_PORT}' };
  const listener = doc.static_resources.listeners[0];
  listener.address.socket_address = { address: '127.0.0.1', port_value: listenPort };
  const hcm = listener.filter_chains[0].filters[0].typed_config;
  const jwt = filterNamed(hcm, 'envoy.filters.http.jwt_authn').typed_config.providers[PROVIDER];
  jwt.issuer = issuer;
  jwt.audiences = [audience];
  jwt.local_jwks = { filename: jwksPath };
  const wasm = filterNamed(hcm, 'envoy.filters.http.wasm').typed_config.config;
  wasm.vm_config.code.local.filename = path.resolve(ROOT, wasmPath);
  if (pluginConfig !== undefined) wasm.configuration.value = typeof pluginConfig === 'string' ? pluginConfig : JSON.stringify(pluginConfig);
  const cluster = doc.static_resources.clusters[0];
  cluster.type = 'STATIC';
  delete cluster.dns_lookup_family;
  cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address = { address: '127.0.0.1', port_value: backendPort ?? 1 };
  return YAML.stringify(doc).replace("'${ADMIN_PORT}'", '${ADMIN_PORT}');
}

/** The plugin configuration inline in examples/envoy/jwt-authn.yaml, parsed. */
export function examplePluginConfig() {
  const doc = YAML.parse(readFileSync(JWT_EXAMPLE, 'utf8'));
  const hcm = doc.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  return JSON.parse(filterNamed(hcm, 'envoy.filters.http.wasm').typed_config.config.configuration.value);
}

/** Parses a `WWW-Authenticate: Bearer k="v", ...` challenge into { scheme, params }. */
export function parseChallenge(value) {
  if (typeof value !== 'string') return undefined;
  const m = /^(\S+)\s*(.*)$/s.exec(value.trim());
  const params = {};
  const re = /([a-z_]+)="((?:[^"\\]|\\.)*)"\s*(?:,\s*|$)/gy;
  re.lastIndex = 0;
  const rest = m[2];
  let p;
  let at = 0;
  while (at < rest.length && (p = re.exec(rest)) !== null) {
    params[p[1]] = p[2].replace(/\\(.)/g, '$1');
    at = re.lastIndex;
  }
  if (at !== rest.length) throw new Error(`unparsable challenge: ${value}`);
  return { scheme: m[1], params };
}
