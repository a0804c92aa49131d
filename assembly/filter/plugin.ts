// The plugin (root) context: holds the validated configuration shared by all streams of
// one filter instance. Configuration is read and checked once, in onConfigure; a bad one
// refuses the plugin (Envoy then rejects the listener/filter config) with a log line.
import { Config, Mode, Transport } from "../config/config";
import { PluginConfig, parsePlugin } from "../config/rules";
import { Level, getPluginConfiguration, getProperty, log, setTickPeriod } from "../host/host";
import { Metric, MetricType, defineMetric, linearMemoryBytes, recordMetric } from "../host/metrics";
import { REUSE_SLOTS } from "../terminate/reuse";
import { sweepIdle } from "./reuse";
import { OpenedTokens } from "../passthrough/sealed";
import { SessionTable } from "./sessions";
import { publishLive, registerStats } from "./stats";

/** How often session slots are swept for idle expiry (ms). */
// @ts-ignore: decorator
@inline const SWEEP_EVERY_MS: i64 = 1000;

/** Slots swept per server per sweep: a whole table in about half a minute, at least 64. */
function sweepChunk(max: u32): u32 {
  const c = (max + 29) / 30;
  return c < 64 ? 64 : c;
}

/** Sealed ids remembered per configuration per worker, per generation (two generations). */
// @ts-ignore: decorator
@inline const OPENED_TOKENS_PER_GENERATION: i32 = 512;

/** Gauge of the VM's linear memory, set on each tick (Envoy: `wasmcustom.mcp_proxy.vm_memory_bytes`). */
// @ts-ignore: decorator
@inline const VM_MEMORY_GAUGE = "mcp_proxy.vm_memory_bytes";

/**
 * Kept backend sessions swept per sweep: the whole cache within a quarter of the idle timeout
 * (at most every second), so an idle session is ended within about 1.25 timeouts.
 */
function idleChunk(idleMs: i64): u32 {
  const passMs = max<i64>(1000, idleMs / 4);
  const c = <u32>((<i64>REUSE_SLOTS * SWEEP_EVERY_MS + passMs - 1) / passMs);
  return c < 1 ? 1 : min(c, REUSE_SLOTS);
}

/** One configured filter instance. */
export class Plugin {
  config: PluginConfig | null = null;
  lastSweepMs: i64 = 0;
  /** The session tables of this plugin's pass-through configurations, and where each sweep resumes. */
  tables: SessionTable[] = [];
  cursors: u32[] = [];
  /** Terminating configurations that keep backend sessions, and where each idle sweep resumes. */
  keepers: Config[] = [];
  keeperCursors: u32[] = [];
  /** Per sealed-id configuration (by identity): the tokens this worker opened under its keys. */
  opened: Map<usize, OpenedTokens> = new Map();
  /** The VM memory gauge, defined once this VM serves a stream: Envoy's main thread runs a
   *  VM of its own that ticks too but serves nothing, and must not overwrite the gauge. */
  vmMemory: Metric | null = null;
  /** Some configuration has its stats on: stream callbacks are timed (filter/observe.ts). */
  timed: bool = false;

  constructor(public id: u32) {}

  /** Reads and validates the plugin configuration; false refuses it. */
  onConfigure(size: u32): bool {
    const text = String.UTF8.decode(getPluginConfiguration(size));
    const result = parsePlugin(text);
    const pc = result.plugin;
    if (pc === null) {
      log(Level.Critical, "mcp-proxy: invalid plugin configuration: " + result.error);
      return false;
    }
    this.config = pc;
    let tick: i32 = 0;
    const all = allConfigs(pc);
    registerStats(this.id, all);
    this.timed = false;
    for (let i = 0; i < all.length; i++) if (all[i].stats) this.timed = true;
    for (let i = 0; i < all.length; i++) {
      const c = all[i];
      // A federated server's backends are each a Config of their own (their URL, transport,
      // timeout and kept sessions); a single-backend server is its own backend.
      const backends = c.federation !== null ? c.backends : [c];
      for (let j = 0; j < backends.length; j++) {
        const b = backends[j];
        const name = b.backendName.length > 0 ? c.serverName + "\" backend \"" + b.backendName : c.serverName;
        log(Level.Info, "mcp-proxy: configured server \"" + name + "\" -> " + b.url.scheme + "://" + b.url.authority + b.url.path);
        // The tick enforces server.timeout on silent SSE streams: a tenth of it, 20..500 ms.
        if (b.transport == Transport.Sse && b.mode == Mode.Terminate) {
          const period = <i32>Math.min(500, Math.max(20, b.timeoutMs / 10));
          tick = tick == 0 ? period : min(tick, period);
        }
        // Kept backend sessions are ended once idle (terminating mode, transport http).
        if (b.mode == Mode.Terminate && b.transport == Transport.Http && b.backendSessionIdleMs > 0) {
          tick = tick == 0 ? 1000 : min(tick, 1000);
          this.keepers.push(b);
          this.keeperCursors.push(0);
        }
      }
      const warnings = c.sessions.warnings;
      for (let w = 0; w < warnings.length; w++) log(Level.Warn, "mcp-proxy: " + warnings[w]);
      // Pass-through sessions in shared data are swept on the tick (shared data has no expiry
      // of its own); sealed ids share nothing (each worker only remembers the tokens it opened).
      // The tick also publishes the VM memory gauge.
      if (c.mode == Mode.Passthrough) {
        tick = tick == 0 ? 1000 : min(tick, 1000);
        if (c.sessions.sealed) {
          this.opened.set(changetype<usize>(c), new OpenedTokens(OPENED_TOKENS_PER_GENERATION));
        } else {
          const t = new SessionTable(c.serverName, <u32>c.sessions.maxSessions, c.sessions.idleMs);
          t.ensure();
          this.tables.push(t);
          this.cursors.push(0);
        }
      }
    }
    if (tick > 0 && !setTickPeriod(<u32>tick)) log(Level.Warn, "mcp-proxy: tick period refused by host");
    return true;
  }

  /** The opened-token cache of a sealed-id configuration of this plugin, or null. */
  openedTokens(c: Config): OpenedTokens | null {
    const k = changetype<usize>(c);
    return this.opened.has(k) ? this.opened.get(k) : null;
  }

  /** Notes that this VM serves HTTP streams (see vmMemory). */
  onStream(): void {
    if (this.vmMemory === null) this.vmMemory = defineMetric(MetricType.Gauge, VM_MEMORY_GAUGE);
  }

  /** Publishes the VM's linear memory size on the gauge (called from the tick). */
  recordMemory(): void {
    const m = this.vmMemory;
    if (m !== null) recordMetric(m, linearMemoryBytes());
  }

  /**
   * Frees idle-expired session slots, a chunk per table per sweep (every worker sweeps from
   * its own position; CAS keeps two workers from freeing one slot twice).
   */
  sweep(now: i64): void {
    if ((this.tables.length == 0 && this.keepers.length == 0) || now - this.lastSweepMs < SWEEP_EVERY_MS) return;
    this.lastSweepMs = now;
    for (let i = 0; i < this.tables.length; i++) {
      const t = this.tables[i];
      this.cursors[i] = t.sweep(this.cursors[i], sweepChunk(t.max));
      publishLive(t.server);
    }
    for (let i = 0; i < this.keepers.length; i++) {
      const c = this.keepers[i];
      this.keeperCursors[i] = sweepIdle(this.id, c, this.keeperCursors[i], idleChunk(c.backendSessionIdleMs));
    }
  }

  /**
   * The configuration for the current request (rules first, then the global one), or null
   * to leave the request untouched. Route and cluster come from Envoy's `xds.*` properties,
   * or Higress's top-level ones.
   */
  select(authority: string): Config | null {
    const pc = this.config;
    if (pc === null) return null;
    if (pc.rules.length == 0) return pc.global;
    return pc.select(property2("xds", "route_name", "route_name"), authority, routeCluster());
  }
}

/** The current route's cluster: `xds.cluster_name` in Envoy, `cluster_name` in Higress. */
export function routeCluster(): string {
  return property2("xds", "cluster_name", "cluster_name");
}

function property2(ns: string, name: string, fallback: string): string {
  let v = getProperty([ns, name]);
  if (v === null || v.length == 0) v = getProperty([fallback]);
  return v !== null ? v : "";
}

function allConfigs(pc: PluginConfig): Config[] {
  const out = new Array<Config>();
  if (pc.global !== null) out.push(pc.global!);
  for (let i = 0; i < pc.rules.length; i++) out.push(pc.rules[i].config);
  return out;
}
