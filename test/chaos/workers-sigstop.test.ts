// Chaos, per worker: a leader whose HTTP data plane runs in two worker threads is frozen
// (SIGSTOP) past its session timeout; a new leader takes over; SIGCONT. Every worker checks the
// lease cell (a SharedArrayBuffer on CLOCK_MONOTONIC) per request, so after the thaw no worker
// lets a request of the old epoch reach a backend after one of the new epoch, even before the
// main thread has run a single timer. Clients open a new connection per request so the kernel's
// reusePort spread sends traffic to both workers (checked before the freeze).
import { request } from 'node:http';
import { type LocalCluster, type LocalNode, startLocalCluster } from '@ringleader/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrivals, fencingViolations } from '../harness/fencing.js';
import { monoMs, settled, sleep, staleAfterFirstNew } from './support.js';

const SESSION_MS = 1500;
const CLIENTS = 4;

let c: LocalCluster;

beforeAll(async () => {
  c = await startLocalCluster({
    nodes: 2,
    backends: 3,
    sessionTimeoutMs: SESSION_MS,
    tickTime: 200,
    standby: 'forward',
    nodeEnv: { RINGLEADER_WORKERS: '2' },
  });
});

afterAll(async () => {
  await c?.stop();
});

/** One GET on a fresh connection; the status, or 0 for no answer within 1 s. */
function getOnce(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${url}/workers-chaos`, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** CLIENTS sequential clients, each alternating over `targets`, ~40 requests a second each. */
function load(targets: readonly string[]): { stop(): Promise<number> } {
  let running = true;
  let sent = 0;
  const client = async (i: number) => {
    for (let n = i; running; n++) {
      sent++;
      await getOnce(targets[n % targets.length]!);
      await sleep(25);
    }
  };
  const all = Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  return {
    async stop() {
      running = false;
      await all;
      return sent;
    },
  };
}

async function leaderAmong(nodes: readonly LocalNode[]): Promise<LocalNode> {
  return c.waitFor(
    async () => {
      for (const n of nodes) {
        const s = await n.status().catch(() => undefined);
        if (s?.role === 'leader' && s.serving) return n;
      }
      return undefined;
    },
    SESSION_MS + 8000,
    'a new serving leader',
  );
}

describe('chaos: a frozen leader with two data-plane workers', () => {
  it('noWorkerLetsTheOldEpochReachABackendAfterTheNewOneAcrossSigstopAndSigcont', async () => {
    const old = await settled(c);
    const before = await old.status();
    const oldEpoch = before.epoch!;
    expect(before.workers.map((w) => w.state)).toEqual(['listening', 'listening']);
    await arrivals(c.backends, true);
    const traffic = load(c.nodes.map((n) => n.proxyUrl));
    const pid = old.pid!;
    let frozen = false;
    try {
      // Both workers of the leader take traffic before the freeze.
      await c.waitFor(
        async () => (await old.status()).workers.every((w) => w.requests >= 5),
        10_000,
        'both workers of the leader serving',
      );
      const t0 = monoMs();
      process.kill(pid, 'SIGSTOP');
      frozen = true;
      const next = await leaderAmong(c.nodes.filter((n) => n !== old));
      const newEpoch = (await next.status()).epoch!;
      await c.waitFor(
        async () => (await arrivals(c.backends)).filter((a) => a.epoch === newEpoch).length >= 10,
        5000,
        'the new leader serving traffic',
      );
      if (monoMs() < t0 + SESSION_MS + 500) await sleep(t0 + SESSION_MS + 500 - monoMs());
      const tCont = monoMs();
      process.kill(pid, 'SIGCONT');
      frozen = false;
      await c.waitFor(
        async () => {
          const s = await old.status();
          return s.role === 'standby' && s.session.state === 'connected' && s.epoch === newEpoch;
        },
        15_000,
        `${old.id} to rejoin as a standby`,
      );
      await sleep(500);
      await traffic.stop();
      const after = await old.status();
      const all = await arrivals(c.backends);
      const order = staleAfterFirstNew(all, newEpoch);
      expect(newEpoch).toBeGreaterThan(oldEpoch);
      expect(order.firstNewAt).toBeLessThan(tCont);
      expect(order.stale).toEqual([]);
      expect(all.filter((a) => a.epoch === oldEpoch && a.at > tCont)).toEqual([]);
      expect(fencingViolations(all, { ordered: true })).toEqual([]);
      // Both workers came through the freeze (none crashed or was restarted).
      expect(after.workers.map((w) => [w.state, w.restarts])).toEqual([
        ['listening', 0],
        ['listening', 0],
      ]);
    } finally {
      if (frozen) process.kill(pid, 'SIGCONT');
      await traffic.stop();
    }
  }, 60_000);
});
