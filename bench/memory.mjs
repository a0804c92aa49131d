// Memory phases of `make bench`: the filter's VM linear memory (its gauge) and Envoy's own
// memory before and after (1) many terminating-mode calls, (2) many pass-through sessions that
// are created and then left to expire. The gauge is published on the root context's tick once
// the VM has served a request; terminating mode alone runs no tick, so its configuration here
// carries a pass-through rule that matches no route — it only makes the plugin tick.
import { setTimeout as delay } from 'node:timers/promises';
import { postJson, rawRequest } from '../tests/support/envoy.mjs';
import { LEGACY_VERSION } from './backends.mjs';
import { gatewayMemory, startGateway } from './gateway.mjs';
import { backendUrl, legacyCall, openGatewaySession, passthrough, terminating } from './paths.mjs';
import { brief, resultProblem } from './measure.mjs';

/** The plugin's tick period when a pass-through configuration is present (filter/plugin.ts). */
const TICK_MS = 1000;
/** How often the plugin sweeps idle sessions (filter/plugin.ts SWEEP_EVERY_MS). */
const SWEEP_MS = 5000;
/** Sessions the gateway surely opens per second (the idle timeout must outlast creating them). */
const SESSIONS_PER_S = 1000;

/** Waits until the gauge has been published (first tick after a request), up to 5 ticks. */
async function tickedMemory(envoy) {
  for (let i = 0; i < 50; i++) {
    const m = await gatewayMemory(envoy);
    if (m.vmLinearBytes !== null) return m;
    await delay(TICK_MS / 10);
  }
  return gatewayMemory(envoy);
}

/** Memory after the next tick has published the gauge. */
async function afterTick(envoy) {
  await delay(TICK_MS + 300);
  return gatewayMemory(envoy);
}

async function load(ctx, spec) {
  return (await ctx.load.ask({ type: 'run', spec }, 'result')).result;
}

/** Phase 1: `calls` terminating-mode tools/call (legacy stateless backend). */
export async function callsPhase(ctx, { calls, connections }) {
  const url = backendUrl('stateless', ctx.ports.stateless);
  const pluginConfig = {
    ...terminating(url),
    _rules_: [{ _match_route_: ['bench-tick-only'], ...passthrough(url) }],
  };
  const envoy = await startGateway({ backendPort: ctx.ports.stateless, pluginConfig });
  try {
    const req = legacyCall();
    const probe = await rawRequest(envoy.url, { method: 'POST', body: req.body, headers: req.headers });
    const problem = resultProblem(probe);
    if (problem) throw new Error(`probe: ${problem}`);
    const before = await tickedMemory(envoy);
    const r = await load(ctx, { url: envoy.url, headers: req.headers, body: req.body, connections, amount: calls, expectBody: probe.text });
    const after = await afterTick(envoy);
    return { status: 'ok', calls: r.requests, failed: r.errors + r.timeouts + r.non2xx + r.mismatches, before, after };
  } catch (err) {
    return { status: 'failed', error: brief(err) };
  } finally {
    await envoy.stop();
  }
}

/**
 * Phase 2: `sessions` pass-through sessions (each an initialize POSTed through the gateway to
 * the stateful backend), then a wait past the idle timeout plus a sweep. The idle timeout is as
 * short as creating them allows (one second per SESSIONS_PER_S), so all are alive at the peak
 * reading. A canary session opened first must then be gone (404).
 */
export async function sessionsPhase(ctx, { sessions, connections }) {
  const url = backendUrl('stateful', ctx.ports.stateful);
  const ttlS = Math.max(1, Math.ceil(sessions / SESSIONS_PER_S));
  const envoy = await startGateway({ backendPort: ctx.ports.stateful, pluginConfig: passthrough(url, { sessionIdleTimeout: ttlS }) });
  try {
    const canary = await openGatewaySession(envoy.url);
    const before = await tickedMemory(envoy);
    const init = JSON.stringify({
      jsonrpc: '2.0', id: 0, method: 'initialize',
      params: { protocolVersion: LEGACY_VERSION, capabilities: {}, clientInfo: { name: 'bench', version: '0' } },
    });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const r = await load(ctx, { url: envoy.url, headers, body: init, connections, amount: sessions });
    const created = await afterTick(envoy);
    const waitMs = ttlS * 1000 + SWEEP_MS + 2 * TICK_MS;
    await delay(waitMs);
    const expired = await gatewayMemory(envoy);
    const check = await postJson(envoy.url, { jsonrpc: '2.0', id: 9, method: 'tools/list' }, { ...canary, 'mcp-protocol-version': LEGACY_VERSION });
    return {
      status: 'ok',
      sessions: r.requests,
      failed: r.errors + r.timeouts + r.non2xx,
      createS: r.wallS,
      idleTimeoutS: ttlS,
      waitedMs: waitMs,
      canaryExpired: check.status === 404,
      before,
      created,
      expired,
    };
  } catch (err) {
    return { status: 'failed', error: brief(err) };
  } finally {
    await envoy.stop();
  }
}
