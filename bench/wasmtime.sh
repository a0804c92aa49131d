#!/usr/bin/env bash
# µs per request spent in the filter's own wasm code (not the stand-in host's JavaScript), from a
# V8 CPU profile of bench/standin.mjs over a build with function names (built here).
#   bench/wasmtime.sh <scenario> [n] [wasm built with --debug names; default: build the tree]
set -euo pipefail
scenario=$1; n=${2:-40000}
dir=$(mktemp -d)
if [ -n "${3:-}" ]; then cp "$3" "$dir/prof.wasm"; else npx asc assembly/main.ts --target release --debug -o "$dir/prof.wasm" >/dev/null 2>&1; fi
(cd "$dir" && node --cpu-prof --cpu-prof-interval 100 "$OLDPWD/bench/standin.mjs" --wasm "$dir/prof.wasm" --n "$n" --scenario "$scenario" >/dev/null)
node -e '
const fs = require("fs"); const dir = process.argv[1]; const n = Number(process.argv[2]);
const p = JSON.parse(fs.readFileSync(dir + "/" + fs.readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))));
const byId = new Map(p.nodes.map((x) => [x.id, x]));
let wasm = 0; const dt = p.timeDeltas;
p.samples.forEach((id, i) => { const f = byId.get(id).callFrame.functionName; if (/^(assembly\/|~lib\/)/.test(f)) wasm += dt[i] ?? 0; });
console.log(`${process.argv[3]}: ${(wasm / n).toFixed(2)} µs of wasm per request (self time, warm-up included)`);
' "$dir" "$n" "$scenario"
rm -rf "$dir"
