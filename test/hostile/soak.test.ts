// Soak: steady load on all three nodes (active-passive, standbys forward) while a backend is
// removed or added every second and the leader is stopped with SIGTERM (a graceful failover)
// twice, each time restarted as a standby. No request may fail outside the failover windows
// (± one session timeout around each SIGTERM; failures inside are counted and reported), and
// the nodes that ran throughout must not grow in RSS or handles beyond noise.
//   default: a short run (RINGLEADER_SOAK_S=40); the 5-minute run: RINGLEADER_SOAK_S=300.

import { type LocalCluster, type LocalNode, sleep, startLocalCluster } from '@ringleader/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { burst, steadyLoad } from '../e2e/helpers.js';
import { figure, rssMiB } from './helpers.js';

const SOAK_S = Math.max(20, Number(process.env.RINGLEADER_SOAK_S ?? 40));
const SESSION_MS = 2000;
const RATE_PER_NODE = 60;

let c: LocalCluster;

beforeAll(async () => {
  c = await startLocalCluster({ nodes: 3, backends: 4, sessionTimeoutMs: SESSION_MS, standby: 'forward' });
  // Warm-up (JIT, pools, heap sizing), so growth measured later is not start-up growth.
  for (const n of c.nodes) await burst(400, 8, () => ({ url: `${n.proxyUrl}/warm` }));
}, 60_000);
afterAll(async () => {
  await c?.stop();
});

interface Sample {
  readonly t: number;
  readonly node: string;
  readonly pid: number;
  readonly rss: number;
  readonly handles: number;
  readonly heapUsed: number;
}

async function sample(node: LocalNode, t0: number): Promise<Sample | undefined> {
  const pid = node.pid;
  if (pid === undefined) return undefined;
  try {
    const text = await (
      await fetch(`${node.adminUrl}/metrics`, { signal: AbortSignal.timeout(2000) })
    ).text();
    const num = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN);
    // Summed over the per-type series (the unlabelled *_total gauge is not exported: promtool).
    const sum = (name: string) => {
      let total = 0;
      for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'gm')))
        total += Number(m[1]);
      return total;
    };
    return {
      t: Date.now() - t0,
      node: node.id,
      pid,
      rss: rssMiB(pid),
      handles: sum('ringleader_process_nodejs_active_handles'),
      heapUsed: Math.round(num('ringleader_process_nodejs_heap_size_used_bytes') / 1048576),
    };
  } catch {
    return undefined; // restarting
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor((s.length - 1) / 2)] as number);
};

describe(`soak (${SOAK_S} s)`, () => {
  it(
    'steadyLoadWithBackendChurnEverySecondAndTwoGracefulFailoversFailsNothingOutsideTheFailoverWindows',
    async () => {
      const t0 = Date.now();
      const load = steadyLoad(
        c.nodes.map((n) => n.proxyUrl),
        { ratePerTarget: RATE_PER_NODE, path: '/soak' },
      );

      // Churn: every second one of b3/b4 leaves or comes back (b1 and b2 stay).
      let churning = true;
      let churnOps = 0;
      const churnErrors: string[] = [];
      const churn = (async () => {
        const spare = c.backends.slice(2);
        let i = 0;
        let due = Date.now();
        while (churning) {
          const b = spare[Math.floor(i / 2) % spare.length]!;
          try {
            if (i % 2 === 0) await c.admin.removeBackend(b.id);
            else await c.admin.addBackend(b.id, { host: b.host, port: b.port });
            churnOps++;
          } catch (err) {
            churnErrors.push((err as Error).message);
          }
          i++;
          due += 1000; // one change a second, on a fixed schedule (not 1 s after each change)
          await sleep(Math.max(0, due - Date.now()));
        }
      })();

      // Process figures every 2 s.
      const samples: Sample[] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          for (const n of c.nodes) {
            const s = await sample(n, t0);
            if (s) samples.push(s);
          }
          await sleep(2000);
        }
      })();

      // Two graceful failovers, at a third and two thirds of the run.
      const failovers: Array<{ at: number; node: string; exit: unknown; stopMs: number; newLeader: string }> =
        [];
      const restarted = new Set<string>();
      for (const frac of [1 / 3, 2 / 3]) {
        const due = t0 + SOAK_S * 1000 * frac;
        await sleep(Math.max(0, due - Date.now()));
        const leader = await c.leader();
        const at = Date.now();
        const exit = await leader.kill('SIGTERM');
        const stopMs = Date.now() - at;
        const next = await c.leader(10_000);
        failovers.push({ at: at - t0, node: leader.id, exit, stopMs, newLeader: next.id });
        restarted.add(leader.id);
        await sleep(1000);
        await leader.restart();
      }
      await sleep(Math.max(0, t0 + SOAK_S * 1000 - Date.now()));
      const result = await load.stop();
      churning = false;
      sampling = false;
      await Promise.all([churn, sampler]);

      // Failures inside ± one session timeout of a failover, and outside.
      const windowMs = SESSION_MS;
      const inWindow = (at: number) =>
        failovers.some((f) => at - t0 >= f.at - windowMs && at - t0 <= f.at + f.stopMs + windowMs);
      const inside = result.failures.filter((f) => inWindow(f.at));
      const outside = result.failures.filter((f) => !inWindow(f.at));

      // RSS and handles of the node(s) that ran the whole time: first quarter vs last quarter.
      const steady = c.nodes.filter((n) => !restarted.has(n.id)).map((n) => n.id);
      const growth = steady.map((id) => {
        const mine = samples.filter((s) => s.node === id);
        const early = mine.filter((s) => s.t < SOAK_S * 250);
        const late = mine.filter((s) => s.t > SOAK_S * 750);
        return {
          node: id,
          rssMiB: [median(early.map((s) => s.rss)), median(late.map((s) => s.rss))],
          handles: [median(early.map((s) => s.handles)), median(late.map((s) => s.handles))],
          heapUsedMiB: [median(early.map((s) => s.heapUsed)), median(late.map((s) => s.heapUsed))],
        };
      });
      figure('soak', {
        seconds: SOAK_S,
        sent: result.sent,
        ok: result.ok,
        refusedAndRetried: result.refusedAndRetried,
        failedInsideWindows: inside.length,
        failedOutsideWindows: outside.length,
        failures: result.failures.slice(0, 10).map((f) => ({ t: f.at - t0, what: f.what.slice(0, 120) })),
        failovers,
        churnOps,
        churnErrors: churnErrors.slice(0, 5),
        byBackend: result.byBackend,
        growth,
      });

      expect(outside.map((f) => `+${f.at - t0} ms ${f.target}: ${f.what}`)).toEqual([]);
      expect(failovers.map((f) => f.exit)).toEqual([
        { code: 0, signal: null },
        { code: 0, signal: null },
      ]);
      expect(failovers.every((f) => f.newLeader !== f.node)).toBe(true);
      expect(churnErrors).toEqual([]);
      expect(churnOps).toBeGreaterThanOrEqual(Math.floor(SOAK_S * 0.9));
      expect(result.ok).toBeGreaterThan(SOAK_S * RATE_PER_NODE);
      // Traffic went to every backend, the churned ones included.
      expect(Object.keys(result.byBackend).sort()).toEqual(['b1', 'b2', 'b3', 'b4']);
      expect(steady.length).toBeGreaterThan(0);
      for (const g of growth) {
        const [rss0, rss1] = g.rssMiB as [number, number];
        const [h0, h1] = g.handles as [number, number];
        // Noise bounds: a few MiB of heap growth and a few keep-alive sockets come and go.
        expect(rss1 - rss0, `${g.node} RSS`).toBeLessThan(32);
        expect(h1 - h0, `${g.node} handles`).toBeLessThanOrEqual(16);
      }
      // What the churn left: b3/b4 present or not, the cluster still serves.
      expect((await fetch(`${(await c.leader()).proxyUrl}/after-soak`)).status).toBe(200);
    },
    (SOAK_S + 90) * 1000,
  );
});
