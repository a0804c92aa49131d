// Host glue: the host clock in nanoseconds. Envoy answers proxy_get_current_time_nanoseconds
// with its system clock, which Envoy 1.40 reports at microsecond resolution (the low three
// digits are always 0), so intervals measured with it are whole microseconds.
import * as imports from "@solo-io/proxy-runtime/assembly/imports";
import { OK } from "./host";

const outNs = new StaticArray<u64>(1);

/** The host's wall clock in ns since the epoch; 0 when the host refused. */
export function nowNs(): u64 {
  const p = changetype<usize>(outNs);
  if (imports.proxy_get_current_time_nanoseconds(p) != OK) return 0;
  return load<u64>(p);
}
