// What `ringleader demo` prints about its Redis and PostgreSQL tiers: the banner's services
// section, the per-second cells, each tier's interruption and its summary line. Pure text.
import type { Interruption, Totals, Window } from './demo-traffic.js';
import { clock, duration } from './demo-view-time.js';

export interface ServiceBanner {
  /** The services/<name> znode. */
  readonly name: string;
  /** The traffic column's label: `redis`, `pg`. */
  readonly label: string;
  readonly port: number;
  /** e.g. `tcp, consistent-hash on ip, redis check`. */
  readonly summary: string;
  readonly hosts: ReadonlyArray<{ readonly node: string; readonly host: string }>;
  readonly backends: ReadonlyArray<{
    readonly id: string;
    readonly address: string;
    readonly pid?: number | null | undefined;
  }>;
  /** Commands per second the demo's client sends. */
  readonly perSecond: number;
  /** A command to try it by hand. */
  readonly tryIt: string;
}

export interface TierWindow {
  readonly label: string;
  readonly window: Window;
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

export function serviceBannerLines(
  cluster: string,
  services: readonly ServiceBanner[],
  skipped: readonly string[],
): string[] {
  if (services.length === 0 && skipped.length === 0) return [];
  const out = [
    `services (znodes /ringleader/${cluster}/services/<name>, backends under …/<name>/backends/<id>; ` +
      'every node listens on its own service host, only the leader serves)',
  ];
  const w = Math.max(...services.map((s) => s.name.length), 4) + 2;
  for (const s of services) {
    out.push(`  ${pad(s.name, w)}${s.summary}`);
    out.push(`  ${pad('', w)}listens ${s.hosts.map((h) => `${h.node} ${h.host}:${s.port}`).join('  ')}`);
    const bes = s.backends.map(
      (b) =>
        `${b.id} ${b.address}${b.pid === undefined ? '' : b.pid === null ? ' not running' : ` pid ${b.pid}`}`,
    );
    out.push(`  ${pad('', w)}backends ${bes.join(', ')}`);
    out.push(`  ${pad('', w)}try: ${s.tryIt}`);
  }
  for (const why of skipped) out.push(`  ${why}`);
  return out;
}

const cellWidth = (label: string) => Math.max(`${label} ok/err`.length, label.length + 8) + 2;

export function tierHeader(labels: readonly string[]): string {
  return labels.map((l) => pad(`${l.toUpperCase()} ok/err`, cellWidth(l))).join('');
}

/** `redis 10/0` per tier: successful and failed commands in the second. */
export function tierCells(tiers: readonly TierWindow[]): string {
  return tiers
    .map((t) =>
      pad(`${t.label} ${t.window.requests - t.window.errors}/${t.window.errors}`, cellWidth(t.label)),
    )
    .join('');
}

/** A tier's failed commands in the second, for the end of the line: `redis: 3× ECONNREFUSED`. */
export function tierCauses(tiers: readonly TierWindow[]): string {
  return tiers
    .filter((t) => t.window.errors > 0)
    .map((t) => `${t.label}: ${t.window.causes.map(([c, n]) => `${n}× ${c}`).join(', ')}`)
    .join('; ');
}

export function tierInterruptionText(it: Interruption): string {
  return (
    `interrupted ${duration(it.gapMs)} (last ok ${clock(it.lastOkAt)} via ${it.from.node ?? '?'} → ` +
    `first ok ${clock(it.firstOkAt)} via ${it.to.node ?? '?'}), ` +
    `${it.errors} failed command${it.errors === 1 ? '' : 's'}`
  );
}

/** `>>> redis (service cache :6390) interrupted 3.10 s (…)`. */
export function tierEventLine(label: string, service: string, port: number, it: Interruption): string {
  return `>>> ${label} (service ${service} :${port}) ${tierInterruptionText(it)}`;
}

export function longest(t: Totals): Interruption | undefined {
  let best: Interruption | undefined;
  for (const it of t.interruptions) if (best === undefined || it.gapMs > best.gapMs) best = it;
  return best;
}

export function tierSummaryLine(label: string, service: string, port: number, t: Totals): string {
  const head = `  ${label} (service ${service} :${port}): ${t.requests} commands, ${t.errors} failed`;
  const it = longest(t);
  if (it === undefined) return `${head}, no interruption`;
  const n = t.interruptions.length;
  return `${head}, ${n} interruption${n === 1 ? '' : 's'}, the longest ${tierInterruptionText(it)}`;
}
