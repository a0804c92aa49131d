// Waiting for something to happen in e2e tests.
import { setTimeout as delay } from 'node:timers/promises';

/** Polls cond() every `every` ms until it is truthy or ms elapsed; returns its last value. */
export async function eventually(cond, ms = 1500, every = 20) {
  const deadline = Date.now() + ms;
  let v = cond();
  while (!v && Date.now() < deadline) {
    await delay(every);
    v = cond();
  }
  return v;
}

/** Polls until pred() (may be async) is truthy and returns its value; fails naming `what` after timeoutMs. */
export async function waitFor(pred, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(20);
  }
}
