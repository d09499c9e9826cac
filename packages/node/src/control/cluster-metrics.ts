// Series an operator alerts on, read off the node's view at scrape time (never pushed): they
// are cheap to compute and can never drift from what /status says.
//
//   ringleader_serving                         1 while this node's proxy gate serves
//   ringleader_config_valid                    0 while the cluster's config znode is invalid
//   ringleader_rejected_znodes{kind}           znodes the codecs rejected, by kind
//   ringleader_leader_change_age_seconds       seconds since this node saw the leader change
import type { Registry } from 'prom-client';
import type { NodeView } from './view.js';

/** The kinds of rejected znode (bounded label values). */
export const REJECTED_KINDS = ['backend', 'config', 'service', 'service_backend'] as const;
export type RejectedKind = (typeof REJECTED_KINDS)[number];

/** What the series are computed from: a narrow slice of NodeView. */
export type ClusterMetricsView = Pick<NodeView, 'roles' | 'membership' | 'configWatch' | 'services'>;

/**
 * Remembers when the leader (id and epoch) last changed. The first leader seen counts as a
 * change: a node cannot tell how long the leader it meets at start has led.
 */
export class LeaderChangeClock {
  #key: string | undefined;
  #changedAtMs: number | undefined;

  /** Records the leader now in force (`null` id: none); returns true when it changed. */
  observe(id: string | null, epoch: number | null, nowMs: number): boolean {
    const key = `${id ?? ''}\u0000${epoch ?? ''}`;
    if (key === this.#key) return false;
    this.#key = key;
    this.#changedAtMs = nowMs;
    return true;
  }

  /** Seconds since the last change, or undefined before any leader event. */
  ageSeconds(nowMs: number): number | undefined {
    return this.#changedAtMs === undefined ? undefined : Math.max(0, (nowMs - this.#changedAtMs) / 1000);
  }
}

/** Counts the view's rejected znodes by kind (each kind present, zero included). */
export function rejectedCounts(view: ClusterMetricsView): Record<RejectedKind, number> {
  const services = view.services.status();
  const source = view.configWatch.current?.source;
  return {
    backend: view.membership.current?.rejected.length ?? 0,
    // last-good or unknown: the znode in ZooKeeper is the one that was rejected.
    config: source === 'last-good' || source === 'unknown' ? 1 : 0,
    service: services.filter((s) => s.rejected !== undefined && s.rejected !== null).length,
    service_backend: services.reduce((n, s) => n + s.membershipRejected.length, 0),
  };
}

/** 1 unless the config znode is present and invalid; before the first read, 1 (nothing known to be wrong). */
export function configValid(view: ClusterMetricsView): 0 | 1 {
  const source = view.configWatch.current?.source;
  return source === 'last-good' || source === 'unknown' ? 0 : 1;
}

type Value = { labels: Record<string, string>; value: number };

function gauge(registry: Registry, name: string, help: string, values: () => Value[]): void {
  const metric = {
    name,
    help,
    type: 'gauge',
    aggregator: 'sum',
    get: async () => ({ name, help, type: 'gauge', aggregator: 'sum', values: values() }),
    reset: () => undefined,
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

/** Registers the four series; leader changes are followed through the role controller's events. */
export function registerClusterMetrics(
  registry: Registry,
  view: ClusterMetricsView,
  now: () => number = Date.now,
): LeaderChangeClock {
  const clock = new LeaderChangeClock();
  view.roles.onEvent((e) => {
    if (e.kind !== 'leader') return;
    const id = typeof e.detail.id === 'string' ? e.detail.id : null;
    const epoch = typeof e.detail.epoch === 'number' ? e.detail.epoch : null;
    clock.observe(id, epoch, now());
  });
  gauge(registry, 'ringleader_serving', '1 while this node proxies traffic (its gate serves), else 0', () => [
    { labels: {}, value: view.roles.isServing() ? 1 : 0 },
  ]);
  gauge(
    registry,
    'ringleader_config_valid',
    '0 while the cluster config znode is present and invalid (last good copy or nothing in force), else 1',
    () => [{ labels: {}, value: configValid(view) }],
  );
  gauge(
    registry,
    'ringleader_rejected_znodes',
    'Znodes this node rejected (bad payloads it ignores), by kind: backend, config, service, service_backend',
    () => {
      const counts = rejectedCounts(view);
      return REJECTED_KINDS.map((kind) => ({ labels: { kind }, value: counts[kind] }));
    },
  );
  gauge(
    registry,
    'ringleader_leader_change_age_seconds',
    'Seconds since this node saw the leader (id or epoch) change, its first sighting included',
    () => {
      const age = clock.ageSeconds(now());
      return age === undefined ? [] : [{ labels: {}, value: Math.round(age * 1000) / 1000 }];
    },
  );
  return clock;
}
