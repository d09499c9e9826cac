// Chaos: faults of the leading LB node under steady load (active-passive, `standby: forward`,
// one sequential client per node so clients are spread over all three). One cluster serves
// every fault: the faulted node is restarted and the cluster settles before the next one.
//
//   SIGKILL ×5  failover within session timeout + 1 s, errors only inside each client's gap,
//               a higher epoch, no old epoch at a backend after the first new one
//   SIGTERM     no failed request at all, exit 0
//   SIGSTOP     frozen past the session timeout, then SIGCONT: no backend sees the old epoch
//               after the new one, the resumed node reports suspended/expired and rejoins as a
//               standby, never two nodes serving

import { type LocalCluster, type LocalNode, startLocalCluster } from '@ringleader/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fencingViolations } from '../harness/fencing.js';
import {
  arrivals,
  clientGaps,
  describeFailures,
  doubleServing,
  failoverGap,
  logOffset,
  median,
  monoMs,
  recordLoad,
  reportMetric,
  sampleServing,
  sessionStatesLogged,
  settled,
  sleep,
  staleAfterFirstNew,
} from './support.js';

const SESSION_MS = 1500;
const TICK_MS = 200;
const KILL_RUNS = 5;
const RATE = 40; // GETs a second per client, three clients

let c: LocalCluster;

beforeAll(async () => {
  c = await startLocalCluster({
    nodes: 3,
    backends: 4,
    sessionTimeoutMs: SESSION_MS,
    tickTime: TICK_MS,
    standby: 'forward',
  });
});

afterAll(async () => {
  await c?.stop();
});

const targets = () => c.nodes.map((n) => n.proxyUrl);

async function epochOf(node: LocalNode): Promise<number> {
  const e = (await node.status()).epoch;
  if (e === null) throw new Error(`${node.id} reports no epoch`);
  return e;
}

/** Polls the other nodes until one of them serves as leader (the faulted one may not answer). */
async function newLeaderAmong(others: readonly LocalNode[], timeoutMs: number): Promise<LocalNode> {
  return c.waitFor(
    async () => {
      for (const n of others) {
        const s = await n.status().catch(() => undefined);
        if (s?.role === 'leader' && s.serving) return n;
      }
      return undefined;
    },
    timeoutMs,
    'a new serving leader',
  );
}

describe('chaos: leader node faults under steady load', () => {
  it('leaderSigkillFailsOverWithinSessionTimeoutPlusOneSecondWithErrorsOnlyInTheGapAndAHigherEpoch', async () => {
    const gaps: number[] = [];
    for (let run = 1; run <= KILL_RUNS; run++) {
      const old = await settled(c);
      const oldEpoch = await epochOf(old);
      await arrivals(c.backends, true);
      const load = recordLoad(targets(), { ratePerTarget: RATE });
      const sampler = sampleServing(c.nodes);
      let t0 = 0;
      try {
        await sleep(700);
        t0 = monoMs();
        const exit = await old.kill('SIGKILL');
        expect(exit.signal).toBe('SIGKILL');
        const next = await newLeaderAmong(
          c.nodes.filter((n) => n !== old),
          SESSION_MS + 5000,
        );
        const newEpoch = await epochOf(next);
        // Traffic is back once every client has had a success stamped with the new epoch.
        await c.waitFor(
          () => clientGaps(load.outcomes, oldEpoch, newEpoch).every((g) => g.firstNew !== undefined),
          5000,
          'every client served by the new leader',
        );
        await sleep(300);
        const rec = await load.stop();
        const rounds = await sampler.stop();

        expect(newEpoch).toBeGreaterThan(oldEpoch);
        const g = failoverGap(rec.outcomes, oldEpoch, newEpoch);
        expect(g, 'successes before and after the kill').toBeDefined();
        const perClient = clientGaps(rec.outcomes, oldEpoch, newEpoch);
        const outside = perClient.flatMap((p) => p.outside);
        const maxClientGapMs = Math.max(...perClient.map((p) => (p.firstNew ?? 0) - (p.lastOld ?? 0)));
        reportMetric('chaos_sigkill_failover_ms', Math.round(g!.gapMs), {
          run,
          killToFirstNewMs: Math.round(g!.firstNew - t0),
          maxClientGapMs: Math.round(maxClientGapMs),
          errorsInGap: perClient.reduce((a, p) => a + p.inGap, 0),
          errorsOutsideGap: outside.length,
          requests: rec.outcomes.length,
          refusedAndRetried: rec.refusedAndRetried,
          oldEpoch,
          newEpoch,
          sessionTimeoutMs: SESSION_MS,
        });
        gaps.push(g!.gapMs);
        expect(g!.gapMs).toBeLessThanOrEqual(SESSION_MS + 1000);
        expect(maxClientGapMs).toBeLessThanOrEqual(SESSION_MS + 1000);
        expect(describeFailures(outside, t0)).toEqual([]);
        const order = staleAfterFirstNew(await arrivals(c.backends), newEpoch);
        expect(order.firstNewAt).toBeDefined();
        expect(order.stale).toEqual([]);
        expect(fencingViolations(await arrivals(c.backends), { ordered: true })).toEqual([]);
        expect(doubleServing(rounds)).toEqual([]);
      } finally {
        await load.stop();
        await sampler.stop();
        if (!old.running) await old.restart();
      }
    }
    reportMetric('chaos_sigkill_failover_median_ms', Math.round(median(gaps)), {
      runs: gaps.map(Math.round),
      max: Math.round(Math.max(...gaps)),
      sessionTimeoutMs: SESSION_MS,
    });
  }, 150_000);

  it('leaderSigtermUnderSteadyLoadFailsNoRequestExitsZeroAndHandsOverToAHigherEpoch', async () => {
    const old = await settled(c);
    const oldEpoch = await epochOf(old);
    await arrivals(c.backends, true);
    const load = recordLoad(targets(), { ratePerTarget: RATE });
    const sampler = sampleServing(c.nodes);
    try {
      await sleep(1000);
      const t0 = monoMs();
      const exit = await old.kill('SIGTERM');
      const stopMs = monoMs() - t0;
      const next = await newLeaderAmong(
        c.nodes.filter((n) => n !== old),
        SESSION_MS + 5000,
      );
      const newEpoch = await epochOf(next);
      await sleep(1000);
      const rec = await load.stop();
      const rounds = await sampler.stop();

      const g = failoverGap(rec.outcomes, oldEpoch, newEpoch);
      const failures = rec.outcomes.filter((o) => !o.ok);
      // The leader stops admitting before it deletes its election znode, and a request whose
      // permit was voided before its write is admitted afresh (to the successor), so no
      // old-epoch request can reach a backend after the successor's first one.
      const order = staleAfterFirstNew(await arrivals(c.backends), newEpoch);
      reportMetric('chaos_sigterm_failed_requests', failures.length, {
        oldEpochAfterFirstNew: order.stale.length,
        requests: rec.outcomes.length,
        refusedAndRetried: rec.refusedAndRetried,
        handOverGapMs: g ? Math.round(g.gapMs) : null,
        stopMs: Math.round(stopMs),
        oldEpoch,
        newEpoch,
      });
      expect(describeFailures(failures, t0)).toEqual([]);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(newEpoch).toBeGreaterThan(oldEpoch);
      expect(rec.outcomes.filter((o) => o.ok && o.epoch === newEpoch).length).toBeGreaterThan(30);
      expect(order.stale).toEqual([]);
      expect(fencingViolations(await arrivals(c.backends), { ordered: true })).toEqual([]);
      expect(doubleServing(rounds)).toEqual([]);
    } finally {
      await load.stop();
      await sampler.stop();
      if (!old.running) await old.restart();
    }
  }, 60_000);

  it('leaderSigstopPastSessionTimeoutNeverLetsAnOlderEpochReachABackendAfterTheNewOne', async () => {
    const old = await settled(c);
    const oldEpoch = await epochOf(old);
    const pid = old.pid!;
    await arrivals(c.backends, true);
    // A 1 s client timeout: clients waiting on the frozen leader (directly or through a
    // standby) give up and go on, so the new leader has traffic before the old one wakes up.
    const load = recordLoad(targets(), { ratePerTarget: RATE, timeoutMs: 1000 });
    const sampler = sampleServing(c.nodes);
    const offset = logOffset(old);
    let frozen = false;
    try {
      await sleep(700);
      const t0 = monoMs();
      process.kill(pid, 'SIGSTOP');
      frozen = true;
      const next = await newLeaderAmong(
        c.nodes.filter((n) => n !== old),
        SESSION_MS + 5000,
      );
      const electedMs = monoMs() - t0;
      const newEpoch = await epochOf(next);
      // Let the new leader serve for a while, then wake the old one up: its wake-up then comes
      // after new-epoch requests reached backends, the order that must not be broken.
      await c.waitFor(
        () => load.outcomes.filter((o) => o.ok && o.epoch === newEpoch).length >= 10,
        5000,
        'the new leader serving traffic',
      );
      // ZooKeeper counts the session timeout from the frozen node's last ping (pings go every
      // third of it), so the election can end ~1 s into the freeze: hold it past the timeout
      // regardless, the premise this test (and the frozenMs check below) is about.
      const minFreezeUntil = t0 + SESSION_MS + 500;
      if (monoMs() < minFreezeUntil) await sleep(minFreezeUntil - monoMs());
      const tCont = monoMs();
      process.kill(pid, 'SIGCONT');
      frozen = false;
      const frozenMs = tCont - t0;
      // It must notice it lost its session and come back as a standby behind the new leader.
      await c.waitFor(
        async () => {
          const s = await old.status();
          return (
            s.role === 'standby' &&
            s.session.state === 'connected' &&
            s.epoch === newEpoch &&
            s.gate.kind === 'forward' &&
            s.gate.leaderProxyUrl === next.proxyUrl
          );
        },
        15_000,
        `${old.id} to rejoin as a standby`,
      );
      const rejoinedAt = monoMs();
      await sleep(1000);
      const rec = await load.stop();
      const rounds = await sampler.stop();

      const all = await arrivals(c.backends);
      const order = staleAfterFirstNew(all, newEpoch);
      const states = sessionStatesLogged(old, offset);
      // Client completion times mean little here (answers the old leader had proxied before the
      // freeze reach clients only after SIGCONT): the hand-over is measured at the backends.
      const lastOldAt = Math.max(...all.filter((a) => a.epoch === oldEpoch).map((a) => a.at));
      const refusedAfterResume = rec.outcomes.filter(
        (o) => o.target === old.proxyUrl && o.at > tCont && o.status === 503,
      ).length;
      const afterRejoin = rec.outcomes.filter((o) => !o.ok && o.sent > rejoinedAt + 100);
      reportMetric('chaos_sigstop_stale_epoch_arrivals', order.stale.length, {
        frozenMs: Math.round(frozenMs),
        electedAfterMs: Math.round(electedMs),
        arrivalGapMs: order.firstNewAt === undefined ? null : Math.round(order.firstNewAt - lastOldAt),
        refusedByResumedNode: refusedAfterResume,
        oldEpochArrivalsAfterResume: all.filter((a) => a.epoch === oldEpoch && a.at > tCont).length,
        rejoinMs: Math.round(rejoinedAt - tCont),
        failedRequests: rec.outcomes.filter((o) => !o.ok).length,
        requests: rec.outcomes.length,
        sessionStates: states,
        statusRounds: rounds.length,
        oldEpoch,
        newEpoch,
      });
      expect(frozenMs).toBeGreaterThan(SESSION_MS + 300);
      expect(next).not.toBe(old);
      expect(newEpoch).toBeGreaterThan(oldEpoch);
      expect(order.firstNewAt).toBeLessThan(tCont);
      expect(order.stale).toEqual([]);
      expect(all.filter((a) => a.epoch === oldEpoch && a.at > tCont)).toEqual([]);
      expect(fencingViolations(all, { ordered: true })).toEqual([]);
      expect(states.some((s) => s === 'suspended' || s === 'expired')).toBe(true);
      expect(doubleServing(rounds)).toEqual([]);
      expect(describeFailures(afterRejoin, tCont)).toEqual([]);
    } finally {
      if (frozen) process.kill(pid, 'SIGCONT');
      await load.stop();
      await sampler.stop();
    }
  }, 60_000);
});
