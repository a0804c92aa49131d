// A bad plugin configuration must make the plugin refuse to start — never a request-time
// failure. With a static Envoy config, a refused wasm filter config stops Envoy at startup, so
// each case starts its own Envoy and expects it to exit, with the plugin's own log line naming
// the offending field (`wasm log <plugin>: server.timeout ...`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEnvoy, startEnvoyExpectFailure, postJson, tail } from './support/envoy.mjs';

/** Port of a backend that is never contacted (nothing here sends a request upstream). */
const BACKEND_PORT = 9;
/** The module under test: build/mcp-proxy.wasm unless MCP_PROXY_WASM names another. */
const WASM_PATH = process.env.MCP_PROXY_WASM;

/** A valid server block; cases break exactly one thing in a copy of it. */
const SERVER = {
  name: 'demo-server',
  type: 'mcp-proxy',
  transport: 'http',
  mcpServerURL: `http://127.0.0.1:${BACKEND_PORT}/mcp`,
  timeout: 5000,
};
const VALID = { server: SERVER, allowTools: ['echo'] };

/** VALID with server fields overridden (undefined deletes the field). */
function withServer(fields) {
  const server = { ...SERVER, ...fields };
  for (const [k, v] of Object.entries(fields)) if (v === undefined) delete server[k];
  return { ...VALID, server };
}

/** A field name as a whole word: `server` must not match inside `server.name`. */
const field = (name) => new RegExp(`(?<![\\w.])${name.replaceAll('.', '\\.')}(?![\\w.])`);
/** Whole-configuration errors (not JSON, not an object) name the configuration itself. */
const WHOLE = /configuration|JSON/i;

const DEEP = 100_000;

/** Invalid configurations: [label, plugin configuration (object, or raw text), what the log names]. */
const INVALID = [
  ['not JSON', '{"server": {"name": "demo-server"', WHOLE],
  ['empty string', '', WHOLE],
  ['JSON array at the top level', JSON.stringify([VALID]), WHOLE],
  [`${DEEP}-deep nesting`, JSON.stringify(VALID).replace(/}$/, `,"tools":${'['.repeat(DEEP)}${']'.repeat(DEEP)}}`), /configuration|JSON|tools/i],
  ['server missing', { allowTools: ['echo'] }, field('server')],
  ['server is a string', { ...VALID, server: 'demo-server' }, field('server')],
  ['server.name empty', withServer({ name: '' }), field('server.name')],
  ['server.type unknown', withServer({ type: 'rest-to-mcp' }), field('server.type')],
  ['server.transport grpc', withServer({ transport: 'grpc' }), field('server.transport')],
  ['server.mcpServerURL missing', withServer({ mcpServerURL: undefined }), field('server.mcpServerURL')],
  ['server.mcpServerURL ftp scheme', withServer({ mcpServerURL: 'ftp://127.0.0.1/mcp' }), field('server.mcpServerURL')],
  ['server.mcpServerURL not a URL', withServer({ mcpServerURL: 'not a url' }), field('server.mcpServerURL')],
  ['server.timeout a string', withServer({ timeout: '5000' }), field('server.timeout')],
  ['server.cluster a number', withServer({ cluster: 7 }), field('server.cluster')],
  ['allowTools a string', { ...VALID, allowTools: 'echo' }, field('allowTools')],
  // Security schemes and rules (credentials issue): each refuses the plugin at load.
  ['unknown downstream scheme id', withServer({ defaultDownstreamSecurity: { id: 'nope' } }), field('server.defaultDownstreamSecurity.id')],
  ['apiKey scheme without name', withServer({ securitySchemes: [{ id: 'k', type: 'apiKey', in: 'header' }] }), field('server.securitySchemes[0].name'.replace(/[[\]]/g, '\\$&'))],
  ['unknown scheme type', withServer({ securitySchemes: [{ id: 'k', type: 'oauth2' }] }), /server\.securitySchemes\[0\]\.type/],
  ['unknown apiKey in', withServer({ securitySchemes: [{ id: 'k', type: 'apiKey', in: 'cookie', name: 'n' }] }), /server\.securitySchemes\[0\]\.in/],
  ['unknown http scheme', withServer({ securitySchemes: [{ id: 'k', type: 'http', scheme: 'digest' }] }), /server\.securitySchemes\[0\]\.scheme/],
  ['rule with two match keys', { ...VALID, _rules_: [{ _match_route_: ['a'], _match_domain_: ['b'], server: SERVER }] }, /_rules_\[0\]/],
];

/** The plugin's own log lines (Envoy prefixes what proxy_log sends with `wasm log`). */
const pluginLines = (log) => log.split('\n').filter((l) => l.includes('wasm log'));

for (const [label, pluginConfig, names] of INVALID) {
  test(`refuses a configuration with ${label}`, async () => {
    const { exitCode, log } = await startEnvoyExpectFailure({ pluginConfig, backendPort: BACKEND_PORT, wasmPath: WASM_PATH });
    assert.notEqual(exitCode, 0, `Envoy should exit with an error\n${tail(log, 40)}`);
    const lines = pluginLines(log);
    assert.ok(
      lines.some((l) => names.test(l.slice(l.indexOf('wasm log')))),
      `no plugin log line matches ${names}; plugin lines:\n${lines.join('\n') || '(none)'}\n--- envoy log ---\n${tail(log, 40)}`,
    );
    assert.doesNotMatch(log, /mcp-proxy abort|Function: proxy_on_\w+ failed/, 'refusing a config must not trap');
  });
}

test('starts with a valid configuration and answers initialize', async () => {
  const envoy = await startEnvoy({ pluginConfig: VALID, backendPort: BACKEND_PORT, wasmPath: WASM_PATH });
  try {
    const res = await postJson(envoy.url, {
      jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'config-test', version: '1.0.0' } },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json?.id, 1, res.text);
    assert.ok(res.json?.result, res.text);
  } finally {
    await envoy.stop();
  }
});

test('starts with every optional field set', async () => {
  const pluginConfig = {
    server: { ...SERVER, transport: 'sse', timeout: 1000, cluster: 'mcp_backend', allowTools: ['echo', 'add'] },
    allowTools: ['echo'],
    tools: [],
  };
  const envoy = await startEnvoy({ pluginConfig, backendPort: BACKEND_PORT, wasmPath: WASM_PATH });
  await envoy.stop();
});
