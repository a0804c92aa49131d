// The Go MCP backend for e2e tests (tests/go/mcpgo: github.com/mark3labs/mcp-go over
// Streamable HTTP, stateful, tools echo and add, recording what it executed). Built with the
// Go toolchain once per test process; `make install-go` fetches its modules beforehand.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startChildBackend } from './backends.mjs';
import { ROOT, TMP_ROOT } from './envoy.mjs';

/** The Go module of the backend. */
export const GO_BACKEND_DIR = path.join(ROOT, 'tests', 'go', 'mcpgo');
/** Where the binary is built (gitignored). */
export const GO_BACKEND_BIN = path.join(TMP_ROOT, 'go', 'mcpgo');

let built;

/** Builds the backend (once per process); resolves to the binary's path. */
export function buildGoBackend() {
  built ??= (async () => {
    mkdirSync(path.dirname(GO_BACKEND_BIN), { recursive: true });
    try {
      await promisify(execFile)('go', ['build', '-buildvcs=false', '-o', GO_BACKEND_BIN, '.'], {
        cwd: GO_BACKEND_DIR, env: { ...process.env, GOFLAGS: process.env.GOFLAGS ?? '-mod=mod' }, timeout: 300000,
      });
    } catch (err) {
      built = undefined;
      throw new Error(`go build in ${GO_BACKEND_DIR} failed: ${err.message}\n${err.stderr ?? ''}`);
    }
    return GO_BACKEND_BIN;
  })();
  return built;
}

/** GET on the backend itself (not through a gateway), parsed as JSON. */
async function getJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return r.json();
}

/**
 * Builds (once) and starts the Go backend on a free port; resolves once it accepts TCP.
 * `calls()` resolves to the tool calls it executed ({name, arguments}), `requests()` to every
 * HTTP request that reached /mcp ({method, headers, body}); close() stops it by its pid.
 * @returns {Promise<{port: number, url: string, pid: number, calls: () => Promise<Array<{name: string, arguments: object}>>,
 *   requests: () => Promise<Array<{method: string, headers: object, body: string}>>, output: () => string,
 *   close: () => Promise<void>}>}
 */
export async function startGoBackend() {
  const bin = await buildGoBackend();
  const child = await startChildBackend(bin, [], { urlPath: '/mcp', what: 'mcpgo' });
  return {
    ...child,
    calls: () => getJson(`${child.baseUrl}/__calls`),
    requests: () => getJson(`${child.baseUrl}/__requests`),
  };
}
