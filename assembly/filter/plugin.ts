// The plugin (root) context: holds the validated configuration shared by all streams of
// one filter instance. Configuration is read and checked once, in onConfigure; a bad one
// refuses the plugin (Envoy then rejects the listener/filter config) with a log line.
import { Config, Mode, Transport } from "../config/config";
import { decodeEntry, isExpired, sessionKey } from "../passthrough/session";
import { PluginConfig, parsePlugin } from "../config/rules";
import { Level, getPluginConfiguration, getProperty, getShared, log, setShared, setTickPeriod } from "../host/host";
import { Metric, MetricType, defineMetric, linearMemoryBytes, recordMetric } from "../host/metrics";

/** How often minted sessions are checked for idle expiry (ms). */
// @ts-ignore: decorator
@inline const SWEEP_EVERY_MS: i64 = 5000;

/** Gauge of the VM's linear memory, set on each tick (Envoy: `wasmcustom.mcp_proxy.vm_memory_bytes`). */
// @ts-ignore: decorator
@inline const VM_MEMORY_GAUGE = "mcp_proxy.vm_memory_bytes";

/** One configured filter instance. */
export class Plugin {
  config: PluginConfig | null = null;
  /** Gateway session ids minted on this worker, swept from shared data once idle-expired. */
  minted: string[] = [];
  lastSweepMs: i64 = 0;
  /** Smallest session idle TTL over this plugin's pass-through configurations (ms). */
  sessionTtlMs: i64 = 0;
  /** The VM memory gauge, defined once this VM serves a stream: Envoy's main thread runs a
   *  VM of its own that ticks too but serves nothing, and must not overwrite the gauge. */
  vmMemory: Metric | null = null;

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
    for (let i = 0; i < all.length; i++) {
      const c = all[i];
      log(Level.Info, "mcp-proxy: configured server \"" + c.serverName + "\" -> " + c.url.scheme + "://" + c.url.authority + c.url.path);
      // The tick enforces server.timeout on silent SSE streams: a tenth of it, 20..500 ms.
      if (c.transport == Transport.Sse && c.mode == Mode.Terminate) {
        const period = <i32>Math.min(500, Math.max(20, c.timeoutMs / 10));
        tick = tick == 0 ? period : min(tick, period);
      }
      // Pass-through sessions are swept on the tick too (shared data has no expiry of its own).
      if (c.mode == Mode.Passthrough) {
        tick = tick == 0 ? 1000 : min(tick, 1000);
        this.sessionTtlMs = this.sessionTtlMs == 0 ? c.sessionIdleMs : min(this.sessionTtlMs, c.sessionIdleMs);
      }
    }
    if (tick > 0 && !setTickPeriod(<u32>tick)) log(Level.Warn, "mcp-proxy: tick period refused by host");
    return true;
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

  /** Records a session id minted by this worker for the idle sweep. */
  remember(gatewayId: string): void {
    this.minted.push(gatewayId);
  }

  /**
   * Clears minted sessions that went idle past the TTL (any worker may have refreshed them:
   * the stored last-use time decides). Runs at most every SWEEP_EVERY_MS.
   */
  sweep(now: i64): void {
    if (this.minted.length == 0 || now - this.lastSweepMs < SWEEP_EVERY_MS) return;
    this.lastSweepMs = now;
    const kept = new Array<string>();
    for (let i = 0; i < this.minted.length; i++) {
      const key = sessionKey(this.minted[i]);
      const sv = getShared(key);
      const e = decodeEntry(sv.value);
      if (e === null) continue;
      if (isExpired(e.lastSeenMs, now, this.sessionTtlMs)) {
        setShared(key, "", sv.cas);
        continue;
      }
      kept.push(this.minted[i]);
    }
    this.minted = kept;
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
