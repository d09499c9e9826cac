// What the main thread and a data-plane worker say to each other besides the seam messages
// (../seam.ts SeamMessage). Everything is structured-cloneable plain data.
import type { LoadSummary } from '@ringleader/core';
import type { NodeConfig } from '../config/schema.js';
import type { DataPlaneStats, GateDecision, RoutingInput, SeamMessage } from '../seam.js';
import type { MetricsJson } from './metrics.js';

/** workerData of a data-plane worker. */
export interface WorkerInit {
  readonly id: number;
  readonly config: NodeConfig;
  /** PEM material read by the main thread (a worker never reads key files itself). */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** The lease cell's buffer (lease-cell.ts). */
  readonly cell: SharedArrayBuffer;
  /** How many workers the node runs, and their shared per-IP connection table (conn-limit.ts). */
  readonly workers: number;
  readonly connections: SharedArrayBuffer;
  /** One Int32: the round-robin ticket every worker draws from (sharedTicket). */
  readonly ticket: SharedArrayBuffer;
  readonly routing: RoutingInput;
  /** The number of the last seam message folded into this init (later ones are newer). */
  readonly seq: number;
  readonly gate: GateDecision;
  readonly health: { readonly version: number; readonly down: readonly string[] };
  readonly retryAfterS: number;
  /** How often the worker pushes its counters (ms). */
  readonly statsEveryMs: number;
}

export type Stats = Omit<DataPlaneStats, 'pools'> & { pools: number };

export type HostMessage =
  | SeamMessage
  /** Binds the worker's own listener with reusePort (every worker binds the same port). */
  | { readonly t: 'listen'; readonly host: string; readonly port: number }
  /** Peers' load summaries (active-active): blended into the worker's own least-* figures. */
  | { readonly t: 'peers'; readonly summaries: readonly LoadSummary[] }
  | { readonly t: 'metrics'; readonly req: number }
  | { readonly t: 'stop-accepting' }
  | { readonly t: 'close'; readonly graceMs: number };

export type WorkerMessage =
  | { readonly t: 'ack'; readonly seq: number; readonly version: number }
  | { readonly t: 'listening'; readonly host: string; readonly port: number }
  | { readonly t: 'listen-failed'; readonly code: string; readonly message: string }
  /** Passive health outcomes since the last batch: [backend id, ok]. */
  | { readonly t: 'outcomes'; readonly list: ReadonlyArray<readonly [string, boolean]> }
  | { readonly t: 'stats'; readonly stats: Stats; readonly load: LoadSummary }
  | { readonly t: 'metrics'; readonly req: number; readonly metrics: MetricsJson }
  | { readonly t: 'closed' };

/** A draw from the shared round-robin counter: the next non-negative integer (wraps at 2^32). */
export function sharedTicket(buffer: SharedArrayBuffer): () => number {
  const a = new Int32Array(buffer);
  return () => Atomics.add(a, 0, 1) >>> 0;
}

/** A new counter starting at a random place, so nodes do not all begin on the same backend. */
export function newTicketBuffer(random: () => number = Math.random): SharedArrayBuffer {
  const b = new SharedArrayBuffer(4);
  new Int32Array(b)[0] = Math.floor(random() * 0x7fff_ffff);
  return b;
}
