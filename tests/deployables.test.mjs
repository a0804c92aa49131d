// What users deploy, checked without Docker or Kubernetes:
//   - config.schema.json accepts every example plugin configuration (examples/config/*.json, the
//     inline one in examples/envoy/envoy.yaml, the Higress WasmPlugin's defaultConfig and
//     matchRules, the one examples/run.mjs uses) and rejects a table of broken ones;
//   - `envoy --mode validate` accepts envoy/envoy.yaml (rendered) and examples/envoy/envoy.yaml.
//     Validate mode loads the wasm module and runs its configure callback, so the filter's own
//     parser also accepts each example configuration (a test below proves it refuses a bad one);
//   - examples/docker-compose.yaml mounts files that exist and agrees with examples/envoy/envoy.yaml.
//
//   node --test --test-concurrency=1 tests/deployables.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import YAML from 'yaml';
import { DEFAULT_WASM, ROOT, TMP_ROOT, envoyPath, renderEnvoyConfig, tail } from './support/envoy.mjs';

const EXAMPLES = path.join(ROOT, 'examples');
const CONFIG_DIR = path.join(EXAMPLES, 'config');
const EXAMPLE_ENVOY = path.join(EXAMPLES, 'envoy', 'envoy.yaml');
const COMPOSE = path.join(EXAMPLES, 'docker-compose.yaml');
const WASMPLUGIN = path.join(EXAMPLES, 'higress', 'wasmplugin.yaml');
/** The module under test: build/mcp-proxy.wasm unless MCP_PROXY_WASM names another. */
const WASM = path.resolve(ROOT, process.env.MCP_PROXY_WASM ?? DEFAULT_WASM);
const WASM_FILTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm';

// ---------------------------------------------------------------------------------------------
// Schema

const schema = JSON.parse(readFileSync(path.join(ROOT, 'config.schema.json'), 'utf8'));
// strict: unknown keywords or contradictory types in the schema itself are errors.
// strictRequired is off: `if/then` branches name properties declared in the enclosing schema.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
const validateSchema = ajv.compile(schema);

/** Ajv errors as one line each: `<instancePath>/<property> <message>`. */
function errorLines(errors) {
  return (errors ?? []).map((e) => `${errorPath(e) || '(root)'} [${e.keyword}] ${e.message}`).join('\n');
}

/** Where an error points: the instance path, plus the missing/unknown property if it names one. */
function errorPath(e) {
  const prop = e.params?.missingProperty ?? e.params?.additionalProperty ?? e.params?.unevaluatedProperty;
  return prop === undefined ? e.instancePath : `${e.instancePath}/${prop}`;
}

function assertValid(config, label) {
  const ok = validateSchema(config);
  assert.ok(ok, `${label} does not match config.schema.json:\n${errorLines(validateSchema.errors)}\n${JSON.stringify(config, null, 2)}`);
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function readYaml(file) {
  const doc = YAML.parseDocument(readFileSync(file, 'utf8'));
  assert.deepEqual(doc.errors, [], `${path.relative(ROOT, file)} is not valid YAML`);
  return doc.toJS();
}

/** Every object in a parsed YAML/JSON tree (depth first). */
function* objects(node) {
  if (Array.isArray(node)) {
    for (const v of node) yield* objects(v);
  } else if (node && typeof node === 'object') {
    yield node;
    for (const v of Object.values(node)) yield* objects(v);
  }
}

/** The `config` of every envoy.filters.http.wasm filter in a parsed Envoy config. */
function wasmFilterConfigs(envoyConfig) {
  return [...objects(envoyConfig)].filter((o) => o['@type'] === WASM_FILTER_TYPE).map((o) => o.config);
}

/** The plugin configuration a parsed Envoy config gives its (single) wasm filter, as an object. */
function inlinePluginConfig(envoyConfig, label) {
  const configs = wasmFilterConfigs(envoyConfig);
  assert.equal(configs.length, 1, `${label}: expected exactly one wasm filter`);
  const { configuration } = configs[0];
  assert.equal(configuration?.['@type'], 'type.googleapis.com/google.protobuf.StringValue', `${label}: configuration must be a StringValue`);
  assert.equal(typeof configuration.value, 'string', `${label}: configuration.value must be a string`);
  try {
    return JSON.parse(configuration.value);
  } catch (err) {
    assert.fail(`${label}: the plugin configuration is not JSON: ${err.message}`);
  }
}

/**
 * A Higress WasmPlugin's configuration in the shape the plugin receives: defaultConfig with the
 * matchRules as `_rules_` (ingress → _match_route_, domain → _match_domain_, service →
 * _match_service_; the rule's config is the rest of the item).
 */
function higressPluginConfig(spec) {
  const rules = (spec.matchRules ?? []).map((rule, i) => {
    const extra = Object.keys(rule).filter((k) => !['ingress', 'domain', 'service', 'config', 'configDisable'].includes(k));
    assert.deepEqual(extra, [], `matchRules[${i}] has fields the WasmPlugin CRD does not know`);
    const keys = ['ingress', 'domain', 'service'].filter((k) => rule[k] !== undefined);
    assert.equal(keys.length, 1, `matchRules[${i}] must have exactly one of ingress, domain, service (this example; the CRD allows combining them)`);
    assert.ok(rule.config && typeof rule.config === 'object', `matchRules[${i}].config is missing`);
    const matchKey = { ingress: '_match_route_', domain: '_match_domain_', service: '_match_service_' }[keys[0]];
    return { [matchKey]: rule[keys[0]], ...rule.config };
  });
  return { ...(spec.defaultConfig ?? {}), ...(rules.length > 0 ? { _rules_: rules } : {}) };
}

/** The JSON files under examples/config/, by name. */
function exampleConfigs() {
  return readdirSync(CONFIG_DIR).filter((f) => f.endsWith('.json')).sort();
}

test('config.schema.json compiles in strict mode and documents every property', () => {
  assert.equal(typeof validateSchema, 'function');
  const undocumented = [];
  const walk = (node, where) => {
    if (!node || typeof node !== 'object') return;
    for (const [name, sub] of Object.entries(node.properties ?? {})) {
      if (typeof sub.description !== 'string' || sub.description.length === 0) undocumented.push(`${where}.${name}`);
      walk(sub, `${where}.${name}`);
    }
    for (const [name, sub] of Object.entries(node.$defs ?? {})) walk(sub, `$defs.${name}`);
  };
  walk(schema, '');
  assert.deepEqual(undocumented, [], 'properties without a description');
});

test('examples/config holds the documented examples', () => {
  for (const name of ['streamable.json', 'sse.json', 'security.json', 'rules.json', 'higress-minimal.json', 'sealed.json', 'federation.json']) {
    assert.ok(exampleConfigs().includes(name), `examples/config/${name} is missing`);
  }
});

for (const name of exampleConfigs()) {
  test(`schema accepts examples/config/${name}`, () => {
    assertValid(readJson(path.join(CONFIG_DIR, name)), `examples/config/${name}`);
  });
}

test('examples/config/sse.json and rules.json use what their names promise', () => {
  const sse = readJson(path.join(CONFIG_DIR, 'sse.json'));
  assert.equal(sse.server.transport, 'sse');
  assert.equal(sse.server.mcpServerURL, 'http://127.0.0.1:8081/sse');
  const rules = readJson(path.join(CONFIG_DIR, 'rules.json'));
  assert.ok(rules.server, 'rules.json has a global configuration');
  const keys = rules._rules_.map((r) => Object.keys(r).find((k) => k.startsWith('_match_')));
  assert.deepEqual(keys.sort(), ['_match_domain_', '_match_route_', '_match_service_']);
  const security = readJson(path.join(CONFIG_DIR, 'security.json'));
  assert.ok(security.server.securitySchemes.length > 0);
});

test('schema accepts the plugin configuration inline in examples/envoy/envoy.yaml', () => {
  const config = inlinePluginConfig(readYaml(EXAMPLE_ENVOY), 'examples/envoy/envoy.yaml');
  assertValid(config, 'examples/envoy/envoy.yaml plugin configuration');
  assert.equal(config.server.mcpServerURL, 'http://mcp-backend:8080/mcp');
});

test('examples/envoy/envoy.yaml: listener, backend cluster, wasm filter, access log', () => {
  const envoy = readYaml(EXAMPLE_ENVOY);
  const [listener] = envoy.static_resources.listeners;
  assert.deepEqual(listener.address.socket_address, { address: '0.0.0.0', port_value: 10000 });
  const [cluster] = envoy.static_resources.clusters;
  assert.equal(cluster.type, 'STRICT_DNS');
  const endpoint = cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
  assert.deepEqual(endpoint, { address: 'mcp-backend', port_value: 8080 });
  const routes = [...objects(envoy)].filter((o) => o.route?.cluster !== undefined);
  assert.ok(routes.length > 0 && routes.every((r) => r.route.cluster === cluster.name), 'the route points at the backend cluster');
  const [wasm] = wasmFilterConfigs(envoy);
  assert.equal(wasm.allow_on_headers_stop_iteration, true);
  assert.equal(wasm.root_id, 'mcp-proxy');
  assert.equal(wasm.vm_config.code.local.filename, '/etc/envoy/mcp-proxy.wasm');
  const formats = [...objects(envoy)].map((o) => o.inline_string).filter((s) => typeof s === 'string');
  assert.ok(formats.some((s) => s.includes('%FILTER_STATE(wasm.mcp_server_name:PLAIN)%') && s.includes('%FILTER_STATE(wasm.mcp_tool_name:PLAIN)%')),
    'the access log shows mcp_server_name and mcp_tool_name');
});

test('every shipped Envoy config makes the filter\'s stat segments labels (the stats_config of envoy/envoy.yaml)', () => {
  const template = readFileSync(path.join(ROOT, 'envoy', 'envoy.yaml'), 'utf8');
  const reference = YAML.parse(renderEnvoyConfig({ pluginConfig: {} })).stats_config;
  const tags = reference.stats_tags.map((t) => t.tag_name);
  assert.deepEqual(tags, ['mcp_mode', 'mcp_server', 'mcp_method', 'mcp_tool', 'mcp_step', 'outcome']);
  assert.ok(template.includes('%FILTER_STATE(wasm.mcp_session_tag:PLAIN)%'));
  for (const file of [EXAMPLE_ENVOY, path.join(EXAMPLES, 'envoy', 'jwt-authn.yaml')]) {
    const envoy = readYaml(file);
    assert.deepEqual(envoy.stats_config, reference, `${path.relative(ROOT, file)}: stats_config`);
    const formats = [...objects(envoy)].map((o) => o.inline_string).filter((f) => typeof f === 'string');
    for (const p of ['mcp_method', 'mcp_error_code', 'mcp_backend_era', 'mcp_session_tag']) {
      assert.ok(formats.some((f) => f.includes(`%FILTER_STATE(wasm.${p}:PLAIN)%`)), `${path.relative(ROOT, file)}: access log shows ${p}`);
    }
  }
});

test('examples/higress/wasmplugin.yaml: CRD shape, and its configurations match the schema', () => {
  const plugin = readYaml(WASMPLUGIN);
  assert.equal(plugin.apiVersion, 'extensions.higress.io/v1alpha1');
  assert.equal(plugin.kind, 'WasmPlugin');
  assert.equal(plugin.metadata.name, 'mcp-proxy');
  const { spec } = plugin;
  assert.match(spec.url, /^oci:\/\/.+\/mcp-proxy-wasm:0\.1\.0$/);
  assert.ok(['UNSPECIFIED_PHASE', 'AUTHN', 'AUTHZ', 'STATS'].includes(spec.phase), `phase ${spec.phase}`);
  assert.ok(Number.isInteger(spec.priority), 'priority is an integer');
  const known = ['url', 'sha256', 'imagePullPolicy', 'imagePullSecret', 'verificationKey', 'pluginConfig', 'pluginName',
    'phase', 'priority', 'failStrategy', 'vmConfig', 'defaultConfig', 'matchRules', 'defaultConfigDisable'];
  assert.deepEqual(Object.keys(spec).filter((k) => !known.includes(k)), [], 'spec fields the WasmPlugin CRD does not know');
  assertValid(spec.defaultConfig, 'wasmplugin.yaml defaultConfig');
  assert.ok(spec.matchRules.length >= 2, 'matchRules example');
  spec.matchRules.forEach((rule, i) => assertValid(rule.config, `wasmplugin.yaml matchRules[${i}].config (a complete configuration)`));
  assertValid(higressPluginConfig(spec), 'wasmplugin.yaml as the plugin receives it (defaultConfig + _rules_)');
});

test('schema accepts the plugin configurations examples/run.mjs uses', () => {
  const source = readFileSync(path.join(EXAMPLES, 'run.mjs'), 'utf8');
  const files = [...source.matchAll(/path\.join\(\s*here\s*,\s*'config'\s*,\s*'([^']+\.json)'\s*\)/g)].map((m) => m[1]);
  assert.ok(files.length > 0, 'examples/run.mjs no longer names a file under examples/config/: update this test');
  for (const file of files) {
    const config = readJson(path.join(CONFIG_DIR, file));
    // run.mjs points mcpServerURL at the backend it starts.
    config.server.mcpServerURL = 'http://127.0.0.1:8080/mcp';
    assertValid(config, `examples/config/${file} as examples/run.mjs uses it`);
  }
});

/** A valid configuration; the cases below break one thing in a copy. */
const BASE = {
  server: { name: 'demo', type: 'mcp-proxy', transport: 'http', mcpServerURL: 'http://127.0.0.1:8080/mcp', timeout: 5000 },
  allowTools: ['echo'],
};
const withServer = (fields) => {
  const server = { ...BASE.server, ...fields };
  for (const [k, v] of Object.entries(fields)) if (v === undefined) delete server[k];
  return { ...BASE, server };
};
const withScheme = (scheme) => withServer({ securitySchemes: [scheme] });
const rule = (fields) => ({ ...BASE, _rules_: [{ server: { ...BASE.server, name: 'r' }, ...fields }] });

/** Configurations the schema must accept (beyond the example files). */
const VALID = [
  ['minimal server', { server: { name: 'm', type: 'mcp-proxy', mcpServerURL: 'https://mcp.example.com/mcp' } }],
  ['only _rules_, no global configuration', { _rules_: [{ _match_route_: ['r1'], server: BASE.server }] }],
  ['Higress server.config and server.description', withServer({ config: { apiKey: 'x' }, description: 'a server' })],
  ['pass-through mode with sessionIdleTimeout and cors', withServer({ type: 'mcp-passthrough', sessionIdleTimeout: 300, cors: { allowOrigins: ['*'] } })],
  ['pass-through mode with sealed ids (padded and unpadded keys)', withServer({
    type: 'mcp-passthrough', sessionKeys: ['ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=', 'QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8'], sessionMaxAge: 2592000,
  })],
  ['Higress tool definition with extra fields', {
    ...BASE,
    tools: [{
      name: 'get_weather', description: 'weather', args: [{ name: 'city', type: 'string', required: true }],
      requestTemplate: { url: 'https://api.example.com/weather?city={{.args.city}}', method: 'GET', security: { id: 'K' } },
      responseTemplate: { body: '{{.}}' },
    }],
  }],
  ['limits at their bounds', withServer({ timeout: 3600000, maxResponseBytes: 1024 })],
  ['apiKey scheme in query', withScheme({ id: 'Q', type: 'apiKey', in: 'query', name: 'api_key' })],
  ['federation: backends instead of mcpServerURL, every federation field', withServer({
    mcpServerURL: undefined, prefixMode: 'conflict', failureMode: 'closed', listCacheTtl: 0, listCacheMaxTtl: 60,
    backends: [
      { name: 'gh', mcpServerURL: 'http://127.0.0.1:1/mcp', cluster: 'gh', transport: 'http', timeout: 3000, allowTools: ['a'], prefix: 'git_hub' },
      { name: 'docs.v2', mcpServerURL: 'https://docs.example.com/mcp', defaultUpstreamSecurity: { id: 'K' },
        securitySchemes: [{ id: 'K', type: 'apiKey', in: 'header', name: 'x-key' }] },
    ],
  })],
];

/** Configurations the schema must reject: [label, config, the error path that must be reported]. */
const INVALID = [
  ['empty object', {}, ''],
  ['server missing (no _rules_)', { allowTools: ['echo'] }, '/server'],
  ['server not an object', { server: 'demo' }, '/server'],
  ['server.name missing', withServer({ name: undefined }), '/server/name'],
  ['server.name empty', withServer({ name: '' }), '/server/name'],
  ['server.type missing', withServer({ type: undefined }), '/server/type'],
  ['server.type unknown', withServer({ type: 'rest-to-mcp' }), '/server/type'],
  ['server.transport grpc', withServer({ transport: 'grpc' }), '/server/transport'],
  ['server.transport upper case', withServer({ transport: 'SSE' }), '/server/transport'],
  ['server.mcpServerURL missing', withServer({ mcpServerURL: undefined }), '/server/mcpServerURL'],
  ['server.mcpServerURL ftp', withServer({ mcpServerURL: 'ftp://127.0.0.1/mcp' }), '/server/mcpServerURL'],
  ['server.mcpServerURL relative', withServer({ mcpServerURL: '/mcp' }), '/server/mcpServerURL'],
  ['server.mcpServerURL without host', withServer({ mcpServerURL: 'http:///mcp' }), '/server/mcpServerURL'],
  ['server.timeout 0', withServer({ timeout: 0 }), '/server/timeout'],
  ['server.timeout over an hour', withServer({ timeout: 3600001 }), '/server/timeout'],
  ['server.timeout a string', withServer({ timeout: '5000' }), '/server/timeout'],
  ['server.timeout fractional', withServer({ timeout: 1.5 }), '/server/timeout'],
  ['server.maxResponseBytes below 1024', withServer({ maxResponseBytes: 512 }), '/server/maxResponseBytes'],
  ['server.maxResponseBytes over 64 MiB', withServer({ maxResponseBytes: 67108865 }), '/server/maxResponseBytes'],
  ['server.cluster a number', withServer({ cluster: 7 }), '/server/cluster'],
  ['server.allowTools a string', withServer({ allowTools: 'echo' }), '/server/allowTools'],
  ['typo: server.mcpServerUrl', withServer({ mcpServerURL: undefined, mcpServerUrl: 'http://127.0.0.1:8080/mcp' }), '/server/mcpServerUrl'],
  ['typo: server.timeOut', withServer({ timeOut: 5000 }), '/server/timeOut'],
  ['typo: server.allowtools', withServer({ allowtools: ['echo'] }), '/server/allowtools'],
  ['typo: top-level allowtools', { ...BASE, allowtools: ['echo'] }, '/allowtools'],
  ['top-level allowTools a string', { ...BASE, allowTools: 'echo' }, '/allowTools'],
  ['top-level allowTools with a number', { ...BASE, allowTools: ['echo', 1] }, '/allowTools/1'],
  ['server.passthroughAuthHeader a string', withServer({ passthroughAuthHeader: 'true' }), '/server/passthroughAuthHeader'],
  ['server.sessionIdleTimeout 0', withServer({ sessionIdleTimeout: 0 }), '/server/sessionIdleTimeout'],
  ['server.sessionKeys empty', withServer({ sessionKeys: [] }), '/server/sessionKeys'],
  ['server.sessionKeys a string', withServer({ sessionKeys: 'ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=' }), '/server/sessionKeys'],
  ['server.sessionKeys with a 16-byte key', withServer({ sessionKeys: ['AAECAwQFBgcICQoLDA0ODw=='] }), '/server/sessionKeys/0'],
  ['server.sessionMaxAge over 30 days', withServer({ sessionMaxAge: 2592001 }), '/server/sessionMaxAge'],
  ['server.cors.allowOrigins a string', withServer({ cors: { allowOrigins: '*' } }), '/server/cors/allowOrigins'],
  ['typo: server.cors.allowOrigin', withServer({ cors: { allowOrigin: ['*'] } }), '/server/cors/allowOrigin'],
  ['security scheme without id', withScheme({ type: 'http', scheme: 'bearer' }), '/server/securitySchemes/0/id'],
  ['security scheme without type', withScheme({ id: 'A', scheme: 'bearer' }), '/server/securitySchemes/0/type'],
  ['security scheme type oauth2', withScheme({ id: 'A', type: 'oauth2' }), '/server/securitySchemes/0/type'],
  ['http scheme without scheme', withScheme({ id: 'A', type: 'http' }), '/server/securitySchemes/0/scheme'],
  ['http scheme digest', withScheme({ id: 'A', type: 'http', scheme: 'digest' }), '/server/securitySchemes/0/scheme'],
  ['apiKey without name', withScheme({ id: 'A', type: 'apiKey', in: 'header' }), '/server/securitySchemes/0/name'],
  ['apiKey without in', withScheme({ id: 'A', type: 'apiKey', name: 'x-api-key' }), '/server/securitySchemes/0/in'],
  ['apiKey in cookie', withScheme({ id: 'A', type: 'apiKey', in: 'cookie', name: 'k' }), '/server/securitySchemes/0/in'],
  ['typo: security scheme defaultCredentials', withScheme({ id: 'A', type: 'http', scheme: 'bearer', defaultCredentials: 't' }),
    '/server/securitySchemes/0/defaultCredentials'],
  ['defaultDownstreamSecurity without id', withServer({ defaultDownstreamSecurity: { required: true } }), '/server/defaultDownstreamSecurity/id'],
  ['defaultDownstreamSecurity.passthrough a string', withServer({ defaultDownstreamSecurity: { id: 'A', passthrough: 'yes' } }),
    '/server/defaultDownstreamSecurity/passthrough'],
  ['defaultUpstreamSecurity with passthrough', withServer({ defaultUpstreamSecurity: { id: 'A', passthrough: true } }),
    '/server/defaultUpstreamSecurity/passthrough'],
  ['defaultUpstreamSecurity.credential a number', withServer({ defaultUpstreamSecurity: { id: 'A', credential: 42 } }),
    '/server/defaultUpstreamSecurity/credential'],
  ['tools not an array', { ...BASE, tools: {} }, '/tools'],
  ['tool without name', { ...BASE, tools: [{ description: 'x' }] }, '/tools/0/name'],
  ['typo: tools[].security.require', { ...BASE, tools: [{ name: 't', security: { id: 'A', require: true } }] }, '/tools/0/security/require'],
  ['tools[].requestTemplate.security without id', { ...BASE, tools: [{ name: 't', requestTemplate: { security: { credential: 'c' } } }] },
    '/tools/0/requestTemplate/security/id'],
  ['_rules_ not an array', { ...BASE, _rules_: {} }, '/_rules_'],
  ['rule with two match keys', rule({ _match_route_: ['a'], _match_domain_: ['b.example.com'] }), '/_rules_/0'],
  ['rule without a match key', rule({}), '/_rules_/0'],
  ['rule with an empty match list', rule({ _match_service_: [] }), '/_rules_/0/_match_service_'],
  ['rule match list of numbers', rule({ _match_route_: [1] }), '/_rules_/0/_match_route_/0'],
  ['rule match key a string', rule({ _match_domain_: 'b.example.com' }), '/_rules_/0/_match_domain_'],
  ['rule without server', { ...BASE, _rules_: [{ _match_route_: ['a'], allowTools: ['echo'] }] }, '/_rules_/0/server'],
  ['rule with a broken server', rule({ _match_route_: ['a'], server: { ...BASE.server, transport: 'ws' } }), '/_rules_/0/server/transport'],
  ['typo: rule _match_routes_', rule({ _match_route_: ['a'], _match_routes_: ['b'] }), '/_rules_/0/_match_routes_'],
  ['nested _rules_ in a rule', rule({ _match_route_: ['a'], _rules_: [] }), '/_rules_/0/_rules_'],
  ['match key at the top level', { ...BASE, _match_route_: ['a'] }, '/_match_route_'],
  // Global fields are not merged into rules: without a top-level server they would do nothing.
  ['federation: mcpServerURL and backends both', withServer({ backends: [{ name: 'a', mcpServerURL: 'http://h/mcp' }] }), '/server'],
  ['federation: empty backends', withServer({ mcpServerURL: undefined, backends: [] }), '/server/backends'],
  ['federation: backend without mcpServerURL', withServer({ mcpServerURL: undefined, backends: [{ name: 'a' }] }), '/server/backends/0/mcpServerURL'],
  ['federation: prefix with a double underscore', withServer({ mcpServerURL: undefined, backends: [{ name: 'a', prefix: 'x__y', mcpServerURL: 'http://h/mcp' }] }),
    '/server/backends/0/prefix'],
  ['federation: typo backends[].allowtools', withServer({ mcpServerURL: undefined, backends: [{ name: 'a', mcpServerURL: 'http://h/mcp', allowtools: [] }] }),
    '/server/backends/0/allowtools'],
  ['federation: prefixMode unknown', withServer({ mcpServerURL: undefined, backends: [{ name: 'a', mcpServerURL: 'http://h/mcp' }], prefixMode: 'some' }),
    '/server/prefixMode'],
  ['federation: failureMode without backends', withServer({ failureMode: 'open' }), '/server/backends'],
  ['top-level allowTools with _rules_ but no server', { allowTools: ['echo'], _rules_: [{ _match_route_: ['a'], server: BASE.server }] }, '/server'],
];

for (const [label, config] of VALID) {
  test(`schema accepts: ${label}`, () => assertValid(config, label));
}

for (const [label, config, where] of INVALID) {
  test(`schema rejects: ${label}`, () => {
    const ok = validateSchema(config);
    assert.equal(ok, false, `accepted:\n${JSON.stringify(config, null, 2)}`);
    const paths = validateSchema.errors.map(errorPath);
    assert.ok(paths.includes(where), `no error at ${where || '(root)'}; errors:\n${errorLines(validateSchema.errors)}`);
  });
}

// ---------------------------------------------------------------------------------------------
// envoy --mode validate

/** Runs `envoy --mode validate -c <file>`: { code, output }. */
function envoyValidate(file) {
  return new Promise((resolve) => {
    execFile(envoyPath(), ['--mode', 'validate', '-c', file, '--disable-hot-restart', '-l', 'info'],
      { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? err.signal ?? 'error') : 0, output: `${stdout}${stderr}` }));
  });
}

/** Writes `yaml` to a temp file, validates it, removes it; asserts exit 0 (or not). */
async function validateYaml(yaml, label, { expectOk = true } = {}) {
  assert.ok(existsSync(WASM), `${path.relative(ROOT, WASM)} is missing: run \`npm run build\` first`);
  mkdirSync(TMP_ROOT, { recursive: true });
  const dir = mkdtempSync(path.join(TMP_ROOT, 'validate-'));
  try {
    const file = path.join(dir, 'envoy.yaml');
    writeFileSync(file, yaml);
    const { code, output } = await envoyValidate(file);
    if (expectOk) assert.equal(code, 0, `envoy --mode validate refused ${label}:\n${tail(output, 60)}`);
    else assert.notEqual(code, 0, `envoy --mode validate accepted ${label}:\n${tail(output, 60)}`);
    return output;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** envoy/envoy.yaml rendered with a plugin configuration (ports and paths need only be valid). */
function renderTemplate(pluginConfig) {
  return renderEnvoyConfig({
    listenPort: 10000, adminPort: 9901, backendPort: 8080, wasmPath: WASM, pluginConfig,
    accessLog: path.join(TMP_ROOT, 'validate-access.log'),
  });
}

test('envoy --mode validate: envoy/envoy.yaml rendered with examples/config/streamable.json', async () => {
  const output = await validateYaml(renderTemplate(readJson(path.join(CONFIG_DIR, 'streamable.json'))), 'the rendered envoy/envoy.yaml');
  assert.match(output, /OK/);
});

test('envoy --mode validate runs the plugin\'s configuration parser (a bad configuration fails)', async () => {
  const output = await validateYaml(renderTemplate({ ...BASE, server: { ...BASE.server, name: '' } }),
    'envoy/envoy.yaml with server.name ""', { expectOk: false });
  assert.match(output, /server\.name/, 'the plugin names the refused field');
});

test('envoy --mode validate: examples/envoy/envoy.yaml (wasm path pointed at the built module)', async () => {
  const text = readFileSync(EXAMPLE_ENVOY, 'utf8');
  assert.ok(text.includes('/etc/envoy/mcp-proxy.wasm'));
  // Validate mode reads the wasm file (and runs its configure callback); it does not resolve
  // the STRICT_DNS cluster's hostname, so `mcp-backend` stays as it is.
  const output = await validateYaml(text.replaceAll('/etc/envoy/mcp-proxy.wasm', WASM), 'examples/envoy/envoy.yaml');
  assert.match(output, /OK/);
});

for (const name of exampleConfigs()) {
  test(`the filter accepts examples/config/${name} (envoy --mode validate)`, async () => {
    await validateYaml(renderTemplate(readJson(path.join(CONFIG_DIR, name))), `envoy/envoy.yaml with examples/config/${name}`);
  });
}

test('the filter accepts the Higress WasmPlugin configuration (envoy --mode validate)', async () => {
  const config = higressPluginConfig(readYaml(WASMPLUGIN).spec);
  await validateYaml(renderTemplate(config), 'envoy/envoy.yaml with the wasmplugin.yaml configuration');
});

// ---------------------------------------------------------------------------------------------
// docker-compose

/** A compose volume as { source, target, readOnly } (short "src:dst[:mode]" or long syntax). */
function parseVolume(v) {
  if (typeof v === 'string') {
    const [source, target, mode = 'rw'] = v.split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  }
  return { source: v.source, target: v.target, readOnly: !!v.read_only };
}

/** A compose port as { host, published, target } (short "[ip:]published:target" or long syntax). */
function parsePort(p) {
  if (typeof p === 'object') return { host: p.host_ip, published: Number(p.published), target: Number(p.target) };
  const parts = String(p).split('/')[0].split(':');
  const target = Number(parts.pop());
  const published = parts.length > 0 ? Number(parts.pop()) : undefined;
  return { host: parts.pop(), published, target };
}

test('examples/docker-compose.yaml: envoy mounts the built wasm and examples/envoy/envoy.yaml, publishes 10000', () => {
  const compose = readYaml(COMPOSE);
  const { envoy } = compose.services;
  assert.ok(envoy, 'service envoy');
  assert.match(envoy.image, /^envoyproxy\/envoy:v1\.(3[5-9]|[4-9]\d)[.-]/, 'an Envoy >= 1.35 image (allow_on_headers_stop_iteration)');
  const volumes = envoy.volumes.map(parseVolume);
  const byTarget = (t) => volumes.find((v) => v.target === t);

  const envoyConfig = readYaml(EXAMPLE_ENVOY);
  const wasmTarget = wasmFilterConfigs(envoyConfig)[0].vm_config.code.local.filename;
  const wasmMount = byTarget(wasmTarget);
  assert.ok(wasmMount, `a volume mounts the module at ${wasmTarget}, where examples/envoy/envoy.yaml loads it`);
  assert.equal(path.resolve(EXAMPLES, wasmMount.source), path.join(ROOT, 'build', 'mcp-proxy.wasm'));
  assert.ok(existsSync(path.resolve(EXAMPLES, wasmMount.source)), `${wasmMount.source} exists (npm run build)`);
  assert.ok(wasmMount.readOnly, 'the module is mounted read-only');

  const configArg = envoy.command?.[envoy.command.indexOf('-c') + 1] ?? '/etc/envoy/envoy.yaml';
  const configMount = byTarget(configArg);
  assert.ok(configMount, `a volume mounts the Envoy config at ${configArg}`);
  assert.equal(path.resolve(EXAMPLES, configMount.source), EXAMPLE_ENVOY);
  assert.ok(existsSync(path.resolve(EXAMPLES, configMount.source)));

  const listenPort = envoyConfig.static_resources.listeners[0].address.socket_address.port_value;
  const ports = envoy.ports.map(parsePort);
  assert.ok(ports.some((p) => p.target === listenPort && p.published === 10000), `port 10000 → the listener (${listenPort})`);
});

test('examples/docker-compose.yaml: mcp-backend runs the example server where the Envoy cluster looks for it', () => {
  const compose = readYaml(COMPOSE);
  const backend = compose.services['mcp-backend'];
  assert.ok(backend, 'service mcp-backend');
  assert.match(backend.image, /^node:20-alpine/);
  const envoyConfig = readYaml(EXAMPLE_ENVOY);
  const cluster = envoyConfig.static_resources.clusters[0];
  const { address, port_value: port } = cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
  assert.equal(address, 'mcp-backend', 'the Envoy cluster resolves the compose service name');

  // The repository is mounted at working_dir, so the command's script path resolves in it.
  const repoMount = backend.volumes.map(parseVolume).find((v) => v.target === backend.working_dir);
  assert.ok(repoMount, 'the repository is mounted at working_dir');
  assert.equal(path.resolve(EXAMPLES, repoMount.source), ROOT);
  const [program, script, ...args] = backend.command;
  assert.equal(program, 'node');
  assert.ok(existsSync(path.join(ROOT, script)), `${script} exists in the repository`);
  assert.ok(existsSync(path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'sdk')), 'node_modules (npm ci) for the backend');
  assert.equal(Number(args[args.indexOf('--port') + 1]), port, 'the backend listens on the cluster\'s port');
  assert.equal(args[args.indexOf('--host') + 1], '0.0.0.0', 'the backend listens on the container network, not loopback');
  assert.ok(compose.services.envoy.depends_on?.includes?.('mcp-backend') ?? 'mcp-backend' in (compose.services.envoy.depends_on ?? {}));
});
