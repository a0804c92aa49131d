#!/usr/bin/env bash
# Instructions per request of the filter in the stand-in host (bench/standin.mjs), counted by
# valgrind's callgrind: repeatable whatever the machine's load, so two builds compare exactly.
#   bench/instr.sh <scenario> [wasm...]      e.g. bench/instr.sh pass-session build/mcp-proxy.wasm /tmp/old.wasm
# Prints the difference between 3,000 and 1,000 requests, per request (start-up cancels out).
set -euo pipefail
scenario=$1; shift
for w in "${@:-build/mcp-proxy.wasm}"; do
  count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null node --no-liftoff --no-wasm-tier-up --single-threaded "$(dirname "$0")/standin.mjs" --wasm "$w" --n "$1" --scenario "$scenario" 2>&1 | sed -n 's/.*Collected : //p'; }
  a=$(count 1000); b=$(count 3000)
  echo "$scenario $w: $(( (b - a) / 2000 )) instructions per request"
done
