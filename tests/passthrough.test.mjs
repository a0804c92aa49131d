// E2E: pass-through mode (`server.type: "mcp-passthrough"`) in real Envoy — every MCP feature
// through the gateway, driven by the real MCP SDK client in front of the full SDK server
// (examples/backend/full-server.mjs: tools, resources + subscriptions, prompts, completion,
// logging, progress, sampling).
//
// What pass-through promises: every message reaches the backend through the route and the
// answers stream back as they arrive. Session ids, tool policy and Origin/CORS have their
// own files: passthrough-sessions, passthrough-policy, passthrough-cors (helpers in
// support/passthrough.mjs).
import { before } from 'node:test';
import assert from 'node:assert/strict';
import { TINY_PNG_BASE64 } from '../examples/backend/server.mjs';
import { FULL_TOOLS, GREET_NAMES, NOTE_IDS, startFullBackend } from '../examples/backend/full-server.mjs';
import { nodeFetch } from './support/envoy.mjs';
import {
  GATEWAY_ID, SESSION_HEADER, sleep, waitFor, newBackendId, requestsOf, gatewaySuite,
} from './support/passthrough.mjs';

// ---------------------------------------------------------------------------------------------
// 1. Everything MCP through the gateway.

gatewaySuite('pass-through: the whole protocol through the gateway (full SDK server, SSE)', {
  backend: () => startFullBackend(),
}, (test, ctx) => {
  let s; // { client, transport, notifications, samplingRequests, log }
  let bid;
  before(async () => {
    const known = new Set(ctx.backend.issuedSessionIds);
    s = await ctx.connect({ sampling: true, fetch: nodeFetch(), log: [] });
    bid = newBackendId(ctx.backend, known);
  });

  /** Waits until the client's standalone GET stream reached the backend. */
  const getStreamOpen = () => waitFor(() => requestsOf(ctx.backend, bid).some((r) => r.method === 'GET'), 'the GET stream at the backend');

  test('initialize: the backend\'s serverInfo and capabilities reach the client', async () => {
    assert.equal(s.client.getServerVersion()?.name, 'full-backend');
    const caps = s.client.getServerCapabilities();
    assert.ok(caps.tools, JSON.stringify(caps));
    assert.equal(caps.resources?.subscribe, true);
    assert.ok(caps.prompts);
    assert.ok(caps.completions);
    assert.ok(caps.logging);
    assert.match(s.transport.sessionId ?? '', GATEWAY_ID);
    await s.client.ping();
  });

  test('tools: list, call with text, image, structuredContent and isError results', async () => {
    const { tools } = await s.client.listTools();
    assert.deepEqual(tools.map((t) => t.name), FULL_TOOLS);
    assert.ok(tools.find((t) => t.name === 'weather').outputSchema);
    assert.deepEqual(await s.client.callTool({ name: 'echo', arguments: { text: 'héllo ✓' } }), { content: [{ type: 'text', text: 'héllo ✓' }] });
    assert.deepEqual((await s.client.callTool({ name: 'image', arguments: {} })).content,
      [{ type: 'image', data: TINY_PNG_BASE64, mimeType: 'image/png' }]);
    const w = await s.client.callTool({ name: 'weather', arguments: { city: 'Oslo' } });
    assert.deepEqual(w.structuredContent, { city: 'Oslo', temperature: 21.5, conditions: 'sunny' });
    const f = await s.client.callTool({ name: 'fail', arguments: {} });
    assert.equal(f.isError, true);
    assert.equal(f.content[0].text, 'this tool always fails');
    // An unknown tool is the backend's business (no allowTools configured): the call is
    // forwarded, and the TS SDK's McpServer answers a tool it does not know with an isError
    // result carrying its McpError text (InvalidParams, -32602).
    const from = ctx.backend.requests.length;
    assert.deepEqual(await s.client.callTool({ name: 'nope', arguments: {} }),
      { content: [{ type: 'text', text: 'MCP error -32602: Tool nope not found' }], isError: true });
    assert.ok(ctx.backend.requests.slice(from).some((r) => r.body?.method === 'tools/call' && r.body.params?.name === 'nope'), 'the call reached the backend');
  });

  test('resources: list, read (text and blob), templates and a templated read', async () => {
    const { resources } = await s.client.listResources();
    const uris = resources.map((r) => r.uri);
    for (const uri of ['memo://readme', 'memo://logo', ...NOTE_IDS.map((id) => `memo://notes/${id}`)]) assert.ok(uris.includes(uri), `${uri} in ${uris}`);
    const readme = await s.client.readResource({ uri: 'memo://readme' });
    assert.deepEqual(readme.contents, [{ uri: 'memo://readme', mimeType: 'text/plain', text: 'Hello from the full backend' }]);
    const logo = await s.client.readResource({ uri: 'memo://logo' });
    assert.equal(logo.contents[0].blob, TINY_PNG_BASE64);
    const { resourceTemplates } = await s.client.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate), ['memo://notes/{id}']);
    const beta = await s.client.readResource({ uri: 'memo://notes/beta' });
    assert.equal(beta.contents[0].text, 'note beta');
  });

  test('resources: subscribe, and notifications/resources/updated arrives on the GET stream', async () => {
    await getStreamOpen();
    await s.client.subscribeResource({ uri: 'memo://readme' });
    assert.ok(ctx.backend.subscriptions(bid)?.has('memo://readme'), 'the backend session holds the subscription');
    const r = await s.client.callTool({ name: 'touch', arguments: { uri: 'memo://readme' } });
    assert.equal(r.content[0].text, 'touched memo://readme');
    // The backend sends the update 30 ms after the call returned, on the standalone stream.
    await waitFor(() => s.notifications.find((n) => n.method === 'notifications/resources/updated' && n.params?.uri === 'memo://readme'),
      'notifications/resources/updated');
    await s.client.unsubscribeResource({ uri: 'memo://readme' });
    assert.equal(ctx.backend.subscriptions(bid)?.has('memo://readme'), false);
  });

  test('prompts: list, get with arguments', async () => {
    const { prompts } = await s.client.listPrompts();
    assert.deepEqual(prompts.map((p) => p.name).sort(), ['greet', 'summarize']);
    const greet = prompts.find((p) => p.name === 'greet');
    assert.deepEqual(greet.arguments.map((a) => a.name).sort(), ['name', 'style']);
    const got = await s.client.getPrompt({ name: 'greet', arguments: { name: 'Alice', style: 'pirate' } });
    assert.equal(got.messages[0].content.text, 'Say hello to Alice in a pirate style.');
    const sum = await s.client.getPrompt({ name: 'summarize' });
    assert.equal(sum.messages[0].content.type, 'resource');
  });

  test('completion: a prompt argument and a resource-template variable', async () => {
    const c1 = await s.client.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'name', value: 'al' } });
    assert.deepEqual(c1.completion.values, GREET_NAMES.filter((n) => n.toLowerCase().startsWith('al')));
    const c2 = await s.client.complete({ ref: { type: 'ref/resource', uri: 'memo://notes/{id}' }, argument: { name: 'id', value: 'g' } });
    assert.deepEqual(c2.completion.values, ['gamma']);
  });

  test('logging: setLoggingLevel reaches the backend session; only warning and above arrive', async () => {
    await getStreamOpen();
    await s.client.setLoggingLevel('warning');
    await s.client.callTool({ name: 'log_levels', arguments: {} });
    const fromTool = () => s.notifications.filter((n) => n.method === 'notifications/message' && n.params?.logger === 'log_levels');
    await waitFor(() => fromTool().length >= 2, 'two log notifications');
    await sleep(150);
    assert.deepEqual(fromTool().map((n) => n.params.level), ['warning', 'error']);
    await s.client.setLoggingLevel('debug');
  });

  test('progress and log notifications of a running tool (on the call\'s SSE stream)', async () => {
    const progress = [];
    const r = await s.client.callTool({ name: 'progress', arguments: { steps: 4 } }, undefined, { onprogress: (p) => progress.push(p) });
    assert.equal(r.content[0].text, 'done after 4 steps');
    assert.deepEqual(progress.map((p) => [p.progress, p.total, p.message]),
      [1, 2, 3, 4].map((i) => [i, 4, `step ${i}/4`]));
    await waitFor(() => s.notifications.find((n) => n.method === 'notifications/message' && n.params?.data === 'finished 4 steps'),
      'the progress tool\'s log notification');
  });

  test('sampling: the backend\'s sampling/createMessage on the call\'s SSE stream, answered by the client', async () => {
    const before = s.samplingRequests.length;
    const r = await s.client.callTool({ name: 'ask', arguments: { question: 'What is 2+2?' } });
    assert.equal(r.content[0].text, 'sampled (test-model): answer to "What is 2+2?"');
    assert.equal(s.samplingRequests.length, before + 1);
    assert.equal(s.samplingRequests.at(-1).params.maxTokens, 64);
    // The client's answer is a POSTed JSON-RPC response: the backend got it with its own id.
    assert.ok(requestsOf(ctx.backend, bid).some((r2) => r2.method === 'POST' && r2.body?.result?.model === 'test-model'));
  });

  test('sampling: a session-level sampling/createMessage on the GET stream', async () => {
    await getStreamOpen();
    const r = await s.client.callTool({ name: 'ask', arguments: { question: 'Via GET?', via: 'session' } });
    assert.equal(r.content[0].text, 'sampled (test-model): answer to "Via GET?"');
  });

  test('the SDK client saw only gateway session ids and no transport errors', async () => {
    const gid = s.transport.sessionId;
    for (const e of s.log) {
      if (e.headers[SESSION_HEADER] !== undefined) assert.equal(e.headers[SESSION_HEADER], gid, `${e.method} answered with another session id`);
      if (e.method !== 'POST' || e.requestHeaders[SESSION_HEADER] !== undefined) continue;
      assert.equal(e.requestHeaders['content-type'], 'application/json'); // only initialize goes without an id
    }
    assert.ok(!s.log.some((e) => Object.values(e.headers).some((v) => String(v).includes(bid))), 'a backend id reached the client');
    assert.deepEqual(s.errors.map((e) => e.message), []);
  });
});
