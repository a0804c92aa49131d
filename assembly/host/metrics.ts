// Host glue for proxy-wasm custom metrics (ABI 0.2.0: proxy_define_metric,
// proxy_record_metric, proxy_increment_metric). Envoy exposes them as stats prefixed
// `wasmcustom.`. Nothing here throws: each call reports whether the host accepted it.
import * as imports from "@solo-io/proxy-runtime/assembly/imports";
import { OK } from "./host";

/** proxy-wasm MetricType. */
export enum MetricType {
  Counter = 0,
  Gauge = 1,
  Histogram = 2,
}

/** A metric id the host handed out, or none when it refused the definition. */
export class Metric {
  constructor(public id: u32, public ok: bool) {}
}

const outId = new StaticArray<u32>(1);

/** Defines a metric (defining a name twice gives the same stat); `ok` is false when refused. */
export function defineMetric(type: MetricType, name: string): Metric {
  const bytes = String.UTF8.encode(name);
  const p = changetype<usize>(outId);
  const r = imports.proxy_define_metric(type, changetype<usize>(bytes), bytes.byteLength, p);
  return new Metric(load<u32>(p), r == OK);
}

/** Sets a gauge (or records a histogram value); false when the host refused. */
export function recordMetric(m: Metric, value: u64): bool {
  return m.ok && imports.proxy_record_metric(m.id, value) == OK;
}

/** Adds `delta` to a counter or gauge; false when the host refused. */
export function incrementMetric(m: Metric, delta: i64): bool {
  return m.ok && imports.proxy_increment_metric(m.id, delta) == OK;
}

/** The VM's linear memory in bytes (pages of 64 KiB); it only grows. */
export function linearMemoryBytes(): u64 {
  return (<u64>memory.size()) << 16;
}
