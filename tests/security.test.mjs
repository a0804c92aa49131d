// E2E: security schemes (README "Credentials: security schemes") in real Envoy, both backend
// transports, driven by the real SDK client. Real SDK backends record every request; the
// tests assert EXACTLY which credential reached the backend on every request of an exchange
// (transport http: initialize, notifications/initialized, the call, the closing DELETE;
// transport sse: the GET /sse and each POST /messages), and that the client's own credential
// reached it only where passthrough says so.
//
// The matrix (one Envoy per configuration, backends shared): upstream scheme type (http bearer,
// http basic, apiKey header, apiKey query) × downstream passthrough on/off × tool-level
// override (`tools[].security` + `tools[].requestTemplate.security`) vs server defaults ×
// transport http/sse × `server.passthroughAuthHeader`. The downstream scheme rotates over the
// four types so that each upstream type meets every downstream type (credential conversion).
// Separate suites: passthroughAuthHeader with no downstream scheme, `required: true` → 401,
// and which client headers reach a backend.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startBackend } from '../examples/backend/server.mjs';
import { startSseBackend } from '../examples/backend/sse-server.mjs';
import { postJson, startEnvoy, withEnvoyLog } from './support/envoy.mjs';
import { eventually } from './support/wait.mjs';

const TEST_TIMEOUT = 20000;
const TRANSPORTS = ['http', 'sse'];
const TYPES = ['bearer', 'basic', 'key', 'query'];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');
const rpc = (id, method, params) => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
const urlOf = (r) => r.url ?? r.path;

// ---------------------------------------------------------------------------------------------
// Schemes. Client* are what the client presents (downstream); Back* what backends get (upstream).

const SCHEMES = [
  { id: 'ClientBearer', type: 'http', scheme: 'bearer' },
  { id: 'ClientBasic', type: 'http', scheme: 'basic' },
  { id: 'ClientKey', type: 'apiKey', in: 'header', name: 'X-Client-Key' },
  { id: 'ClientQuery', type: 'apiKey', in: 'query', name: 'client_key' },
  { id: 'BackBearer', type: 'http', scheme: 'bearer', defaultCredential: 'bb-default' },
  { id: 'BackBasic', type: 'http', scheme: 'basic', defaultCredential: 'svc:s3cret' },
  { id: 'BackKey', type: 'apiKey', in: 'header', name: 'x-api-key', defaultCredential: 'bk-default' },
  { id: 'BackQuery', type: 'apiKey', in: 'query', name: 'api_key', defaultCredential: 'bq default&x=1/é' },
  { id: 'BackOther', type: 'apiKey', in: 'header', name: 'x-default-key', defaultCredential: 'other-default' },
];
const SCHEME = Object.fromEntries(SCHEMES.map((s) => [s.id, s]));
const DOWN_ID = { bearer: 'ClientBearer', basic: 'ClientBasic', key: 'ClientKey', query: 'ClientQuery' };
const UP_ID = { bearer: 'BackBearer', basic: 'BackBasic', key: 'BackKey', query: 'BackQuery' };
/**
 * Upstream requirements' `credential` (when a case sets one): a bearer token that already
 * carries its `Bearer ` prefix (must not be doubled), an already-base64 Basic token (kept as
 * is), and a query value that needs percent-encoding.
 */
const CONF_CRED = { bearer: 'Bearer bb-conf', basic: 'dXNlcjpwYXNz', key: 'bk-conf', query: 'bq conf+1&y=2' };

/** Every header and query parameter a credential could travel in, in these tests. */
const CRED_HEADERS = ['authorization', 'x-api-key', 'x-client-key', 'x-default-key'];
const CRED_QUERY = ['api_key', 'client_key'];

/** Headers a dispatched backend call may carry (built by the gateway or added by Envoy). */
const DISPATCH_HEADERS = new Set([
  'host', 'content-type', 'accept', 'content-length', 'mcp-session-id', 'mcp-protocol-version', 'mcp-method', 'mcp-name',
  'x-envoy-internal', 'x-envoy-expected-rq-timeout-ms', 'x-forwarded-proto', 'x-request-id',
]);

/** A credential written in `scheme`'s form: {header: [name, value]} | {query: [name, value]} | null. */
function render(scheme, c) {
  if (!c) return null;
  if (scheme.type === 'apiKey') {
    return scheme.in === 'query' ? { query: [scheme.name, c] } : { header: [scheme.name.toLowerCase(), c] };
  }
  if (scheme.scheme === 'basic') {
    const t = /^basic /i.test(c) ? c.slice(6).trim() : c;
    return { header: ['authorization', `Basic ${t.includes(':') ? b64(t) : t}`] };
  }
  const t = /^bearer /i.test(c) ? c.slice(7).trim() : c;
  return { header: ['authorization', `Bearer ${t}`] };
}

/** README rule "Backend side": what one backend request must carry, given the requirements. */
function backendCredential(down, up, clientValue) {
  const passthrough = !!down && down.passthrough && clientValue !== '';
  if (up) {
    const c = passthrough ? clientValue : (up.credential || SCHEME[up.id].defaultCredential || '');
    return render(SCHEME[up.id], c);
  }
  if (passthrough) return render(SCHEME[down.id], clientValue);
  return null;
}

/**
 * The client's credential for a downstream type, unique per case number n: the SDK client's
 * headers, the query to add to the gateway URL, the value the gateway extracts, and every
 * form of the secret that must not reach a backend unless passthrough puts it there.
 */
function clientCredential(type, n) {
  switch (type) {
    case 'bearer': {
      const v = `cb${n}-tok.en_~`;
      return { headers: { authorization: `Bearer ${v}` }, query: '', value: v, secrets: [v] };
    }
    case 'basic': {
      const user = `alice${n}`;
      const pair = `${user}:pw:${n}`;
      const token = b64(pair);
      return { headers: { authorization: `Basic ${token}` }, query: '', value: token, secrets: [token, pair, user, b64(token)] };
    }
    case 'key': {
      const v = `ck${n}-Key/+=`;
      return { headers: { 'x-client-key': v }, query: '', value: v, secrets: [v, encodeURIComponent(v), b64(v)] };
    }
    case 'query': {
      const v = `cq${n}:s3c r&t=/+`;
      return { headers: {}, query: `client_key=${encodeURIComponent(v)}`, value: v, secrets: [v, encodeURIComponent(v), b64(v), `cq${n}`] };
    }
    default: throw new Error(type);
  }
}

/** An SDK client on `url`; `headers` on every request; `query` appended to the URL. */
async function connect(url, { headers, query } = {}) {
  const client = new Client({ name: 'security-e2e', version: '1.0.0' });
  const u = new URL(url);
  if (query) u.search = query;
  const transport = new StreamableHTTPClientTransport(u, headers ? { requestInit: { headers } } : undefined);
  await client.connect(transport);
  return client;
}

/**
 * The backend requests of one exchange that started at index `from`, checked for shape:
 * transport http → (POST server/discover, the era probe of a backend's first exchange), POST initialize, POST notifications/initialized, POST <method>, DELETE (the
 * gateway ends the stateful backend session after replying; waited for); transport sse → one
 * GET /sse and three POSTs to /messages.
 */
async function exchangeRecords(transport, backend, from, method) {
  if (transport === 'http') {
    await eventually(() => backend.requests.slice(from).some((r) => r.method === 'DELETE'));
    await sleep(10);
    const recs = backend.requests.slice(from);
    // The first exchange with a backend probes its era once (server/discover), with the same
    // credentials as every other backend request.
    const seq = recs.map((r) => (r.method === 'POST' ? r.body?.method : r.method));
    assert.deepEqual(seq[0] === 'server/discover' ? seq.slice(1) : seq,
      ['initialize', 'notifications/initialized', method, 'DELETE'],
      `backend requests: ${recs.map((r) => `${r.method} ${urlOf(r)}`).join(', ')}`);
    return recs;
  }
  await eventually(() => backend.requests.length - from >= 4);
  await sleep(10);
  const recs = backend.requests.slice(from);
  assert.deepEqual(recs.map((r) => `${r.method} ${new URL(urlOf(r), 'http://x').pathname}`),
    ['GET /sse', 'POST /messages', 'POST /messages', 'POST /messages'],
    `backend requests: ${recs.map((r) => `${r.method} ${urlOf(r)}`).join(', ')}`);
  return recs;
}

/**
 * Asserts one recorded backend request carries exactly `expected` in the credential slots:
 * expected.headers {name: value} (every other CRED_HEADERS name absent) and expected.query
 * {name: value} (every other CRED_QUERY name absent; present exactly once, percent-encoded),
 * and that no string of `secrets` appears anywhere else (any header value, the URL).
 */
function assertCredentialSlots(rec, expected, secrets, where) {
  const label = `${where}: ${rec.method} ${urlOf(rec)} ${JSON.stringify(rec.headers)}`;
  for (const h of CRED_HEADERS) {
    assert.equal(rec.headers[h], expected.headers[h], `header ${h} — ${label}`);
  }
  const u = new URL(urlOf(rec), 'http://backend');
  for (const q of CRED_QUERY) {
    const want = expected.query[q];
    assert.deepEqual(u.searchParams.getAll(q), want === undefined ? [] : [want], `query ${q} — ${label}`);
    if (want !== undefined) {
      assert.ok(urlOf(rec).includes(`${q}=${encodeURIComponent(want)}`), `query ${q} percent-encoded as ${encodeURIComponent(want)} — ${label}`);
    }
  }
  for (const q of Object.keys(expected.query)) u.searchParams.delete(q);
  const hay = [u.pathname, u.search, safeDecode(u.search)];
  for (const [name, value] of Object.entries(rec.headers)) {
    if (expected.headers[name] !== undefined) continue; // asserted exactly above
    hay.push(`${name}: ${Array.isArray(value) ? value.join(', ') : value}`);
  }
  for (const s of secrets) {
    for (const text of hay) {
      assert.ok(!text.includes(s), `client secret ${JSON.stringify(s)} leaked in ${JSON.stringify(text)} — ${label}`);
    }
  }
}

function safeDecode(s) {
  try { return decodeURIComponent(s); } catch { return s; }
}

/** `render()` output → the {headers, query} maps assertCredentialSlots wants. */
function slots(...rendered) {
  const out = { headers: {}, query: {} };
  for (const r of rendered) {
    if (!r) continue;
    if (r.header) out.headers[r.header[0]] = r.header[1];
    if (r.query) out.query[r.query[0]] = r.query[1];
  }
  return out;
}

/** Asserts a dispatched call carries no client header: only DISPATCH_HEADERS + credentials. */
function assertOnlyGatewayHeaders(rec, expected, where) {
  for (const name of Object.keys(rec.headers)) {
    assert.ok(DISPATCH_HEADERS.has(name) || expected.headers[name] !== undefined,
      `${where}: dispatched ${rec.method} ${urlOf(rec)} carries header ${name}: ${rec.headers[name]} (not the gateway's)`);
  }
}

/** Shared backends for the whole file (one of each transport), started before the suites are
 * declared so that configurations can name their URLs. */
const backends = { http: await startBackend(), sse: await startSseBackend() };
after(async () => {
  await backends.http?.close();
  await backends.sse?.close();
});

/** Plugin config for a transport, with `server` fields merged in. */
function baseConfig(transport, server = {}, top = {}) {
  const backend = backends[transport];
  return {
    server: {
      // No kept backend sessions: every exchange does its handshake and its DELETE, so that
      // every kind of backend request is checked for its credential (tests/reuse.test.mjs
      // covers kept sessions and their credentials).
      name: 'secure', type: 'mcp-proxy', transport, mcpServerURL: backend.url, timeout: 5000,
      ...(transport === 'http' ? { backendSessionIdleTimeout: 0 } : {}),
      securitySchemes: SCHEMES, ...server,
    },
    ...top,
  };
}

function startGateway(transport, config) {
  return startEnvoy({ pluginConfig: config, backendPort: backends[transport].port });
}

/**
 * Hooks of a describe: ctx.envoy, a gateway for `config`, and ctx.client, an SDK client on it
 * (`clientOpts` as for connect), both closed after the suite.
 */
function gatewayWithClient(ctx, transport, config, clientOpts) {
  before(async () => {
    ctx.envoy = await startGateway(transport, config);
    ctx.client = await connect(ctx.envoy.url, clientOpts);
  });
  after(async () => {
    await ctx.client?.close().catch(() => {});
    await ctx.envoy?.stop();
  });
}

// ---------------------------------------------------------------------------------------------
// The matrix.

const cases = [];
{
  let n = 0;
  for (const transport of TRANSPORTS) {
    for (let ti = 0; ti < TYPES.length; ti++) {
      for (const passthrough of [false, true]) {
        for (const override of [false, true]) {
          for (const pah of [false, true]) {
            n++;
            cases.push({
              n, transport, passthrough, override, pah,
              up: TYPES[ti],
              down: TYPES[(ti + (override ? 1 : 0) + (pah ? 2 : 0)) % 4],
              withCred: (ti + (passthrough ? 1 : 0) + (override ? 1 : 0)) % 2 === 0,
              required: (ti + (pah ? 1 : 0)) % 2 === 1,
            });
          }
        }
      }
    }
  }
}

/**
 * The plugin configuration of a case and the requirement model the tests expect:
 * reqs(tool) → {down, up} for a tools/call of `tool` ('' for tools/list).
 *  - defaults: server defaults = (Client<down>, passthrough, required) → Back<up>; tool `add`
 *    overrides with the opposite passthrough → BackOther (so its settings must not leak to echo).
 *  - override: tool `echo` carries (Client<down>, passthrough, required) → Back<up>; the server
 *    defaults are the opposite passthrough → BackOther with credential "other-conf".
 */
function caseConfig(c) {
  const main = {
    down: { id: DOWN_ID[c.down], passthrough: c.passthrough, required: c.required },
    up: { id: UP_ID[c.up], ...(c.withCred ? { credential: CONF_CRED[c.up] } : {}) },
  };
  const server = { passthroughAuthHeader: c.pah };
  let tools;
  let reqs;
  if (!c.override) {
    const other = { down: { id: DOWN_ID[c.down], passthrough: !c.passthrough }, up: { id: 'BackOther' } };
    server.defaultDownstreamSecurity = main.down;
    server.defaultUpstreamSecurity = main.up;
    tools = [
      { name: 'add', security: other.down, requestTemplate: { security: other.up } },
      { name: 'weather', description: 'no security override' },
    ];
    reqs = (tool) => (tool === 'add' ? other : main);
  } else {
    const other = { down: { id: DOWN_ID[c.down], passthrough: !c.passthrough, required: false }, up: { id: 'BackOther', credential: 'other-conf' } };
    server.defaultDownstreamSecurity = other.down;
    server.defaultUpstreamSecurity = other.up;
    tools = [{ name: 'echo', security: main.down, requestTemplate: { security: main.up } }];
    reqs = (tool) => (tool === 'echo' ? main : other);
  }
  return { config: baseConfig(c.transport, server, { tools }), reqs };
}

function caseTitle(c) {
  return `security matrix [${c.transport}] #${c.n}: client ${DOWN_ID[c.down]} (passthrough ${c.passthrough ? 'on' : 'off'}`
    + `${c.required ? ', required' : ''}) → backend ${UP_ID[c.up]}${c.withCred ? ' (credential set)' : ' (defaultCredential)'}`
    + `, ${c.override ? 'tool-level override on echo' : 'server defaults'}, passthroughAuthHeader ${c.pah}`;
}

for (const c of cases) {
  describe(caseTitle(c), () => {
    const ctx = {};
    const { config, reqs } = caseConfig(c);
    const cred = clientCredential(c.down, c.n);
    // A client whose credential is not in Authorization also sends a stray Authorization.
    const stray = c.down === 'key' || c.down === 'query' ? `stray-${c.n}-authz` : '';
    const headers = { ...cred.headers, ...(stray ? { authorization: `Bearer ${stray}` } : {}) };
    const backend = () => backends[c.transport];
    before(async () => {
      ctx.envoy = await startGateway(c.transport, config);
      const from = backend().requests.length;
      ctx.client = await connect(ctx.envoy.url, { headers, query: cred.query });
      ctx.connectRequests = backend().requests.length - from;
    });
    after(async () => {
      await ctx.client?.close().catch(() => {});
      await ctx.envoy?.stop();
    });
    const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, async () => {
      try {
        await fn();
      } catch (err) {
        err.message = `${err.message}\nplugin config: ${JSON.stringify(config)}\nclient headers: ${JSON.stringify(headers)} query: ${cred.query}`;
        throw err;
      }
    }));

    /** Expected credential slots of one backend request of a `tool` exchange ('' = tools/list). */
    function expectedFor(tool, rec) {
      const { down, up } = reqs(tool);
      const e = slots(backendCredential(down, up, cred.value));
      // README header rule: a client Authorization that is no downstream credential reaches
      // every backend request (dispatched calls and the SSE GET) only with
      // passthroughAuthHeader true, and a scheme writing Authorization replaces it.
      if (stray && c.pah && e.headers.authorization === undefined) {
        e.headers.authorization = `Bearer ${stray}`;
      }
      return e;
    }

    async function exchange(tool, call) {
      const from = backend().requests.length;
      const result = await call();
      const recs = await exchangeRecords(c.transport, backend(), from, tool ? 'tools/call' : 'tools/list');
      recs.forEach((rec, i) => {
        const e = expectedFor(tool, rec);
        const where = `${tool || 'tools/list'} request #${i}`;
        assertCredentialSlots(rec, e, [...cred.secrets, ...(stray && !Object.values(e.headers).includes(`Bearer ${stray}`) ? [stray] : [])], where);
        const dispatched = c.transport === 'http' || rec.method === 'POST';
        if (dispatched) assertOnlyGatewayHeaders(rec, e, where);
      });
      return result;
    }

    test('connecting (initialize, initialized, GET) contacts no backend', async () => {
      assert.equal(ctx.connectRequests, 0);
    });

    test(`tools/call echo: ${c.override ? 'the tool\'s own requirements' : 'the server defaults'} decide the backend credential`, async () => {
      const result = await exchange('echo', () => ctx.client.callTool({ name: 'echo', arguments: { text: `hi ${c.n}` } }));
      assert.deepEqual(result.content, [{ type: 'text', text: `hi ${c.n}` }]);
    });

    test(`tools/call add: ${c.override ? 'the server defaults (no override on add)' : 'add\'s own override'}`, async () => {
      const result = await exchange('add', () => ctx.client.callTool({ name: 'add', arguments: { a: 1, b: c.n } }));
      assert.deepEqual(result.content, [{ type: 'text', text: String(1 + c.n) }]);
    });

    test('tools/list: the server defaults', async () => {
      const result = await exchange('', () => ctx.client.listTools());
      assert.ok(result.tools.some((t) => t.name === 'echo'));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// passthroughAuthHeader with no downstream scheme: the client's Authorization reaches every
// backend request only when true (and a scheme writing Authorization replaces it).

for (const transport of TRANSPORTS) {
  for (const upType of ['none', 'key', 'bearer']) {
    for (const pah of [false, true]) {
      const up = upType === 'none' ? null : { id: UP_ID[upType] };
      describe(`passthroughAuthHeader ${pah} [${transport}], no downstream scheme, upstream ${up ? up.id : 'none'}`, () => {
        const ctx = {};
        const secret = `cli-${transport}-${upType}-${pah}-token`;
        const config = baseConfig(transport, { passthroughAuthHeader: pah, ...(up ? { defaultUpstreamSecurity: up } : {}) });
        gatewayWithClient(ctx, transport, config, { headers: { authorization: `Bearer ${secret}` } });
        for (const tool of ['echo', '']) {
          it(`${tool ? 'tools/call echo' : 'tools/list'}: the client Authorization ${pah && upType !== 'bearer' ? 'reaches' : 'never reaches'} the backend`, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, async () => {
            const backend = backends[transport];
            const from = backend.requests.length;
            if (tool) await ctx.client.callTool({ name: 'echo', arguments: { text: 'x' } });
            else await ctx.client.listTools();
            const recs = await exchangeRecords(transport, backend, from, tool ? 'tools/call' : 'tools/list');
            const e = slots(pah ? { header: ['authorization', `Bearer ${secret}`] } : null, up ? render(SCHEME[up.id], SCHEME[up.id].defaultCredential) : null);
            const passed = e.headers.authorization === `Bearer ${secret}`;
            recs.forEach((rec, i) => {
              assertCredentialSlots(rec, e, passed ? [] : [secret], `request #${i}`);
              if (transport === 'http' || rec.method === 'POST') assertOnlyGatewayHeaders(rec, e, `request #${i}`);
            });
          }));
        }
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// passthrough without a client credential (not required): the configured credential is used;
// with no upstream scheme, nothing is sent.

for (const transport of TRANSPORTS) {
  describe(`passthrough on, client sends no credential [${transport}]`, () => {
    const ctx = {};
    const config = baseConfig(transport, {
      defaultDownstreamSecurity: { id: 'ClientBearer', passthrough: true },
      defaultUpstreamSecurity: { id: 'BackKey', credential: 'bk-fallback' },
    }, {
      tools: [{ name: 'add', security: { id: 'ClientKey', passthrough: true }, requestTemplate: { security: { id: 'BackQuery', credential: 'q fallback' } } },
        { name: 'image', security: { id: 'ClientQuery', passthrough: true } }],
    });
    gatewayWithClient(ctx, transport, config);
    for (const [tool, args, expected] of [
      ['echo', { text: 'x' }, slots({ header: ['x-api-key', 'bk-fallback'] })],
      ['add', { a: 1, b: 2 }, slots({ query: ['api_key', 'q fallback'] })],
      // No upstream override on image: the server default (BackKey) applies.
      ['image', {}, slots({ header: ['x-api-key', 'bk-fallback'] })],
    ]) {
      it(`tools/call ${tool}: the backend gets ${JSON.stringify(expected)}`, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, async () => {
        const backend = backends[transport];
        const from = backend.requests.length;
        await ctx.client.callTool({ name: tool, arguments: args });
        const recs = await exchangeRecords(transport, backend, from, 'tools/call');
        recs.forEach((rec, i) => assertCredentialSlots(rec, expected, [], `request #${i}`));
      }));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// required: true without the credential → 401 + WWW-Authenticate + JSON-RPC -32001, no backend.

const CHALLENGE = {
  bearer: 'Bearer realm="mcp"',
  basic: 'Basic realm="mcp"',
  key: 'ApiKey realm="mcp", in="header", name="X-Client-Key"',
  query: 'ApiKey realm="mcp", in="query", name="client_key"',
};

/** Credentials that are not the required one: wrong scheme, wrong place, empty. */
const NOT_THE_CREDENTIAL = {
  bearer: [{ headers: { authorization: 'Basic Zm9vOmJhcg==' } }, { headers: { authorization: 'Bearer ' } }, { headers: { authorization: 'Bearer' } }, { headers: { 'x-client-key': 'k' } }],
  basic: [{ headers: { authorization: 'Bearer abc' } }, { headers: { authorization: 'Basic ' } }, { query: 'client_key=abc' }],
  key: [{ headers: { 'x-client-key': '' } }, { headers: { 'x-api-key': 'abc', authorization: 'Bearer abc' } }, { query: 'x-client-key=abc' }],
  query: [{ query: 'client_key=' }, { query: 'client_keyx=abc&other=1' }, { headers: { client_key: 'abc', authorization: 'Bearer abc' } }],
};

/** Asserts a raw reply is the 401 the README describes, for JSON-RPC id `id`. */
function assert401(reply, challenge, id) {
  assert.equal(reply.status, 401, `HTTP ${reply.status}: ${reply.text}`);
  assert.equal(reply.headers['www-authenticate'], challenge);
  assert.match(reply.headers['content-type'] ?? '', /^application\/json/);
  assert.ok(reply.json, `body is not JSON: ${reply.text}`);
  assert.equal(reply.json.jsonrpc, '2.0');
  assert.deepEqual(reply.json.id, id);
  assert.equal(reply.json.error?.code, -32001, reply.text);
  assert.equal(typeof reply.json.error?.message, 'string');
}

/** POSTs `body` to the gateway with `headers` and the URL query `query`. */
function post(envoy, body, { headers = {}, query = '' } = {}) {
  return postJson(`${envoy.url}${query ? `?${query}` : ''}`, body, headers);
}

/** Asserts the SDK client's promise rejects with the transport's HTTP 401 error. */
async function assertSdk401(promise) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, 401, `expected an HTTP 401 error, got ${err.code}: ${err.message}`);
    assert.match(err.message, /-32001/);
    return true;
  });
}

for (const transport of TRANSPORTS) {
  for (const type of TYPES) {
    describe(`required ${DOWN_ID[type]} [${transport}]: a request without it gets 401 and contacts no backend`, () => {
      const ctx = {};
      const config = baseConfig(transport, {
        defaultDownstreamSecurity: { id: DOWN_ID[type], required: true },
        defaultUpstreamSecurity: { id: 'BackKey' },
      });
      const good = clientCredential(type, 900);
      before(async () => { ctx.envoy = await startGateway(transport, config); });
      after(async () => { await ctx.envoy?.stop(); });
      const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, fn));
      const backend = () => backends[transport];

      for (const [i, msg] of [
        rpc(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } }),
        rpc('two', 'tools/list'),
        rpc(3, 'tools/call', { name: 'echo', arguments: { text: 'x' } }),
        rpc(4, 'ping'),
      ].entries()) {
        test(`${msg.method} without any credential → 401 ${CHALLENGE[type]}`, async () => {
          const from = backend().requests.length;
          assert401(await post(ctx.envoy, msg), CHALLENGE[type], msg.id);
          await sleep(i === 0 ? 150 : 20);
          assert.equal(backend().requests.length, from, 'no backend request');
        });
      }

      for (const [i, wrong] of NOT_THE_CREDENTIAL[type].entries()) {
        test(`tools/call with something that is not the credential (${JSON.stringify(wrong)}) → 401`, async () => {
          const from = backend().requests.length;
          assert401(await post(ctx.envoy, rpc(10 + i, 'tools/call', { name: 'echo', arguments: { text: 'x' } }), wrong), CHALLENGE[type], 10 + i);
          await sleep(50);
          assert.equal(backend().requests.length, from, 'no backend request');
        });
      }

      test('the SDK client without the credential: connect fails with HTTP 401', async () => {
        const from = backend().requests.length;
        await assertSdk401(connect(ctx.envoy.url));
        assert.equal(backend().requests.length, from, 'no backend request');
      });

      test('with the credential the same requests succeed (and the backend gets x-api-key, not the client credential)', async () => {
        const client = await connect(ctx.envoy.url, { headers: good.headers, query: good.query });
        try {
          const from = backend().requests.length;
          const result = await client.callTool({ name: 'echo', arguments: { text: 'ok' } });
          assert.deepEqual(result.content, [{ type: 'text', text: 'ok' }]);
          const recs = await exchangeRecords(transport, backend(), from, 'tools/call');
          for (const rec of recs) assertCredentialSlots(rec, slots({ header: ['x-api-key', 'bk-default'] }), good.secrets, 'with credential');
        } finally {
          await client.close().catch(() => {});
        }
      });
    });
  }

  describe(`tool-level required credentials [${transport}]: only the tools that require one are refused`, () => {
    const ctx = {};
    const toolFor = { bearer: 'echo', basic: 'image', key: 'add', query: 'weather' };
    const args = { echo: { text: 'x' }, image: {}, add: { a: 1, b: 2 }, weather: { city: 'Oslo' } };
    const config = baseConfig(transport, {}, {
      tools: TYPES.map((t) => ({ name: toolFor[t], security: { id: DOWN_ID[t], required: true } })),
    });
    gatewayWithClient(ctx, transport, config);
    const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, fn));
    const backend = () => backends[transport];

    test('initialize and tools/list need no credential', async () => {
      const from = backend().requests.length;
      const { tools } = await ctx.client.listTools();
      assert.ok(tools.length > 4);
      await exchangeRecords(transport, backend(), from, 'tools/list');
    });

    test('a tool without a requirement (fail) is called without a credential', async () => {
      const from = backend().requests.length;
      const result = await ctx.client.callTool({ name: 'fail', arguments: {} });
      assert.equal(result.isError, true);
      await exchangeRecords(transport, backend(), from, 'tools/call');
    });

    for (const type of TYPES) {
      const tool = toolFor[type];
      test(`tools/call ${tool} (requires ${DOWN_ID[type]}) without it → 401 ${CHALLENGE[type]}, SDK error, no backend request`, async () => {
        const from = backend().requests.length;
        assert401(await post(ctx.envoy, rpc(`c-${tool}`, 'tools/call', { name: tool, arguments: args[tool] })), CHALLENGE[type], `c-${tool}`);
        await assertSdk401(ctx.client.callTool({ name: tool, arguments: args[tool] }));
        await sleep(50);
        assert.equal(backend().requests.length, from, 'no backend request');
      });

      test(`tools/call ${tool} with ${DOWN_ID[type]} succeeds`, async () => {
        const good = clientCredential(type, 950);
        const from = backend().requests.length;
        const reply = await post(ctx.envoy, rpc(5, 'tools/call', { name: tool, arguments: args[tool] }), good);
        assert.equal(reply.status, 200, reply.text);
        assert.ok(reply.json?.result, reply.text);
        // No upstream scheme and no passthrough: the client's credential reaches no backend.
        const recs = await exchangeRecords(transport, backend(), from, 'tools/call');
        for (const rec of recs) assertCredentialSlots(rec, slots(), good.secrets, 'with credential');
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Which client headers reach a backend (README: dispatched calls carry none; the SSE GET carries
// the client's ordinary headers minus a listed few).

for (const transport of TRANSPORTS) {
  describe(`client headers [${transport}]`, () => {
    const ctx = {};
    before(async () => { ctx.envoy = await startGateway(transport, baseConfig(transport)); });
    after(async () => { await ctx.envoy?.stop(); });
    const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, fn));
    const backend = () => backends[transport];
    const sdkHeaders = {
      'x-custom': '1', cookie: 'a=b', 'x-envoy-allow-mcp-tools': 'echo', connection: 'keep-alive',
      'x-forwarded-for': '203.0.113.9', 'user-agent': 'secret-agent/1.0', authorization: 'Bearer header-rule-secret',
    };
    const rawHeaders = {
      'x-custom': '1', cookie: 'a=b', 'x-envoy-allow-mcp-tools': 'echo, add', connection: 'keep-alive, x-hop',
      'x-hop': 'hop', 'keep-alive': 'timeout=5', 'proxy-connection': 'keep-alive', 'mcp-session-id': 'client-session-id',
      // A version the gateway speaks (an unknown one gets 400 -32022): the gateway sends the
      // backend the version the backend negotiated, which may equal it, so it is not compared.
      'mcp-protocol-version': '2025-03-26', 'user-agent': 'secret-agent/1.0',
    };

    /** The client's content-length never reaches the GET (absent, or 0 for an empty body). */
    const assertNoClientContentLength = (get) => {
      const cl = get.headers['content-length'];
      assert.ok(cl === undefined || cl === '0', `GET carries content-length: ${cl}`);
    };

    /** Headers of `rec` that came from the client (by name and the client's value). */
    const fromClient = (rec, sent) => Object.keys(sent).filter((h) => h !== 'mcp-protocol-version' && rec.headers[h] !== undefined && rec.headers[h] === sent[h]);

    async function run(call) {
      const from = backend().requests.length;
      await call();
      return exchangeRecords(transport, backend(), from, 'tools/call');
    }

    if (transport === 'http') {
      for (const [how, sent] of [['SDK client', sdkHeaders], ['raw request', rawHeaders]]) {
        test(`${how}: no client header reaches any dispatched backend call`, async () => {
          const recs = await run(async () => {
            if (how === 'SDK client') {
              const client = await connect(ctx.envoy.url, { headers: sent });
              try { await client.callTool({ name: 'echo', arguments: { text: 'h' } }); } finally { await client.close().catch(() => {}); }
            } else {
              const reply = await postJson(ctx.envoy.url, rpc(1, 'tools/call', { name: 'echo', arguments: { text: 'h' } }), sent);
              assert.equal(reply.status, 200, reply.text);
              assert.ok(reply.json?.result, reply.text);
            }
          });
          recs.forEach((rec, i) => {
            assertOnlyGatewayHeaders(rec, slots(), `request #${i}`);
            assert.deepEqual(fromClient(rec, sent), [], `request #${i} carries client headers`);
            const sid = rec.headers['mcp-session-id'];
            if (sid !== undefined) assert.ok(backends.http.issuedSessionIds.has(sid), `mcp-session-id ${sid} is the backend's own`);
          });
          assert.equal(recs[0].headers['mcp-session-id'], undefined, 'initialize carries no session id');
        });
      }
    } else {
      test('SDK client: the GET carries x-custom and cookie; never the allow header, content-length, mcp-* headers, Authorization; the POSTs carry no client header', async () => {
        const recs = await run(async () => {
          const client = await connect(ctx.envoy.url, { headers: sdkHeaders });
          try { await client.callTool({ name: 'echo', arguments: { text: 'h' } }); } finally { await client.close().catch(() => {}); }
        });
        const [get, ...posts] = recs;
        // Document-as-tested: ordinary client headers go through on the SSE GET.
        assert.equal(get.headers['x-custom'], '1');
        assert.equal(get.headers.cookie, 'a=b');
        assert.equal(get.headers['user-agent'], 'secret-agent/1.0');
        for (const h of ['x-envoy-allow-mcp-tools', 'content-type', 'mcp-session-id', 'mcp-protocol-version', 'authorization']) {
          assert.equal(get.headers[h], undefined, `GET carries ${h}: ${get.headers[h]}`);
        }
        assertNoClientContentLength(get);
        assert.equal(get.headers.accept, 'text/event-stream');
        posts.forEach((rec, i) => {
          assertOnlyGatewayHeaders(rec, slots(), `POST #${i}`);
          assert.deepEqual(fromClient(rec, sdkHeaders), [], `POST #${i} carries client headers`);
        });
      });

      test('raw request: hop-by-hop, content-length, mcp-session-id, mcp-protocol-version and the allow header never reach the GET; the POSTs carry no client header', async () => {
        const recs = await run(async () => {
          const reply = await postJson(ctx.envoy.url, rpc(1, 'tools/call', { name: 'echo', arguments: { text: 'h' } }), rawHeaders);
          assert.equal(reply.status, 200, reply.text);
          assert.ok(reply.json?.result, reply.text);
        });
        const [get, ...posts] = recs;
        assert.equal(get.headers['x-custom'], '1');
        for (const h of ['x-envoy-allow-mcp-tools', 'content-type', 'mcp-session-id', 'mcp-protocol-version',
          'keep-alive', 'proxy-connection', 'x-hop']) {
          assert.equal(get.headers[h], undefined, `GET carries ${h}: ${get.headers[h]}`);
        }
        assertNoClientContentLength(get);
        assert.ok(!/x-hop/i.test(get.headers.connection ?? ''), `GET carries connection: ${get.headers.connection}`);
        posts.forEach((rec, i) => {
          assertOnlyGatewayHeaders(rec, slots(), `POST #${i}`);
          assert.deepEqual(fromClient(rec, rawHeaders), [], `POST #${i} carries client headers`);
        });
      });

      // README: the GET loses content-length and transfer-encoding; it is a GET without a body.
      // (Envoy frames a forwarded request that still has a body stream — even an empty one —
      // as chunked when it has no content-length.)
      test('the GET carries no body framing: no transfer-encoding, content-length absent or 0', async () => {
        const recs = await run(async () => {
          const reply = await postJson(ctx.envoy.url, rpc(1, 'tools/call', { name: 'echo', arguments: { text: 'h' } }));
          assert.equal(reply.status, 200, reply.text);
        });
        const get = recs[0];
        assertNoClientContentLength(get);
        assert.equal(get.headers['transfer-encoding'], undefined, `the GET /sse arrives with transfer-encoding: ${get.headers['transfer-encoding']}`);
      });
    }
  });
}
