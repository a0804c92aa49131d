// E2E, pass-through mode: request bodies the gateway cannot read must not slip past the tool
// policy. Under a policy (allowTools, a non-empty x-envoy-allow-mcp-tools header, or per-tool
// security) a body the gateway's parser refuses — JSON nested deeper than it reads, invalid
// UTF-8 — is answered 400 with JSON-RPC -32700 (id null) and never forwarded, and a POST with a
// Content-Encoding other than identity is answered 415 (-32600): the backends (TypeScript,
// Python and Go SDKs) would happily parse, inflate and run what the gateway could not check.
// Without any policy such bodies still go through to the backend, which answers them itself.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, gzipSync } from 'node:zlib';
import {
  assertNotExecuted, assertRpcError, deepCallBody, gwTest, messagesOf, openSession, ptConfig, rpc, sessionPost,
  startGateway, startRecordingBackend,
} from './support/failclosed.mjs';

const ALLOW = ['echo'];
const ALLOW_HEADER = 'x-envoy-allow-mcp-tools';

/** A tools/call of `add` whose last string value ends in a stray UTF-8 lead byte 0xC3. */
function invalidUtf8Call(id) {
  return Buffer.concat([
    Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2,"note":"x`),
    Buffer.from([0xc3]),
    Buffer.from('"}}}'),
  ]);
}

/**
 * A tools/call of the allowed `echo` whose text holds a stray lead byte 0xC3 before an ASCII
 * letter: a lenient decoder reads the pair as one character and the JSON stays well-formed
 * (Node reads U+FFFD then the letter), so only the UTF-8 check refuses it.
 */
function strayByteEcho(id) {
  return Buffer.concat([
    Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"a`),
    Buffer.from([0xc3]),
    Buffer.from('b"}}}'),
  ]);
}

/**
 * Nesting depths to try per backend: each backend accepts and runs these bodies when it gets
 * them directly. The gateway reads 256 levels; Python's SDK stops validating at 257 levels
 * (arguments 254 deep + body, params, arguments), so only that one level of window is open
 * there.
 */
const DEPTHS = { go: [300, 5000], ts: [300, 5000], py: [254] };

for (const kind of ['go', 'ts', 'py']) {
  describe(`fail-closed bodies (${kind} backend)`, () => {
    let backend;
    let guarded; // allowTools: ['echo']
    let open; // no policy at all
    before(async () => {
      backend = await startRecordingBackend(kind);
      guarded = await startGateway(backend, ptConfig(backend, { allowTools: ALLOW }));
      open = await startGateway(backend, ptConfig(backend));
    });
    after(async () => {
      await guarded?.stop();
      await open?.stop();
      await backend?.close();
    });

    gwTest(`a denied tools/call nested ${DEPTHS[kind].join(' / ')} levels deep → 400 -32700, add never runs`, () => guarded, async () => {
      const gid = await openSession(guarded.url);
      for (const depth of DEPTHS[kind]) {
        const before = await backend.executed();
        const r = await sessionPost(guarded.url, gid, deepCallBody(10 + depth, 'add', { a: 1, b: 2 }, depth));
        await assertNotExecuted(backend, ['add'], before, `depth ${depth}`);
        assertRpcError(r, 400, -32700, `depth ${depth}`, { id: null });
      }
    });

    gwTest('the x-envoy-allow-mcp-tools header alone is a policy: a deep denied call → 400 -32700', () => open, async () => {
      const headers = { [ALLOW_HEADER]: 'echo' };
      const gid = await openSession(open.url, headers);
      const depth = DEPTHS[kind].at(-1);
      const before = await backend.executed();
      const r = await sessionPost(open.url, gid, deepCallBody(20, 'add', { a: 1, b: 2 }, depth), headers);
      await assertNotExecuted(backend, ['add'], before, `depth ${depth} under the header`);
      assertRpcError(r, 400, -32700, `depth ${depth} under the header`, { id: null });
    });

    gwTest('a tools/list with deep nesting in params → 400 -32700, never an unfiltered list', () => guarded, async () => {
      const gid = await openSession(guarded.url);
      const depth = DEPTHS[kind].at(-1);
      const body = `{"jsonrpc":"2.0","id":30,"method":"tools/list","params":{"_meta":{"deep":${'['.repeat(depth)}${']'.repeat(depth)}}}}`;
      const r = await sessionPost(guarded.url, gid, body);
      const listed = messagesOf(r).flatMap((m) => m.result?.tools ?? []).map((t) => t.name);
      assert.ok(!listed.includes('add'), `the unfiltered list reached the client: ${listed}`);
      assertRpcError(r, 400, -32700, `tools/list at depth ${depth}`, { id: null });
    });

    if (kind !== 'py') {
      gwTest('invalid UTF-8 (0xC3 before a closing quote) in a denied tools/call → 400 -32700, add never runs', () => guarded, async () => {
        const gid = await openSession(guarded.url);
        const before = await backend.executed();
        const r = await sessionPost(guarded.url, gid, invalidUtf8Call(40));
        await assertNotExecuted(backend, ['add'], before, 'invalid UTF-8');
        assertRpcError(r, 400, -32700, 'invalid UTF-8', { id: null });
      });
    }

    gwTest('invalid UTF-8 in an allowed call (0xC3 before a letter, the JSON still well-formed) → 400 -32700, never forwarded', () => guarded, async () => {
      const gid = await openSession(guarded.url);
      const before = await backend.executed();
      const r = await sessionPost(guarded.url, gid, strayByteEcho(45));
      assertRpcError(r, 400, -32700, '0xC3 before a letter', { id: null });
      assert.deepEqual((await backend.executed()).slice(before.length), [], 'the body reached the backend');
    });

    gwTest('without any policy the same bodies are forwarded: the backend runs them', () => open, async () => {
      const gid = await openSession(open.url);
      const depth = DEPTHS[kind].at(-1);
      const before = await backend.executed();
      const deep = await sessionPost(open.url, gid, deepCallBody(50, 'add', { a: 1, b: 2 }, depth));
      assert.equal(deep.status, 200, `deep call without policy: HTTP ${deep.status}: ${deep.text.slice(0, 200)}`);
      assert.equal(messagesOf(deep).at(-1)?.result?.content?.[0]?.text, '3', deep.text.slice(0, 200));
      const expected = ['add'];
      if (kind !== 'py') {
        const bad = await sessionPost(open.url, gid, invalidUtf8Call(51));
        assert.equal(bad.status, 200, `invalid UTF-8 without policy: HTTP ${bad.status}: ${bad.text.slice(0, 200)}`);
        assert.equal(messagesOf(bad).at(-1)?.result?.content?.[0]?.text, '3', bad.text.slice(0, 200));
        expected.push('add');
      }
      assert.deepEqual((await backend.executed()).slice(before.length), expected);
    });
  });
}

describe('fail-closed bodies: Content-Encoding (TypeScript SDK Express backend, which inflates)', () => {
  let backend;
  let guarded;
  before(async () => {
    backend = await startRecordingBackend('ts', { express: true });
    guarded = await startGateway(backend, ptConfig(backend, { allowTools: ALLOW }));
  });
  after(async () => {
    await guarded?.stop();
    await backend?.close();
  });

  const addCall = (id) => JSON.stringify(rpc(id, 'tools/call', { name: 'add', arguments: { a: 1, b: 2 } }));
  const encodings = {
    gzip: (t) => gzipSync(t),
    deflate: (t) => deflateSync(t),
    'GZIP (upper case)': (t) => gzipSync(t),
    'x-custom': (t) => Buffer.from(t),
  };

  gwTest('a denied tools/call with Content-Encoding gzip / deflate / other → 415 -32600, backend not contacted', () => guarded, async () => {
    const gid = await openSession(guarded.url);
    for (const [what, encode] of Object.entries(encodings)) {
      const header = what.split(' ')[0];
      const before = await backend.executed();
      const from = backend.requests.length;
      const r = await sessionPost(guarded.url, gid, encode(addCall(60)), { 'content-encoding': header });
      await assertNotExecuted(backend, ['add'], before, `content-encoding ${header}`);
      assert.deepEqual(backend.requests.slice(from).map((q) => q.headers['content-encoding']), [], `content-encoding ${header} reached the backend`);
      assertRpcError(r, 415, -32600, `content-encoding ${header}`);
    }
  });

  gwTest('Content-Encoding: identity is an ordinary body (the denied call is refused locally, -32602)', () => guarded, async () => {
    const gid = await openSession(guarded.url);
    const before = await backend.executed();
    const r = await sessionPost(guarded.url, gid, addCall(61), { 'content-encoding': 'identity' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { jsonrpc: '2.0', id: 61, error: { code: -32602, message: 'Tool not allowed: add' } });
    const ok = await sessionPost(guarded.url, gid, rpc(62, 'tools/call', { name: 'echo', arguments: { text: 'plain' } }), { 'content-encoding': 'identity' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(messagesOf(ok).at(-1)?.result?.content?.[0]?.text, 'plain');
    assert.deepEqual((await backend.executed()).slice(before.length), ['echo']);
  });
});
