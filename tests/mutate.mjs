// Mutation testing: does the suite notice when a README promise breaks?
//
//   npm run test:mutate                       every mutant of every table
//   npm run test:mutate -- --only a,b         only the mutants with these ids
//   npm run test:mutate -- --list             print the table and check it applies
//   npm run test:mutate -- --no-baseline      skip the unmutated run of the tests
//   npm run test:mutate -- --keep             keep the temporary copy
//
// The tables live next to the code they break: `assembly/<dir>/mutations.json`, an array of
//   { "id": "...", "file": "<file in that dir>", "original": "<exact text, found exactly once>",
//     "replacement": "<text>", "promise": "<the README promise it breaks>",
//     "tests": ["unit" | "tests/<name>.test.mjs", ...] }
// A mutant is one such edit. Each runs in a temporary copy of the repository (tracked and
// untracked-but-not-ignored files; node_modules symlinked) under tests/.tmp/, never in the
// working tree: apply the edit, rebuild build/mcp-proxy.wasm, run its tests in order until
// one fails (killed) or all pass (survived), restore the file. First the unmutated copy
// runs every listed test once (the baseline: a mutant only counts as killed when the
// same tests pass without it). Prints killed/survived and the score; exits 1 when a mutant
// survived or a table entry no longer applies.
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Longest one test command may run before it is stopped (its mutant counts as killed). */
const COMMAND_TIMEOUT_MS = 10 * 60 * 1000;

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const only = (() => {
  const i = args.indexOf('--only');
  return i >= 0 && args[i + 1] ? new Set(args[i + 1].split(',')) : null;
})();

/** Every mutations.json under assembly/, as entries with repo-relative `path`. */
function loadTables() {
  const entries = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name === 'mutations.json') {
        const table = JSON.parse(readFileSync(p, 'utf8'));
        for (const e of table) entries.push({ ...e, table: path.relative(ROOT, p), path: path.relative(ROOT, path.join(dir, e.file)) });
      }
    }
  };
  walk(path.join(ROOT, 'assembly'));
  return entries;
}

/** Problems with an entry against the working tree ([] when it applies). */
function checkEntry(e, ids) {
  const problems = [];
  for (const k of ['id', 'file', 'original', 'replacement', 'promise', 'tests']) if (!(k in e)) problems.push(`missing "${k}"`);
  if (ids.has(e.id)) problems.push('duplicate id');
  ids.add(e.id);
  if (problems.length) return problems;
  if (e.original === e.replacement) problems.push('replacement equals original');
  const file = path.join(ROOT, e.path);
  if (!existsSync(file)) return [...problems, `${e.path} does not exist`];
  const n = readFileSync(file, 'utf8').split(e.original).length - 1;
  if (n !== 1) problems.push(`original found ${n} times in ${e.path} (must be exactly once)`);
  if (!Array.isArray(e.tests) || e.tests.length === 0) problems.push('no tests');
  for (const t of e.tests ?? []) if (t !== 'unit' && !existsSync(path.join(ROOT, t))) problems.push(`test ${t} does not exist`);
  return problems;
}

/** Files of the working tree worth copying: tracked (not deleted) and untracked-not-ignored. */
function repoFiles() {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\0').filter((f) => f !== '' && existsSync(path.join(ROOT, f)));
}

/** Copies the repository into dir (node_modules symlinked). */
function makeCopy(dir) {
  mkdirSync(dir, { recursive: true });
  for (const f of repoFiles()) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    cpSync(path.join(ROOT, f), path.join(dir, f));
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
}

/** The process group of the command running now (killed on timeout or Ctrl-C). */
let current = null;
const killCurrent = () => {
  if (current === null) return;
  try { process.kill(-current, 'SIGKILL'); } catch { /* gone */ }
};

/**
 * Runs a command in its own process group; resolves { code, output, ms, timedOut }. On
 * timeout the whole group (node, its test processes, their Envoys) is killed by its pid.
 */
function run(cmd, cmdArgs, cwd) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    current = child.pid;
    let output = '';
    child.stdout.on('data', (c) => { output += c; });
    child.stderr.on('data', (c) => { output += c; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killCurrent();
    }, COMMAND_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      current = null;
      resolve({ code: timedOut ? -1 : code, output, ms: Date.now() - started, timedOut });
    });
  });
}

const bin = (dir, name) => path.join(dir, 'node_modules', '.bin', name);
const build = (dir) => run(bin(dir, 'asc'), ['assembly/main.ts', '--target', 'release'], dir);
function runTest(dir, t) {
  if (t === 'unit') return run(bin(dir, 'asp'), ['--config', 'as-pect.config.mjs', '--summary'], dir);
  return run(process.execPath, ['--test', '--test-concurrency=1', t], dir);
}

/** Names of the failing tests in node:test / as-pect output (for the report). */
function failingTests(output) {
  const names = [...output.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map((m) => m[1].trim());
  const leaves = names.filter((n) => !/^tests\//.test(n));
  if (leaves.length) return [...new Set(leaves)].slice(0, 3);
  const asp = [...output.matchAll(/\[Fail\]\s*(.*)/g)].map((m) => m[1].trim());
  return asp.slice(0, 3);
}

const secs = (ms) => `${(ms / 1000).toFixed(0)} s`;

async function main() {
  const all = loadTables();
  const ids = new Set();
  const broken = all.map((e) => [e, checkEntry(e, ids)]).filter(([, p]) => p.length > 0);
  const chosen = all.filter((e) => !only || only.has(e.id));
  if (only) for (const id of only) if (!all.some((e) => e.id === id)) broken.push([{ id, table: '(none)' }, ['no such id']]);
  if (flag('list') || broken.length) {
    for (const e of chosen) process.stdout.write(`${e.id.padEnd(28)} ${e.path.padEnd(34)} ${e.tests.join(' ')}\n    ${e.promise}\n`);
    for (const [e, p] of broken) process.stdout.write(`TABLE ERROR ${e.table} ${e.id}: ${p.join('; ')}\n`);
    process.stdout.write(`${all.length} mutants in ${new Set(all.map((e) => e.table)).size} tables\n`);
    process.exit(broken.length ? 2 : 0);
  }

  const t0 = Date.now();
  const dir = path.join(ROOT, 'tests', '.tmp', `mutate-${process.pid}`);
  const cleanup = () => { if (!flag('keep')) rmSync(dir, { recursive: true, force: true }); };
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => { killCurrent(); cleanup(); process.exit(130); });
  makeCopy(dir);
  process.stdout.write(`mutation run: ${chosen.length} mutants, copy in ${path.relative(ROOT, dir)}\n`);
  try {
    const b = await build(dir);
    if (b.code !== 0) throw new Error(`the unmutated build fails:\n${b.output}`);
    if (!flag('no-baseline')) {
      const tests = [...new Set(chosen.flatMap((e) => e.tests))];
      for (const t of tests) {
        const r = await runTest(dir, t);
        process.stdout.write(`baseline ${t}: ${r.code === 0 ? 'pass' : 'FAIL'} (${secs(r.ms)})\n`);
        if (r.code !== 0) throw new Error(`baseline: ${t} fails without any mutant (${failingTests(r.output).join('; ')}):\n${r.output.slice(-4000)}`);
      }
    }
    const results = [];
    for (const [n, e] of chosen.entries()) {
      const file = path.join(dir, e.path);
      const source = readFileSync(file, 'utf8');
      writeFileSync(file, source.replace(e.original, () => e.replacement));
      const started = Date.now();
      let outcome;
      try {
        const bm = await build(dir);
        if (bm.code !== 0) {
          outcome = { status: 'invalid', by: 'the mutant does not compile', detail: bm.output.split('\n').filter((l) => /ERROR/.test(l)).slice(0, 2).join(' ') };
        } else {
          outcome = { status: 'survived', by: '' };
          for (const t of e.tests) {
            const r = await runTest(dir, t);
            if (r.code !== 0) {
              outcome = { status: 'killed', by: t, detail: r.timedOut ? 'timed out' : failingTests(r.output).join('; ') };
              break;
            }
          }
        }
      } finally {
        writeFileSync(file, source);
      }
      outcome.ms = Date.now() - started;
      results.push({ e, ...outcome });
      process.stdout.write(`[${n + 1}/${chosen.length}] ${outcome.status.toUpperCase().padEnd(8)} ${e.id} (${secs(outcome.ms)})`
        + `${outcome.by ? ` by ${outcome.by}` : ''}${outcome.detail ? `: ${outcome.detail}` : ''}\n`);
    }
    const killed = results.filter((r) => r.status === 'killed');
    const survived = results.filter((r) => r.status === 'survived');
    const invalid = results.filter((r) => r.status === 'invalid');
    const scored = killed.length + survived.length;
    process.stdout.write(`\nmutation score: ${killed.length}/${scored} killed (${scored ? ((100 * killed.length) / scored).toFixed(1) : '0'}%)`
      + `, ${survived.length} survived${invalid.length ? `, ${invalid.length} invalid (do not compile)` : ''}; ${secs(Date.now() - t0)} in all\n`);
    for (const r of survived) process.stdout.write(`  SURVIVED ${r.e.id} (${r.e.path}): ${r.e.promise}\n`);
    for (const r of invalid) process.stdout.write(`  INVALID ${r.e.id} (${r.e.path}): ${r.detail}\n`);
    process.exitCode = survived.length || invalid.length ? 1 : 0;
  } finally {
    cleanup();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(2);
});
