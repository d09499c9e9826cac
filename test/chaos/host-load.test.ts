// Faults of the host, not of the cluster: the leader's own process not running for a while.
//
//   blocked     the leader process stopped (SIGSTOP) for longer than the socket watchdog's
//               allowance but well inside the session: the server's bytes wait unread in the
//               socket, so the node must not blame the server, drop the socket and lose its
//               session (the demo's "failover nobody caused": "no bytes from ZooKeeper:
//               dropping the socket", suspended three times, then expired)
//   cpu hogs    a busy loop on every core beside three nodes, ZooKeeper and proxy load on the
//               leader for 30 s with the default session timeout: no leadership change, no
//               failed request
// Both report the event-loop delay and ZooKeeper's own latency (mntr) they saw.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fourLetter, type LocalCluster, startLocalCluster } from '@ringleader/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeFailures,
  logOffset,
  monoMs,
  recordLoad,
  reportMetric,
  sessionStatesLogged,
  settled,
  sleep,
} from './support.js';

/** The node's default zookeeper.sessionTimeoutMs (config/schema.ts). */
const DEFAULT_SESSION_MS = 4000;

let c: LocalCluster;

beforeAll(async () => {
  c = await startLocalCluster({
    nodes: 3,
    backends: 3,
    sessionTimeoutMs: DEFAULT_SESSION_MS,
    tickTime: 200,
    standby: 'forward',
  });
});

afterAll(async () => {
  await c?.stop();
});

/** Log lines (parsed JSON) of `node` written since `offset`. */
function linesSince(file: string, offset: number): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of readFileSync(file).subarray(offset).toString('utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut by the read
    }
  }
  return out;
}

/** p99 event-loop delay (ms) a node's /metrics reports (prom-client's monitorEventLoopDelay). */
async function loopLagP99Ms(adminUrl: string): Promise<number | null> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const m = /^ringleader_process_nodejs_eventloop_lag_p99_seconds (\S+)/m.exec(text);
  return m ? Math.round(Number(m[1]) * 1000 * 10) / 10 : null;
}

/** ZooKeeper's own request latency (mntr: avg and max ms). */
async function zkLatency(): Promise<{ avg: number; max: number } | null> {
  const s = c.zk.servers[0];
  if (s === undefined) return null;
  const text = await fourLetter(s.clientPort, 'mntr').catch(() => '');
  const get = (k: string) => Number(new RegExp(`^zk_${k}\\s+(\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { avg: get('avg_latency'), max: get('max_latency') };
}

describe('chaos: the leader process does not run for a while', () => {
  it('leaderBlockedLongerThanTheWatchdogButInsideTheSessionKeepsItsSocketSessionAndLeadership', async () => {
    const leader = await settled(c);
    const before = await leader.status();
    const offset = logOffset(leader);
    const pid = leader.pid!;
    // The watchdog drops a socket after 2/3 of the session without bytes (2667 ms of 4000);
    // the server expires the session only after the whole 4000 ms without a ping.
    const frozenMs = 3000;
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(frozenMs);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await sleep(1500);
    const after = await leader.status();
    const lines = linesSince(leader.logFile, offset);
    const dropped = lines.filter((l) => String(l.msg).includes('dropping the socket'));
    const blocked = lines.filter((l) => String(l.msg).includes('this process was blocked'));
    const states = sessionStatesLogged(leader, offset);
    reportMetric('chaos_blocked_leader_socket_drops', dropped.length, {
      frozenMs,
      blockedLogged: blocked.map((l) => l.blockedMs),
      sessionStates: states,
      sessionTimeoutMs: DEFAULT_SESSION_MS,
    });
    expect(dropped.map((l) => l.msg)).toEqual([]);
    expect(blocked.length).toBeGreaterThan(0);
    expect(states.filter((s) => s === 'expired')).toEqual([]);
    expect(after.session.state).toBe('connected');
    expect(after.role).toBe('leader');
    expect(after.epoch).toBe(before.epoch);
    expect(await c.leader()).toBe(leader);
  }, 60_000);
});

describe('chaos: CPU hogs on every core', () => {
  it('cpuHogsOnEveryCoreWithProxyLoadForThirtySecondsCauseNoLeadershipChangeAndNoFailedRequest', async () => {
    const leader = await settled(c);
    const before = await leader.status();
    const offsets = c.nodes.map((n) => logOffset(n));
    const hogs: ChildProcess[] = [];
    const cores = availableParallelism();
    const load = recordLoad([leader.proxyUrl], { ratePerTarget: 60 });
    const lag: number[] = [];
    const zk: Array<{ avg: number; max: number }> = [];
    const t0 = monoMs();
    try {
      for (let i = 0; i < cores; i++)
        hogs.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
      while (monoMs() - t0 < 30_000) {
        await sleep(3000);
        const l = await loopLagP99Ms(leader.adminUrl).catch(() => null);
        if (l !== null) lag.push(l);
        const z = await zkLatency();
        if (z !== null) zk.push(z);
      }
    } finally {
      for (const h of hogs) h.kill('SIGKILL');
    }
    const rec = await load.stop();
    const after = await leader.status();
    const failures = rec.outcomes.filter((o) => !o.ok);
    const states = c.nodes.map((n, i) => sessionStatesLogged(n, offsets[i]!));
    reportMetric('chaos_cpu_hogs_failed_requests', failures.length, {
      requests: rec.outcomes.length,
      hogs: cores,
      leaderLoopLagP99Ms: lag,
      zkLatencyMs: zk,
      sessionStates: Object.fromEntries(c.nodes.map((n, i) => [n.id, states[i]])),
      sessionTimeoutMs: DEFAULT_SESSION_MS,
    });
    expect(describeFailures(failures, t0)).toEqual([]);
    expect(rec.outcomes.length).toBeGreaterThan(300);
    expect(after.role).toBe('leader');
    expect(after.epoch).toBe(before.epoch);
    expect(states.flat().filter((s) => s === 'expired')).toEqual([]);
    expect(await c.leader()).toBe(leader);
  }, 90_000);
});
