// OAuth support for the tests/oauth-*.test.mjs files: an authorization server's signing keys
// (generated with `jose`, published as a JWKS file that Envoy's jwt_authn reads), tokens with
// chosen claims, and the Envoy configuration of examples/envoy/jwt-authn.yaml rewritten for a
// test (ports, JWKS file, issuer, audience, wasm, plugin configuration). The e2e tests run
// that example itself, so what the README documents is what is tested.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import YAML from 'yaml';
import assert from 'node:assert/strict';
import { DEFAULT_WASM, ROOT, TMP_ROOT, addClusters, freePort, startEnvoy, wasmFailures } from './envoy.mjs';

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
 * the audience, the wasm file (`wasmPath`), the plugin configuration and any `jwt` overrides
 * of the jwt_authn provider (e.g. `{ forward: true }`), and more STATIC clusters to 127.0.0.1
 * (`clusters`: {name: port}). Everything else — jwt_authn's requirement, forward,
 * payload_in_metadata, the route — stays as documented.
 */
export function renderJwtExample({ listenPort = 0, backendPort, jwksPath, audience, pluginConfig, wasmPath = DEFAULT_WASM, issuer = ISSUER, jwt: jwtOverrides = {}, clusters = {} }) {
  const doc = YAML.parse(readFileSync(JWT_EXAMPLE, 'utf8'));
  doc.admin.address.socket_address = { address: '127.0.0.1', port_value: '${ADMIN_PORT}' };
  const listener = doc.static_resources.listeners[0];
  listener.address.socket_address = { address: '127.0.0.1', port_value: listenPort };
  const hcm = listener.filter_chains[0].filters[0].typed_config;
  const jwt = filterNamed(hcm, 'envoy.filters.http.jwt_authn').typed_config.providers[PROVIDER];
  jwt.issuer = issuer;
  jwt.audiences = [audience];
  jwt.local_jwks = { filename: jwksPath };
  Object.assign(jwt, jwtOverrides);
  const wasm = filterNamed(hcm, 'envoy.filters.http.wasm').typed_config.config;
  wasm.vm_config.code.local.filename = path.resolve(ROOT, wasmPath);
  if (pluginConfig !== undefined) wasm.configuration.value = typeof pluginConfig === 'string' ? pluginConfig : JSON.stringify(pluginConfig);
  const cluster = doc.static_resources.clusters[0];
  cluster.type = 'STATIC';
  delete cluster.dns_lookup_family;
  cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address = { address: '127.0.0.1', port_value: backendPort ?? 1 };
  addClusters(doc, clusters);
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

/** Scopes and claims of the test callers (tokens signed by the test issuer). */
export const CALLERS = {
  reader: { scope: 'mcp:tools' },
  math: { scp: ['mcp:tools', 'mcp:math'] },
  ops: { scope: 'mcp:admin', org: { groups: ['dev', 'ops'] } },
  dev: { scope: 'mcp:admin mcp:tools', org: { groups: ['dev'] } },
};

/** The per-tool rules of the tests: echo for mcp:tools, add also needs mcp:math, region/weather need mcp:admin and group ops. */
export function testAuthorization(resource, extra = {}) {
  return {
    resource,
    authorizationServers: [ISSUER],
    scopesSupported: ['mcp:tools'],
    rules: [
      { tools: ['echo'], scopes: ['mcp:tools'] },
      { tools: ['add'], scopes: ['mcp:tools', 'mcp:math'] },
      { tools: ['region', 'weather', 'admin_*'], scopes: ['mcp:admin'], claims: { 'org.groups': 'ops' } },
    ],
    defaultAction: 'deny',
    ...extra,
  };
}

/**
 * Envoy running examples/envoy/jwt-authn.yaml in front of `backend`, on a port chosen first so
 * that the resource URI (http://127.0.0.1:<port>/mcp) is the tokens' audience. `server` is
 * merged into the plugin's `server` (type, authorization overrides via `authorization`);
 * `jwt` overrides fields of the jwt_authn provider; `clusters` adds clusters ({name: port}).
 * Resolves to { envoy, issuer, resource,
 * url, origin, token(name | claims, opts) }.
 */
export async function startOAuthGateway(backend, { type = 'mcp-proxy', server = {}, top = {}, authorization = {}, jwt = {}, clusters = {} } = {}) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const resource = `${origin}/mcp`;
  const issuer = await startIssuer({ audience: resource });
  const pluginConfig = {
    server: { name: 'oauth-gw', type, mcpServerURL: backend.url, timeout: 5000, authorization: testAuthorization(resource, authorization), ...server },
    ...top,
  };
  const yaml = renderJwtExample({ listenPort: port, backendPort: backend.port, jwksPath: issuer.jwksPath, audience: resource, pluginConfig, jwt, clusters });
  let envoy;
  try {
    envoy = await startEnvoy({ configYaml: yaml, listenPort: port });
  } catch (err) {
    issuer.close();
    throw err;
  }
  const token = (who, opts) => issuer.sign(typeof who === 'string' ? { sub: who, ...CALLERS[who] } : who, opts);
  return {
    envoy, issuer, resource, origin, url: resource, token, pluginConfig,
    stop: async () => {
      await envoy.stop();
      issuer.close();
      assert.deepEqual(wasmFailures(envoy.log()), [], 'wasm failures in the Envoy log');
    },
  };
}

/** Authorization header for a token. */
export const bearer = (token) => ({ authorization: `Bearer ${token}` });
