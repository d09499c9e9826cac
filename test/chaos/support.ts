// Shared by the chaos suites (not a test file): a load generator that keeps every outcome with
// its time and the epoch that served it, a /status sampler that looks for two serving nodes,
// the backends' arrival log (epoch + monotonic arrival time, merged over all backends) and the
// checks built on them. Times are CLOCK_MONOTONIC milliseconds (monoMs), the clock the sample
// backends stamp arrivals with, so client, test and backend times compare directly.
import { readFileSync, statSync } from 'node:fs';
import type { LocalCluster, LocalNode } from '@ringleader/launcher';
import type { StatusDocument } from '@ringleader/node';
import { get, keepAlive } from '../e2e/helpers.js';

export { median, reportMetric } from '../e2e/helpers.js';

/** CLOCK_MONOTONIC in ms (µs precision): the same clock in every process of this host. */
export function monoMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------ load

export interface Outcome {
  /** Which sequential client sent it (0-based). */
  readonly client: number;
  readonly target: string;
  /** Monotonic ms when the request was sent / its outcome was known. */
  readonly sent: number;
  readonly at: number;
  /** A 200 answered by a backend. */
  readonly ok: boolean;
  /** HTTP status, 0 for a transport error. */
  readonly status: number;
  /** The ringleader error code of a refusal (RL_NOT_LEADER, …) or the transport error code. */
  readonly code: string | undefined;
  /** The refusal's message (names the reason, e.g. "election in progress"), for failure reports. */
  readonly message?: string;
  /** x-ringleader-epoch the backend received (echoed in its body). */
  readonly epoch: number | undefined;
  readonly backend: string | undefined;
}

export interface LoadRecord {
  readonly outcomes: readonly Outcome[];
  /** Connections refused before anything was sent, each retried at once on the next target. */
  readonly refusedAndRetried: number;
}

export interface RecordedLoad {
  /** Outcomes so far (live). */
  readonly outcomes: readonly Outcome[];
  stop(): Promise<LoadRecord>;
}

/**
 * Steady load like e2e's steadyLoad (one sequential keep-alive client per target at
 * `ratePerTarget` GETs a second; ECONNREFUSED moves the client to the next target and retries,
 * what an L4 balancer or a DNS client does with a node that is gone), but every outcome is kept
 * with its time and epoch, so a failover can be cut into before / gap / after per client.
 */
export function recordLoad(
  targets: readonly string[],
  opts: { ratePerTarget?: number; path?: string; timeoutMs?: number } = {},
): RecordedLoad {
  const periodMs = 1000 / (opts.ratePerTarget ?? 40);
  const path = opts.path ?? '/chaos';
  const outcomes: Outcome[] = [];
  let refused = 0;
  let running = true;
  const client = async (index: number) => {
    const agent = keepAlive(1);
    let at = index;
    let due = monoMs();
    let refusedInARow = 0;
    try {
      while (running) {
        const target = targets[at % targets.length]!;
        const sent = monoMs();
        try {
          const r = await get(`${target}${path}?c=${index}`, { agent, timeoutMs: opts.timeoutMs ?? 10_000 });
          refusedInARow = 0;
          const headers = r.body?.headers as Record<string, string> | undefined;
          const epochText = headers?.['x-ringleader-epoch'];
          const ok = r.status === 200 && r.backend !== undefined;
          outcomes.push({
            client: index,
            target,
            sent,
            at: monoMs(),
            ok,
            status: r.status,
            code: ok ? undefined : typeof r.body?.code === 'string' ? r.body.code : `HTTP_${r.status}`,
            ...(!ok && typeof r.body?.message === 'string' ? { message: r.body.message } : {}),
            epoch: epochText === undefined ? undefined : Number(epochText),
            backend: r.backend,
          });
        } catch (err) {
          const code = (err as { code?: string }).code ?? (err as Error).message;
          if (code === 'ECONNREFUSED') {
            refused++;
            at++;
            // Every target refused in turn: the whole cluster is down; do not spin.
            if (++refusedInARow >= targets.length) await sleep(periodMs);
            continue;
          }
          outcomes.push({
            client: index,
            target,
            sent,
            at: monoMs(),
            ok: false,
            status: 0,
            code,
            epoch: undefined,
            backend: undefined,
          });
        }
        due += periodMs;
        const wait = due - monoMs();
        if (wait > 0) await sleep(wait);
        else due = monoMs();
      }
    } finally {
      agent.destroy();
    }
  };
  const clients = targets.map((_, i) => client(i));
  let stopped: Promise<LoadRecord> | undefined;
  return {
    outcomes,
    stop() {
      running = false;
      stopped ??= Promise.all(clients).then(() => ({ outcomes, refusedAndRetried: refused }));
      return stopped;
    },
  };
}

export interface ClientGap {
  readonly client: number;
  /** Last success with the old epoch, first success with the new one (monotonic ms). */
  readonly lastOld: number | undefined;
  readonly firstNew: number | undefined;
  /** Failures between the two. */
  readonly inGap: number;
  /** Failures before lastOld or after firstNew: these must not happen. */
  readonly outside: readonly Outcome[];
}

/** Cuts each client's outcomes at its last old-epoch and its first new-epoch success. */
export function clientGaps(outcomes: readonly Outcome[], oldEpoch: number, newEpoch: number): ClientGap[] {
  const clients = [...new Set(outcomes.map((o) => o.client))].sort((a, b) => a - b);
  return clients.map((client) => {
    const mine = outcomes.filter((o) => o.client === client);
    const lastOld = mine.filter((o) => o.ok && o.epoch === oldEpoch).at(-1)?.at;
    const firstNew = mine.find((o) => o.ok && o.epoch === newEpoch)?.at;
    const failures = mine.filter((o) => !o.ok);
    const lo = lastOld ?? Number.NEGATIVE_INFINITY;
    const hi = firstNew ?? Number.POSITIVE_INFINITY;
    return {
      client,
      lastOld,
      firstNew,
      inGap: failures.filter((f) => f.at > lo && f.at < hi).length,
      outside: failures.filter((f) => f.at <= lo || f.at >= hi),
    };
  });
}

/** Global failover figure: last success with the old epoch → first success with the new one. */
export function failoverGap(
  outcomes: readonly Outcome[],
  oldEpoch: number,
  newEpoch: number,
): { lastOld: number; firstNew: number; gapMs: number; failuresInGap: number } | undefined {
  const olds = outcomes.filter((o) => o.ok && o.epoch === oldEpoch).map((o) => o.at);
  const news = outcomes.filter((o) => o.ok && o.epoch === newEpoch).map((o) => o.at);
  if (olds.length === 0 || news.length === 0) return undefined;
  const lastOld = Math.max(...olds);
  const firstNew = Math.min(...news);
  const failuresInGap = outcomes.filter((o) => !o.ok && o.at > lastOld && o.at < firstNew).length;
  return { lastOld, firstNew, gapMs: firstNew - lastOld, failuresInGap };
}

/** A readable line per failure, for assertion messages. */
export function describeFailures(fails: readonly Outcome[], t0: number, limit = 12): string[] {
  return fails
    .slice(0, limit)
    .map(
      (f) =>
        `client ${f.client} +${Math.round(f.at - t0)} ms via ${f.target}: ${f.status} ${f.code ?? ''}` +
        (f.message ? ` (${f.message})` : ''),
    );
}

// ------------------------------------------------------------------------------ backends

import type { Arrival } from '../harness/fencing.js';

export { type Arrival, arrivals } from '../harness/fencing.js';

/** Arrivals carrying an epoch below `newEpoch` after the first one carrying `newEpoch`. */
export function staleAfterFirstNew(
  all: readonly Arrival[],
  newEpoch: number,
): { firstNewAt: number | undefined; stale: Arrival[] } {
  const first = all.find((a) => a.epoch === newEpoch);
  if (first === undefined) return { firstNewAt: undefined, stale: [] };
  return {
    firstNewAt: first.at,
    stale: all.filter((a) => a.at > first.at && (a.epoch === null || a.epoch < newEpoch)),
  };
}

// ------------------------------------------------------------------------------ nodes

export interface ServingRound {
  readonly at: number;
  /** Nodes that answered /status, and those of them that reported serving. */
  readonly answered: readonly string[];
  readonly serving: readonly string[];
}

/**
 * Asks every node's /status every `everyMs` (rounds overlap, so a frozen node that answers
 * nothing does not slow the sampling down; a node that does not answer within `timeoutMs` is
 * simply absent from that round). stop() returns the rounds.
 */
export function sampleServing(
  nodes: readonly LocalNode[],
  opts: { everyMs?: number; timeoutMs?: number } = {},
): { stop(): Promise<ServingRound[]> } {
  const rounds: Promise<ServingRound>[] = [];
  const round = async (): Promise<ServingRound> => {
    const at = monoMs();
    const answers = await Promise.all(
      nodes.map(async (n) => {
        if (!n.running) return undefined;
        try {
          const r = await get(`${n.adminUrl}/status`, { timeoutMs: opts.timeoutMs ?? 600 });
          if (r.status !== 200) return undefined;
          return { id: n.id, serving: (r.body as unknown as StatusDocument).serving === true };
        } catch {
          return undefined;
        }
      }),
    );
    const answered = answers.filter((a) => a !== undefined);
    return {
      at,
      answered: answered.map((a) => a.id),
      serving: answered.filter((a) => a.serving).map((a) => a.id),
    };
  };
  const timer = setInterval(() => rounds.push(round()), opts.everyMs ?? 50);
  return {
    async stop() {
      clearInterval(timer);
      return Promise.all(rounds);
    },
  };
}

/** Rounds in which more than one node reported serving. */
export function doubleServing(rounds: readonly ServingRound[]): ServingRound[] {
  return rounds.filter((r) => r.serving.length > 1);
}

/**
 * Waits until the cluster is whole again: every running node answers with a connected
 * session and the same backends (all the cluster's, or `backendIds`), one leader serves, and (with `standby: forward`) every other
 * node forwards to it. Resolves with the leader.
 */
export async function settled(
  c: LocalCluster,
  timeoutMs = 20_000,
  backendIds?: readonly string[],
): Promise<LocalNode> {
  await c.waitForBackends(backendIds, timeoutMs);
  const leader = await c.leader(timeoutMs);
  await c.waitFor(
    async () => {
      const all = await c.statuses();
      if (all.length !== c.nodes.filter((n) => n.running).length) return false;
      return all.every(
        ({ node, status }) =>
          status.session.state === 'connected' &&
          (node === leader
            ? status.serving
            : status.role === 'standby' &&
              status.gate.kind === 'forward' &&
              status.gate.leaderProxyUrl === leader.proxyUrl),
      );
    },
    timeoutMs,
    'every standby forwarding to the leader',
  );
  return leader;
}

/** Byte offset of the end of a node's log, to read only what it writes after now. */
export function logOffset(node: LocalNode): number {
  try {
    return statSync(node.logFile).size;
  } catch {
    return 0;
  }
}

/** The `to` of every "zookeeper session state changed" line the node logged after `offset`. */
export function sessionStatesLogged(node: LocalNode, offset: number): string[] {
  const text = readFileSync(node.logFile).subarray(offset).toString('utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('zookeeper session state changed')) continue;
    try {
      const to = (JSON.parse(line) as { to?: unknown }).to;
      if (typeof to === 'string') out.push(to);
    } catch {
      // not a JSON line
    }
  }
  return out;
}

/** `session.server` of a node's /status (`host:port` of the ZooKeeper server it is attached to). */
export async function attachedServer(node: LocalNode): Promise<string | null> {
  return (await node.status()).session.server ?? null;
}
