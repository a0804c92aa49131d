// Self-test of the e2e support code (no wasm needed): the Envoy harness on a trivial config,
// the example backend driven directly by the SDK client, and the misbehaving backends.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ALL_TOOLS, TINY_PNG_BASE64, startBackend } from '../examples/backend/server.mjs';
import {
  closedPort, startErrorBackend, startGarbageBackend, startHangingBackend, startResetBackend,
  startVersionRejectingBackend,
} from './support/backends.mjs';
import { postJson, rawRequest, renderEnvoyConfig, startEnvoy, startEnvoyExpectFailure } from './support/envoy.mjs';

const isAlive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

const DIRECT_RESPONSE_YAML = `
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: \${ADMIN_PORT} } }
static_resources:
  listeners:
  - name: plain
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: plain
          access_log:
          - name: envoy.access_loggers.file
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: "\${ACCESS_LOG}"
              log_format: { text_format_source: { inline_string: "%REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE%\\n" } }
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: { prefix: "/" }
                direct_response: { status: 200, body: { inline_string: '{"ok":true}' } }
          http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
`;

describe('envoy harness', () => {
  it('renders the template with every placeholder filled and the plugin config as a YAML string', () => {
    const yaml = renderEnvoyConfig({
      listenPort: 1001, adminPort: 1002, backendPort: 1003, accessLog: '/tmp/a.log',
      pluginConfig: { server: { name: 'n"q' } },
    });
    assert.doesNotMatch(yaml.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n'), /\$\{/);
    assert.match(yaml, /port_value: 1001 /);
    assert.match(yaml, /port_value: 1002 /);
    assert.match(yaml, /port_value: 1003 /);
    assert.ok(yaml.includes(`value: ${JSON.stringify(JSON.stringify({ server: { name: 'n"q' } }))}`));
    assert.match(yaml, /filename: "\/.*\/build\/mcp-proxy\.wasm"/);
  });

  it('starts Envoy, serves, writes the access log, and stops it by pid', { timeout: 30000 }, async () => {
    const envoy = await startEnvoy({ configYaml: DIRECT_RESPONSE_YAML });
    try {
      assert.match(envoy.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      assert.ok(isAlive(envoy.pid));
      const reply = await postJson(envoy.url, { a: 1 });
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.json, { ok: true });
      let lines = [];
      for (let i = 0; i < 40 && lines.length === 0; i++) {
        lines = envoy.accessLog();
        if (lines.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(lines, ['POST /mcp 200']);
      assert.match(envoy.log(), /starting main dispatch loop|all clusters initialized/);
    } finally {
      await envoy.stop();
    }
    assert.equal(isAlive(envoy.pid), false);
    assert.ok(envoy.log().length > 0, 'log still readable after stop');
  });

  it('rejects with the log when Envoy exits during startup', { timeout: 30000 }, async () => {
    await assert.rejects(
      startEnvoy({ backendPort: 1, pluginConfig: {}, wasmPath: '/nonexistent/filter.wasm' }),
      (err) => {
        assert.match(err.message, /Envoy exited before it was ready/);
        assert.match(err.log, /nonexistent\/filter\.wasm/);
        assert.equal(err.exitCode, 1);
        return true;
      },
    );
    const failed = await startEnvoyExpectFailure({ backendPort: 1, pluginConfig: {}, wasmPath: '/nonexistent/filter.wasm' });
    assert.equal(failed.exitCode, 1);
    assert.match(failed.log, /nonexistent\/filter\.wasm/);
  });
});

describe('example backend (SDK client, no gateway)', () => {
  for (const stateless of [false, true]) {
    for (const json of [false, true]) {
      it(`${stateless ? 'stateless' : 'stateful'} ${json ? 'JSON' : 'SSE'}: tools, pagination, progress`, { timeout: 20000 }, async () => {
        const backend = await startBackend({ stateless, json, pageSize: 3 });
        const client = new Client({ name: 'self-test', version: '1.0.0' });
        try {
          await client.connect(new StreamableHTTPClientTransport(new URL(backend.url)));
          const names = [];
          let cursor;
          let pages = 0;
          do {
            const page = await client.listTools(cursor ? { cursor } : {});
            pages++;
            assert.ok(page.tools.length <= 3);
            names.push(...page.tools.map((t) => t.name));
            cursor = page.nextCursor;
          } while (cursor);
          assert.deepEqual(names, ALL_TOOLS);
          assert.equal(pages, Math.ceil(ALL_TOOLS.length / 3));
          const image = await client.callTool({ name: 'image', arguments: {} });
          assert.deepEqual(image.content, [{ type: 'image', data: TINY_PNG_BASE64, mimeType: 'image/png' }]);
          assert.deepEqual((await client.callTool({ name: 'weather', arguments: { city: 'Oslo' } })).structuredContent,
            { city: 'Oslo', temperature: 21.5, conditions: 'sunny' });
          assert.equal((await client.callTool({ name: 'fail', arguments: {} })).isError, true);
          const progress = [];
          const slow = await client.callTool({ name: 'slow_progress', arguments: {} }, undefined, { onprogress: (p) => progress.push(p.progress) });
          assert.equal(slow.content[0].text, 'done after 2 steps');
          assert.deepEqual(progress, json ? [] : [1, 2]);
          assert.equal(backend.sessions.size, stateless ? 0 : 1);
          assert.ok(backend.requests.some((r) => r.body?.method === 'tools/call'));
        } finally {
          await client.close();
          await backend.close();
        }
      });
    }
  }

  it('SSE replies carry progress and log events before the response', async () => {
    const backend = await startBackend({ stateless: true });
    try {
      const init = await postJson(backend.url, {
        jsonrpc: '2.0', id: 1, method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
      });
      assert.match(init.headers['content-type'], /text\/event-stream/);
      const reply = await postJson(backend.url, {
        jsonrpc: '2.0', id: 2, method: 'tools/call',
        params: { name: 'slow_progress', arguments: {}, _meta: { progressToken: 'tok' } },
      }, { 'mcp-protocol-version': '2025-06-18' });
      const events = reply.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
      assert.deepEqual(events.map((e) => e.method ?? `response ${e.id}`),
        ['notifications/progress', 'notifications/progress', 'notifications/message', 'response 2']);
    } finally {
      await backend.close();
    }
  });
});

describe('misbehaving backends', () => {
  it('hanging, error, reset, garbage, version-rejecting, closed port', { timeout: 20000 }, async () => {
    const hanging = await startHangingBackend();
    await assert.rejects(rawRequest(hanging.url, { body: '{}', timeoutMs: 300 }), /timed out/);
    await hanging.close();

    const error = await startErrorBackend(500);
    assert.equal((await postJson(error.url, {})).status, 500);
    await error.close();

    const reset = await startResetBackend();
    await assert.rejects(postJson(reset.url, {}), /ECONNRESET|socket hang up/);
    await reset.close();

    const garbage = await startGarbageBackend();
    const g = await postJson(garbage.url, {});
    assert.equal(g.status, 200);
    assert.equal(g.text, 'not json');
    await garbage.close();

    const rejecting = await startVersionRejectingBackend();
    const r = await postJson(rejecting.url, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: 'x' } });
    assert.equal(r.json.error.code, -32602);
    assert.equal((await postJson(rejecting.url, { jsonrpc: '2.0', method: 'notifications/initialized' })).status, 202);
    await rejecting.close();

    const closed = await closedPort();
    await assert.rejects(postJson(closed.url, {}), /ECONNREFUSED/);
  });
});

describe('recording backends (SDK client, no gateway)', () => {
  for (const kind of ['ts', 'ts-express', 'go', 'py']) {
    it(`${kind}: records each executed tool call, and nothing for a call that did not run`, { timeout: 120000 }, async () => {
      const { startRecordingBackend } = await import('./support/failclosed.mjs');
      const backend = await startRecordingBackend(kind === 'ts-express' ? 'ts' : kind, kind === 'ts-express' ? { express: true } : {});
      const client = new Client({ name: 'support-test', version: '1.0.0' });
      try {
        await client.connect(new StreamableHTTPClientTransport(new URL(backend.url)));
        assert.deepEqual((await client.listTools()).tools.map((t) => t.name).filter((n) => ['echo', 'add'].includes(n)).sort(), ['add', 'echo']);
        assert.equal((await client.callTool({ name: 'echo', arguments: { text: 'hi' } })).content[0].text, 'hi');
        assert.equal((await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).content[0].text, '5');
        await client.callTool({ name: 'no_such_tool', arguments: {} }).catch(() => {});
        const calls = await backend.calls();
        assert.deepEqual(calls.map((c) => c.name), ['echo', 'add']);
        assert.deepEqual(calls[0].arguments, { text: 'hi' });
        assert.equal(calls[1].arguments.a, 2);
        assert.equal(calls[1].arguments.b, 3);
      } finally {
        await client.close().catch(() => {});
        await backend.close();
      }
      if (backend.pid !== undefined) assert.equal(isAlive(backend.pid), false, 'the backend process was stopped');
    });
  }
});
