// Small stand-ins for tests and benchmarks of the routing core: backends,
// request facts, load and health views. Not exported from the package index.

import type { Backend, HealthView, LoadView, PolicyContext, RequestFacts } from '../types.js';

/** A backend with defaults (weight 1, active); `id` doubles as host. */
export function backend(id: string, over: Partial<Omit<Backend, 'id'>> = {}): Backend {
  return { id, host: id, port: 8080, weight: 1, state: 'active', format: 'native', ...over };
}

/** `count` backends named `${prefix}${i}`. */
export function backends(count: number, prefix = 'backend-'): Backend[] {
  return Array.from({ length: count }, (_, i) => backend(`${prefix}${i}`));
}

export interface FakeFactsInit {
  clientIp?: string;
  clientPort?: number;
  method?: string;
  host?: string;
  path?: string;
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
  query?: Record<string, string>;
}

/** Request facts from plain maps (header names matched case-insensitively). */
export function fakeFacts(init: FakeFactsInit = {}): RequestFacts {
  const headers = new Map(Object.entries(init.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    clientIp: init.clientIp ?? '192.0.2.1',
    clientPort: init.clientPort ?? 40000,
    method: init.method ?? 'GET',
    host: init.host ?? 'example.test',
    path: init.path ?? '/',
    header: (name) => headers.get(name.toLowerCase()),
    cookie: (name) => init.cookies?.[name],
    query: (name) => init.query?.[name],
  };
}

/** A load view over a mutable map, with the running total bounded loads reads. */
export class FakeLoad implements LoadView {
  readonly counts = new Map<string, number>();
  private total = 0;

  inFlight(id: string): number {
    return this.counts.get(id) ?? 0;
  }

  ewmaMs(): number | undefined {
    return undefined;
  }

  totalInFlight(): number {
    return this.total;
  }

  add(id: string, delta: number): void {
    this.counts.set(id, this.inFlight(id) + delta);
    this.total += delta;
  }
}

/** Health view where only the listed ids are down. */
export function downSet(...down: string[]): HealthView {
  const set = new Set(down);
  return { isUp: (id) => !set.has(id) };
}

/** A deterministic [0, 1) source (mulberry32), so "random" tests repeat exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

export function context(over: Partial<PolicyContext> = {}): PolicyContext {
  return {
    load: over.load ?? new FakeLoad(),
    health: over.health ?? downSet(),
    random: over.random ?? seededRandom(1),
    ...(over.ticket ? { ticket: over.ticket } : {}),
  };
}
