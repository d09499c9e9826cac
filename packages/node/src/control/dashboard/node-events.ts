// Turns the node's own events into timeline lines: role changes (promotions, demotions),
// session changes, who leads (elections), lifecycle, health transitions, backend membership
// and config changes. Returns one function that unsubscribes everything.
import { type Backend, diffBackends, type HealthEvent } from '@ringleader/core';
import type { ConfigRejection, ConfigSnapshot, MembershipSnapshot, RejectedBackend } from '@ringleader/zk';
import type { RoleEvent } from '../role/controller.js';
import type { NodeView } from '../view.js';
import type { Timeline } from './timeline.js';

const str = (v: unknown): string => (v === undefined || v === null ? '?' : String(v));

export function roleEventLine(e: RoleEvent): {
  kind: RoleEvent['kind'];
  level: 'info' | 'warn';
  text: string;
} {
  const d = e.detail;
  const cause = d.cause ? ` (${str(d.cause)})` : '';
  switch (e.kind) {
    case 'role': {
      const epoch = d.epoch === undefined || d.epoch === null ? '' : `, epoch ${str(d.epoch)}`;
      if (d.to === 'leader')
        return { kind: 'role', level: 'info', text: `promoted to leader${epoch}${cause}` };
      if (d.from === 'leader')
        return { kind: 'role', level: 'warn', text: `demoted: leader → ${str(d.to)}${epoch}${cause}` };
      return { kind: 'role', level: 'info', text: `role ${str(d.from)} → ${str(d.to)}${epoch}${cause}` };
    }
    case 'session':
      return {
        kind: 'session',
        level: d.to === 'connected' || d.to === 'connecting' ? 'info' : 'warn',
        text: `ZooKeeper session ${str(d.from)} → ${str(d.to)}${cause}`,
      };
    case 'leader':
      return d.id === null
        ? { kind: 'leader', level: 'warn', text: 'no leader (leader znode gone): election running' }
        : { kind: 'leader', level: 'info', text: `leader is ${str(d.id)}, epoch ${str(d.epoch)}` };
    case 'lifecycle':
      return {
        kind: 'lifecycle',
        level: d.to === 'running' ? 'info' : 'warn',
        text: `lifecycle ${str(d.from)} → ${str(d.to)}`,
      };
  }
}

/** Lines describing how backend membership changed between two snapshots. */
export function membershipLines(prev: readonly Backend[] | undefined, next: MembershipSnapshot): string[] {
  if (prev === undefined) return [`membership: ${next.backends.length} backends (version ${next.version})`];
  // Both lists are id-sorted snapshots: one merge walk (a Map of every backend per change
  // cost ~20 ms at 10 000 backends).
  const diff = diffBackends(prev, next.backends);
  const touched: Array<readonly [Backend | undefined, Backend]> = [
    ...diff.added.map((b) => [undefined, b] as const),
    ...diff.changed,
  ].sort(([, x], [, y]) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const lines: string[] = [];
  for (const [old, b] of touched) {
    if (old === undefined) lines.push(`backend ${b.id} joined (${b.host}:${b.port}, weight ${b.weight})`);
    else {
      if (old.state !== b.state) lines.push(`backend ${b.id} ${old.state} → ${b.state}`);
      if (old.weight !== b.weight) lines.push(`backend ${b.id} weight ${old.weight} → ${b.weight}`);
      if (old.host !== b.host || old.port !== b.port)
        lines.push(`backend ${b.id} moved to ${b.host}:${b.port}`);
    }
  }
  for (const b of diff.removed) lines.push(`backend ${b.id} left`);
  // A thousand backends arriving at once is one line, not a thousand.
  if (lines.length > 5) {
    const head = lines.slice(0, 3);
    return [...head, `… and ${lines.length - 3} more membership changes (version ${next.version})`];
  }
  return lines;
}

/**
 * Health transitions come in bursts (a rack goes dark, a cold start checks 1,000 backends):
 * those of one 250 ms window become at most HEALTH_BURST lines plus one summary line, so the
 * timeline keeps room for elections.
 */
export const HEALTH_BURST = 5;

export class HealthBatcher {
  readonly #timeline: Pick<Timeline, 'add'>;
  readonly #windowMs: number;
  #pending: HealthEvent[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(timeline: Pick<Timeline, 'add'>, windowMs = 250) {
    this.#timeline = timeline;
    this.#windowMs = windowMs;
  }

  push(e: HealthEvent): void {
    this.#pending.push(e);
    this.#timer ??= setTimeout(() => this.flush(), this.#windowMs);
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    const shown = batch.length > HEALTH_BURST ? batch.slice(0, HEALTH_BURST - 2) : batch;
    for (const e of shown) {
      const bad = e.to === 'down' || e.to === 'ejected';
      this.#timeline.add(
        'health',
        bad ? 'warn' : 'info',
        `backend ${e.id} ${e.from} → ${e.to} (${e.reason})`,
      );
    }
    if (shown.length < batch.length) {
      const rest = batch.slice(shown.length);
      const by = new Map<string, number>();
      for (const e of rest) by.set(e.to, (by.get(e.to) ?? 0) + 1);
      const parts = [...by].map(([to, n]) => `${n} → ${to}`).join(', ');
      const bad = rest.some((e) => e.to === 'down' || e.to === 'ejected');
      this.#timeline.add(
        'health',
        bad ? 'warn' : 'info',
        `… and ${rest.length} more health transitions (${parts})`,
      );
    }
  }
}

export function wireNodeEvents(node: NodeView, timeline: Timeline): () => void {
  const offs: Array<() => void> = [];
  offs.push(
    node.roles.onEvent((e) => {
      const line = roleEventLine(e);
      timeline.add(line.kind, line.level, line.text, Date.parse(e.at) || Date.now());
    }),
  );
  const health = new HealthBatcher(timeline);
  offs.push(node.checker.onTransition((e) => health.push(e)));
  offs.push(() => health.flush());
  let members: readonly Backend[] | undefined = node.membership.current?.backends;
  const onSnapshot = (m: MembershipSnapshot) => {
    for (const text of membershipLines(members, m)) timeline.add('backend', 'info', text);
    members = m.backends;
  };
  const onRejected = (r: RejectedBackend) =>
    timeline.add('backend', 'error', `rejected ${r.path}: ${r.message} [${r.code}]`);
  node.membership.on('snapshot', onSnapshot);
  node.membership.on('rejected', onRejected);
  offs.push(() => {
    node.membership.off('snapshot', onSnapshot);
    node.membership.off('rejected', onRejected);
  });
  const onConfig = (c: ConfigSnapshot) =>
    timeline.add(
      'config',
      'info',
      `config: policy ${c.config.policy} (from ${c.source}, version ${c.version})`,
    );
  const onConfigRejected = (r: ConfigRejection) =>
    timeline.add('config', 'error', `rejected ${r.path}: ${r.message} [${r.code}]; previous config stays`);
  node.configWatch.on('config', onConfig);
  node.configWatch.on('rejected', onConfigRejected);
  offs.push(() => {
    node.configWatch.off('config', onConfig);
    node.configWatch.off('rejected', onConfigRejected);
  });
  return () => {
    for (const off of offs) off();
  };
}
