// E2E, pass-through mode: key spellings that backends read differently from the gateway.
// Go's encoding/json (mcp-go) matches object keys case-insensitively, with Unicode simple case
// folding (U+017F LATIN SMALL LETTER LONG S matches "s"), and lets the last match win; every
// backend lets the last of duplicate keys win. Under a policy, a message whose top-level keys
// (jsonrpc, method, id, params) or params keys (name, arguments) are respelled by case or
// folding, or repeated (also through \u escapes), is refused: HTTP 400, JSON-RPC -32600, not
// forwarded. (U+212A KELVIN SIGN folds to "k", which none of these keys contains: a key made
// of it is just another unknown key.)
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertNotExecuted, assertRpcError, gwTest, messagesOf, openSession, ptConfig, sessionPost, startGateway,
  startRecordingBackend,
} from './support/failclosed.mjs';

const ALLOW = ['echo'];
const ADD = '"arguments":{"a":1,"b":2,"text":"t"}';
const call = (id, params, extra = '') => `{"jsonrpc":"2.0","id":${id},"method":"tools/call"${extra},"params":{${params}}}`;

/** Respelled keys: ASCII case. Each would make mcp-go run `add`, or is refused all the same. */
const ASCII_CASE = {
  'params {"name":"echo","Name":"add"}': call(1, `"name":"echo","Name":"add",${ADD}`),
  'params {"name":"echo","NAME":"add"}': call(2, `"name":"echo","NAME":"add",${ADD}`),
  '"method":"ping","METHOD":"tools/call"': `{"jsonrpc":"2.0","id":3,"method":"ping","METHOD":"tools/call","params":{"name":"add",${ADD}}}`,
  '"method":"ping","Method":"tools/call"': `{"jsonrpc":"2.0","id":4,"method":"ping","Method":"tools/call","params":{"name":"add",${ADD}}}`,
  'a second "Params" with the denied call': call(5, `"name":"echo","arguments":{"text":"t"}`).replace(/}$/, `,"Params":{"name":"add",${ADD}}}`),
  '"ARGUMENTS" for an allowed tool': call(6, '"name":"echo","ARGUMENTS":{"text":"t"}'),
  '"JSONRPC" and "ID" beside the exact keys': '{"jsonrpc":"2.0","JSONRPC":"2.0","id":7,"ID":8,"method":"tools/call","params":{"name":"echo","arguments":{"text":"t"}}}',
};

/** Respelled keys: Unicode case folding (U+017F ≈ s), escaped and as raw UTF-8. */
const FOLDED = {
  'a second "param\\u017f" with the denied call': call(11, '"name":"echo","arguments":{"text":"t"}').replace(/}$/, `,"param\\u017f":{"name":"add",${ADD}}}`),
  'a second "paramſ" (raw UTF-8) with the denied call': call(12, '"name":"echo","arguments":{"text":"t"}').replace(/}$/, `,"paramſ":{"name":"add",${ADD}}}`),
  '"argument\\u017f" for an allowed tool': call(13, '"name":"echo","argument\\u017f":{"text":"t"}'),
  '"j\\u017fonrpc" beside "jsonrpc"': '{"jsonrpc":"2.0","j\\u017fonrpc":"2.0","id":14,"method":"tools/call","params":{"name":"echo","arguments":{"text":"t"}}}',
};

/** Repeated keys, literally and through \u escapes. */
const REPEATED = {
  'params "name" twice, the denied one last': call(21, `"name":"echo","name":"add",${ADD}`),
  'params "name" twice, the allowed one last': call(22, `"name":"add","name":"echo",${ADD}`),
  'params "name" then "\\u006eame" (denied)': call(23, `"name":"echo","\\u006eame":"add",${ADD}`),
  '"method" then "\\u006dethod":"tools/call"': `{"jsonrpc":"2.0","id":24,"method":"ping","\\u006dethod":"tools/call","params":{"name":"add",${ADD}}}`,
  '"params" twice, the denied one last': call(25, '"name":"echo","arguments":{"text":"t"}').replace(/}$/, `,"params":{"name":"add",${ADD}}}`),
  '"id" twice': '{"jsonrpc":"2.0","id":26,"id":27,"method":"tools/call","params":{"name":"echo","arguments":{"text":"t"}}}',
  '"arguments" twice': call(28, '"name":"echo","arguments":{"text":"a"},"arguments":{"text":"b"}'),
};

for (const kind of ['go', 'ts']) {
  describe(`fail-closed key spellings (${kind} backend)`, () => {
    let backend;
    let envoy;
    /** How many requests the backend has received so far. */
    const received = async () => (kind === 'go' ? (await backend.requests()).length : backend.requests.length);
    before(async () => {
      backend = await startRecordingBackend(kind);
      envoy = await startGateway(backend, ptConfig(backend, { allowTools: ALLOW }));
    });
    after(async () => {
      await envoy?.stop();
      await backend?.close();
    });

    /** Each body → 400 -32600, nothing forwarded, add never executed; failures collected. */
    async function refusesAll(cases) {
      const gid = await openSession(envoy.url);
      const failures = [];
      for (const [what, body] of Object.entries(cases)) {
        const before = await backend.executed();
        const n = await received();
        const r = await sessionPost(envoy.url, gid, body);
        const ran = (await backend.executed()).slice(before.length);
        const forwarded = (await received()) - n;
        const problems = [];
        if (ran.includes('add')) problems.push('the backend EXECUTED add');
        if (forwarded > 0) problems.push(`forwarded (${forwarded} request(s) reached the backend; it ran ${JSON.stringify(ran)})`);
        if (r.status !== 400) problems.push(`HTTP ${r.status}`);
        if (r.json?.error?.code !== -32600) problems.push(`code ${r.json?.error?.code}`);
        if (problems.length > 0) failures.push(`${what}: ${problems.join('; ')}: ${r.text.replace(/\n/g, '\\n').slice(0, 140)}`);
      }
      assert.deepEqual(failures, []);
    }

    gwTest('keys respelled by ASCII case → 400 -32600, not forwarded', () => envoy, () => refusesAll(ASCII_CASE));
    gwTest('keys respelled by Unicode case folding (U+017F) → 400 -32600, not forwarded', () => envoy, () => refusesAll(FOLDED));
    gwTest('repeated keys, also via \\u escapes → 400 -32600, not forwarded', () => envoy, () => refusesAll(REPEATED));

    if (kind === 'go') {
      gwTest('mcp-go: {"name":"echo","Name":"add"} and "method":"ping","METHOD":"tools/call" never run add', () => envoy, async () => {
        const gid = await openSession(envoy.url);
        const before = await backend.executed();
        const a = await sessionPost(envoy.url, gid, call(31, `"name":"echo","Name":"add",${ADD}`));
        const b = await sessionPost(envoy.url, gid, `{"jsonrpc":"2.0","id":32,"method":"ping","METHOD":"tools/call","params":{"name":"add",${ADD}}}`);
        await assertNotExecuted(backend, ['add'], before, 'respelled keys');
        assertRpcError(a, 400, -32600, '"Name":"add"');
        assertRpcError(b, 400, -32600, '"METHOD":"tools/call"');
      });
    }

    gwTest('control: exact keys, and unrelated keys (_meta with a U+212A key) still pass', () => envoy, async () => {
      const gid = await openSession(envoy.url);
      const before = await backend.executed();
      const r = await sessionPost(envoy.url, gid, '{"jsonrpc":"2.0","id":41,"method":"tools/call","params":{"name":"echo","arguments":{"text":"fine"},"_meta":{"progressToken":"p","\\u212a":1}}}');
      assert.equal(r.status, 200, r.text);
      assert.equal(messagesOf(r).at(-1)?.result?.content?.[0]?.text, 'fine', r.text);
      assert.deepEqual((await backend.executed()).slice(before.length), ['echo']);
    });
  });
}
