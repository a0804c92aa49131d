// The documented OAuth deployment, examples/envoy/jwt-authn.yaml, and the host facts it rests on:
//   - `envoy --mode validate` accepts it (the wasm and JWKS paths pointed at real files) and
//     refuses it with a broken `server.authorization` (the plugin's parser runs at validate);
//   - config.schema.json accepts its plugin configuration and rejects broken authorization
//     objects;
//   - a probe (tests/support/probe/property.ts, a throwaway proxy-wasm module) shows, in Envoy
//     1.40 behind the example's jwt_authn, what get_property returns for the verified payload:
//     per claim path, a string comes as its bytes, a number as an 8-byte little-endian double, a
//     boolean as one byte, a list or an object as proxy-wasm pairs (types lost: "abc" and a
//     pairs encoding cannot be told apart), a null claim fails (SerializationFailure), and a
//     whole struct holding a null fails too; the `metadata` property is the serialized
//     envoy.config.core.v3.Metadata protobuf, typed and complete. The filter reads `metadata`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { DEFAULT_WASM, ROOT, TMP_ROOT, envoyPath, rawRequest, startEnvoy, tail } from './support/envoy.mjs';
import { JWT_EXAMPLE, examplePluginConfig, renderJwtExample, startIssuer } from './support/oauth.mjs';

const WASM = path.resolve(ROOT, process.env.MCP_PROXY_WASM ?? DEFAULT_WASM);
const PROBE_SRC = path.join(ROOT, 'tests', 'support', 'probe', 'property.ts');

/** Runs `envoy --mode validate` on `yaml`: { code, output }. */
async function validate(yaml) {
  mkdirSync(TMP_ROOT, { recursive: true });
  const dir = mkdtempSync(path.join(TMP_ROOT, 'validate-oauth-'));
  const file = path.join(dir, 'envoy.yaml');
  writeFileSync(file, yaml);
  try {
    return await new Promise((resolve) => {
      execFile(envoyPath(), ['--mode', 'validate', '-c', file, '--disable-hot-restart', '-l', 'info'], { timeout: 120_000, maxBuffer: 64 << 20 },
        (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 'error') : 0, output: `${stdout}${stderr}` }));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('examples/envoy/jwt-authn.yaml', () => {
  let issuer;
  before(async () => { issuer = await startIssuer({ audience: 'https://mcp.example.com/mcp' }); });
  after(() => issuer?.close());

  /** The example as shipped, with only the wasm and JWKS files pointed at real ones. */
  const shipped = () => readFileSync(JWT_EXAMPLE, 'utf8')
    .replaceAll('/etc/envoy/mcp-proxy.wasm', WASM).replaceAll('/etc/envoy/jwks.json', issuer.jwksPath);

  it('passes envoy --mode validate', { timeout: 120_000 }, async () => {
    assert.ok(existsSync(WASM), 'run `npm run build` first');
    const text = shipped();
    assert.ok(text.includes('allow_missing_or_failed') && text.includes('forward: false') && text.includes('payload_in_metadata: jwt_payload'));
    const { code, output } = await validate(text);
    assert.equal(code, 0, tail(output, 60));
    assert.match(output, /OK/);
  });

  it('is refused by envoy --mode validate with a broken server.authorization', { timeout: 120_000 }, async () => {
    const broken = shipped().replace('"resource": "https://mcp.example.com/mcp"', '"resource": "mcp.example.com"');
    const { code, output } = await validate(broken);
    assert.notEqual(code, 0);
    assert.match(output, /server\.authorization\.resource/);
  });

  it('its plugin configuration matches config.schema.json; broken authorization objects do not', () => {
    const schema = JSON.parse(readFileSync(path.join(ROOT, 'config.schema.json'), 'utf8'));
    const check = new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(schema);
    const config = examplePluginConfig();
    assert.ok(check(config), JSON.stringify(check.errors));
    const az = config.server.authorization;
    const broken = [
      { ...az, resource: undefined },
      { ...az, authorizationServers: [] },
      { ...az, scopesSupported: ['has space'] },
      { ...az, defaultAction: 'permit' },
      { ...az, rules: [{ tools: ['a*b'] }] },
      { ...az, rules: [{ tools: ['echo'], scope: ['x'] }] },
      { ...az, rules: [{ tools: ['echo'], claims: { groups: 1 } }] },
      { ...az, resource: 'https://h/mcp#frag' },
      { ...az, extra: true },
    ];
    for (const b of broken) {
      const c = { ...config, server: { ...config.server, authorization: JSON.parse(JSON.stringify(b)) } };
      assert.equal(check(c), false, JSON.stringify(b));
    }
  });
});

describe('probe: how get_property returns jwt_authn\'s verified payload (Envoy 1.40)', () => {
  let envoy;
  let issuer;
  const P = 'metadata|filter_metadata|envoy.filters.http.jwt_authn|jwt_payload';
  before(async () => {
    mkdirSync(TMP_ROOT, { recursive: true });
    const wasm = path.join(TMP_ROOT, 'property-probe.wasm');
    await new Promise((resolve, reject) => execFile(process.execPath, [path.join(ROOT, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), PROBE_SRC,
      '--runtime', 'incremental', '--exportStart', '_initialize', '--lib', path.join(ROOT, 'assembly', 'compat'),
      '--use', 'abort=abortProcExit', '-O3', '-o', wasm], { cwd: ROOT }, (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve())));
    issuer = await startIssuer({ audience: 'http://probe.test/mcp' });
    envoy = await startEnvoy({ configYaml: renderJwtExample({ jwksPath: issuer.jwksPath, audience: 'http://probe.test/mcp', wasmPath: wasm }) });
  });
  after(async () => {
    await envoy?.stop();
    issuer?.close();
  });

  /** get_property of each path (segments joined by `|`): { status, bytes } by path. */
  async function probe(token, paths) {
    const r = await rawRequest(envoy.url, { method: 'GET', headers: { 'x-probe': paths.join(';'), ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    assert.equal(r.status, 200, r.text);
    return Object.fromEntries(r.text.trim().split('\n').map((l) => JSON.parse(l)).map((e) => [e.path, { status: e.status, bytes: Buffer.from(e.hex, 'hex') }]));
  }
  /** proxy-wasm pairs: [key, value] entries. */
  function pairs(buf) {
    const n = buf.readUInt32LE(0);
    let at = 4 + n * 8;
    return Array.from({ length: n }, (_, i) => {
      const kl = buf.readUInt32LE(4 + i * 8);
      const vl = buf.readUInt32LE(8 + i * 8);
      const k = buf.subarray(at, at + kl).toString();
      at += kl + 1;
      const v = buf.subarray(at, at + vl);
      at += vl + 1;
      return [k, v];
    });
  }

  it('per claim path: typed by position only; null fails; the payload struct fails when it holds a null', { timeout: 30000 }, async () => {
    const token = await issuer.sign({ scope: 'a b', scp: ['x', 'y'], num: 42, flag: true, nested: { team: 'blue' }, nul: null });
    const keys = ['scope', 'scp', 'num', 'flag', 'nested', 'nul', 'missing'];
    const got = await probe(token, [...keys.map((k) => `${P}|${k}`), P, 'metadata']);
    const at = (k) => got[`${P}|${k}`];
    assert.equal(at('scope').bytes.toString(), 'a b');
    assert.deepEqual(pairs(at('scp').bytes).map(([k]) => k), ['x', 'y']);
    assert.equal(at('num').bytes.readDoubleLE(0), 42);
    assert.deepEqual([...at('flag').bytes], [1]);
    assert.deepEqual(pairs(at('nested').bytes).map(([k, v]) => [k, v.toString()]), [['team', 'blue']]);
    assert.equal(at('nul').status, 3, 'a null claim: SerializationFailure');
    assert.equal(at('missing').status, 1, 'a missing claim: NotFound');
    assert.equal(got[P].status, 3, 'the whole payload holding a null: SerializationFailure');
    // The whole metadata: the Metadata protobuf, field 1 (filter_metadata) first.
    assert.equal(got.metadata.status, 0);
    assert.equal(got.metadata.bytes[0], 0x0a);
    assert.ok(got.metadata.bytes.includes(Buffer.from('envoy.filters.http.jwt_authn')));
  });

  it('without a token, or with one that fails verification: no payload, empty metadata', { timeout: 30000 }, async () => {
    for (const token of [undefined, 'not-a-jwt', await issuer.sign({}, { exp: Math.floor(Date.now() / 1000) - 3600 })]) {
      const got = await probe(token, [P, 'metadata']);
      assert.equal(got[P].status, 1, `${token}: NotFound`);
      assert.equal(got.metadata.status, 0);
      assert.equal(got.metadata.bytes.length, 0);
    }
  });
});
