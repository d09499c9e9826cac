// The ensemble's view for the dashboard: who is registered in ZooKeeper (nodes/), in which
// order they stand in the election (election/), and what each node says about itself (its
// GET /dashboard/node.json, fetched over HTTP with a short timeout). One node aggregates, so
// the page needs one connection; peers are polled every second while a dashboard watches and
// every few seconds otherwise, so a page opened after a failover still has recent history.
import { isTimelineEvent, mergeEvents, type Timeline, type TimelineEvent } from './timeline.js';
import { mergeHistory, type TrafficSeries } from './traffic.js';

/** What a node says about itself (GET /dashboard/node.json). */
export interface NodeSummary {
  readonly id: string;
  readonly cluster: string;
  readonly adminUrl: string | null;
  readonly proxyUrl: string | null;
  readonly mode: string;
  readonly role: string;
  readonly epoch: number | null;
  readonly serving: boolean;
  readonly lifecycle: string;
  readonly session: string;
  readonly snapshotVersion: number;
  readonly policy: string;
  /** Hash source of the routing config, if it hashes. */
  readonly hash: string | null;
  /** core configFingerprint of the routing config in force: what "agreed" compares. */
  readonly configFingerprint: string;
  /** znode | last-good | fallback | unknown (not serving) | pending. */
  readonly configSource: string;
  readonly backends: number;
  readonly leader: { readonly id: string; readonly epoch: number } | null;
  readonly startedAt: string;
  readonly at: number;
  /** Requests finished in the last complete second. */
  readonly rps: number;
  /** Per backend: [EWMA latency ms | null, in flight, requests in the last 60 s, up 1/0]. */
  readonly load: Readonly<Record<string, BackendLoad>>;
  readonly series: TrafficSeries;
  readonly events: readonly TimelineEvent[];
}

export type BackendLoad = readonly [number | null, number, number, 0 | 1];

export interface RegistryEntry {
  readonly id: string;
  readonly host?: string;
  readonly adminPort?: number;
  readonly proxyPort?: number;
  readonly mode?: string;
  readonly version?: string;
  /** ZooKeeper session owning the registration (hex). */
  readonly session: string;
}

export interface RegistryRead {
  readonly nodes: readonly RegistryEntry[];
  /** Election order (the first one leads). */
  readonly election: ReadonlyArray<{ readonly seq: number; readonly id: string | undefined }>;
}

/** One card of the page. */
export interface NodeView {
  readonly id: string;
  readonly self: boolean;
  /** Has a `nodes/<id>` registration right now. */
  readonly registered: boolean;
  /** Place in the election queue (0 leads), null when it has no election znode. */
  readonly electionRank: number | null;
  readonly electionSeq: number | null;
  readonly adminUrl: string | null;
  readonly reachable: boolean;
  readonly error: string | null;
  /** When its last good summary arrived (epoch ms). */
  readonly lastSeen: number | null;
  /** The last good summary, without series, events and per-backend load. */
  readonly status: Omit<NodeSummary, 'series' | 'events' | 'load'> | null;
}

interface PeerState {
  registry: RegistryEntry | undefined;
  summary: NodeSummary | undefined;
  /** Its rate history, kept across its restarts (mergeHistory). */
  history: TrafficSeries | undefined;
  reachable: boolean;
  error: string | null;
  lastSeen: number | null;
  /** When it was last registered or reachable; forgotten a while after both stop. */
  lastKnown: number;
}

export interface ClusterViewOptions {
  readonly selfId: string;
  readonly self: () => NodeSummary;
  readonly readRegistry: () => Promise<RegistryRead>;
  /** GET a peer's summary (short timeout); rejects when it does not answer. */
  readonly fetchSummary: (adminUrl: string) => Promise<unknown>;
  readonly timeline: Timeline;
  readonly now?: () => number;
  /** Called after a poll that changed something. */
  readonly onChange?: () => void;
  /** How long a node that left and stopped answering stays on the page (default 5 min). */
  readonly forgetAfterMs?: number;
}

const SERIES_KEEP_S = 300;

export class ClusterView {
  readonly #o: ClusterViewOptions;
  readonly #now: () => number;
  readonly #peers = new Map<string, PeerState>();
  #election: RegistryRead['election'] = [];
  #registryOk = false;
  #registryError: string | null = null;
  #registryAt: number | null = null;
  #firstRegistry = true;
  #peerEvents: TimelineEvent[] = [];
  #polling: Promise<void> | undefined;
  #again = false;

  constructor(o: ClusterViewOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  /** Polls once (a call during a poll queues one more). */
  poll(): Promise<void> {
    if (this.#polling) {
      this.#again = true;
      return this.#polling;
    }
    this.#polling = this.#pollOnce().finally(() => {
      this.#polling = undefined;
      if (this.#again) {
        this.#again = false;
        void this.poll();
      }
    });
    return this.#polling;
  }

  async #pollOnce(): Promise<void> {
    let changed = false;
    const now = this.#now();
    try {
      const reg = await this.#o.readRegistry();
      changed = this.#applyRegistry(reg, now) || changed;
      if (!this.#registryOk) changed = true;
      this.#registryOk = true;
      this.#registryError = null;
      this.#registryAt = now;
    } catch (err) {
      // Session suspended or ZooKeeper away: keep the last registry we read, say so.
      if (this.#registryOk) changed = true;
      this.#registryOk = false;
      this.#registryError = (err as Error).message;
    }
    const peers = [...this.#peers.entries()].filter(([id]) => id !== this.#o.selfId);
    const results = await Promise.all(
      peers.map(async ([id, p]) => {
        const url = this.#adminUrlOf(p);
        if (url === null) return { id, p, ok: false as const, error: 'no admin address registered' };
        try {
          const body = await this.#o.fetchSummary(url);
          if (!isSummary(body) || body.id !== id) throw new Error(`${url} answered for another node`);
          return { id, p, ok: true as const, body };
        } catch (err) {
          return { id, p, ok: false as const, error: (err as Error).message || 'no answer' };
        }
      }),
    );
    for (const r of results) {
      if (r.ok) {
        if (!r.p.reachable) {
          if (r.p.lastSeen !== null) this.#o.timeline.add('node', 'info', `node ${r.id} answers again`);
          changed = true;
        }
        const s = r.p.summary;
        if (s === undefined || summaryKey(s) !== summaryKey(r.body)) changed = true;
        r.p.summary = r.body;
        const boot = Date.parse(r.body.startedAt);
        r.p.history = mergeHistory(
          r.p.history,
          r.body.series,
          Number.isFinite(boot) ? Math.floor(boot / 1000) : Number.NEGATIVE_INFINITY,
        );
        r.p.reachable = true;
        r.p.error = null;
        r.p.lastSeen = now;
        r.p.lastKnown = now;
        this.#peerEvents = mergeEvents([this.#peerEvents, r.body.events.filter(isTimelineEvent)]);
      } else {
        if (r.p.reachable) {
          this.#o.timeline.add('node', 'warn', `node ${r.id} does not answer (${r.error})`);
          changed = true;
        }
        r.p.reachable = false;
        r.p.error = r.error;
      }
    }
    // Forget nodes that left and stopped answering long ago.
    const forgetMs = this.#o.forgetAfterMs ?? 300_000;
    for (const [id, p] of this.#peers)
      if (id !== this.#o.selfId && p.registry === undefined && !p.reachable && now - p.lastKnown > forgetMs) {
        this.#peers.delete(id);
        changed = true;
      }
    if (changed) this.#o.onChange?.();
  }

  #applyRegistry(reg: RegistryRead, now: number): boolean {
    let changed = JSON.stringify(reg.election) !== JSON.stringify(this.#election);
    this.#election = reg.election;
    const seen = new Set<string>();
    for (const entry of reg.nodes) {
      seen.add(entry.id);
      const p = this.#peers.get(entry.id);
      if (p === undefined) {
        this.#peers.set(entry.id, {
          registry: entry,
          summary: undefined,
          history: undefined,
          reachable: entry.id === this.#o.selfId,
          error: null,
          lastSeen: null,
          lastKnown: now,
        });
        if (!this.#firstRegistry) this.#o.timeline.add('node', 'info', `node ${entry.id} registered`);
        changed = true;
      } else {
        if (p.registry === undefined) {
          this.#o.timeline.add('node', 'info', `node ${entry.id} registered`);
          changed = true;
        } else if (p.registry.session !== entry.session) {
          this.#o.timeline.add('node', 'info', `node ${entry.id} registered with a new session`);
          changed = true;
        }
        p.registry = entry;
        p.lastKnown = now;
      }
    }
    for (const [id, p] of this.#peers)
      if (!seen.has(id) && p.registry !== undefined) {
        p.registry = undefined;
        this.#o.timeline.add('node', 'warn', `node ${id} left the cluster (registration gone)`);
        changed = true;
      }
    this.#firstRegistry = false;
    return changed;
  }

  #adminUrlOf(p: PeerState): string | null {
    if (p.summary?.adminUrl) return p.summary.adminUrl;
    const r = p.registry;
    if (r?.host && r.adminPort) return `http://${r.host}:${r.adminPort}`;
    return null;
  }

  /** Every node: registered ones, peers that answered lately, and this one. */
  nodes(): NodeView[] {
    const self = this.#o.self();
    const ids = new Set([...this.#peers.keys(), this.#o.selfId]);
    const rank = new Map<string, { rank: number; seq: number }>();
    this.#election.forEach((c, i) => {
      if (c.id !== undefined && !rank.has(c.id)) rank.set(c.id, { rank: i, seq: c.seq });
    });
    return [...ids].sort(byNodeId).map((id): NodeView => {
      const p = this.#peers.get(id);
      const isSelf = id === this.#o.selfId;
      const summary = isSelf ? self : p?.summary;
      const r = rank.get(id);
      return {
        id,
        self: isSelf,
        registered: p?.registry !== undefined,
        electionRank: r?.rank ?? null,
        electionSeq: r?.seq ?? null,
        adminUrl: summary?.adminUrl ?? (p ? this.#adminUrlOf(p) : null),
        reachable: isSelf ? true : (p?.reachable ?? false),
        error: isSelf ? null : (p?.error ?? null),
        lastSeen: isSelf ? this.#now() : (p?.lastSeen ?? null),
        status: summary ? stripSummary(summary) : null,
      };
    });
  }

  /** What ZooKeeper said last: whether the read worked, and the election order. */
  registry(): { ok: boolean; error: string | null; at: number | null; election: RegistryRead['election'] } {
    return {
      ok: this.#registryOk,
      error: this.#registryError,
      at: this.#registryAt,
      election: this.#election,
    };
  }

  /** Series of the peers (last known; a dead node's history stays until it ages out). */
  peerSeries(end: number): TrafficSeries[] {
    const out: TrafficSeries[] = [];
    for (const [id, p] of this.#peers)
      if (id !== this.#o.selfId && p.history && p.history.end > end - SERIES_KEEP_S) out.push(p.history);
    return out;
  }

  /** Summaries of the peers that answered the last poll. */
  reachablePeers(): NodeSummary[] {
    const out: NodeSummary[] = [];
    for (const [id, p] of this.#peers)
      if (id !== this.#o.selfId && p.reachable && p.summary) out.push(p.summary);
    return out;
  }

  peerEvents(): readonly TimelineEvent[] {
    return this.#peerEvents;
  }
}

function stripSummary(s: NodeSummary): Omit<NodeSummary, 'series' | 'events' | 'load'> {
  const { series: _series, events: _events, load: _load, ...rest } = s;
  return rest;
}

/** What changes the cards (not the series or the clock). */
function summaryKey(s: NodeSummary): string {
  return JSON.stringify([
    s.role,
    s.epoch,
    s.serving,
    s.lifecycle,
    s.session,
    s.snapshotVersion,
    s.policy,
    s.configFingerprint,
    s.configSource,
    s.backends,
    s.leader,
    s.events.at(-1)?.seq,
  ]);
}

function isSummary(v: unknown): v is NodeSummary {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const series = s.series as Record<string, unknown> | undefined;
  return (
    typeof s.id === 'string' &&
    typeof s.role === 'string' &&
    typeof s.session === 'string' &&
    typeof s.snapshotVersion === 'number' &&
    Array.isArray(s.events) &&
    typeof s.load === 'object' &&
    s.load !== null &&
    typeof series === 'object' &&
    series !== null &&
    typeof series.end === 'number' &&
    Array.isArray(series.req) &&
    Array.isArray(series.err)
  );
}

/** lb-2 before lb-10. */
function byNodeId(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
