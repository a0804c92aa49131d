// examples/grafana: the committed dashboard is what dashboard.py generates, its queries use only
// series and labels the filter emits (README "Observability"), and the evaluation that draws the
// README's picture follows Prometheus (dashboard.py selftest).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './support/envoy.mjs';

const DIR = path.join(ROOT, 'examples', 'grafana');
const SCRIPT = path.join(DIR, 'dashboard.py');
const dashboard = JSON.parse(readFileSync(path.join(DIR, 'mcp-gateway.json'), 'utf8'));

/** Series names the filter defines, as Prometheus sees them (histograms with their suffixes). */
const COUNTERS = ['mcp_requests_total', 'mcp_tool_calls_total', 'mcp_backend_requests_total', 'mcp_sessions_created_total',
  'mcp_sessions_expired_total', 'mcp_sessions_refused_total', 'mcp_sessions_closed_total'];
const SERIES = new Set([...COUNTERS, 'mcp_sessions_live',
  ...['mcp_backend_time_us', 'mcp_gateway_time_us'].flatMap((h) => [`${h}_bucket`, `${h}_sum`, `${h}_count`])]);
const LABELS = new Set(['mcp_mode', 'mcp_server', 'mcp_method', 'mcp_tool', 'mcp_step', 'outcome', 'le']);

test('mcp-gateway.json is what dashboard.py generates', () => {
  const generated = execFileSync('python3', [SCRIPT, 'json'], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(generated), dashboard, 'regenerate with: python3 examples/grafana/dashboard.py json > examples/grafana/mcp-gateway.json');
});

test('every panel queries series and labels the filter emits', () => {
  assert.ok(dashboard.panels.length >= 8);
  for (const panel of dashboard.panels) {
    assert.ok(panel.targets.length > 0, panel.title);
    for (const { expr } of panel.targets) {
      const metrics = [...expr.matchAll(/\b(mcp_[a-z_]+)\{/g)].map((m) => m[1]);
      assert.ok(metrics.length > 0, `${panel.title}: ${expr}`);
      for (const m of metrics) assert.ok(SERIES.has(m), `${panel.title}: unknown series ${m}`);
      const labels = [...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((m) => m[1].split(',').map((l) => l.trim()));
      labels.push(...[...expr.matchAll(/([a-z_]+)(?:=~|!=|=)"/g)].map((m) => m[1]));
      for (const l of labels) assert.ok(LABELS.has(l), `${panel.title}: unknown label ${l} in ${expr}`);
      assert.match(expr, /mcp_server=~"\$server"/, `${panel.title}: the server variable applies`);
    }
  }
});

test('the picture\'s evaluation follows Prometheus (rate, sum by, histogram_quantile)', () => {
  assert.match(execFileSync('python3', [SCRIPT, 'selftest'], { encoding: 'utf8' }), /selftest: ok/);
  assert.ok(existsSync(path.join(DIR, 'dashboard.png')), 'examples/grafana/dashboard.png (node examples/grafana/demo.mjs)');
});
