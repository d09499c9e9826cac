// Max connections per client IP on the proxy port (limits.maxConnectionsPerIp): one client —
// a slowloris, a connection flood, a misbehaving pool — cannot take every socket the node has.
//
// Enforced on the server's 'connection' event, before a byte is parsed (and before the TLS
// handshake on HTTPS): a connection over the limit is destroyed at once — there is no request
// yet to answer, and answering would cost the flood more of our time. Counted by the peer's
// address as the socket sees it (IPv4-mapped IPv6 folded to IPv4); x-forwarded-for plays no
// part (it is not known yet, and would be spoofable). Trusted proxies (trustedProxies) are
// exempt: one such peer carries many clients — put a forwarding standby's address there too.
import type { Server, Socket } from 'node:net';

/** What the accept hook needs of a counter: the one-thread map or the shared table. */
export interface ConnectionLimiter {
  readonly max: number;
  refused: number;
  tryOpen(ip: string): boolean;
  close(ip: string): void;
  count(ip: string): number;
}

/** Pure bookkeeping of open connections per IP (O(1) per open/close, memory per live IP). */
export class ConnectionCounter implements ConnectionLimiter {
  readonly max: number;
  readonly #open = new Map<string, number>();
  /** Connections refused since start. */
  refused = 0;

  constructor(max: number) {
    this.max = max;
  }

  /** Counts a new connection from `ip`; false (and not counted) when it would exceed max. */
  tryOpen(ip: string): boolean {
    const n = this.#open.get(ip) ?? 0;
    if (n >= this.max) {
      this.refused++;
      return false;
    }
    this.#open.set(ip, n + 1);
    return true;
  }

  close(ip: string): void {
    const n = this.#open.get(ip);
    if (n === undefined) return;
    if (n <= 1) this.#open.delete(ip);
    else this.#open.set(ip, n - 1);
  }

  count(ip: string): number {
    return this.#open.get(ip) ?? 0;
  }

  /** IPs with at least one open connection. */
  get ips(): number {
    return this.#open.size;
  }
}

const ROWS = 2;
/**
 * Buckets per row: 64 K (256 KiB per row per worker). An IP is over-counted only when other
 * IPs share its bucket in both rows and their connections together pass the cap: with 5000
 * clients of one connection each and a cap of 2, none of them is refused (conn-limit.test.ts).
 */
export const SHARED_BUCKETS = 1 << 16;

/** FNV-1a over the IP's characters from `seed`: two seeds give two independent rows. */
function bucket(ip: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < ip.length; i++) h = Math.imul(h ^ ip.charCodeAt(i), 0x01000193);
  return (h >>> 0) & (SHARED_BUCKETS - 1);
}
const SEEDS = [0x811c9dc5, 0x2f5b3a1d] as const;

/**
 * The per-IP cap across every data-plane worker of a node (workers/): with `reusePort` one
 * client's connections land on several threads, and a cap counted per thread would let it open
 * workers × max. A SharedArrayBuffer of counters, one block per worker and two rows of buckets
 * per block (a count-min sketch): a connection increments its worker's bucket of each row, and
 * an IP's count is the smaller of the two rows' sums over all workers. Lock-free (Atomics);
 * collisions can only over-count (refuse early), never let a flood through. Per-worker blocks let
 * the host zero a crashed worker's counts ({@link clearWorker}): its sockets died with it.
 */
export class SharedConnectionCounter implements ConnectionLimiter {
  readonly max: number;
  readonly buffer: SharedArrayBuffer;
  readonly #a: Int32Array;
  readonly #workers: number;
  readonly #base: number;
  refused = 0;

  /** A new table for `workers` threads, or a view (`buffer`) as worker `worker` sees it. */
  constructor(max: number, workers: number, worker = 0, buffer?: SharedArrayBuffer) {
    if (!Number.isInteger(workers) || workers < 1)
      throw new RangeError(`workers must be ≥ 1, got ${workers}`);
    if (!Number.isInteger(worker) || worker < 0 || worker >= workers)
      throw new RangeError(`worker ${worker} is not one of 0..${workers - 1}`);
    this.max = max;
    this.#workers = workers;
    this.buffer = buffer ?? new SharedArrayBuffer(workers * ROWS * SHARED_BUCKETS * 4);
    if (this.buffer.byteLength !== workers * ROWS * SHARED_BUCKETS * 4)
      throw new RangeError('shared connection table has the wrong size for this many workers');
    this.#a = new Int32Array(this.buffer);
    this.#base = worker * ROWS * SHARED_BUCKETS;
  }

  #sum(row: number, b: number): number {
    let n = 0;
    for (let w = 0; w < this.#workers; w++) n += Atomics.load(this.#a, (w * ROWS + row) * SHARED_BUCKETS + b);
    return n;
  }

  tryOpen(ip: string): boolean {
    const b0 = bucket(ip, SEEDS[0]);
    const b1 = bucket(ip, SEEDS[1]);
    const own0 = this.#base + b0;
    const own1 = this.#base + SHARED_BUCKETS + b1;
    Atomics.add(this.#a, own0, 1);
    Atomics.add(this.#a, own1, 1);
    // Counted first, then judged: two threads racing for the last place may both refuse, never both pass.
    if (Math.min(this.#sum(0, b0), this.#sum(1, b1)) > this.max) {
      Atomics.sub(this.#a, own0, 1);
      Atomics.sub(this.#a, own1, 1);
      this.refused++;
      return false;
    }
    return true;
  }

  close(ip: string): void {
    Atomics.sub(this.#a, this.#base + bucket(ip, SEEDS[0]), 1);
    Atomics.sub(this.#a, this.#base + SHARED_BUCKETS + bucket(ip, SEEDS[1]), 1);
  }

  count(ip: string): number {
    return Math.min(this.#sum(0, bucket(ip, SEEDS[0])), this.#sum(1, bucket(ip, SEEDS[1])));
  }

  /** Forgets worker `worker`'s connections (it exited: its sockets closed with it). */
  clearWorker(worker: number): void {
    const from = worker * ROWS * SHARED_BUCKETS;
    for (let i = from; i < from + ROWS * SHARED_BUCKETS; i++) Atomics.store(this.#a, i, 0);
  }
}

/** `::ffff:10.0.0.1` → `10.0.0.1`; unknown → ''. */
export function clientKey(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return '';
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.')
    ? remoteAddress.slice(7)
    : remoteAddress;
}

/**
 * Caps `server`'s connections per client IP at the counter's max (a number: a counter of this
 * server alone; 0: no cap). `onRefused` runs for each connection destroyed (metrics);
 * `exempt(ip)` peers are not counted.
 */
export function limitConnectionsPerIp(
  server: Server,
  limit: number | ConnectionLimiter,
  onRefused: (ip: string) => void = () => {},
  exempt: (ip: string) => boolean = () => false,
): ConnectionLimiter {
  const counter = typeof limit === 'number' ? new ConnectionCounter(limit) : limit;
  if (counter.max <= 0) return counter;
  server.on('connection', (socket: Socket) => {
    const ip = clientKey(socket.remoteAddress);
    if (exempt(ip)) return;
    if (!counter.tryOpen(ip)) {
      onRefused(ip);
      socket.destroy();
      return;
    }
    socket.once('close', () => counter.close(ip));
  });
  return counter;
}
