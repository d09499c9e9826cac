// What `ringleader demo` prints: the banner (where everything listens, with pids), one line per
// second of traffic, failover and process events, and the closing summary. Pure text.
import { type Interruption, shares, type Totals, type TrafficEvent, type Window } from './demo-traffic.js';
import {
  type ServiceBanner,
  serviceBannerLines,
  type TierWindow,
  tierCauses,
  tierCells,
  tierHeader,
} from './demo-view-tiers.js';
import { clock, duration } from './demo-view-time.js';

export { clock, duration };

export interface BannerInput {
  readonly cluster: string;
  readonly sessionTimeoutMs: number;
  readonly standby: 'forward' | 'reject';
  readonly rate: number;
  readonly zk: {
    readonly connect: string;
    readonly servers: ReadonlyArray<{
      readonly id: string;
      readonly address: string;
      readonly pid: number | null;
      readonly mode?: string | undefined;
    }>;
  };
  readonly nodes: ReadonlyArray<{
    readonly id: string;
    readonly pid: number | null;
    readonly proxyUrl: string;
    readonly adminUrl: string;
    readonly role?: string | undefined;
    readonly epoch?: number | null | undefined;
  }>;
  readonly backends: ReadonlyArray<{
    readonly id: string;
    readonly url: string;
    readonly pid: number | null;
  }>;
  readonly logDir: string;
  readonly keepLogs: boolean;
  /** How the user runs the CLI, e.g. `pnpm ringleader`. */
  readonly cli: string;
  readonly stateFile: string;
  /** Where every line of this output is also written, kept after exit (none: not writable). */
  readonly transcript?: string | undefined;
  /** The Redis and PostgreSQL services, and one line per tier that could not start. */
  readonly services?: readonly ServiceBanner[];
  readonly skippedTiers?: readonly string[];
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const pidText = (pid: number | null) => (pid === null ? 'not running' : `pid ${pid}`);

export function bannerLines(b: BannerInput): string[] {
  const nodeW = Math.max(...b.nodes.map((n) => n.id.length), 2);
  const out = [
    `ringleader demo: ${b.zk.servers.length}-server ZooKeeper ensemble, ${b.nodes.length} LB nodes ` +
      `(active-passive, standby: ${b.standby}), ${b.backends.length} backends, all on this machine`,
    '',
    `ZooKeeper  ${b.zk.connect}   (cluster "${b.cluster}", node session timeout ${b.sessionTimeoutMs} ms)`,
  ];
  for (const s of b.zk.servers) {
    out.push(`  ${pad(s.id, 6)}${pad(s.address, 17)}${pad(s.mode ?? '', 10)}${pidText(s.pid)}`);
  }
  out.push('LB nodes');
  for (const n of b.nodes) {
    const role = n.role === 'leader' ? `LEADER epoch ${n.epoch ?? '?'}` : (n.role ?? '?');
    out.push(
      `  ${pad(n.id, nodeW + 2)}${pad(role, 16)}proxy ${pad(n.proxyUrl, 24)}` +
        `admin+dashboard ${pad(`${n.adminUrl}/`, 25)}${pidText(n.pid)}`,
    );
  }
  out.push(
    `backends (registered as znodes /ringleader/${b.cluster}/backends/<id>; each answers with its id)`,
  );
  for (const be of b.backends) out.push(`  ${pad(be.id, nodeW + 2)}${pad(be.url, 24)}${pidText(be.pid)}`);
  out.push(...serviceBannerLines(b.cluster, b.services ?? [], b.skippedTiers ?? []));
  const leader = b.nodes.find((n) => n.role === 'leader');
  const tiers = (b.services ?? []).map((s) => `${s.label} ${s.perSecond}/s`);
  out.push(
    `logs: ${b.logDir}${b.keepLogs ? '' : ' (removed at exit; --keep-logs keeps them)'}`,
    `state: ${b.stateFile}`,
    ...(b.transcript ? [`transcript: ${b.transcript} (this output, summary included; kept after exit)`] : []),
    '',
    `traffic: ${b.rate} req/s spread over the ${b.nodes.length} proxy ports, like DNS round-robin ` +
      (b.standby === 'forward'
        ? '(standbys forward to the leader, so only the leader’s death interrupts it)'
        : '(standbys answer 503 + x-ringleader-leader; the client follows that header)'),
    ...(tiers.length === 0
      ? []
      : [
          `         and ${tiers.join(', ')}: one connection per tier to a node's service host; on a failure ` +
            'it reconnects to the node that answered last, then the others',
        ]),
    `kill the leader: \`${b.cli} demo kill-leader\` or \`kill -9 ${leader?.pid ?? '<leader pid>'}\`` +
      (leader ? ` (${leader.id})` : ''),
    `also try: \`${b.cli} status --zk ${b.zk.connect}\`` +
      (b.cluster === 'default' ? '' : ` --cluster ${b.cluster}`) +
      ` · \`curl ${b.nodes[0]?.proxyUrl ?? ''}/hello\` · \`${b.cli} demo kill-leader --signal SIGTERM\` (graceful)`,
    'Ctrl-C stops everything.',
    '',
  );
  return out;
}

export function windowHeader(ids: readonly string[], tiers: readonly string[] = []): string {
  return `${pad('TIME', 14)}${lpad('REQ', 5)}${lpad('ERR', 5)}  ${tierHeader(tiers)}${pad('SERVED BY', 18)}SHARE PER BACKEND (${ids.join(' ')})`;
}

/**
 * One line per second: requests, errors, each tier's ok/failed commands, serving leader and
 * epoch, share per backend.
 */
export function windowLine(
  at: number,
  w: Window,
  ids: readonly string[],
  tiers: readonly TierWindow[] = [],
): string {
  const served = w.node === undefined ? '-' : `${w.node} epoch ${w.epoch ?? '?'}`;
  const ok = w.requests - w.errors;
  const share =
    ok === 0
      ? 'no successful request'
      : [...shares(w.byBackend, ids)].map(([id, pct]) => `${id} ${lpad(String(pct), 3)}%`).join('  ');
  let line = `${pad(clock(at), 14)}${lpad(String(w.requests), 5)}${lpad(String(w.errors), 5)}  ${tierCells(tiers)}${pad(served, 18)}${share}`;
  if (w.errors > 0) {
    line += `   errors: ${w.causes.map(([c, n]) => `${n}× ${c}`).join(', ')}`;
  }
  const tierErrors = tierCauses(tiers);
  if (tierErrors !== '') line += `   ${tierErrors}`;
  return line;
}

function who(p: { node: string | undefined; epoch: number | undefined }): string {
  return `${p.node ?? '?'} (epoch ${p.epoch ?? '?'})`;
}

export function interruptionText(it: Interruption): string {
  const what = it.failover ? `FAILOVER ${who(it.from)} → ${who(it.to)}` : `interruption, still ${who(it.to)}`;
  return (
    `${what}: traffic interrupted ${duration(it.gapMs)} ` +
    `(last success ${clock(it.lastOkAt)} → first success ${clock(it.firstOkAt)}), ` +
    `${it.errors} failed request${it.errors === 1 ? '' : 's'}`
  );
}

export function eventLine(ev: TrafficEvent): string {
  if (ev.kind === 'interruption') return `>>> ${interruptionText(ev)}`;
  return `>>> leader changed ${who(ev.from)} → ${who(ev.to)} at ${clock(ev.at)} with no failed request`;
}

export function summaryLines(t: Totals, seconds: number): string[] {
  const out = [
    `summary: ${t.requests} requests in ${seconds.toFixed(1)} s, ${t.errors} failed` +
      (t.interruptions.length === 0
        ? ', no interruption'
        : `, ${t.interruptions.length} interruption${t.interruptions.length === 1 ? '' : 's'}:`),
  ];
  for (const it of t.interruptions) out.push(`  ${interruptionText(it)}`);
  return out;
}
