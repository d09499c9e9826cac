// The Redis plane's series (ringleader_redis_*), labelled by service and backend. A proxy that
// answers ~300k commands/s cannot afford prom-client's per-observation label hashing, so the
// plane's figures land in plain per-backend records (a Map lookup and a few additions per
// command) and are read out only when /metrics is scraped, through metric objects that
// registerMetric accepts (name, help, type, get()). Label values are bounded: service names,
// member ids plus `_none`, and the RedisErrorKind union.
import type { Registry } from 'prom-client';
import type { RedisErrorKind, RedisPlaneMetrics } from '../seam.js';

/** Seconds; a cache answers in well under a millisecond, a slow command in tens of ms. */
export const REDIS_LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1,
] as const;

interface BackendRecord {
  commands: number;
  readonly errors: Map<RedisErrorKind, number>;
  readonly buckets: Float64Array;
  sum: number;
}

interface ServiceRecord {
  readonly backends: Map<string, BackendRecord>;
  shares: ReadonlyMap<string, number>;
  moved: number;
  clients: number;
  links: number;
}

type Labels = Record<string, string | number>;
interface Value {
  value: number;
  labels: Labels;
  metricName?: string;
}

function scraped(name: string, help: string, type: 'counter' | 'gauge' | 'histogram', values: () => Value[]) {
  return {
    name,
    help,
    type,
    aggregator: 'sum' as const,
    get: async () => ({ name, help, type, aggregator: 'sum' as const, values: values() }),
    reset: () => undefined,
  };
}

/** The figures of one service's listener. */
export type RedisMetricsSource = (service: string) => RedisPlaneMetrics & { forget(backend: string): void };

export function createRedisMetrics(registry: Registry): RedisMetricsSource {
  const services = new Map<string, ServiceRecord>();
  const each = (f: (service: string, r: ServiceRecord) => void) => {
    for (const [s, r] of services) f(s, r);
  };
  const perBackend = (f: (labels: Labels, b: BackendRecord, out: Value[]) => void) => () => {
    const out: Value[] = [];
    each((service, r) => {
      for (const [backend, b] of r.backends) f({ service, backend }, b, out);
    });
    return out;
  };
  const metrics = [
    scraped(
      'ringleader_redis_commands_total',
      'Redis commands (and parts of split commands) answered by a backend',
      'counter',
      perBackend((labels, b, out) => out.push({ labels, value: b.commands })),
    ),
    scraped(
      'ringleader_redis_errors_total',
      'Redis commands answered with an error, by kind (reply_error: the backend said so; the others: the proxy did)',
      'counter',
      perBackend((labels, b, out) => {
        for (const [kind, n] of b.errors) out.push({ labels: { ...labels, kind }, value: n });
      }),
    ),
    scraped(
      'ringleader_redis_command_duration_seconds',
      'Time from writing a command to a backend link to its answer',
      'histogram',
      perBackend((labels, b, out) => {
        if (b.commands === 0) return;
        let cum = 0;
        REDIS_LATENCY_BUCKETS.forEach((le, i) => {
          cum += b.buckets[i] as number;
          out.push({
            labels: { ...labels, le },
            value: cum,
            metricName: 'ringleader_redis_command_duration_seconds_bucket',
          });
        });
        out.push({
          labels: { ...labels, le: '+Inf' },
          value: b.commands,
          metricName: 'ringleader_redis_command_duration_seconds_bucket',
        });
        out.push({ labels, value: b.sum, metricName: 'ringleader_redis_command_duration_seconds_sum' });
        out.push({
          labels,
          value: b.commands,
          metricName: 'ringleader_redis_command_duration_seconds_count',
        });
      }),
    ),
    scraped(
      'ringleader_redis_ring_share',
      "Each backend's share (0..1) of the service's key space",
      'gauge',
      () => {
        const out: Value[] = [];
        each((service, r) => {
          for (const [backend, v] of r.shares) out.push({ labels: { service, backend }, value: v });
        });
        return out;
      },
    ),
    scraped(
      'ringleader_redis_keys_moved_ratio',
      'Share (0..1) of the key space the last ring change moved to another backend (cache misses to expect)',
      'gauge',
      () => [...services].map(([service, r]) => ({ labels: { service }, value: r.moved })),
    ),
    scraped('ringleader_redis_clients', 'Client connections served now', 'gauge', () =>
      [...services].map(([service, r]) => ({ labels: { service }, value: r.clients })),
    ),
    scraped(
      'ringleader_redis_backend_links',
      'Shared connections from this node to the backends',
      'gauge',
      () => [...services].map(([service, r]) => ({ labels: { service }, value: r.links })),
    ),
  ];
  for (const m of metrics) registry.registerMetric(m as unknown as Parameters<Registry['registerMetric']>[0]);

  return (service) => {
    let r = services.get(service);
    if (r === undefined) {
      r = { backends: new Map(), shares: new Map(), moved: 0, clients: 0, links: 0 };
      services.set(service, r);
    }
    const rec = r;
    const backend = (id: string): BackendRecord => {
      let b = rec.backends.get(id);
      if (b === undefined) {
        b = {
          commands: 0,
          errors: new Map(),
          buckets: new Float64Array(REDIS_LATENCY_BUCKETS.length),
          sum: 0,
        };
        rec.backends.set(id, b);
      }
      return b;
    };
    return {
      command(id, seconds) {
        const b = backend(id);
        b.commands++;
        b.sum += seconds;
        for (let i = 0; i < REDIS_LATENCY_BUCKETS.length; i++)
          if (seconds <= (REDIS_LATENCY_BUCKETS[i] as number)) {
            b.buckets[i] = (b.buckets[i] ?? 0) + 1;
            break;
          }
      },
      error(id, kind) {
        const e = backend(id).errors;
        e.set(kind, (e.get(kind) ?? 0) + 1);
      },
      ring(shares, moved) {
        rec.shares = shares;
        rec.moved = moved;
      },
      connections(clients, links) {
        rec.clients = clients;
        rec.links = links;
      },
      forget(id) {
        rec.backends.delete(id);
      },
    };
  };
}
