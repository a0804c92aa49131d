// The `abort` the compiler calls on a failed assertion or an explicit throw (passed with
// `--use abort=...`). There is no `env.abort` in Envoy. A trap still follows (the compiler
// emits `unreachable` after abort), so this only makes the reason visible in Envoy's log.
import { proxy_log } from "@solo-io/proxy-runtime/assembly/imports";
import { proc_exit } from "bindings/wasi_unstable";

/** Logs the abort reason at critical level, then exits the module. */
// @ts-ignore: decorator
@global
export function abortProcExit(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let text = "mcp-proxy abort: " + (message !== null ? message : "");
  if (fileName !== null) text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  const bytes = String.UTF8.encode(text);
  proxy_log(5, changetype<usize>(bytes), bytes.byteLength);
  proc_exit(255);
}
