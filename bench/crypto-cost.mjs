// Cost of sealed session ids in V8 (Node), the same engine family Envoy's V8 runtime uses:
//   node bench/crypto-cost.mjs [iterations]
// Builds bench/crypto-cost.ts with the optimization settings of asconfig.json's release target into
// build/crypto-cost.wasm and times each loop. A rough guide, not a test: nothing is asserted.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}build/crypto-cost.wasm`;
// Run from bench/ so asc does not pick up the filter's asconfig.json (its host-only abort hook).
execFileSync(`${root}node_modules/.bin/asc`, ['crypto-cost.ts', '-o', out, '-O3', '--shrinkLevel', '1',
  '--runtime', 'incremental', '--exportStart', '_initialize'], { cwd: `${root}bench`, stdio: 'inherit' });
const n = Number(process.argv[2] ?? 100000);
const module = new WebAssembly.Module(readFileSync(out));
const imports = { env: { abort: () => { throw new Error('abort'); }, seed: () => 0 } };
const { exports: x } = new WebAssembly.Instance(module, imports);
x._initialize();
console.log(`token: ${x.tokenLength()} characters; ${n} iterations each`);
for (const name of (process.env.LOOPS ?? 'sealLoop,openLoop,roundTripLoop,aeadLoop,base64Loop').split(',')) {
  x[name](Math.min(n, 2000)); // warm up (tier-up of the wasm code)
  const t0 = process.hrtime.bigint();
  const r = x[name](n);
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / n;
  if (r !== n) throw new Error(`${name} returned ${r}, expected ${n}`);
  console.log(`${name.padEnd(14)} ${us.toFixed(2)} µs/op`);
}
