// E2E: terminating mode over a legacy HTTP+SSE backend (`server.transport: "sse"`, the MCP
// 2024-11-05 transport) in real Envoy. The client's POST becomes `GET /sse` to the backend; the
// filter reads the stream (endpoint → initialize → initialized → the call, answers arriving as
// `message` events) and replies with one JSON-RPC response. Backends: two independent real SSE
// servers (TypeScript SDK SSEServerTransport, Python SDK FastMCP) driven by the SDK client, and
// servers (TypeScript SDK SSEServerTransport, Python SDK FastMCP) driven by the SDK client.
// Framing, ordering and failure cases against a scripted server: sse-scripted.test.mjs.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ALL_TOOLS, TINY_PNG_BASE64, startSseBackend } from '../examples/backend/sse-server.mjs';
import { startPythonBackend } from './support/backends.mjs';
import { ROOT, postJson, wasmFailures } from './support/envoy.mjs';
import {
  SERVER_NAME, ALLOW_HEADER, sleep, sorted, rpc, callEcho, connect, assertRpcError,
  assertJsonReply, eventually, realServerSuite, assertEcho, assertImage, itWithLog,
} from './support/sse.mjs';

// ---------------------------------------------------------------------------------------------
// Real SSE server 1: the TypeScript SDK's SSEServerTransport + McpServer.

describe('sse transport: TypeScript SDK SSEServerTransport backend', () => {
  const ctx = {};
  realServerSuite(ctx, startSseBackend, ['echo', 'image', 'fail', 'weather']);
  const test = itWithLog(() => ctx.envoy);
  const gets = (from) => ctx.backend.requests.slice(from).filter((r) => r.method === 'GET');
  const posts = (from) => ctx.backend.requests.slice(from).filter((r) => r.method === 'POST');

  test('connect: the gateway answers initialize itself, naming server.name', async () => {
    assert.equal(ctx.client.getServerVersion()?.name, SERVER_NAME);
    assert.ok(ctx.client.getServerCapabilities()?.tools, 'tools capability');
  });

  test('tools/list returns every backend tool with its schemas', async () => {
    const { tools } = await ctx.client.listTools();
    assert.deepEqual(sorted(tools.map((t) => t.name)), sorted(ALL_TOOLS));
    const echo = tools.find((t) => t.name === 'echo');
    assert.equal(echo.inputSchema.properties.text.type, 'string');
    assert.equal(tools.find((t) => t.name === 'weather').outputSchema?.properties?.temperature?.type, 'number');
  });

  test('each call opens one GET /sse stream, POSTs initialize/initialized/call to the announced endpoint, then drops the stream', async () => {
    const from = ctx.backend.requests.length;
    const result = await ctx.client.callTool({ name: 'echo', arguments: { text: 'x' } });
    assert.deepEqual(result.content, [{ type: 'text', text: 'x' }]);
    const [get, ...more] = gets(from);
    assert.equal(more.length, 0, 'exactly one stream');
    assert.equal(get.url, '/sse');
    assert.match(get.headers.accept ?? '', /text\/event-stream/);
    assert.equal(get.headers['content-type'], undefined, 'the GET carries no content-type');
    assert.ok(!get.headers['content-length'] || get.headers['content-length'] === '0', 'the GET carries no body');
    assert.equal(get.headers.host, `127.0.0.1:${ctx.backend.port}`);
    const p = posts(from);
    assert.equal(p.length, 3, `POSTs: ${p.map((r) => r.url).join(', ')}`);
    for (const r of p) {
      assert.match(r.url, /^\/messages\?sessionId=[0-9a-f-]{36}$/);
      assert.match(r.headers['content-type'] ?? '', /^application\/json/);
    }
    assert.equal(new Set(p.map((r) => r.url)).size, 1, 'all POSTs go to the one announced endpoint');
    assert.ok(await eventually(() => ctx.backend.transports.size === 0), 'the backend stream is closed after the reply');
  });

  test('tools/call echo returns the text content', async () => {
    await assertEcho(ctx.client, 'héllo "gateway" \\ ✓\n\ttabs & <tags> \u2028 😀');
  });

  test('tools/call image returns the PNG intact', async () => {
    await assertImage(ctx.client);
  });

  test('tools/call fail comes back as a result with isError: true', async () => {
    const result = await ctx.client.callTool({ name: 'fail', arguments: {} });
    assert.equal(result.isError, true);
    assert.deepEqual(result.content, [{ type: 'text', text: 'this tool always fails' }]);
  });

  test('tools/call weather returns structuredContent', async () => {
    await ctx.client.listTools(); // lets the SDK client validate against the outputSchema
    const result = await ctx.client.callTool({ name: 'weather', arguments: { city: 'Zürich' } });
    assert.deepEqual(result.structuredContent, { city: 'Zürich', temperature: 21.5, conditions: 'sunny' });
  });

  test('tools/call slow_progress: progress/log messages on the stream are skipped', async () => {
    const reply = await postJson(ctx.envoy.url, rpc('p', 'tools/call', { name: 'slow_progress', arguments: {}, _meta: { progressToken: 'tok' } }));
    assertJsonReply(reply, 'p');
    assert.deepEqual(reply.json.result.content, [{ type: 'text', text: 'done after 2 steps' }]);
  });

  test('the client id comes back unchanged (big number, string)', async () => {
    for (const [idText, check] of [['12345678901234567890', /"id"\s*:\s*12345678901234567890\s*[,}]/], ['"s-1"', /"id"\s*:\s*"s-1"/]]) {
      const reply = await postJson(ctx.envoy.url, `{"jsonrpc":"2.0","id":${idText},"method":"tools/list"}`);
      assert.equal(reply.status, 200, reply.text);
      assert.match(reply.text, check);
      assert.ok(reply.json.result?.tools?.length > 0, reply.text.slice(0, 200));
    }
  });

  test('eight concurrent calls each get their own answer', async () => {
    const texts = Array.from({ length: 8 }, (_, i) => `concurrent-${i}-${'z'.repeat(i * 50)}`);
    const replies = await Promise.all(texts.map((t, i) => postJson(ctx.envoy.url, callEcho(100 + i, t))));
    replies.forEach((reply, i) => {
      assertJsonReply(reply, 100 + i);
      assert.deepEqual(reply.json.result?.content, [{ type: 'text', text: texts[i] }]);
    });
    assert.ok(await eventually(() => ctx.backend.transports.size === 0), 'every backend stream is closed');
  });

  test('initialize, ping, notifications and unknown methods are answered without opening a stream', async () => {
    const from = ctx.backend.requests.length;
    const init = await postJson(ctx.envoy.url, rpc(1, 'initialize', { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw', version: '0' } }));
    assertJsonReply(init, 1);
    assert.equal(init.json.result.protocolVersion, '2024-11-05');
    assert.equal(init.json.result.serverInfo.name, SERVER_NAME);
    const ping = await postJson(ctx.envoy.url, rpc(2, 'ping'));
    assert.deepEqual(ping.json, { jsonrpc: '2.0', id: 2, result: {} });
    const note = await postJson(ctx.envoy.url, { jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal(note.status, 202, note.text);
    const unknown = await postJson(ctx.envoy.url, rpc(3, 'resources/list'));
    assert.equal(unknown.json?.error?.code, -32601, unknown.text);
    await sleep(100);
    assert.deepEqual(ctx.backend.requests.slice(from), [], 'the backend saw nothing');
  });

  test('allowTools from config: tools/list filtered, other tools refused without a stream', async () => {
    const client = await connect(ctx.restricted.url);
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(sorted(tools.map((t) => t.name)), ['echo', 'fail', 'image', 'weather']);
      const from = ctx.backend.requests.length;
      await assertRpcError(client.callTool({ name: 'add', arguments: { a: 1, b: 2 } }), -32602, /Tool not allowed: add/);
      await assertRpcError(client.callTool({ name: 'slow_progress', arguments: {} }), -32602, /Tool not allowed: slow_progress/);
      await sleep(100);
      assert.deepEqual(ctx.backend.requests.slice(from), [], 'no stream opened for a refused call');
      const img = await client.callTool({ name: 'image', arguments: {} });
      assert.equal(img.content[0].data, TINY_PNG_BASE64);
    } finally {
      await client.close();
    }
  });

  test('the allow header narrows the config and never reaches the backend', async () => {
    const client = await connect(ctx.restricted.url, { [ALLOW_HEADER]: 'echo, add' });
    try {
      const from = ctx.backend.requests.length;
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ['echo']);
      await assertRpcError(client.callTool({ name: 'image', arguments: {} }), -32602, /Tool not allowed: image/);
      await assertRpcError(client.callTool({ name: 'add', arguments: { a: 1, b: 2 } }), -32602, /Tool not allowed: add/);
      const result = await client.callTool({ name: 'echo', arguments: { text: 'narrowed' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'narrowed' }]);
      const seen = ctx.backend.requests.slice(from);
      assert.equal(seen.filter((r) => r.method === 'GET').length, 2, 'streams only for the list and the allowed call');
      for (const r of seen) assert.equal(r.headers[ALLOW_HEADER], undefined, `${ALLOW_HEADER} reached the backend`);
    } finally {
      await client.close();
    }
  });

  test('the allow header alone (no allowTools config) restricts the tools', async () => {
    const client = await connect(ctx.envoy.url, { [ALLOW_HEADER]: 'weather,fail' });
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(sorted(tools.map((t) => t.name)), ['fail', 'weather']);
      await assertRpcError(client.callTool({ name: 'echo', arguments: { text: 'no' } }), -32602, /Tool not allowed: echo/);
    } finally {
      await client.close();
    }
  });

  test('the access log names the server and the tool of a tools/call over SSE', async () => {
    await ctx.client.callTool({ name: 'echo', arguments: { text: 'logged' } });
    const want = `server=${SERVER_NAME} tool=echo`;
    const line = await eventually(() => ctx.envoy.accessLog().find((l) => l.includes(want)), 3000);
    assert.ok(line, `no access log line with "${want}" in:\n${ctx.envoy.accessLog().join('\n')}`);
    assert.match(line, / 200 server=sse-demo tool=echo method=tools\/call error=- era=legacy /);
  });

  test('no wasm failure in the Envoy logs', async () => {
    assert.deepEqual(wasmFailures(ctx.envoy.log()), []);
    assert.deepEqual(wasmFailures(ctx.restricted.log()), []);
  });
});

// ---------------------------------------------------------------------------------------------
// Real SSE server 2: the Python SDK's FastMCP over SSE (a separate process).

describe('sse transport: Python SDK FastMCP backend', () => {
  const ctx = {};
  realServerSuite(ctx, () => startPythonBackend(path.join(ROOT, 'examples', 'backend', 'sse_server.py')), ['echo', 'image']);
  const test = itWithLog(() => ctx.envoy);

  test('the Python server is up and announces its endpoint', async () => {
    assert.match(ctx.backend.output(), /py-sse listening on http:\/\/127\.0\.0\.1:\d+\/sse/);
  });

  test('tools/list returns echo, image, fail', async () => {
    const { tools } = await ctx.client.listTools();
    assert.deepEqual(sorted(tools.map((t) => t.name)), ['echo', 'fail', 'image']);
    assert.equal(tools.find((t) => t.name === 'echo').inputSchema.properties.text.type, 'string');
  });

  test('tools/call echo returns the text', async () => {
    await assertEcho(ctx.client, 'pyth✓n "sse" \\ 😀');
  });

  test('tools/call image returns the PNG intact', async () => {
    await assertImage(ctx.client);
  });

  test('tools/call fail comes back with isError: true', async () => {
    const result = await ctx.client.callTool({ name: 'fail', arguments: {} });
    assert.equal(result.isError, true);
    assert.match(result.content[0].text, /this tool always fails/);
  });

  test('allowTools from config: list filtered, fail refused', async () => {
    const client = await connect(ctx.restricted.url);
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(sorted(tools.map((t) => t.name)), ['echo', 'image']);
      await assertRpcError(client.callTool({ name: 'fail', arguments: {} }), -32602, /Tool not allowed: fail/);
      const result = await client.callTool({ name: 'echo', arguments: { text: 'ok' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'ok' }]);
    } finally {
      await client.close();
    }
  });

  test('allowTools from the header', async () => {
    const client = await connect(ctx.envoy.url, { [ALLOW_HEADER]: 'fail' });
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ['fail']);
      await assertRpcError(client.callTool({ name: 'echo', arguments: { text: 'no' } }), -32602, /Tool not allowed: echo/);
      const result = await client.callTool({ name: 'fail', arguments: {} });
      assert.equal(result.isError, true);
    } finally {
      await client.close();
    }
  });

  test('no wasm failure in the Envoy logs', async () => {
    assert.deepEqual(wasmFailures(ctx.envoy.log()), []);
    assert.deepEqual(wasmFailures(ctx.restricted.log()), []);
  });
});
