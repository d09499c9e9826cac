// `ringleader demo`: a whole cluster on this machine, built on @ringleader/launcher (a
// 3-server ZooKeeper ensemble of Debian's java servers, three LB nodes, four sample backends
// registered as znodes), with steady traffic and a live line per second. Kill
// the leader (`ringleader demo kill-leader`, `kill -9 <pid>`, or --kill-leader-after) and the
// failover shows up live with the measured interruption; the dead node is restarted after
// --restart-after seconds and rejoins as a standby. SIGINT/SIGTERM (or --duration) stops every
// process it started; a second signal kills them at once.
// Beside the HTTP service, two tiers of services/ (demo-tier-setup.ts): `cache` over two
// redis-servers and `db` over a PostgreSQL, each with its own client (demo-tiers.ts), so the
// leader kill shows on all three.
import { appendFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalCluster, LocalNode, ZkEnsemble } from '@ringleader/launcher';
import type { CliIo } from './context.js';
import { LoadGenerator, now } from './demo-load.js';
import type { DemoPlan } from './demo-plan.js';
import {
  type DemoState,
  pidAlive,
  removeDemoState,
  startTranscript,
  stateFile,
  writeDemoState,
} from './demo-state.js';
import {
  defineTiers,
  serviceHost,
  startTierServers,
  type TierServers,
  tiersReady,
} from './demo-tier-setup.js';
import { connectOrder, TierClient } from './demo-tiers.js';
import { TrafficMeter } from './demo-traffic.js';
import { bannerLines, clock, eventLine, summaryLines, windowHeader, windowLine } from './demo-view.js';
import { tierEventLine, tierSummaryLine } from './demo-view-tiers.js';
import { CliError } from './errors.js';

type Launcher = typeof import('@ringleader/launcher');

const NODES = 3;
const BACKENDS = 4;
const ZK_SERVERS = 3;

function repoRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The launcher, loaded only when a demo starts; it runs the LB nodes from a built checkout. */
async function loadLauncher(): Promise<Launcher> {
  try {
    return await import('@ringleader/launcher');
  } catch (err) {
    throw new CliError(
      'RL_CLI_DEMO',
      `the demo runs from a repository checkout after \`pnpm build\` (@ringleader/launcher did not load: ${(err as Error).message}); run scripts/demo.sh`,
      { cause: err },
    );
  }
}

/** How the user should type the CLI in hints: `pnpm ringleader` at the repository root. */
function cliHint(root: string | undefined): string {
  if (root !== undefined && process.cwd() === root) return 'pnpm ringleader';
  return `node ${root === undefined ? 'ringleader.mjs' : join(root, 'packages/cli/bin/ringleader.mjs')}`;
}

const failure = (what: string, err: unknown) =>
  new CliError('RL_CLI_DEMO', `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });

export async function runDemo(plan: DemoPlan, io: CliIo): Promise<number> {
  const root = repoRoot();
  const launcher = await loadLauncher();
  let transcript: string | undefined;
  try {
    transcript = startTranscript(process.pid, pidAlive);
  } catch (err) {
    io.err(`ringleader demo: cannot keep a transcript: ${(err as Error).message}\n`);
  }
  const say = (line: string) => {
    io.out(`${line}\n`);
    if (transcript === undefined) return;
    try {
      appendFileSync(transcript, `${line}\n`);
    } catch {
      transcript = undefined; // a full or vanished /tmp must not stop the demo
    }
  };

  // -------------------------------------------------------------- stop requests (signals, --duration)
  let stopping = false;
  let requestStop: (why: string) => void = () => {};
  const stopRequested = new Promise<string>((r) => {
    requestStop = (why) => {
      stopping = true;
      r(why);
    };
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      io.err(`ringleader demo: second ${signal}: killing every process it started now\n`);
      process.exit(130); // the launcher's exit hooks SIGKILL every child
    }
    requestStop(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const seenPids = new Set<number>();
  const note = (pid: number | null | undefined) => {
    if (pid) seenPids.add(pid);
  };
  let zk: ZkEnsemble | undefined;
  let cluster: LocalCluster | undefined;
  let load: LoadGenerator | undefined;
  let tierServers: Promise<TierServers> | undefined;
  const tierClients: TierClient[] = [];
  const timers: NodeJS.Timeout[] = [];
  const pending = new Set<Promise<unknown>>();
  const startedAt = new Date().toISOString();
  let finished = false;
  const cleanUp = async (): Promise<void> => {
    finished = true;
    stopping = true;
    for (const t of timers) clearTimeout(t);
    await load?.stop();
    await Promise.all(tierClients.map((t) => t.stop()));
    await cluster?.stop();
    await (await tierServers)?.stop();
    await zk?.stop();
    await Promise.allSettled([...pending]);
    removeDemoState(process.pid);
  };
  const finish = async (why: string): Promise<number> => {
    say(`${why}: stopping the nodes (gracefully), the backends, Redis, PostgreSQL and ZooKeeper…`);
    // Also a node being restarted right now: its pid exists before it answers.
    for (const p of [...(cluster?.nodes ?? []), ...(cluster?.backends ?? [])]) note(p.pid);
    await cleanUp();
    const left = [...seenPids].filter(pidAlive);
    const all = seenPids.size === 0 ? '' : ` all ${seenPids.size} processes it started have exited;`;
    if (left.length === 0) say(`stopped:${all} nothing left running`);
    else say(`stopped, but still running: pids ${left.join(', ')}`);
    if (transcript !== undefined) say(`this run's output, summary included, stays in ${transcript}`);
    return left.length === 0 ? 0 : 1;
  };

  try {
    // ------------------------------------------------------------ start-up
    const t0 = now();
    // Redis and PostgreSQL start beside ZooKeeper (initdb takes a few seconds); never rejects.
    tierServers = startTierServers(launcher);
    tierServers.then((t) => t.pids.forEach(note));
    say(`starting a ${ZK_SERVERS}-server ZooKeeper ensemble (Debian's zookeeper package, loopback ports)…`);
    try {
      zk = await launcher.startZooKeeper({ servers: ZK_SERVERS, tickTime: 200 });
    } catch (err) {
      // Ctrl-C in a terminal signals the whole process group: the servers die with us.
      if (stopping) return await finish('stopped during start-up');
      throw failure('ZooKeeper did not start', err);
    }
    for (const s of zk.servers) note(s.pid);
    say(`  quorum after ${((now() - t0) / 1000).toFixed(1)} s: ${zk.connectString}`);
    if (stopping) return await finish('stopped during start-up');
    say(
      `starting ${BACKENDS} sample backends and ${NODES} LB nodes; registering the backends as znodes; electing a leader…`,
    );
    const clusterName = zk.kind === 'external' ? `demo-${process.pid}` : 'default';
    try {
      cluster = await launcher.startLocalCluster({
        zk,
        cluster: clusterName,
        nodes: NODES,
        backends: BACKENDS,
        mode: 'active-passive',
        standby: plan.standby,
        sessionTimeoutMs: plan.sessionTimeoutMs,
        keepLogs: plan.keepLogs,
        nodeEnv: (i) => ({
          RINGLEADER_DRAIN_TIMEOUT_MS: '2000',
          RINGLEADER_EXPOSE_BACKEND_HEADER: 'true',
          RINGLEADER_LOG_LEVEL: 'info',
          RINGLEADER_SERVICE_HOST: serviceHost(i),
        }),
      });
    } catch (err) {
      if (stopping) return await finish('stopped during start-up');
      throw failure('the cluster did not start', err);
    }
    const c = cluster;
    for (const p of [...c.nodes, ...c.backends]) note(p.pid);
    say(`  ready after ${((now() - t0) / 1000).toFixed(1)} s`);
    if (stopping) return await finish('stopped during start-up');
    const servers = await tierServers;
    const tiers = await defineTiers(c, servers, launcher).catch((err: unknown) => {
      throw failure('the Redis and PostgreSQL services could not be defined', err);
    });
    if (tiers.length > 0) {
      say(`services ${tiers.map((t) => t.service).join(' and ')} defined; waiting for every node to listen…`);
      const ok = await tiersReady(c, tiers, 10_000);
      say(
        ok
          ? `  listening with their backends up after ${((now() - t0) / 1000).toFixed(1)} s`
          : '  not every node listens with its backends up yet (see status); going on',
      );
    }
    say('');
    if (stopping) return await finish('stopped during start-up');

    // ------------------------------------------------------------ banner and state file
    const zkModes = await Promise.all(zk.servers.map((s) => s.mode().catch(() => undefined)));
    // Standbys settle a moment after the leader is elected: show settled roles when they come.
    const settled = await c
      .waitFor(
        async () => {
          const all = await c.statuses();
          return all.length === c.nodes.length && all.every(({ status }) => status.role !== 'candidate')
            ? all
            : undefined;
        },
        3000,
        'every node to be leader or standby',
      )
      .catch(() => c.statuses());
    const roles = new Map(settled.map(({ node, status }) => [node.id, status]));
    const state = (): DemoState => ({
      version: 1,
      pid: process.pid,
      startedAt,
      cluster: c.cluster,
      zk: {
        connect: c.zk.connectString,
        servers: c.zk.servers.map((s) => ({
          id: `zk-${s.id}`,
          address: s.connectString,
          pid: s.pid ?? null,
        })),
      },
      nodes: c.nodes.map((n) => ({
        id: n.id,
        pid: n.pid ?? null,
        proxyUrl: n.proxyUrl,
        adminUrl: n.adminUrl,
      })),
      backends: c.backends.map((b) => ({ id: b.id, pid: b.pid ?? null, url: b.url })),
      logDir: c.logDir,
    });
    const saveState = () => {
      try {
        writeDemoState(state());
      } catch (err) {
        io.err(`ringleader demo: cannot write its state file: ${(err as Error).message}\n`);
      }
    };
    saveState();
    const cli = cliHint(root);
    const s0 = state();
    for (const line of bannerLines({
      cluster: c.cluster,
      sessionTimeoutMs: c.sessionTimeoutMs,
      standby: plan.standby,
      rate: plan.rate,
      zk: {
        connect: s0.zk.connect,
        servers: s0.zk.servers.map((s, i) => ({ ...s, mode: zkModes[i] })),
      },
      nodes: s0.nodes.map((n) => ({ ...n, role: roles.get(n.id)?.role, epoch: roles.get(n.id)?.epoch })),
      backends: s0.backends,
      logDir: c.logDir,
      keepLogs: plan.keepLogs,
      cli,
      stateFile: stateFile(process.pid),
      transcript,
      services: tiers.map((t) => t.banner),
      skippedTiers: servers.skipped,
    }))
      say(line);

    // ------------------------------------------------------------ node deaths and restarts
    const nodeById = new Map(c.nodes.map((n) => [n.id, n]));
    const track = <T>(p: Promise<T>) => {
      pending.add(p);
      p.finally(() => pending.delete(p)).catch(() => {});
    };
    const watch = (node: LocalNode) => {
      const pid = node.pid;
      track(
        node.exited().then((info) => {
          if (stopping) return;
          saveState();
          const how = info.signal ?? `exit code ${info.code}`;
          const again = plan.restartAfterS > 0 ? `; restarting it in ${plan.restartAfterS} s` : '';
          say(`>>> ${clock(now())} ${node.id} (pid ${pid}) is gone (${how})${again}`);
          if (plan.restartAfterS > 0) timers.push(setTimeout(() => restart(node), plan.restartAfterS * 1000));
        }),
      );
    };
    const restart = (node: LocalNode) => {
      if (stopping || node.running) return;
      track(
        (async () => {
          say(`>>> ${clock(now())} restarting ${node.id} on the same ports…`);
          await node.restart();
          note(node.pid);
          watch(node);
          saveState();
          const st = await c
            .waitFor(
              async () => {
                const s = await node.status();
                return s.role !== 'candidate' && s.session.state === 'connected' ? s : undefined;
              },
              10_000,
              `${node.id} to rejoin`,
            )
            .catch(() => undefined);
          if (stopping) return;
          const role =
            st === undefined
              ? 'not yet elected'
              : st.role === 'leader'
                ? `LEADER epoch ${st.epoch}`
                : st.role;
          say(`>>> ${clock(now())} ${node.id} is back: pid ${node.pid}, ${role}`);
        })().catch((err: unknown) => {
          if (!stopping) say(`>>> ${node.id} did not restart: ${(err as Error).message.split('\n')[0]}`);
        }),
      );
    };
    for (const n of c.nodes) watch(n);

    const killLeader = async () => {
      const leader = await c.leader(5000).catch(() => undefined);
      if (stopping) return;
      if (leader === undefined) {
        say(`>>> ${clock(now())} --kill-leader-after: no single serving leader right now; nothing killed`);
        return;
      }
      const epoch = (await leader.status().catch(() => undefined))?.epoch;
      say(
        `>>> ${clock(now())} killing the leader ${leader.id} (pid ${leader.pid}, epoch ${epoch ?? '?'}) with SIGKILL`,
      );
      await leader.kill('SIGKILL');
    };

    // ------------------------------------------------------------ traffic
    const ids = c.backends.map((b) => b.id);
    // Isolated failed requests among successes are errors, not an interruption: a gap must span
    // several request intervals to count (unless the leader changed across it).
    const meter = new TrafficMeter({ minGapMs: Math.max(100, 3000 / plan.rate) });
    load = new LoadGenerator({
      entries: c.nodes.map((n) => ({ id: n.id, proxyUrl: n.proxyUrl })),
      rate: plan.rate,
      timeoutMs: 2000,
      maxInFlight: 64,
      followLeaderHeader: plan.standby === 'reject',
      onOutcome: (o) => {
        const ev = meter.record(o);
        if (ev === undefined) return;
        say(eventLine(ev));
        if (ev.from.node === ev.to.node && ev.from.epoch === ev.to.epoch) return;
        const next = ev.to.node === undefined ? undefined : nodeById.get(ev.to.node);
        if (next?.pid !== undefined)
          say(`    kill the new leader: \`${cli} demo kill-leader\` or \`kill -9 ${next.pid}\``);
      },
    });
    // The tier clients start on the leader's service host, so the kill moves them to another node.
    const leaderId = settled.find(({ status }) => status.role === 'leader')?.node.id;
    const tierMeters = tiers.map((t) => {
      const m = new TrafficMeter({ minGapMs: t.intervalMs * 4 });
      const client = new TierClient({
        port: t.port,
        targets: connectOrder(t.targets, leaderId),
        protocol: t.protocol,
        intervalMs: t.intervalMs,
        timeoutMs: 1000,
        onOutcome: (o) => {
          const ev = m.record(o);
          if (ev?.kind === 'interruption') say(tierEventLine(t.label, t.service, t.port, ev));
        },
      });
      tierClients.push(client);
      return { tier: t, meter: m, client };
    });
    say(
      windowHeader(
        ids,
        tiers.map((t) => t.label),
      ),
    );
    const trafficStart = now();
    load.start();
    for (const t of tierMeters) t.client.start();
    const tick = () =>
      say(
        windowLine(
          now(),
          meter.tick(),
          ids,
          tierMeters.map((t) => ({ label: t.tier.label, window: t.meter.tick() })),
        ),
      );
    timers.push(setInterval(tick, 1000));
    if (plan.killLeaderAfterS !== undefined) {
      timers.push(setTimeout(() => track(killLeader()), plan.killLeaderAfterS * 1000));
    }
    if (plan.durationS !== undefined) {
      timers.push(setTimeout(() => requestStop(`--duration ${plan.durationS} s`), plan.durationS * 1000));
    }

    const why = await stopRequested;
    for (const t of timers) clearTimeout(t);
    await load.stop();
    await Promise.all(tierClients.map((t) => t.stop()));
    say('');
    for (const line of summaryLines(meter.totals(), (now() - trafficStart) / 1000)) say(line);
    for (const t of tierMeters)
      say(tierSummaryLine(t.tier.label, t.tier.service, t.tier.port, t.meter.totals()));
    return await finish(why);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // On an error path nothing was stopped yet.
    if (!finished) await cleanUp().catch(() => {});
  }
}
