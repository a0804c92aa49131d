// Process plumbing for `make bench`: forked helper processes spoken to over IPC, and the
// kernel's per-process CPU and memory counters.
import { execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (`getconf CLK_TCK`). */
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time (user + system, all threads) the process has used so far, in µs; null if gone. */
export function cpuUs(pid) {
  let text;
  try { text = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return null; }
  // Fields after the parenthesised command name (which may hold spaces): state is field 3,
  // utime field 14 and stime field 15 (proc(5)).
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[14 - 3]) + Number(rest[15 - 3]);
  return (ticks * 1e6) / CLK_TCK;
}

/** Resident set size of the process in bytes (VmRSS of /proc/<pid>/status); null if gone. */
export function rssBytes(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch { return null; }
}

/**
 * Forks `modulePath` and waits for its {type: 'ready'} message. `ask(message, replyType)`
 * sends a message and resolves with the next reply of that type (an {type: 'error'} reply
 * rejects); `stop()` disconnects and waits for the exit, killing it after 3 s.
 */
export async function forkChild(modulePath) {
  const child = fork(modulePath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ready = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${modulePath} exited (${code}) before it was ready`)));
  });
  const ask = (message, replyType) => new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m?.type === 'error') { done(); reject(new Error(`${modulePath}: ${m.message}`)); }
      if (m?.type === replyType) { done(); resolve(m); }
    };
    const onExit = (code) => { done(); reject(new Error(`${modulePath} exited (${code})`)); };
    const done = () => { child.off('message', onMessage); child.off('exit', onExit); };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, 3000);
    if (child.connected) child.disconnect();
    await exited;
    clearTimeout(timer);
  };
  return { pid: child.pid, ready, ask, stop };
}
