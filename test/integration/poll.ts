// Polling shared by the integration suites (not a test file).
import { performance } from 'node:perf_hooks';
import { sleep } from '@ringleader/launcher';

/** Polls until `cond` holds, every `everyMs`; fails naming `what` after `timeoutMs`. */
export async function until(
  cond: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
  what = 'a condition',
  everyMs = 25,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
