// `make run`'s script (examples/run.mjs): it starts the example backend and Envoy, prints the
// MCP URL and a way to try it, answers MCP through the gateway, and Ctrl-C (SIGINT) stops
// both — Envoy's pid is gone afterwards.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ROOT, freePort, postJson } from './support/envoy.mjs';

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('make run (examples/run.mjs)', () => {
  it('serves MCP on the printed URL and stops everything on SIGINT', { timeout: 60000 }, async () => {
    const [port, adminPort, backendPort] = [await freePort(), await freePort(), await freePort()];
    const child = spawn(process.execPath, [path.join(ROOT, 'examples', 'run.mjs')], {
      env: { ...process.env, PORT: String(port), ADMIN_PORT: String(adminPort), BACKEND_PORT: String(backendPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      const deadline = Date.now() + 30000;
      while (!/Ctrl-C/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.match(out, new RegExp(`MCP gateway .*http://127\\.0\\.0\\.1:${port}/mcp`), out);
      assert.match(out, /curl -s http:\/\/127\.0\.0\.1:\d+\/mcp .*tools\/call/, out);
      const envoyPid = Number(/envoy pid: (\d+)/.exec(out)[1]);
      assert.ok(alive(envoyPid));

      // The one-line try from the banner, as an HTTP request.
      const reply = await postJson(`http://127.0.0.1:${port}/mcp`,
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hello' } } });
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.json.result.content, [{ type: 'text', text: 'hello' }]);

      // And an MCP client.
      const client = new Client({ name: 'run-test', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
      assert.ok((await client.listTools()).tools.some((t) => t.name === 'echo'));
      await client.close();

      child.kill('SIGINT');
      const status = await exited;
      assert.ok(status.code === 0 || status.code === 130, `exit ${status.code} ${status.signal}\n${out}`); // 130: the conventional Ctrl-C status
      const gone = Date.now() + 5000;
      while (alive(envoyPid) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
      assert.equal(alive(envoyPid), false, 'Envoy still runs after Ctrl-C');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
