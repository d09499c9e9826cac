// The main thread's side of the data-plane workers: spawns `count` worker threads (entry.ts),
// hands each the seam as messages (routing input, gate, health; numbered, acknowledged), keeps
// the lease cell in step with the gate, restarts a worker that crashes, sums their counters
// and metrics, and drains them all on a graceful stop. To node.ts it is a data plane like the
// in-thread one, without a fastify instance of its own (each worker has one).
import { Worker } from 'node:worker_threads';
import type { LoadSummary, RoutingSnapshot } from '@ringleader/core';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { NodeConfig } from '../config/schema.js';
import { SharedConnectionCounter } from '../plane/http/conn-limit.js';
import type { DataPlaneStats, GateDecision, PassiveHealthFeed, RoutingInput, SeamMessage } from '../seam.js';
import { LeaseCell } from './lease-cell.js';
import { mergeLoadSummaries } from './load-merge.js';
import { type MetricsJson, mergedMetricsText, type WorkerMetrics, workerMetrics } from './metrics.js';
import { type HostMessage, newTicketBuffer, type WorkerInit, type WorkerMessage } from './protocol.js';
import { addStats, carry, Slot, ZERO_STATS } from './slot.js';
import { restartDelayMs, type SlotState } from './slot-state.js';

export interface WorkerPlaneOptions {
  readonly count: number;
  readonly config: NodeConfig;
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** The routing input of the snapshot in force (control/routing.ts). */
  readonly routing: () => RoutingInput;
  /** The gate in force (RoleController.gate: a leased `serve` carries the lease deadline). */
  readonly gate: () => GateDecision;
  readonly waitForGateChange: (ms: number) => Promise<void>;
  /** Health in force (the main thread's table), and where workers' passive outcomes go. */
  readonly health: { isUp(id: string): boolean; version(): number };
  readonly passive: PassiveHealthFeed;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Retry-After of a refusal for a lapsed lease (the main thread's, from the session timeout). */
  readonly retryAfterS: number;
  /** How often the lease cell and health are brought up to date (ms). */
  readonly refreshMs: number;
  /** Where the worker module is (default: entry.js beside this file, built). */
  readonly entry?: URL;
}

/** One row of /status `workers`. */
export interface WorkerRow {
  readonly id: number;
  readonly state: SlotState;
  readonly threadId: number | null;
  readonly requests: number;
  readonly inFlight: number;
  /** Routing snapshot version the worker has acknowledged (null before its first). */
  readonly snapshotVersion: number | null;
  readonly restarts: number;
}

/** src/ under vitest has no built worker beside it: take the build's. */
function defaultEntry(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/workers/entry.js', here) : new URL('./entry.js', here);
}

/** A gate without its lease deadline (that moves with every ping; the cell carries it). */
const gateKey = (g: GateDecision): string =>
  JSON.stringify(g.kind === 'serve' ? { kind: g.kind, epoch: g.permit.epoch } : g);

export class WorkerPlane {
  readonly #o: WorkerPlaneOptions;
  readonly #log: Logger;
  readonly #cell = new LeaseCell();
  /** The node's per-IP connection counts, shared by every worker (conn-limit.ts). */
  readonly #conns: SharedConnectionCounter;
  /** One round-robin cycle for every worker (core PolicyContext.ticket). */
  readonly #ticket = newTicketBuffer();
  readonly #slots: readonly Slot[];
  readonly #metrics: WorkerMetrics;
  #seq = 0;
  #routing: SeamMessage & { t: 'routing' };
  #gate: SeamMessage & { t: 'gate' };
  #gateKey: string;
  #health: SeamMessage & { t: 'health' };
  #listen: { host: string; port: number } | undefined;
  #stopping = false;
  readonly #timer: NodeJS.Timeout;
  #req = 0;

  constructor(o: WorkerPlaneOptions) {
    if (!Number.isInteger(o.count) || o.count < 1)
      throw new RangeError(`workers: need at least 1, got ${o.count}`);
    this.#o = o;
    this.#log = o.logger;
    this.#conns = new SharedConnectionCounter(o.config.limits.maxConnectionsPerIp, o.count);
    this.#routing = { t: 'routing', seq: ++this.#seq, input: o.routing() };
    const gate = o.gate();
    this.#cell.follow(gate);
    this.#gate = { t: 'gate', seq: ++this.#seq, gate };
    this.#gateKey = gateKey(gate);
    this.#health = this.#healthMessage(this.#downNow());
    this.#slots = Array.from({ length: o.count }, (_, i) => new Slot(i));
    this.#metrics = workerMetrics(o.registry, () =>
      this.rows().map((r) => ({ ...r, snapshotVersion: r.snapshotVersion ?? -1 })),
    );
    for (const s of this.#slots) this.#spawn(s);
    this.#timer = setInterval(() => this.#refresh(), o.refreshMs);
    void this.#followGate();
  }

  /** The lease cell the workers check per request. */
  get cell(): LeaseCell {
    return this.#cell;
  }

  #spawn(slot: Slot): void {
    const init: WorkerInit = {
      id: slot.id,
      config: this.#o.config,
      ...(this.#o.tls ? { tls: this.#o.tls } : {}),
      cell: this.#cell.buffer,
      workers: this.#o.count,
      connections: this.#conns.buffer,
      ticket: this.#ticket,
      routing: this.#routing.input,
      seq: this.#seq,
      gate: this.#gate.gate,
      health: { version: this.#health.version, down: this.#health.down },
      retryAfterS: this.#o.retryAfterS,
      statsEveryMs: 200,
    };
    const w = new Worker(this.#o.entry ?? defaultEntry(), {
      workerData: init,
      name: `ringleader-plane-${slot.id}`,
    });
    slot.worker = w;
    slot.stats = ZERO_STATS;
    slot.ackedSeq = 0;
    slot.listenError = undefined;
    w.on('message', (m: WorkerMessage) => this.#onMessage(slot, m));
    w.on('error', (err) => this.#log.error({ err, worker: slot.id }, 'data-plane worker threw'));
    w.on('exit', (code) => this.#onExit(slot, w, code));
  }

  #onMessage(slot: Slot, m: WorkerMessage): void {
    switch (m.t) {
      case 'ack': {
        const first = slot.state === 'starting';
        slot.ackedSeq = Math.max(slot.ackedSeq, m.seq);
        slot.version = m.version;
        slot.to('acked');
        // A worker that starts (or restarts) once the port is known binds it at once.
        if (first && this.#listen && !this.#stopping)
          slot.worker?.postMessage({ t: 'listen', ...this.#listen });
        return;
      }
      case 'listening':
        slot.port = m.port;
        slot.to('listened');
        return;
      case 'listen-failed':
        this.#log.error(
          { worker: slot.id, code: m.code, err: m.message },
          'data-plane worker could not listen',
        );
        slot.listenError = { code: m.code, message: m.message };
        slot.settle();
        return;
      case 'outcomes': {
        const now = performance.now();
        for (const [id, ok] of m.list) this.#o.passive.recordOutcome(id, ok, now);
        return;
      }
      case 'stats':
        slot.stats = m.stats;
        slot.load = m.load;
        return;
      case 'metrics':
        slot.metricReplies.get(m.req)?.(m.metrics);
        slot.metricReplies.delete(m.req);
        return;
      case 'closed':
        slot.to('closed');
        return;
    }
  }

  #onExit(slot: Slot, w: Worker, code: number): void {
    if (slot.worker !== w) return;
    slot.worker = undefined;
    // Its sockets closed with the thread; their places under the per-IP cap are free again.
    this.#conns.clearWorker(slot.id);
    slot.carried = carry(slot.carried, slot.stats);
    slot.stats = ZERO_STATS;
    slot.load = { backends: {} };
    for (const reply of slot.metricReplies.values()) reply([]);
    slot.metricReplies.clear();
    const crashed = slot.state !== 'draining' && !this.#stopping;
    slot.to('exited');
    if (!crashed) return;
    const now = performance.now();
    slot.crashes = [...slot.crashes.filter((t) => now - t <= 30_000), now];
    const delayMs = restartDelayMs(slot.crashes, now);
    slot.restarts++;
    this.#metrics.restarted(slot.id);
    this.#log.error(
      {
        code: 'RL_WORKER_CRASHED',
        worker: slot.id,
        exitCode: code,
        restartInMs: delayMs,
        restarts: slot.restarts,
      },
      `data-plane worker ${slot.id} exited (code ${code}); restarting it in ${delayMs} ms, the others go on serving`,
    );
    setTimeout(() => {
      if (this.#stopping || slot.state !== 'backoff') return;
      slot.to('backoff-over');
      this.#spawn(slot);
    }, delayMs).unref();
  }

  #broadcast(m: HostMessage): void {
    for (const s of this.#slots) s.worker?.postMessage(m);
  }

  /** The cell first, then the message: no worker honours a serve gate the cell does not grant. */
  #syncGate(): void {
    const gate = this.#o.gate();
    this.#cell.follow(gate);
    const key = gateKey(gate);
    if (key === this.#gateKey) return;
    this.#gateKey = key;
    this.#gate = { t: 'gate', seq: ++this.#seq, gate };
    this.#broadcast(this.#gate);
  }

  async #followGate(): Promise<void> {
    while (!this.#stopping) {
      await this.#o.waitForGateChange(1000);
      this.#syncGate();
    }
  }

  #downNow(): string[] {
    return this.#routing.input.backends.filter((b) => !this.#o.health.isUp(b.id)).map((b) => b.id);
  }

  #healthMessage(down: string[]): SeamMessage & { t: 'health' } {
    return { t: 'health', seq: ++this.#seq, version: this.#o.health.version(), down };
  }

  #refresh(): void {
    this.#syncGate();
    const down = this.#downNow();
    if (down.join('\n') === this.#health.down.join('\n')) return;
    this.#health = this.#healthMessage(down);
    this.#broadcast(this.#health);
  }

  /** A new snapshot is in force on the main thread: every worker rebuilds it from its input. */
  onSnapshot(_snap: RoutingSnapshot): void {
    this.#routing = { t: 'routing', seq: ++this.#seq, input: this.#o.routing() };
    this.#broadcast(this.#routing);
    this.#refresh();
  }

  /** Peers' published load (active-active): every worker blends them with its siblings' figures. */
  setPeers(peers: readonly LoadSummary[]): void {
    for (const s of this.#slots) {
      const siblings = this.#slots.filter((o) => o !== s).map((o) => o.load);
      s.worker?.postMessage({ t: 'peers', summaries: [...peers, ...siblings] });
    }
  }

  /** What the node publishes to peers and shows: every worker's figures as one. */
  loadSummary(): LoadSummary {
    return mergeLoadSummaries(this.#slots.map((s) => s.load));
  }

  async listen(addr: { host: string; port: number }): Promise<{ host: string; port: number; url: string }> {
    // The first worker binds (port 0 picks one); the rest bind the same port with reusePort.
    const [first, ...rest] = this.#slots as [Slot, ...Slot[]];
    await first.until((s) => s.state !== 'starting');
    first.worker?.postMessage({ t: 'listen', ...addr });
    const port = await this.#listened(first);
    this.#listen = { host: addr.host, port };
    for (const s of rest) if (s.state === 'ready') s.worker?.postMessage({ t: 'listen', ...this.#listen });
    await Promise.all(rest.map((s) => this.#listened(s)));
    const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
    return { host: addr.host, port, url: `${this.#o.tls ? 'https' : 'http'}://${host}:${port}` };
  }

  async #listened(slot: Slot): Promise<number> {
    await slot.until((s) => s.state === 'listening' || s.listenError !== undefined || s.state === 'stopped');
    const failed = slot.listenError;
    if (failed !== undefined) {
      throw Object.assign(new Error(`data-plane worker ${slot.id}: ${failed.message}`), {
        code: failed.code,
      });
    }
    return slot.port ?? 0;
  }

  stopAccepting(): void {
    this.#broadcast({ t: 'stop-accepting' });
  }

  /** Drains every worker (each lets its in-flight requests finish within `graceMs`), then ends them. */
  async close(graceMs: number): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#timer);
    await Promise.all(
      this.#slots.map(async (s) => {
        const w = s.worker;
        s.to('drain');
        if (w === undefined) return;
        w.postMessage({ t: 'close', graceMs });
        const cap = setTimeout(() => void w.terminate(), graceMs + 5000);
        await s.until((x) => x.state === 'stopped');
        clearTimeout(cap);
        await w.terminate();
      }),
    );
  }

  /** Counters summed over every worker (and over the lives of restarted ones). */
  get stats(): Readonly<DataPlaneStats> {
    return this.#slots.reduce((acc, s) => addStats(acc, s.total), ZERO_STATS);
  }

  rows(): WorkerRow[] {
    return this.#slots.map((s) => ({
      id: s.id,
      state: s.state,
      threadId: s.worker?.threadId ?? null,
      requests: s.total.requests,
      inFlight: s.stats.inFlight,
      snapshotVersion: s.version,
      restarts: s.restarts,
    }));
  }

  /** The snapshot version every serving worker has acknowledged, or null while they differ. */
  agreedVersion(): number | null {
    const live = this.#slots.filter((s) => s.worker !== undefined && s.state !== 'draining');
    const versions = new Set(live.map((s) => (s.ackedSeq >= this.#routing.seq ? s.version : null)));
    if (versions.size !== 1) return null;
    const [v] = versions;
    return v ?? null;
  }

  /** Resolves once every live worker has acknowledged everything sent so far (or after `ms`). */
  async settled(ms = 1000): Promise<boolean> {
    const seq = this.#seq;
    const all = Promise.all(
      this.#slots.map((s) =>
        s.until((x) => x.worker === undefined || x.ackedSeq >= seq || x.state === 'stopped'),
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), ms);
    });
    const ok = await Promise.race([all.then(() => true), late]);
    clearTimeout(timer);
    return ok;
  }

  /** One exposition for the process: the main registry plus the workers' plane series, summed. */
  async metricsText(): Promise<string> {
    const asks = this.#slots.map(
      (s) =>
        new Promise<MetricsJson>((resolve) => {
          const w = s.worker;
          if (w === undefined) return resolve([]);
          const req = ++this.#req;
          const timer = setTimeout(() => {
            s.metricReplies.delete(req);
            resolve([]);
          }, 2000);
          s.metricReplies.set(req, (m) => {
            clearTimeout(timer);
            resolve(m);
          });
          w.postMessage({ t: 'metrics', req });
        }),
    );
    return mergedMetricsText(this.#o.registry, await Promise.all(asks));
  }
}
