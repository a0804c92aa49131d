// E2E: the gateway's terminating mode (Higress `mcp-proxy` compatible) in real Envoy, driven
// by the real MCP SDK client, in front of real SDK servers and deliberately broken backends.
// The gateway answers initialize/ping/notifications itself and runs a fresh backend session
// (initialize → notifications/initialized → call) for each tools/list and tools/call.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ALL_TOOLS, TINY_PNG_BASE64, startBackend } from '../examples/backend/server.mjs';
import {
  closedPort, initializeResult, rpcError, rpcResult, startErrorBackend, startGarbageBackend,
  startHangingBackend, startMinimalBackend, startResetBackend, startScriptedBackend,
  startVersionRejectingBackend,
} from './support/backends.mjs';
import { postJson, rawRequest, startEnvoy, withEnvoyLog } from './support/envoy.mjs';
import { eventually } from './support/wait.mjs';

const SERVER_NAME = 'demo-server';
const TEST_TIMEOUT = 20000;
const KNOWN_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];
const LATEST_VERSION = '2025-11-25';
const BACKEND_FAILED = /backend (discover|initialize|notification|call) failed/;

/** Higress-style plugin config for a backend on 127.0.0.1:port. */
function pluginConfig(port, { server = {}, ...top } = {}) {
  return {
    server: {
      name: SERVER_NAME, type: 'mcp-proxy', transport: 'http',
      mcpServerURL: `http://127.0.0.1:${port}/mcp`, timeout: 5000, ...server,
    },
    ...top,
  };
}

/** Starts Envoy in front of backend with the given config overrides. */
function startGateway(backend, overrides) {
  return startEnvoy({ pluginConfig: pluginConfig(backend.port, overrides), backendPort: backend.port });
}

/** An SDK client connected to the gateway; `headers` go on every request. */
async function connect(url, headers) {
  const client = new Client({ name: 'e2e-client', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), headers ? { requestInit: { headers } } : undefined);
  await client.connect(transport);
  return client;
}

/** Every tool name across all tools/list pages, and the number of pages. */
async function listAllTools(client) {
  const names = [];
  let pages = 0;
  let cursor;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor });
    pages++;
    names.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
    assert.ok(pages <= 50, 'pagination does not end');
  } while (cursor !== undefined);
  return { names, pages };
}

/** Asserts that promise rejects with a JSON-RPC error of the given code (and message). */
async function assertRpcError(promise, code, messageRe) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `expected JSON-RPC error ${code}, got ${err.code}: ${err.message}`);
    if (messageRe) assert.match(err.message, messageRe);
    return true;
  });
}

/**
 * Asserts a raw reply is an application/json JSON-RPC error with the given code and the HTTP
 * status the README gives it: 400 for -32700 and -32600 (a request that is no valid
 * JSON-RPC), 200 for every other error (a JSON-RPC answer to a valid request).
 */
function assertRawRpcError(reply, code, status = [-32700, -32600].includes(code) ? 400 : 200) {
  assert.equal(reply.status, status, `expected HTTP ${status} for ${code}, got ${reply.status}: ${reply.text}`);
  assert.match(reply.headers['content-type'] ?? '', /^application\/json/);
  assert.ok(reply.json, `reply is not JSON: ${JSON.stringify(reply.text)}`);
  assert.equal(reply.json.jsonrpc, '2.0');
  assert.equal(reply.json.error?.code, code, `expected error ${code}, got ${reply.text}`);
}

/** Asserts a raw reply is HTTP 200 application/json. */
function assertJsonReply(reply) {
  assert.equal(reply.status, 200, `HTTP ${reply.status}: ${reply.text}`);
  assert.match(reply.headers['content-type'] ?? '', /^application\/json/);
  assert.ok(reply.json, `reply is not JSON: ${JSON.stringify(reply.text)}`);
}

const sorted = (a) => [...a].sort();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const rpc = (id, method, params) => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });

/** JSON-RPC methods POSTed to the backend since index `from` (a gateway may also DELETE its
 * backend session once done; that arrives asynchronously and is not counted here). */
const postsSince = (backend, from) => backend.requests.slice(from).filter((r) => r.method === 'POST');
const methodsSince = (backend, from) => postsSince(backend, from).map((r) => r.body?.method);

/**
 * A describe block with one backend + Envoy (+ connected client) shared by its tests.
 * `t.test(name, fn)` wraps fn so that a failure carries Envoy's log.
 */
function withGatewaySuite(name, { backend: makeBackend, config, headers }, body) {
  describe(name, () => {
    const ctx = {};
    before(async () => {
      ctx.backend = await makeBackend();
      ctx.envoy = await startGateway(ctx.backend, config);
      ctx.client = await connect(ctx.envoy.url, headers);
    });
    after(async () => {
      await ctx.client?.close().catch(() => {});
      await ctx.envoy?.stop();
      await ctx.backend?.close();
    });
    const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.envoy, () => fn(ctx)));
    body(test, ctx);
  });
}

/** Starts backend + Envoy for one test, runs fn, and always cleans up. */
async function withGateway(backendPromise, overrides, fn) {
  const backend = await backendPromise;
  let envoy;
  try {
    envoy = await startGateway(backend, overrides);
    await withEnvoyLog(envoy, () => fn({ backend, envoy }));
  } finally {
    await envoy?.stop();
    await backend.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The tools matrix: stateful/stateless × SSE/JSON backends.

for (const stateless of [false, true]) {
  for (const json of [false, true]) {
    const flavour = `${stateless ? 'stateless' : 'stateful'} ${json ? 'JSON' : 'SSE'} backend`;
    withGatewaySuite(`terminating mode: ${flavour}`, {
      backend: () => startBackend({ stateless, json }),
    }, (test) => {
      test('connect: the gateway answers initialize with its own name and tools capability', async ({ client }) => {
        assert.equal(client.getServerVersion()?.name, SERVER_NAME);
        assert.ok(client.getServerCapabilities()?.tools, 'tools capability');
      });

      test('tools/list returns every backend tool with its schemas', async ({ client }) => {
        const { tools, nextCursor } = await client.listTools();
        assert.equal(nextCursor, undefined);
        assert.deepEqual(sorted(tools.map((t) => t.name)), sorted(ALL_TOOLS));
        const echo = tools.find((t) => t.name === 'echo');
        assert.equal(echo.inputSchema.type, 'object');
        assert.equal(echo.inputSchema.properties.text.type, 'string');
        const weather = tools.find((t) => t.name === 'weather');
        assert.equal(weather.outputSchema?.properties?.temperature?.type, 'number');
      });

      test('the backend session is kept: one handshake, then only the calls (no DELETE per call)', async ({ client, backend }) => {
        const from = backend.requests.length;
        await client.listTools();
        // The suite's first exchange does the handshake; every later one sends only the call.
        const first = methodsSince(backend, from);
        assert.ok(['initialize,notifications/initialized,tools/list', 'tools/list'].includes(first.join(',')), `backend saw ${first}`);
        const call = postsSince(backend, from).at(-1);
        if (stateless) assert.equal(call.headers['mcp-session-id'], undefined);
        else assert.ok(backend.issuedSessionIds.has(call.headers['mcp-session-id']), 'a session id the backend issued');
        const from2 = backend.requests.length;
        await client.callTool({ name: 'echo', arguments: { text: 'x' } });
        assert.deepEqual(methodsSince(backend, from2), ['tools/call']);
        const call2 = postsSince(backend, from2)[0];
        assert.equal(call2.headers['mcp-session-id'], call.headers['mcp-session-id'], 'the same backend session');
        assert.equal(call2.headers['mcp-protocol-version'], call.headers['mcp-protocol-version'], 'the version that session negotiated');
        await sleep(200);
        assert.deepEqual(backend.requests.slice(from).filter((x) => x.method === 'DELETE'), [], 'no DELETE per call');
        if (!stateless) assert.ok(backend.sessions.has(call.headers['mcp-session-id']), 'the kept session is still open');
      });

      test('tools/call echo returns the text content', async ({ client }) => {
        const text = 'héllo "gateway" \\ ✓\n\ttabs & <tags> \u2028 😀';
        const result = await client.callTool({ name: 'echo', arguments: { text } });
        assert.deepEqual(result.content, [{ type: 'text', text }]);
        assert.notEqual(result.isError, true);
      });

      test('tools/call add passes numeric arguments', async ({ client }) => {
        const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 40.5 } });
        assert.deepEqual(result.content, [{ type: 'text', text: '42.5' }]);
      });

      test('tools/call image returns the image content intact', async ({ client }) => {
        const result = await client.callTool({ name: 'image', arguments: {} });
        assert.deepEqual(result.content, [{ type: 'image', data: TINY_PNG_BASE64, mimeType: 'image/png' }]);
      });

      test('tools/call weather returns structuredContent', async ({ client }) => {
        await client.listTools(); // lets the SDK client validate against the outputSchema
        const result = await client.callTool({ name: 'weather', arguments: { city: 'Zürich' } });
        assert.deepEqual(result.structuredContent, { city: 'Zürich', temperature: 21.5, conditions: 'sunny' });
        assert.equal(result.content[0].type, 'text');
      });

      test('tools/call fail comes back as a result with isError: true', async ({ client }) => {
        const result = await client.callTool({ name: 'fail', arguments: {} });
        assert.equal(result.isError, true);
        assert.deepEqual(result.content, [{ type: 'text', text: 'this tool always fails' }]);
      });

      test('tools/call slow_progress: progress and log events are skipped, the result returned', async ({ client }) => {
        const result = await client.callTool({ name: 'slow_progress', arguments: {} }, undefined, { onprogress: () => {} });
        assert.deepEqual(result.content, [{ type: 'text', text: 'done after 2 steps' }]);
      });

      test('raw tools/call with a progressToken: one application/json reply with the client id', async ({ envoy }) => {
        const reply = await postJson(envoy.url, rpc(77, 'tools/call', {
          name: 'slow_progress', arguments: {}, _meta: { progressToken: 'p-1' },
        }));
        assertJsonReply(reply);
        assert.equal(reply.json.id, 77);
        assert.deepEqual(reply.json.result.content, [{ type: 'text', text: 'done after 2 steps' }]);
      });

      test('tools/list pagination: nextCursor is passed through until every tool is seen once', async ({ client, backend }) => {
        backend.setPageSize(2);
        try {
          const { names, pages } = await listAllTools(client);
          assert.deepEqual(sorted(names), sorted(ALL_TOOLS), 'every tool exactly once');
          assert.equal(pages, Math.ceil(ALL_TOOLS.length / 2));
        } finally {
          backend.setPageSize(0);
        }
      });

      test('a tool the backend does not know: the backend\'s answer is passed through', async ({ client }) => {
        const result = await client.callTool({ name: 'no_such_tool', arguments: {} });
        assert.equal(result.isError, true);
        assert.match(result.content[0].text, /no_such_tool/);
      });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Local answers, ids, malformed requests, access log (one stateful SSE backend).

withGatewaySuite('terminating mode: local answers and client errors', {
  backend: () => startBackend({}),
}, (test) => {
  const init = (protocolVersion) => rpc(1, 'initialize', {
    ...(protocolVersion === undefined ? {} : { protocolVersion }),
    capabilities: {}, clientInfo: { name: 'raw', version: '0' },
  });

  test('initialize negotiates the protocol version without contacting the backend', async ({ envoy, backend }) => {
    const from = backend.requests.length;
    const cases = [...KNOWN_VERSIONS.map((v) => [v, v]), ['1999-01-01', LATEST_VERSION], ['2099-12-31', LATEST_VERSION]];
    for (const [asked, expected] of cases) {
      const reply = await postJson(envoy.url, init(asked));
      assertJsonReply(reply);
      assert.equal(reply.json.id, 1);
      assert.equal(reply.json.result?.protocolVersion, expected, `asked ${asked}: ${reply.text}`);
      assert.deepEqual(reply.json.result.capabilities, { tools: {} });
      assert.equal(reply.json.result.serverInfo?.name, SERVER_NAME);
    }
    assert.deepEqual(methodsSince(backend, from), [], 'initialize is answered locally');
  });

  test('initialize without protocolVersion → -32602', async ({ envoy }) => {
    assertRawRpcError(await postJson(envoy.url, init(undefined)), -32602);
  });

  test('ping → empty result', async ({ envoy }) => {
    const reply = await postJson(envoy.url, rpc(5, 'ping'));
    assertJsonReply(reply);
    assert.deepEqual(reply.json, { jsonrpc: '2.0', id: 5, result: {} });
  });

  test('a notification → 202 with an empty body', async ({ envoy }) => {
    for (const method of ['notifications/initialized', 'notifications/cancelled']) {
      const reply = await postJson(envoy.url, { jsonrpc: '2.0', method, params: {} });
      assert.equal(reply.status, 202, `${method}: HTTP ${reply.status} ${reply.text}`);
      assert.equal(reply.text, '');
    }
  });

  test('an unknown method → -32601', async ({ envoy }) => {
    const reply = await postJson(envoy.url, rpc(9, 'no/such_method'));
    assertRawRpcError(reply, -32601);
    assert.equal(reply.json.id, 9);
  });

  // The raw JSON text of each id must come back unchanged, for local and forwarded answers.
  const ids = [['0', 0], ['12345678901234567890', undefined], ['"42"', '42'], ['"abc"', 'abc'], ['-7', -7], ['1.5', 1.5], ['-0.25', -0.25]];
  for (const method of ['ping', 'tools/list']) {
    test(`${method}: the client's id comes back unchanged (${ids.map(([t]) => t).join(' ')})`, async ({ envoy }) => {
      for (const [idText, idValue] of ids) {
        const reply = await postJson(envoy.url, `{"jsonrpc":"2.0","id":${idText},"method":"${method}"}`);
        assertJsonReply(reply);
        const escaped = idText.replace(/[.*+?^${}()|[\]\\"]/g, '\\$&');
        assert.match(reply.text, new RegExp(`"id"\\s*:\\s*${escaped}\\s*[,}]`), `id ${idText}: ${reply.text.slice(0, 200)}`);
        if (idValue !== undefined) assert.equal(reply.json.id, idValue);
        assert.ok(reply.json.result, `id ${idText}: ${reply.text.slice(0, 200)}`);
      }
    });
  }

  test('GET, DELETE and other non-POST methods → 405, Allow: POST, a JSON-RPC error body; no backend request', async ({ envoy, backend }) => {
    const from = backend.requests.length;
    const cases = [
      ['GET', { accept: 'text/event-stream' }], ['DELETE', { 'mcp-session-id': 'abc' }], ['PUT', { 'content-type': 'application/json' }], ['PATCH', {}],
    ];
    for (const [method, headers] of cases) {
      const reply = await rawRequest(envoy.url, { method, headers });
      assert.equal(reply.status, 405, `${method}: HTTP ${reply.status}: ${reply.text}`);
      assert.equal(reply.headers.allow, 'POST', `${method}: Allow`);
      assert.match(reply.headers['content-type'] ?? '', /^application\/json/, `${method}: content-type`);
      assert.equal(reply.json?.jsonrpc, '2.0', `${method}: ${reply.text}`);
      assert.equal(reply.json.id, null);
      assert.equal(reply.json.error?.code, -32600, `${method}: ${reply.text}`);
      assert.match(reply.json.error.message, /POST/);
    }
    // (The gateway's own DELETEs ending earlier backend sessions may still arrive meanwhile.)
    const forwarded = backend.requests.slice(from).filter((r) => r.method !== 'DELETE' || r.headers['mcp-session-id'] === 'abc');
    assert.deepEqual(forwarded, [], 'a non-POST request reached the backend');
  });

  test('POST with an empty body → 400, -32600, id null', async ({ envoy }) => {
    const reply = await postJson(envoy.url, '');
    assertRawRpcError(reply, -32600);
    assert.equal(reply.json.id, null);
  });

  test('unparsable JSON → -32700 with id null', async ({ envoy }) => {
    const reply = await postJson(envoy.url, '{bad json');
    assertRawRpcError(reply, -32700);
    assert.equal(reply.json.id, null);
  });

  test('a batch → -32600', async ({ envoy }) => {
    assertRawRpcError(await postJson(envoy.url, '[{"jsonrpc":"2.0","id":1,"method":"ping"}]'), -32600);
  });

  test('a request without method → -32600', async ({ envoy }) => {
    assertRawRpcError(await postJson(envoy.url, '{"jsonrpc":"2.0","id":1}'), -32600);
  });

  test('jsonrpc "1.0" → -32600', async ({ envoy }) => {
    assertRawRpcError(await postJson(envoy.url, '{"jsonrpc":"1.0","id":1,"method":"ping"}'), -32600);
  });

  test('not an object, an id of a wrong type, params not an object → 400, -32600', async ({ envoy, backend }) => {
    const from = backend.requests.length;
    const bodies = [
      '42', '"ping"', 'null',
      '{"jsonrpc":"2.0","id":true,"method":"ping"}', '{"jsonrpc":"2.0","id":{},"method":"ping"}', '{"jsonrpc":"2.0","id":[1],"method":"tools/list"}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":[]}', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"echo"}',
      '{"jsonrpc":"2.0","id":1,"method":7}',
    ];
    for (const body of bodies) {
      const reply = await postJson(envoy.url, body);
      assert.doesNotThrow(() => assertRawRpcError(reply, -32600), `${body} → HTTP ${reply.status}: ${reply.text}`);
    }
    assert.deepEqual(methodsSince(backend, from), [], 'an invalid request reaches no backend');
  });

  test('bad params (name not a string, arguments not an object, cursor not a string) → 200, -32602, the client id; no backend', async ({ envoy, backend }) => {
    const from = backend.requests.length;
    const cases = [
      rpc(21, 'tools/call', { name: 7, arguments: {} }), rpc(22, 'tools/call', { arguments: {} }),
      rpc(23, 'tools/call', { name: 'echo', arguments: 'text' }), rpc(24, 'tools/call', { name: 'echo', arguments: [1] }),
      rpc(25, 'tools/list', { cursor: 5 }),
    ];
    for (const body of cases) {
      const reply = await postJson(envoy.url, body);
      assertRawRpcError(reply, -32602);
      assert.equal(reply.json.id, body.id, reply.text);
    }
    assert.deepEqual(methodsSince(backend, from), [], 'bad params reach no backend');
  });

  test('a 2 MB body → 413, and the gateway keeps serving', async ({ envoy }) => {
    const big = JSON.stringify(rpc(1, 'tools/call', { name: 'echo', arguments: { text: 'x'.repeat(2 * 1024 * 1024) } }));
    const reply = await postJson(envoy.url, big);
    assert.equal(reply.status, 413);
    const ping = await postJson(envoy.url, rpc(2, 'ping'));
    assertJsonReply(ping);
    assert.deepEqual(ping.json.result, {});
  });

  test('the access log names the server and the tool', async ({ client, envoy }) => {
    await client.callTool({ name: 'echo', arguments: { text: 'logged' } });
    let lines = [];
    for (let i = 0; i < 50; i++) {
      lines = envoy.accessLog();
      if (lines.some((l) => l.includes(`server=${SERVER_NAME} tool=echo`))) break;
      await sleep(100);
    }
    const line = lines.find((l) => l.includes(`server=${SERVER_NAME} tool=echo`));
    assert.ok(line, `no access log line for the echo call in:\n${lines.join('\n')}`);
    assert.match(line, /^POST \/mcp 200 /);
  });
});

// ---------------------------------------------------------------------------------------------
// allowTools: by config (top level or server.allowTools) and by the x-envoy-allow-mcp-tools header.

const ALLOW_HEADER = 'x-envoy-allow-mcp-tools';

withGatewaySuite('terminating mode: allowTools from config', {
  backend: () => startBackend({ stateless: true, json: true }),
  config: { allowTools: ['echo', 'image'] },
}, (test) => {
  test('tools/list shows only the allowed tools', async ({ client }) => {
    const { tools } = await client.listTools();
    assert.deepEqual(sorted(tools.map((t) => t.name)), ['echo', 'image']);
  });

  test('an allowed tool can be called', async ({ client }) => {
    const result = await client.callTool({ name: 'echo', arguments: { text: 'ok' } });
    assert.deepEqual(result.content, [{ type: 'text', text: 'ok' }]);
  });

  test('another tool → -32602 "Tool not allowed", and the backend sees nothing', async ({ client, backend }) => {
    const from = backend.requests.length;
    await assertRpcError(client.callTool({ name: 'weather', arguments: { city: 'Oslo' } }), -32602, /Tool not allowed: weather/);
    assert.deepEqual(methodsSince(backend, from), [], 'no backend request for a refused call');
  });

  test('the header narrows the config (intersection) and never reaches the backend', async ({ envoy, backend }) => {
    const client = await connect(envoy.url, { [ALLOW_HEADER]: 'echo, weather' });
    try {
      const from = backend.requests.length;
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ['echo']);
      await assertRpcError(client.callTool({ name: 'image', arguments: {} }), -32602, /Tool not allowed: image/);
      await assertRpcError(client.callTool({ name: 'weather', arguments: { city: 'Oslo' } }), -32602, /Tool not allowed: weather/);
      const result = await client.callTool({ name: 'echo', arguments: { text: 'narrowed' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'narrowed' }]);
      const seen = backend.requests.slice(from);
      assert.ok(seen.length > 0);
      for (const r of seen) assert.equal(r.headers[ALLOW_HEADER], undefined, `${ALLOW_HEADER} reached the backend`);
    } finally {
      await client.close();
    }
  });

  test('an empty header means no extra restriction', async ({ envoy }) => {
    const client = await connect(envoy.url, { [ALLOW_HEADER]: '' });
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(sorted(tools.map((t) => t.name)), ['echo', 'image']);
    } finally {
      await client.close();
    }
  });
});

withGatewaySuite('terminating mode: server.allowTools', {
  backend: () => startBackend({ stateless: true, json: true }),
  config: { server: { allowTools: ['weather', 'add'] } },
}, (test) => {
  test('tools/list and tools/call honour server.allowTools', async ({ client }) => {
    const { tools } = await client.listTools();
    assert.deepEqual(sorted(tools.map((t) => t.name)), ['add', 'weather']);
    const result = await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    assert.deepEqual(result.content, [{ type: 'text', text: '3' }]);
    await assertRpcError(client.callTool({ name: 'echo', arguments: { text: 'no' } }), -32602, /Tool not allowed: echo/);
  });
});

withGatewaySuite('terminating mode: allowTools from the header only', {
  backend: () => startBackend({ stateless: false, json: false }),
}, (test) => {
  test('without config, the header alone restricts the tools', async ({ envoy, backend }) => {
    const client = await connect(envoy.url, { [ALLOW_HEADER]: 'echo, weather' });
    try {
      const from = backend.requests.length;
      const { tools } = await client.listTools();
      assert.deepEqual(sorted(tools.map((t) => t.name)), ['echo', 'weather']);
      await assertRpcError(client.callTool({ name: 'add', arguments: { a: 1, b: 2 } }), -32602, /Tool not allowed: add/);
      for (const r of backend.requests.slice(from)) assert.equal(r.headers[ALLOW_HEADER], undefined);
    } finally {
      await client.close();
    }
  });

  test('without config or header, every tool is allowed', async ({ client }) => {
    const { tools } = await client.listTools();
    assert.deepEqual(sorted(tools.map((t) => t.name)), sorted(ALL_TOOLS));
  });

  test('an empty header means no restriction', async ({ envoy }) => {
    const client = await connect(envoy.url, { [ALLOW_HEADER]: '' });
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(sorted(tools.map((t) => t.name)), sorted(ALL_TOOLS));
    } finally {
      await client.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Backend failures: each is a JSON-RPC error naming the step and the cause, with the client's id.

describe('terminating mode: backend failures', () => {
  const t = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, fn);

  // server.timeout is enforced: the reply comes no earlier than the deadline and long before
  // a hanging backend would ever answer (never). Margins are multiples of the timeout.
  const HANG_TIMEOUT_MS = 1000;
  t('a hanging backend → -32603 timeout after server.timeout', () => withGateway(startHangingBackend(), { server: { timeout: HANG_TIMEOUT_MS } }, async ({ envoy }) => {
    const client = await connect(envoy.url);
    try {
      const started = Date.now();
      // The first exchange with an unknown backend is its era probe (server/discover).
      await assertRpcError(client.listTools(), -32603, /backend discover failed: .*time(d)?[ -]?out/i);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= HANG_TIMEOUT_MS * 0.9, `reply after ${elapsed} ms, before server.timeout ${HANG_TIMEOUT_MS} ms`);
      assert.ok(elapsed < HANG_TIMEOUT_MS * 10, `reply after ${elapsed} ms: server.timeout ${HANG_TIMEOUT_MS} ms not enforced`);
      const reply = await postJson(envoy.url, rpc('t-1', 'tools/call', { name: 'echo', arguments: { text: 'x' } }));
      assertRawRpcError(reply, -32603);
      assert.equal(reply.json.id, 't-1');
      assert.match(reply.json.error.message, BACKEND_FAILED);
      assert.match(reply.json.error.message, /time(d)?[ -]?out/i);
    } finally {
      await client.close();
    }
  }));

  t('nothing listening on the backend port → -32603 naming 503/unavailable/refused', () => withGateway(closedPort(), {}, async ({ envoy }) => {
    const reply = await postJson(envoy.url, rpc(3, 'tools/list'));
    assertRawRpcError(reply, -32603);
    assert.equal(reply.json.id, 3);
    assert.match(reply.json.error.message, BACKEND_FAILED);
    assert.match(reply.json.error.message, /503|unavailable|refused/i);
  }));

  t('a backend answering HTTP 500 → -32603 naming 500', () => withGateway(startErrorBackend(500), {}, async ({ envoy }) => {
    const client = await connect(envoy.url);
    try {
      await assertRpcError(client.callTool({ name: 'echo', arguments: { text: 'x' } }), -32603, BACKEND_FAILED);
      const reply = await postJson(envoy.url, rpc(4, 'tools/list'));
      assertRawRpcError(reply, -32603);
      assert.match(reply.json.error.message, /500/);
    } finally {
      await client.close();
    }
  }));

  t('a backend resetting the connection → -32603 naming reset/503', () => withGateway(startResetBackend(), {}, async ({ envoy }) => {
    const reply = await postJson(envoy.url, rpc(5, 'tools/list'));
    assertRawRpcError(reply, -32603);
    assert.match(reply.json.error.message, BACKEND_FAILED);
    assert.match(reply.json.error.message, /reset|503/i);
  }));

  t('a backend answering garbage → -32603 naming an unparsable/invalid reply', () => withGateway(startGarbageBackend(), {}, async ({ envoy }) => {
    const reply = await postJson(envoy.url, rpc(6, 'tools/list'));
    assertRawRpcError(reply, -32603);
    assert.match(reply.json.error.message, BACKEND_FAILED);
    assert.match(reply.json.error.message, /unparsable|invalid/i);
  }));

  t('a backend refusing the protocol version → -32602', () => withGateway(startVersionRejectingBackend(), {}, async ({ envoy }) => {
    const client = await connect(envoy.url);
    try {
      await assertRpcError(client.listTools(), -32602);
    } finally {
      await client.close();
    }
  }));

  t('a backend JSON-RPC error on the call is passed through with its code and message', () => withGateway(
    startMinimalBackend((msg) => (msg.method === 'tools/call'
      ? rpcError(msg, -32042, `custom backend failure for ${msg.params?.name}`)
      : rpcResult(msg, { tools: [{ name: 'broken', inputSchema: { type: 'object' } }] }))),
    {},
    async ({ envoy }) => {
      const client = await connect(envoy.url);
      try {
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((x) => x.name), ['broken']);
        await assertRpcError(client.callTool({ name: 'broken', arguments: {} }), -32042, /custom backend failure for broken/);
      } finally {
        await client.close();
      }
    },
  ));

  t('an SSE reply with comments and notifications before the response is read', () => withGateway(
    startScriptedBackend((msg, _req, res) => {
      if (msg?.method === 'initialize') return rpcResult(msg, initializeResult(msg));
      if (msg?.id === undefined) return undefined;
      const result = rpcResult(msg, { content: [{ type: 'text', text: 'from sse' }] });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': keep-alive comment\n\n');
      res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'hi' } })}\n\n`);
      setTimeout(() => res.end(`id: 1\nevent: message\ndata: ${JSON.stringify(result)}\n\n`), 50);
      return undefined;
    }),
    {},
    async ({ envoy }) => {
      const reply = await postJson(envoy.url, rpc('s', 'tools/call', { name: 'anything', arguments: {} }));
      assertJsonReply(reply);
      assert.equal(reply.json.id, 's');
      assert.deepEqual(reply.json.result, { content: [{ type: 'text', text: 'from sse' }] });
    },
  ));
});

// ---------------------------------------------------------------------------------------------
// Origins and CORS (both modes; pass-through has its own suite in passthrough-cors.test.mjs).

describe('terminating mode: Origin checks and CORS', () => {
  const ctx = {};
  before(async () => {
    ctx.backend = await startBackend({ stateless: true, json: true });
    ctx.listed = await startGateway(ctx.backend, { server: { cors: { allowOrigins: ['https://app.example'] } } });
    ctx.loopback = await startGateway(ctx.backend);
  });
  after(async () => {
    await ctx.listed?.stop();
    await ctx.loopback?.stop();
    await ctx.backend?.close();
  });
  const test = (title, fn) => it(title, { timeout: TEST_TIMEOUT }, () => withEnvoyLog(ctx.listed, () => withEnvoyLog(ctx.loopback, fn)));
  const EXPOSE = /^mcp-session-id$/i;

  /** Asserts the CORS headers of a response to an allowed `origin`. */
  function assertCors(reply, origin, what) {
    assert.equal(reply.headers['access-control-allow-origin'], origin, `${what}: ${JSON.stringify(reply.headers)}`);
    assert.match(reply.headers['access-control-expose-headers'] ?? '', EXPOSE, what);
  }

  test('a foreign Origin → 403 with a JSON-RPC error body, before any backend request (POST, GET, OPTIONS)', async () => {
    const from = ctx.backend.requests.length;
    const cases = [[ctx.listed, 'https://evil.example'], [ctx.listed, 'http://localhost:5173'], [ctx.loopback, 'https://app.example'], [ctx.loopback, 'null']];
    for (const [envoy, origin] of cases) {
      for (const body of [rpc(1, 'tools/call', { name: 'echo', arguments: { text: 'x' } }), rpc(2, 'ping')]) {
        const r = await postJson(envoy.url, body, { origin });
        assert.equal(r.status, 403, `POST ${body.method} from ${origin}: HTTP ${r.status}: ${r.text}`);
        assert.equal(r.json?.jsonrpc, '2.0', r.text);
        assert.equal(r.json.error?.code, -32600, r.text);
        assert.equal(r.headers['access-control-allow-origin'], undefined);
      }
      for (const method of ['GET', 'OPTIONS']) {
        const r = await rawRequest(envoy.url, { method, headers: { origin, 'access-control-request-method': 'POST' } });
        assert.equal(r.status, 403, `${method} from ${origin}: HTTP ${r.status}`);
        assert.equal(r.headers['access-control-allow-origin'], undefined);
      }
    }
    assert.deepEqual(ctx.backend.requests.slice(from), [], 'a refused request reached the backend');
  });

  test('a preflight from an allowed origin → 204 answered locally with the CORS headers', async () => {
    const from = ctx.backend.requests.length;
    for (const [envoy, origin] of [[ctx.listed, 'https://app.example'], [ctx.loopback, 'http://localhost:5173'], [ctx.loopback, 'http://[::1]:6274']]) {
      const r = await rawRequest(envoy.url, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, mcp-protocol-version' },
      });
      assert.equal(r.status, 204, `${origin}: HTTP ${r.status}: ${r.text}`);
      assert.equal(r.text, '');
      assertCors(r, origin, `preflight from ${origin}`);
      assert.ok((r.headers['access-control-allow-methods'] ?? '').split(',').map((m) => m.trim()).includes('POST'), r.headers['access-control-allow-methods']);
      assert.equal(r.headers['access-control-allow-headers'], 'content-type, mcp-protocol-version');
    }
    assert.deepEqual(ctx.backend.requests.slice(from), []);
  });

  test('every reply to an allowed origin carries the CORS headers: local, backend, error, 405', async () => {
    const origin = 'https://app.example';
    const url = ctx.listed.url;
    const init = await postJson(url, rpc(1, 'initialize', { protocolVersion: LATEST_VERSION, capabilities: {}, clientInfo: { name: 'cors', version: '0' } }), { origin });
    assertJsonReply(init);
    assertCors(init, origin, 'initialize');
    const call = await postJson(url, rpc(2, 'tools/call', { name: 'echo', arguments: { text: 'cors' } }), { origin });
    assertJsonReply(call);
    assert.deepEqual(call.json.result.content, [{ type: 'text', text: 'cors' }]);
    assertCors(call, origin, 'tools/call');
    const bad = await postJson(url, '{bad json', { origin });
    assertRawRpcError(bad, -32700);
    assertCors(bad, origin, 'parse error');
    const note = await postJson(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { origin });
    assert.equal(note.status, 202);
    assertCors(note, origin, 'notification');
    const get = await rawRequest(url, { method: 'GET', headers: { origin } });
    assert.equal(get.status, 405);
    assertCors(get, origin, 'GET');
  });

  test('no Origin: served, no CORS headers; OPTIONS is a non-POST method → 405, Allow: POST', async () => {
    const r = await postJson(ctx.listed.url, rpc(3, 'ping'));
    assertJsonReply(r);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
    const o = await rawRequest(ctx.listed.url, { method: 'OPTIONS' });
    assert.equal(o.status, 405, `OPTIONS without Origin: HTTP ${o.status}: ${o.text}`);
    assert.equal(o.headers.allow, 'POST');
    assert.equal(o.json?.error?.code, -32600, o.text);
    assert.equal(o.headers['access-control-allow-origin'], undefined);
  });
});
