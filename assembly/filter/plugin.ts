// The plugin (root) context: holds the validated configuration shared by all streams of
// one filter instance. Configuration is read and checked once, in onConfigure; a bad one
// refuses the plugin (Envoy then rejects the listener/filter config) with a log line.
import { Config, Transport, parseConfig } from "../config/config";
import { Level, getPluginConfiguration, log, setTickPeriod } from "../host/host";

/** One configured filter instance. */
export class Plugin {
  config: Config | null = null;

  constructor(public id: u32) {}

  /** Reads and validates the plugin configuration; false refuses it. */
  onConfigure(size: u32): bool {
    const bytes = getPluginConfiguration(size);
    const text = String.UTF8.decode(bytes);
    const result = parseConfig(text);
    const cfg = result.config;
    if (cfg === null) {
      log(Level.Critical, "mcp-proxy: invalid plugin configuration: " + result.error);
      return false;
    }
    this.config = cfg;
    if (cfg.transport == Transport.Sse) {
      // The tick enforces server.timeout on silent SSE streams: a tenth of it, 20..500 ms.
      const period = <u32>Math.min(500, Math.max(20, cfg.timeoutMs / 10));
      if (!setTickPeriod(period)) log(Level.Warn, "mcp-proxy: tick period refused by host");
    }
    log(Level.Info, "mcp-proxy: configured server \"" + cfg.serverName + "\" -> " + cfg.url.scheme + "://" + cfg.url.authority + cfg.url.path);
    return true;
  }
}
