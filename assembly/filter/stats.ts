// The gateway's Envoy stats, host side: one ServerStats per configuration (server) with its
// metrics defined lazily — each full name once per VM, its id cached — so that a request costs
// an array index and one proxy_increment_metric per counter. Names and labels: stats/names.ts;
// outcomes: stats/outcome.ts; the known-tool registry: stats/tools.ts.
import { Config, Mode } from "../config/config";
import { Level, getShared, log, setShared } from "../host/host";
import { Metric, MetricType, defineMetric, incrementMetric, recordMetric } from "../host/metrics";
import {
  BACKEND_TIME, BackendStep, GATEWAY_TIME, MAX_SERVER_LABEL, METHOD_LABELS, OTHER_TOOL, SESSIONS_LIVE, SESSION_COUNTERS,
  STEP_LABELS, SessionEvent, backendRequestsName, requestsName, sanitize, serverMetricName, toolCallsName, toolLabel,
} from "../stats/names";
import { OUTCOMES, OUTCOME_LABELS, Outcome } from "../stats/outcome";
import { MAX_LEARNED_TOOLS, registrable, reserveNext, toolCountKey, toolKey } from "../stats/tools";
import { countKey, parseMs } from "../passthrough/session";
import { Step } from "../terminate/exchange";

/** Every metric this VM defined, by full name: defining a name twice would cost a host call for nothing. */
const defined = new Map<string, Metric>();

/** The metric named `name`, defined on first use. */
function metric(type: MetricType, name: string): Metric {
  if (defined.has(name)) return defined.get(name);
  const m = defineMetric(type, name);
  defined.set(name, m);
  return m;
}

/** The counters of one tool, by outcome. */
class ToolCounters {
  counters: Array<Metric | null> = new Array<Metric | null>(OUTCOMES);
  constructor(public label: string) {}
}

/** The `mcp_mode` label of a configuration. */
export function modeLabel(cfg: Config): string {
  return cfg.mode == Mode.Passthrough ? "passthrough" : "terminating";
}

/** The stats of one configured server, in this VM. */
export class ServerStats {
  /** The sanitized `mcp_server` label. */
  label: string;
  mode: string;
  private requests: Array<Metric | null> = new Array<Metric | null>(METHOD_LABELS.length * OUTCOMES);
  private backend: Array<Metric | null> = new Array<Metric | null>(STEP_LABELS.length);
  private sessions: Array<Metric | null> = new Array<Metric | null>(SESSION_COUNTERS.length);
  private tools: Map<string, ToolCounters> = new Map<string, ToolCounters>();
  private other: ToolCounters = new ToolCounters(OTHER_TOOL);
  /** Names the configuration makes known (allowTools, tools[]). */
  private configured: Set<string> = new Set<string>();
  /** The learned-name bound was met (logged once; later names go to `_other`). */
  private full: bool = false;
  private live: Metric | null = null;
  private backendTime: Metric | null = null;
  private gatewayTime: Metric | null = null;

  constructor(public config: Config) {
    this.label = sanitize(config.serverName, MAX_SERVER_LABEL);
    this.mode = modeLabel(config);
    const allow = config.allowTools;
    if (allow !== null) for (let i = 0; i < allow.length; i++) this.configured.add(allow[i]);
    const named = config.security.toolNames;
    for (let i = 0; i < named.length; i++) this.configured.add(named[i]);
  }

  /** Counts one request of method index `method` (stats/names.ts) with `outcome`. */
  countRequest(method: i32, outcome: Outcome): void {
    const i = method * OUTCOMES + <i32>outcome;
    let m = this.requests[i];
    if (m === null) {
      m = metric(MetricType.Counter, requestsName(this.mode, this.label, METHOD_LABELS[method], OUTCOME_LABELS[<i32>outcome]));
      this.requests[i] = m;
    }
    incrementMetric(m, 1);
  }

  /** Counts one tools/call of `tool` with `outcome` (an unknown tool counts under `_other`). */
  countTool(tool: string, outcome: Outcome): void {
    const t = this.toolCounters(tool);
    let m = t.counters[<i32>outcome];
    if (m === null) {
      m = metric(MetricType.Counter, toolCallsName(this.mode, this.label, t.label, OUTCOME_LABELS[<i32>outcome]));
      t.counters[<i32>outcome] = m;
    }
    incrementMetric(m, 1);
  }

  /** Counts one backend request. */
  countBackend(step: BackendStep): void {
    let m = this.backend[<i32>step];
    if (m === null) {
      m = metric(MetricType.Counter, backendRequestsName(this.label, step));
      this.backend[<i32>step] = m;
    }
    incrementMetric(m, 1);
  }

  /** Counts a session event. */
  countSession(ev: SessionEvent): void {
    let m = this.sessions[<i32>ev];
    if (m === null) {
      m = metric(MetricType.Counter, serverMetricName(SESSION_COUNTERS[<i32>ev], this.label));
      this.sessions[<i32>ev] = m;
    }
    incrementMetric(m, 1);
  }

  /** Sets the live-sessions gauge from the session table's count in shared data. */
  publishLive(): void {
    let m = this.live;
    if (m === null) {
      m = metric(MetricType.Gauge, serverMetricName(SESSIONS_LIVE, this.label));
      this.live = m;
    }
    const v = getShared(countKey(this.config.serverName)).value;
    const n = v !== null ? parseMs(v) : 0;
    recordMetric(m, n > 0 ? <u64>n : 0);
  }

  /** Records the time a request spent with the backend, µs. */
  recordBackendTime(us: u64): void {
    let m = this.backendTime;
    if (m === null) {
      m = metric(MetricType.Histogram, serverMetricName(BACKEND_TIME, this.label));
      this.backendTime = m;
    }
    recordMetric(m, us);
  }

  /** Records the time the filter's callbacks took for a request, µs. */
  recordGatewayTime(us: u64): void {
    let m = this.gatewayTime;
    if (m === null) {
      m = metric(MetricType.Histogram, serverMetricName(GATEWAY_TIME, this.label));
      this.gatewayTime = m;
    }
    recordMetric(m, us);
  }

  /** The counters of `tool`: its own when configured or learned (shared data), else `_other`. */
  private toolCounters(tool: string): ToolCounters {
    if (this.tools.has(tool)) return this.tools.get(tool);
    if (!registrable(tool)) return this.other;
    if (!this.configured.has(tool) && getShared(toolKey(this.config.serverName, tool)).value === null) return this.other;
    const t = new ToolCounters(toolLabel(tool));
    this.tools.set(tool, t);
    return t;
  }

  /**
   * Registers names a backend listed, in shared data (every worker then labels them), up to
   * MAX_LEARNED_TOOLS per server; the count is reserved with CAS before a name's key is written.
   */
  learn(names: string[]): void {
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      if (!registrable(name) || this.tools.has(name) || this.configured.has(name)) continue;
      const key = toolKey(this.config.serverName, name);
      if (getShared(key).value !== null || this.full) continue;
      if (!this.reserve()) {
        this.full = true;
        log(Level.Warn, "mcp-proxy[" + this.config.serverName + "]: more than " + MAX_LEARNED_TOOLS.toString() +
          " tool names listed; further names are counted as " + OTHER_TOOL);
        continue;
      }
      setShared(key, "1", 0);
    }
  }

  private reserve(): bool {
    const k = toolCountKey(this.config.serverName);
    for (let t = 0; t < 16; t++) {
      const sv = getShared(k);
      const next = reserveNext(sv.value);
      if (next < 0) return false;
      if (setShared(k, next.toString(), sv.cas)) return true;
    }
    return false;
  }
}

/** Stats of the configurations of every plugin of this VM (a few; searched linearly). */
const registry: ServerStats[] = [];
const owners: u32[] = [];

/** Replaces the stats of plugin `pluginId` with those of `configs` (those with stats on). */
export function registerStats(pluginId: u32, configs: Config[]): void {
  for (let i = registry.length - 1; i >= 0; i--) {
    if (owners[i] != pluginId) continue;
    registry.splice(i, 1);
    owners.splice(i, 1);
  }
  for (let i = 0; i < configs.length; i++) {
    if (!configs[i].stats) continue;
    registry.push(new ServerStats(configs[i]));
    owners.push(pluginId);
  }
}

/** The stats of `cfg` (a federated server's backend: the server's), or null when its stats are off. */
export function statsOf(cfg: Config): ServerStats | null {
  const server = cfg.server;
  const key = server !== null ? server : cfg;
  for (let i = 0; i < registry.length; i++) if (registry[i].config === key) return registry[i];
  return null;
}

/** The stats of the first server named `server` (session tables are per server name). */
export function statsOfServer(server: string): ServerStats | null {
  for (let i = 0; i < registry.length; i++) if (registry[i].config.serverName == server) return registry[i];
  return null;
}

/** Counts a backend request of `cfg` (dispatched calls, the SSE stream, DELETEs, forwarded requests). */
export function countBackend(cfg: Config, step: BackendStep): void {
  const s = statsOf(cfg);
  if (s !== null) s.countBackend(step);
}

/** Counts a pass-through session event of `server` (filter/sessions.ts, and a sealed-session implementation). */
export function countSession(server: string, ev: SessionEvent): void {
  const s = statsOfServer(server);
  if (s !== null) s.countSession(ev);
}

/** Publishes the live-sessions gauge of `server` (called on the sweep tick). */
export function publishLive(server: string): void {
  const s = statsOfServer(server);
  if (s !== null) s.publishLive();
}

/** The `mcp_step` of a terminating-mode exchange step. */
export function backendStep(step: Step): BackendStep {
  if (step == Step.Discover) return BackendStep.Discover;
  if (step == Step.Initialize) return BackendStep.Initialize;
  if (step == Step.Notify) return BackendStep.Notification;
  if (step == Step.ListTools) return BackendStep.ListTools;
  return BackendStep.Call;
}
