// Shared helpers of the hostile suites (not a test file): process figures from /proc, and the
// backends' proxied-request counters (what "nothing reached a backend" is measured with).
import { readdirSync, readFileSync } from 'node:fs';
import type { LocalCluster } from '@ringleader/launcher';

/** Resident set size of a process in MiB (VmRSS from /proc/<pid>/status). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Math.round((Number(m[1]) / 1024) * 10) / 10;
}

/** Open file descriptors of a process (sockets, files, pipes). */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Proxied requests all backends of the cluster received so far. */
export async function backendRequests(c: LocalCluster): Promise<number> {
  return (await Promise.all(c.backends.filter((b) => b.running).map((b) => b.requests()))).reduce(
    (a, b) => a + b,
    0,
  );
}

/** The lines of a node's log whose JSON `msg` matches. */
export function logLines(logFile: string, re: RegExp): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!re.test(line)) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a JSON line (a stack trace, a start-up message)
    }
  }
  return out;
}

/** Prints one figure as a JSON line (grep `{"hostile":` in the run's output). */
export function figure(name: string, value: unknown): void {
  process.stdout.write(`${JSON.stringify({ hostile: name, value })}\n`);
}
