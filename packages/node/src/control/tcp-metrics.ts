// The TCP plane's series (ringleader_tcp_*), labelled by service and backend. Label values are
// bounded: service names and member ids (plus `_leader`), and causes/kinds/reasons from the
// fixed unions in seam.ts. Children are cached: bytes() runs per chunk.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { TcpPlaneMetrics } from '../seam.js';

export const TCP_DURATION_BUCKETS = [0.01, 0.1, 1, 10, 60, 300, 1800, 3600, 21600] as const;

interface Inc {
  inc(n?: number): void;
}

export function createTcpMetrics(registry: Registry): (service: string) => TcpPlaneMetrics {
  const registers = [registry];
  const open = new Gauge({
    name: 'ringleader_tcp_connections_open',
    help: 'TCP connections relayed to a backend right now',
    labelNames: ['service', 'backend'] as const,
    registers,
  });
  const total = new Counter({
    name: 'ringleader_tcp_connections_total',
    help: 'TCP connections relayed and ended, by why they ended',
    labelNames: ['service', 'backend', 'cause'] as const,
    registers,
  });
  const bytes = new Counter({
    name: 'ringleader_tcp_bytes_total',
    help: 'Bytes relayed (in: client to backend; out: backend to client)',
    labelNames: ['service', 'backend', 'direction'] as const,
    registers,
  });
  const failures = new Counter({
    name: 'ringleader_tcp_connect_failures_total',
    help: 'Failed connects to a backend, by kind (refused, timeout, unreachable, other)',
    labelNames: ['service', 'backend', 'kind'] as const,
    registers,
  });
  const retries = new Counter({
    name: 'ringleader_tcp_retries_total',
    help: 'TCP connections moved to another backend after a failed connect',
    labelNames: ['service'] as const,
    registers,
  });
  const refused = new Counter({
    name: 'ringleader_tcp_refused_total',
    help: 'TCP connections closed before reaching a backend, by reason',
    labelNames: ['service', 'reason'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'ringleader_tcp_connection_duration_seconds',
    help: 'Life of a relayed TCP connection',
    labelNames: ['service'] as const,
    buckets: [...TCP_DURATION_BUCKETS],
    registers,
  });

  const cache = new Map<string, Inc>();
  const child = (key: string, make: () => Inc): Inc => {
    let c = cache.get(key);
    if (c === undefined) {
      c = make();
      cache.set(key, c);
    }
    return c;
  };
  const perService = new Map<string, TcpPlaneMetrics>();

  return (service) => {
    let m = perService.get(service);
    if (m !== undefined) return m;
    const hist = duration.labels(service);
    m = {
      opened(backend) {
        open.labels(service, backend).inc();
      },
      closed(backend, cause, durationS) {
        open.labels(service, backend).dec();
        child(`t\0${service}\0${backend}\0${cause}`, () => total.labels(service, backend, cause)).inc();
        hist.observe(durationS);
      },
      bytes(backend, direction, n) {
        child(`b\0${service}\0${backend}\0${direction}`, () => bytes.labels(service, backend, direction)).inc(
          n,
        );
      },
      connectFailure(backend, kind) {
        child(`f\0${service}\0${backend}\0${kind}`, () => failures.labels(service, backend, kind)).inc();
      },
      retry() {
        child(`r\0${service}`, () => retries.labels(service)).inc();
      },
      refused(reason) {
        child(`x\0${service}\0${reason}`, () => refused.labels(service, reason)).inc();
      },
    };
    perService.set(service, m);
    return m;
  };
}
