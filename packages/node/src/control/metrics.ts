// The node's Prometheus registry. Label cardinality is bounded: the only unbounded-looking
// label is `backend`, which takes cluster member ids (and `forget()` drops a member's series
// when it leaves); `code` is an HTTP status, `kind`/`reason`/`to` come from fixed unions.
//
// Hot path: `backend(id)` returns cached per-backend accumulators (plain numbers); the
// per-backend series are produced from them at scrape time. Everything else is prom-client.
//
// Cardinality switch (`metrics.perBackend`, docs/metrics.md): at 10 000 backends the
// per-backend families are ~10k × 20 series (a histogram alone is 19 per backend), which
// no Prometheus should be asked to scrape every 15 s from every node. 'auto' (the default)
// writes per-backend series while the node knows at most PER_BACKEND_AUTO_LIMIT backends and
// otherwise the same families summed into one `backend="_all"` series each; 'on' and 'off'
// force either. The accumulators stay per backend either way (the switch is a view at scrape
// time), so flipping it or crossing the limit loses nothing.
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type {
  LimitReason,
  PlaneBackendFigures,
  PlaneMetrics,
  TcpPlaneMetrics,
  UpstreamErrorKind,
} from '../seam.js';
import { createRedisMetrics, type RedisMetricsSource } from './redis-metrics.js';
import { createTcpMetrics } from './tcp-metrics.js';

export { LEADER_LABEL, type LimitReason, NO_BACKEND_LABEL, type UpstreamErrorKind } from '../seam.js';

/** Health states as core names them (bounded label values of `to`). */
export type HealthStateLabel = 'unknown' | 'up' | 'down' | 'ejected';

export const DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
] as const;

type CounterChild = ReturnType<Counter<string>['labels']>;

/**
 * Per-backend figures, kept as plain numbers on the request path and turned into Prometheus
 * series only when scraped. (prom-client's `labels()` children hash their labels on every
 * call: ~0.5 µs per inc/observe, ~2 µs per request for the four series a request touches.)
 */
export interface BackendMetrics extends PlaneBackendFigures {
  /** Counts one finished request with HTTP status `code`. */
  request(code: number): void;
  /** Request duration in seconds. */
  readonly duration: { observe(seconds: number): void };
  readonly inFlight: { inc(): void; dec(): void };
  readonly healthy: { set(value: 0 | 1): void };
  upstreamError(kind: UpstreamErrorKind): void;
  transition(to: HealthStateLabel): void;
}

/** The node's registry; the plane reports through its PlaneMetrics side. */
export interface NodeMetrics extends PlaneMetrics {
  readonly registry: Registry;
  readonly retries: Counter<string>;
  readonly limitRejections: Counter<'reason'>;
  /** Set by the role controller: 1 for the current role, 0 for the others. */
  readonly role: Gauge<'role'>;
  readonly epoch: Gauge<string>;
  readonly failovers: Counter<string>;
  /** Set by the session wrapper: 1 for the current state, 0 for the others. */
  readonly zkSessionState: Gauge<'state'>;
  readonly snapshotVersion: Gauge<string>;
  /**
   * 1 while the node knows the cluster's routing config (valid znode, its published last good
   * copy, or the fallback of a missing znode); 0 while the znode is invalid and no last good
   * copy exists, so the node does not serve.
   */
  readonly configKnown: Gauge<string>;
  /** 1 for where the config in force came from (znode, last-good, fallback, unknown), 0 for the others. */
  readonly configSource: Gauge<'source'>;
  /** Cached per-backend accumulators (ids, or NO_BACKEND_LABEL / LEADER_LABEL). */
  backend(id: string): BackendMetrics;
  limit(reason: LimitReason): void;
  /** Counts a health transition into `to` (a core HealthState) and sets the healthy gauge. */
  healthTransition(id: string, to: HealthStateLabel, healthy: boolean): void;
  /** Drops every series of a backend that left the cluster. */
  forget(id: string): void;
  /** The TCP plane's figures of one service (`ringleader_tcp_*`, labelled `service`). */
  serviceMetrics(service: string): TcpPlaneMetrics;
  /** The Redis plane's figures of one service (`ringleader_redis_*`). */
  readonly redisMetrics: RedisMetricsSource;
}

/** Per-backend series: 'auto' (up to PER_BACKEND_AUTO_LIMIT backends), 'on' or 'off'. */
export type PerBackendMetrics = 'auto' | 'on' | 'off';

/** Above this many backends 'auto' sums the per-backend families into `backend="_all"`. */
export const PER_BACKEND_AUTO_LIMIT = 100;

/** The label value of the summed series. */
export const ALL_BACKENDS_LABEL = '_all';

export interface MetricsOptions {
  /** Per-backend series (default 'auto'). */
  readonly perBackend?: PerBackendMetrics;
  /** Also collect prom-client's process/runtime metrics (default true). */
  readonly defaultMetrics?: boolean;
  /** Prefix for the default metrics (default `ringleader_process_`). */
  readonly defaultPrefix?: string;
}

const HEALTH_STATES: readonly HealthStateLabel[] = ['unknown', 'up', 'down', 'ejected'];

/**
 * One backend's accumulators. Lean on purpose: at 10 000 backends most series only ever hold
 * a health transition and the healthy gauge, so the maps and the histogram are made on first
 * use, and `duration` / `inFlight` / `healthy` are this object itself (prototype methods, no
 * per-instance closures). Measured: ~1.4 KB per backend before, see docs/benchmarks.md.
 */
class Series implements BackendMetrics {
  codes: Map<number, number> | undefined = undefined;
  kinds: Map<UpstreamErrorKind, number> | undefined = undefined;
  /** Transitions into each state, in HEALTH_STATES order. */
  transitions: number[] | undefined = undefined;
  /** Cumulative-on-export bucket counts; the last slot is +Inf. */
  buckets: Float64Array | undefined = undefined;
  sum = 0;
  count = 0;
  inFlightValue = 0;
  healthyValue: number | undefined = undefined;
  /** Set by forget() while requests are still in flight: called when the last one ends. */
  onIdle: (() => void) | undefined = undefined;

  get duration(): this {
    return this;
  }
  get inFlight(): this {
    return this;
  }
  get healthy(): this {
    return this;
  }

  observe(seconds: number): void {
    if (this.buckets === undefined) this.buckets = new Float64Array(DURATION_BUCKETS.length + 1);
    const b = this.buckets;
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[i] as number)) i++;
    b[i] = (b[i] as number) + 1;
    this.sum += seconds;
    this.count++;
  }

  inc(): void {
    this.inFlightValue++;
  }

  dec(): void {
    this.inFlightValue--;
    if (this.inFlightValue <= 0 && this.onIdle !== undefined) this.onIdle();
  }

  set(value: 0 | 1): void {
    this.healthyValue = value;
  }

  request(code: number): void {
    this.codes = bump(this.codes, code);
  }

  upstreamError(kind: UpstreamErrorKind): void {
    this.kinds = bump(this.kinds, kind);
  }

  transition(to: HealthStateLabel): void {
    if (this.transitions === undefined) this.transitions = [0, 0, 0, 0];
    const i = HEALTH_STATES.indexOf(to);
    if (i < 0) return; // not a core HealthState (the type rules it out)
    this.transitions[i] = (this.transitions[i] as number) + 1;
  }
}

function bump<K>(m: Map<K, number> | undefined, key: K): Map<K, number> {
  const into = m ?? new Map<K, number>();
  into.set(key, (into.get(key) ?? 0) + 1);
  return into;
}

function addInto<K>(into: Map<K, number> | undefined, from: Map<K, number> | undefined) {
  if (from === undefined) return into;
  const m = into ?? new Map<K, number>();
  for (const [k, v] of from) m.set(k, (m.get(k) ?? 0) + v);
  return m;
}

/** Every backend's accumulators summed (the healthy gauge becomes the number healthy). */
function sumOf(all: Iterable<Series>): Series {
  const t = new Series();
  let healthy = 0;
  let anyHealth = false;
  for (const s of all) {
    t.codes = addInto(t.codes, s.codes);
    t.kinds = addInto(t.kinds, s.kinds);
    if (s.transitions !== undefined) {
      if (t.transitions === undefined) t.transitions = [0, 0, 0, 0];
      const tt = t.transitions;
      for (let i = 0; i < tt.length; i++) tt[i] = (tt[i] as number) + (s.transitions[i] as number);
    }
    if (s.buckets !== undefined) {
      if (t.buckets === undefined) t.buckets = new Float64Array(DURATION_BUCKETS.length + 1);
      const tb = t.buckets;
      for (let i = 0; i < tb.length; i++) tb[i] = (tb[i] as number) + (s.buckets[i] as number);
    }
    t.sum += s.sum;
    t.count += s.count;
    t.inFlightValue += s.inFlightValue;
    if (s.healthyValue !== undefined) {
      anyHealth = true;
      healthy += s.healthyValue;
    }
  }
  // A count, not 0/1: the gauge's help says so for backend="_all".
  if (anyHealth) t.healthyValue = healthy;
  return t;
}

interface MetricValue {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName?: string;
}

/** A read-only metric the registry serialises from the accumulators at scrape time. */
function collector(
  registry: Registry,
  name: string,
  help: string,
  type: 'counter' | 'gauge' | 'histogram',
  values: () => MetricValue[],
): void {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: values() }),
    reset: () => undefined,
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

export function createMetrics(opts: MetricsOptions = {}): NodeMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics ?? true) {
    const prefix = opts.defaultPrefix ?? 'ringleader_process_';
    collectDefaultMetrics({ register: registry, prefix });
    // prom-client names three gauges `..._total`, which Prometheus reserves for counters
    // (`promtool check metrics` fails on them). Their by-type siblings (`nodejs_active_handles`
    // etc.) stay; sum them for the total.
    for (const kind of ['handles', 'requests', 'resources'])
      registry.removeSingleMetric(`${prefix}nodejs_active_${kind}_total`);
  }
  const series = new Map<string, Series>();
  const perBackend = opts.perBackend ?? 'auto';
  const detailed = () =>
    perBackend === 'on' || (perBackend === 'auto' && series.size <= PER_BACKEND_AUTO_LIMIT);
  const each = (fn: (id: string, s: Series, out: MetricValue[]) => void) => () => {
    const out: MetricValue[] = [];
    if (detailed()) {
      for (const [id, s] of series) fn(id, s, out);
      return out;
    }
    if (series.size > 0) fn(ALL_BACKENDS_LABEL, sumOf(series.values()), out);
    return out;
  };

  collector(
    registry,
    'ringleader_requests_total',
    'Proxied requests by backend and HTTP status sent to the client',
    'counter',
    each((backend, s, out) => {
      if (s.codes !== undefined)
        for (const [code, value] of s.codes) out.push({ labels: { backend, code }, value });
    }),
  );
  const durationName = 'ringleader_request_duration_seconds';
  collector(
    registry,
    durationName,
    'Time from request arrival to the end of the response, by backend',
    'histogram',
    each((backend, s, out) => {
      const buckets = s.buckets;
      if (s.count === 0 || buckets === undefined) return;
      let cumulative = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        cumulative += buckets[i] as number;
        out.push({ labels: { le, backend }, value: cumulative, metricName: `${durationName}_bucket` });
      });
      out.push({ labels: { le: '+Inf', backend }, value: s.count, metricName: `${durationName}_bucket` });
      out.push({ labels: { backend }, value: s.sum, metricName: `${durationName}_sum` });
      out.push({ labels: { backend }, value: s.count, metricName: `${durationName}_count` });
    }),
  );
  collector(
    registry,
    'ringleader_upstream_errors_total',
    'Failed attempts to reach a backend, by kind',
    'counter',
    each((backend, s, out) => {
      if (s.kinds !== undefined)
        for (const [kind, value] of s.kinds) out.push({ labels: { backend, kind }, value });
    }),
  );
  collector(
    registry,
    'ringleader_backend_healthy',
    '1 while the health table lets the backend take requests, else 0 (backend="_all": how many may)',
    'gauge',
    each((backend, s, out) => {
      if (s.healthyValue !== undefined) out.push({ labels: { backend }, value: s.healthyValue });
    }),
  );
  collector(
    registry,
    'ringleader_health_transitions_total',
    'Backend health changes seen by this node, by the state entered',
    'counter',
    each((backend, s, out) => {
      const t = s.transitions;
      if (t !== undefined)
        HEALTH_STATES.forEach((to, i) => {
          if ((t[i] as number) > 0) out.push({ labels: { backend, to }, value: t[i] as number });
        });
    }),
  );
  collector(
    registry,
    'ringleader_backend_in_flight',
    'Requests (and websocket tunnels) currently open to the backend from this node',
    'gauge',
    each((backend, s, out) => {
      out.push({ labels: { backend }, value: s.inFlightValue });
    }),
  );

  const retries = new Counter({
    name: 'ringleader_retries_total',
    help: 'Requests moved to another backend after a connect failure or early reset',
    registers,
  });
  const limitRejections = new Counter({
    name: 'ringleader_limit_rejections_total',
    help: 'Requests refused by a limit or timeout (header_size, header_count, body_size, client_timeout, ...)',
    labelNames: ['reason'] as const,
    registers,
  });
  const role = new Gauge({
    name: 'ringleader_role',
    help: '1 for the role this node holds (leader, standby, candidate), 0 for the others',
    labelNames: ['role'] as const,
    registers,
  });
  const epoch = new Gauge({ name: 'ringleader_epoch', help: 'Leader epoch this node stamps', registers });
  const failovers = new Counter({
    name: 'ringleader_failovers_total',
    help: 'Leadership changes this node has observed',
    registers,
  });
  const zkSessionState = new Gauge({
    name: 'ringleader_zk_session_state',
    help: '1 for the current ZooKeeper session state, 0 for the others',
    labelNames: ['state'] as const,
    registers,
  });
  const snapshotVersion = new Gauge({
    name: 'ringleader_snapshot_version',
    help: 'Version of the routing snapshot in force',
    registers,
  });

  const configKnown = new Gauge({
    name: 'ringleader_config_known',
    help: '1 while the cluster routing config is known (0: config znode invalid and no last good copy: not serving)',
    registers,
  });
  const configSource = new Gauge({
    name: 'ringleader_config_source',
    help: '1 for where the routing config in force came from (znode, last-good, fallback, unknown)',
    labelNames: ['source'] as const,
    registers,
  });

  const limitChildren = new Map<LimitReason, CounterChild>();
  function backend(id: string): Series {
    let s = series.get(id);
    if (s === undefined) {
      s = new Series();
      series.set(id, s);
    }
    return s;
  }

  const serviceMetrics = createTcpMetrics(registry);
  const redisMetrics = createRedisMetrics(registry);

  return {
    registry,
    serviceMetrics,
    redisMetrics,
    retries,
    limitRejections,
    role,
    epoch,
    failovers,
    zkSessionState,
    snapshotVersion,
    configKnown,
    configSource,
    backend,
    limit(reason: LimitReason) {
      let c = limitChildren.get(reason);
      if (c === undefined) {
        c = limitRejections.labels(reason);
        limitChildren.set(reason, c);
      }
      c.inc();
    },
    healthTransition(id: string, to: HealthStateLabel, healthy: boolean) {
      const s = backend(id);
      s.transition(to);
      s.healthy.set(healthy ? 1 : 0);
    },
    // A backend that left with requests still in flight keeps its series until they end, so
    // their completions are counted and the in-flight gauge never goes negative.
    forget(id: string) {
      const s = series.get(id);
      if (s === undefined) return;
      if (s.inFlightValue <= 0) series.delete(id);
      else
        s.onIdle = () => {
          if (series.get(id) === s) series.delete(id);
        };
    },
  };
}
