// E2E: pass-through tool policy in flight, in real Envoy: allowTools and the
// x-envoy-allow-mcp-tools header filter tools/list answers (JSON and SSE, byte-exact around
// the rewritten event) and refuse denied calls locally, however the request body is written;
// stateless backends; security schemes (client credential checked, upstream key sent).
import assert from 'node:assert/strict';
import { ALL_TOOLS, startBackend } from '../examples/backend/server.mjs';
import { FULL_TOOLS, startFullBackend } from '../examples/backend/full-server.mjs';
import { startSseScriptBackend } from './support/backends.mjs';
import { postJson, withEnvoyLog } from './support/envoy.mjs';
import {
  SESSION_HEADER, PROTOCOL, rpc, note, INIT_PARAMS, startGateway, connect, waitFor, parseSse,
  openStream, rawSession, sessionPost, gatewaySuite,
} from './support/passthrough.mjs';

// ---------------------------------------------------------------------------------------------
// 8. Tool policy in flight.

/**
 * The tool policy's two invariants, checked against request bodies written in every legal
 * (and some merely tolerated) JSON form: a backend never receives a tools/call of a tool
 * outside the policy, and no tools/list reply shows one. Backends parse with JSON.parse, so
 * escapes (`\\/`, `\\u0063`), non-canonical numbers (`1.0`, `1e1`, `-0`), duplicate keys
 * (last wins) and batches must all be read the way the backend will read them.
 */
function policyInvariantTests(test, ctx, { all, allowed, denied, allowedCall }) {
  const forbidden = all.filter((t) => !allowed.includes(t));
  const escFirst = (name) => `\\u00${name.charCodeAt(0).toString(16)}${name.slice(1)}`;
  const args = (o) => JSON.stringify(o);
  const D = `"name":"${denied.name}","arguments":${args(denied.args)}`;
  const A = `"name":"${allowedCall.name}","arguments":${args(allowedCall.args)}`;
  const callBodies = {
    'duplicate "name" keys, the denied one last': `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"${allowedCall.name}",${D}}}`,
    'duplicate "params", the denied one last': `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{${A}},"params":{${D}}}`,
    'duplicate "method", tools/call last': `{"jsonrpc":"2.0","id":3,"method":"ping","method":"tools/call","params":{${D}}}`,
    'method written "tools\\/call"': `{"jsonrpc":"2.0","id":4,"method":"tools\\/call","params":{${D}}}`,
    'method written "tools/\\u0063all"': `{"jsonrpc":"2.0","id":5,"method":"tools/\\u0063all","params":{${D}}}`,
    'tool name with a \\u escape': `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"${escFirst(denied.name)}","arguments":${args(denied.args)}}}`,
    'a batch: allowed call, denied call': `[{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{${A}}},{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{${D}}}]`,
    'a batch: ping, denied call': `[{"jsonrpc":"2.0","id":9,"method":"ping"},{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{${D}}}]`,
  };
  const listBodies = {
    'string id with a \\u escape': '{"jsonrpc":"2.0","id":"\\u0041b","method":"tools/list"}',
    'string id with "\\/"': '{"jsonrpc":"2.0","id":"a\\/b","method":"tools/list"}',
    'numeric id 1.0': '{"jsonrpc":"2.0","id":1.0,"method":"tools/list"}',
    'numeric id 1e1': '{"jsonrpc":"2.0","id":1e1,"method":"tools/list"}',
    'numeric id -0': '{"jsonrpc":"2.0","id":-0,"method":"tools/list"}',
    'duplicate "id", last wins': '{"jsonrpc":"2.0","id":11,"method":"tools/list","id":12}',
    'method written "tools\\/list"': '{"jsonrpc":"2.0","id":13,"method":"tools\\/list"}',
    'method written "tools/\\u006cist"': '{"jsonrpc":"2.0","id":14,"method":"tools/\\u006cist"}',
    'a batch of two tools/list': '[{"jsonrpc":"2.0","id":15,"method":"tools/list"},{"jsonrpc":"2.0","id":16,"method":"tools/list"}]',
    'a batch: ping, tools/list': '[{"jsonrpc":"2.0","id":17,"method":"ping"},{"jsonrpc":"2.0","id":18,"method":"tools/list"}]',
  };
  /** Tool names a backend request body asks to call (JSON.parse, as the backend reads it). */
  const calledTools = (r) => {
    let parsed;
    try { parsed = JSON.parse(r.text); } catch { return []; }
    return (Array.isArray(parsed) ? parsed : [parsed]).filter((m) => m?.method === 'tools/call').map((m) => m.params?.name);
  };

  test('policy invariant: however a tools/call is written, the backend never runs a denied tool', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    const failures = [];
    for (const [what, body] of Object.entries(callBodies)) {
      const from = ctx.backend.requests.length;
      const r = await sessionPost(ctx.envoy.url, gid, body);
      const ran = ctx.backend.requests.slice(from).flatMap(calledTools).filter((n) => !allowed.includes(n));
      if (ran.length > 0) failures.push(`${what}: backend received tools/call ${ran.join(', ')} (HTTP ${r.status}: ${r.text.slice(0, 160)})\n    request: ${body}`);
    }
    assert.deepEqual(failures, []);
  });

  test('policy invariant: however a tools/list is written, no denied tool reaches the client', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    const failures = [];
    for (const [what, body] of Object.entries(listBodies)) {
      const r = await sessionPost(ctx.envoy.url, gid, body);
      const shown = forbidden.filter((n) => new RegExp(`"name"\\s*:\\s*"${n}"`).test(r.text));
      if (shown.length > 0) failures.push(`${what}: reply shows ${shown.join(', ')}\n    request: ${body}\n    reply (HTTP ${r.status}): ${r.text.slice(0, 160).replace(/\n/g, '\\n')}`);
    }
    assert.deepEqual(failures, []);
  });
}


gatewaySuite('pass-through: allowTools with a JSON backend', {
  backend: () => startBackend({ json: true }),
  config: { allowTools: ['echo', 'weather', 'image', 'slow_progress'] },
}, (test, ctx) => {
  const allowed = ALL_TOOLS.filter((t) => ['echo', 'weather', 'image', 'slow_progress'].includes(t));

  test('listTools is filtered; allowed calls work; a denied call never reaches the backend', async () => {
    const s = await ctx.connect();
    const { tools } = await s.client.listTools();
    assert.deepEqual(tools.map((t) => t.name), allowed);
    assert.ok(tools.find((t) => t.name === 'echo').inputSchema.properties.text, 'tool definitions kept whole');
    assert.equal((await s.client.callTool({ name: 'echo', arguments: { text: 'ok' } })).content[0].text, 'ok');
    const from = ctx.backend.requests.length;
    await assert.rejects(s.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } }), (err) => {
      assert.equal(err.code, -32602);
      assert.match(err.message, /Tool not allowed: add/);
      return true;
    });
    assert.deepEqual(ctx.backend.requests.slice(from), [], 'the backend saw the denied call');
    assert.ok(!ctx.backend.requests.some((r) => r.body?.params?.name === 'add'));
  });

  test('raw tools/list: body rewritten, content-length matches, id kept exactly', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    // (The SDK backend itself rejects ids beyond 2^53, so no huge number here.)
    for (const id of ['"list-1"', '9007199254740991', '0', '"ü"']) {
      const body = `{"jsonrpc":"2.0","id":${id},"method":"tools/list"}`;
      const r = await sessionPost(ctx.envoy.url, gid, body);
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers['content-type'], /application\/json/);
      assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.text), 'content-length of the rewritten body');
      assert.deepEqual(r.json.result.tools.map((t) => t.name), allowed, `tools/list with id ${id} not filtered`);
      assert.deepEqual(r.json.id, JSON.parse(id));
    }
    // A denied call answered locally with the client's id, HTTP 200.
    const d = await sessionPost(ctx.envoy.url, gid, '{"jsonrpc":"2.0","id":"d-1","method":"tools/call","params":{"name":"fail","arguments":{}}}');
    assert.equal(d.status, 200);
    assert.deepEqual(d.json, { jsonrpc: '2.0', id: 'd-1', error: { code: -32602, message: 'Tool not allowed: fail' } });
  });

  test('paginated tools/list: every page filtered, cursors kept; a backend error passes unchanged', async () => {
    ctx.backend.setPageSize(3);
    try {
      const s = await ctx.connect();
      const names = [];
      let cursor;
      let pages = 0;
      do {
        const page = await s.client.listTools(cursor === undefined ? {} : { cursor });
        names.push(...page.tools.map((t) => t.name));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== undefined && pages < 20);
      assert.equal(pages, Math.ceil(ALL_TOOLS.length / 3));
      assert.deepEqual(names, allowed);
      const { gid } = await rawSession(ctx.envoy.url);
      const r = await sessionPost(ctx.envoy.url, gid, rpc(8, 'tools/list', { cursor: 'bm90IGEgbnVtYmVy' }));
      assert.equal(r.json?.error?.code, -32602, r.text);
      assert.match(r.json.error.message, /Invalid cursor/);
      assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.text));
    } finally {
      ctx.backend.setPageSize(0);
    }
  });

  test('x-envoy-allow-mcp-tools narrows the set and never reaches the backend', async () => {
    const s = await ctx.connect({ headers: { 'x-envoy-allow-mcp-tools': ' echo , fail,add ' } });
    const { tools } = await s.client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ['echo']);
    assert.equal((await s.client.callTool({ name: 'echo', arguments: { text: 'n' } })).content[0].text, 'n');
    for (const name of ['weather', 'fail', 'add']) {
      await assert.rejects(s.client.callTool({ name, arguments: {} }), new RegExp(`Tool not allowed: ${name}`));
    }
    assert.ok(!ctx.backend.requests.some((r) => 'x-envoy-allow-mcp-tools' in r.headers), 'the header reached the backend');
    assert.ok(!ctx.backend.requests.some((r) => r.body?.method === 'tools/call' && ['weather', 'fail', 'add'].includes(r.body.params?.name)));
  });

  policyInvariantTests(test, ctx, { all: ALL_TOOLS, allowed, denied: { name: 'add', args: { a: 1, b: 2 } }, allowedCall: { name: 'echo', args: { text: 'x' } } });
});

gatewaySuite('pass-through: allowTools with an SSE backend', {
  backend: () => startFullBackend({ logOnToolsList: true }),
  config: { allowTools: ['echo', 'progress', 'ask'] },
}, (test, ctx) => {
  test('listTools filtered; the log notification in the same SSE reply arrives untouched', async () => {
    const s = await ctx.connect({ sampling: true });
    const { tools } = await s.client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ['echo', 'progress', 'ask']);
    await waitFor(() => s.notifications.find((n) => n.method === 'notifications/message' && n.params?.data === 'listing tools'), 'the log notification');
    const progress = [];
    const r = await s.client.callTool({ name: 'progress', arguments: { steps: 2 } }, undefined, { onprogress: (p) => progress.push(p) });
    assert.equal(r.content[0].text, 'done after 2 steps');
    assert.equal(progress.length, 2);
    assert.match((await s.client.callTool({ name: 'ask', arguments: { question: 'q' } })).content[0].text, /answer to "q"/);
    const from = ctx.backend.requests.length;
    await assert.rejects(s.client.callTool({ name: 'weather', arguments: { city: 'x' } }), /Tool not allowed: weather/);
    assert.deepEqual(ctx.backend.requests.slice(from), []);
  });

  test('raw: two events in the reply, only the result\'s is filtered', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    const r = await sessionPost(ctx.envoy.url, gid, rpc('L', 'tools/list'));
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'], /text\/event-stream/);
    const events = parseSse(r.text);
    assert.equal(events.length, 2, r.text);
    assert.deepEqual(JSON.parse(events[0].data), note('notifications/message', { level: 'info', logger: 'tools/list', data: 'listing tools' }));
    const res = JSON.parse(events[1].data);
    assert.equal(res.id, 'L');
    assert.deepEqual(res.result.tools.map((t) => t.name), ['echo', 'progress', 'ask']);
  });

  policyInvariantTests(test, ctx, { all: FULL_TOOLS, allowed: ['echo', 'progress', 'ask'], denied: { name: 'weather', args: { city: 'x' } }, allowedCall: { name: 'echo', args: { text: 'x' } } });
});

gatewaySuite('pass-through: tools/list over a scripted SSE stream (exact bytes)', {
  backend: () => startSseScriptBackend(),
  config: { allowTools: ['keep_a', 'keep_b'] },
}, (test, ctx) => {
  test('events before and after the result pass byte for byte; the result is rewritten; chunks stream', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    const script = ctx.backend.toolsListScript(41);
    const gate = ctx.backend.hold('tools/list');
    const stream = await openStream(ctx.envoy.url, {
      method: 'POST',
      body: '{"jsonrpc":"2.0","id":41,"method":"tools/list"}',
      headers: { accept: 'application/json, text/event-stream', [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL },
    });
    // Streamed, not buffered: every event written before the pause reaches the client while
    // the backend still holds the rest of its reply (a buffering gateway would deliver nothing).
    await gate.reached;
    await stream.waitFor((t) => t.length >= script.before.length, 'the events before the pause, while the backend holds the result');
    assert.equal(stream.text(), script.before);
    gate.release();
    await waitFor(() => stream.ended(), 'the end of the SSE reply', 10000);
    const text = stream.text();
    // Everything the backend wrote before the result event, unchanged.
    assert.ok(text.startsWith(script.before), `prefix changed:\n${JSON.stringify(text.slice(0, script.before.length + 40))}`);
    assert.ok(text.endsWith(script.after), `suffix changed:\n${JSON.stringify(text.slice(-script.after.length - 40))}`);
    const middle = parseSse(text.slice(script.before.length, text.length - script.after.length));
    assert.equal(middle.length, 1, `the result event: ${text}`);
    assert.equal(middle[0].id, 'ev-3');
    const res = JSON.parse(middle[0].data);
    assert.equal(res.id, 41);
    assert.deepEqual(res.result.tools.map((t) => t.name), ['keep_a', 'keep_b']);
    assert.equal(res.result.nextCursor, 'page-2');
  });

  test('a non-tools/list SSE reply streams through untouched, chunk by chunk', async () => {
    const { gid } = await rawSession(ctx.envoy.url);
    const [first, second] = ctx.backend.slowCallScript(5);
    const gate = ctx.backend.hold('tools/call');
    const stream = await openStream(ctx.envoy.url, {
      method: 'POST',
      body: '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"keep_a","arguments":{}}}',
      headers: { accept: 'application/json, text/event-stream', [SESSION_HEADER]: gid, 'mcp-protocol-version': PROTOCOL },
    });
    // The progress event reaches the client while the backend still holds the result.
    await gate.reached;
    await stream.waitFor((t) => t.length >= first.length, 'the progress event, while the backend holds the result');
    assert.equal(stream.text(), first);
    gate.release();
    await waitFor(() => stream.ended(), 'the end of the SSE reply', 10000);
    assert.equal(stream.text(), first + second);
  });
});

// ---------------------------------------------------------------------------------------------
// 10. Stateless backends.

gatewaySuite('pass-through: a stateless backend', {
  backend: () => startBackend({ stateless: true }),
}, (test, ctx) => {
  test('SDK client works; no session id is issued or sent', async () => {
    const s = await ctx.connect();
    assert.equal(s.transport.sessionId, undefined);
    assert.deepEqual((await s.client.listTools()).tools.map((t) => t.name), ALL_TOOLS);
    assert.equal((await s.client.callTool({ name: 'echo', arguments: { text: 'stateless' } })).content[0].text, 'stateless');
    const progress = [];
    const r = await s.client.callTool({ name: 'slow_progress', arguments: {} }, undefined, { onprogress: (p) => progress.push(p) });
    assert.equal(r.content[0].text, 'done after 2 steps');
    assert.equal(progress.length, 2);
    const init = await postJson(ctx.envoy.url, rpc(1, 'initialize', INIT_PARAMS));
    assert.equal(init.status, 200);
    assert.equal(init.headers[SESSION_HEADER], undefined);
    assert.ok(!ctx.backend.requests.some((q) => q.headers[SESSION_HEADER] !== undefined));
  });

  test('with allowTools: filtered list and local denial', async () => {
    // Same backend, a second gateway with a policy.
    const envoy = await startGateway(ctx.backend, { allowTools: ['echo'] });
    try {
      await withEnvoyLog(envoy, async () => {
        const s = await connect(envoy.url);
        try {
          assert.deepEqual((await s.client.listTools()).tools.map((t) => t.name), ['echo']);
          await assert.rejects(s.client.callTool({ name: 'add', arguments: { a: 1, b: 1 } }), /Tool not allowed: add/);
        } finally {
          await s.client.close().catch(() => {});
        }
      });
    } finally {
      await envoy.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Security schemes apply in pass-through mode too.

gatewaySuite('pass-through: security schemes', {
  backend: () => startBackend(),
  config: {
    server: {
      securitySchemes: [
        { id: 'ClientBearer', type: 'http', scheme: 'bearer' },
        { id: 'BackendKey', type: 'apiKey', in: 'header', name: 'x-api-key', defaultCredential: 'k-backend' },
      ],
      defaultDownstreamSecurity: { id: 'ClientBearer', required: true },
      defaultUpstreamSecurity: { id: 'BackendKey' },
    },
  },
}, (test, ctx) => {
  test('no client credential → 401 before the backend; with one, the backend gets its own key only', async () => {
    const from = ctx.backend.requests.length;
    const r = await postJson(ctx.envoy.url, rpc(1, 'initialize', INIT_PARAMS));
    assert.equal(r.status, 401, r.text);
    assert.match(r.headers['www-authenticate'] ?? '', /^Bearer realm="mcp"/);
    assert.deepEqual(ctx.backend.requests.slice(from), []);
    const s = await ctx.connect({ headers: { Authorization: 'Bearer client-secret' } });
    assert.equal((await s.client.callTool({ name: 'echo', arguments: { text: 'auth' } })).content[0].text, 'auth');
    await waitFor(() => ctx.backend.requests.slice(from).some((q) => q.method === 'GET'), 'the GET stream');
    const seen = ctx.backend.requests.slice(from);
    assert.ok(seen.length >= 4);
    for (const q of seen) {
      assert.equal(q.headers['x-api-key'], 'k-backend', `${q.method} ${q.body?.method ?? ''}`);
      assert.equal(q.headers.authorization, undefined, `${q.method} ${q.body?.method ?? ''} carried the client's credential`);
    }
    // A later request of the session without the credential is refused too.
    const gid = s.transport.sessionId;
    const n = ctx.backend.requests.length;
    const un = await sessionPost(ctx.envoy.url, gid, rpc(9, 'ping'));
    assert.equal(un.status, 401);
    assert.equal(ctx.backend.requests.length, n);
  });
});
