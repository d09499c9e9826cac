// The dashboard's server side for one node: collects the timeline and the traffic history,
// keeps the ensemble's view (ZooKeeper registry + peers' summaries), and builds the frames the
// SSE stream pushes. Built when the admin server is, stopped before it closes.
import { configFingerprint, formatHashSource, type RoutingSnapshot } from '@ringleader/core';
import {
  type ConfigRejection,
  type ConfigSnapshot,
  clusterPaths,
  readChildrenWithData,
  sortContenders,
} from '@ringleader/zk';
import { monotonicNow } from '../../seam.js';
import { buildStatus } from '../status.js';
import type { NodeView } from '../view.js';
import { mergeBackends } from './backends.js';
import { wireNodeEvents } from './node-events.js';
import {
  type BackendLoad,
  ClusterView,
  type NodeSummary,
  type RegistryEntry,
  type RegistryRead,
} from './peers.js';
import { ConfigRejectionWatch, rejectedZnodes } from './rejected.js';
import { type RingView, ringView } from './ring.js';
import { ServingWatch } from './serving.js';
import { SseHub } from './sse.js';
import { mergeEvents, Timeline } from './timeline.js';
import { type CounterValue, sumSeries, TrafficSampler } from './traffic.js';

export interface DashboardOptions {
  readonly maxClients?: number;
  /** Peer poll period while a dashboard is open (default 1000 ms) and otherwise (default 5000 ms). */
  readonly activePollMs?: number;
  readonly idlePollMs?: number;
  /** Per-peer HTTP timeout (default 800 ms). */
  readonly peerTimeoutMs?: number;
}

/** Events a node hands to peers in its summary. */
const SUMMARY_EVENTS = 50;

export class DashboardHub {
  readonly node: NodeView;
  readonly timeline: Timeline;
  readonly traffic: TrafficSampler;
  readonly view: ClusterView;
  readonly sse: SseHub;
  readonly #o: DashboardOptions;
  readonly #offEvents: () => void;
  readonly #serving: ServingWatch;
  readonly #configRejection = new ConfigRejectionWatch();
  readonly #offConfig: () => void;
  #ringFor: RoutingSnapshot | undefined;
  #ring: RingView | null = null;
  #pollTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(node: NodeView, o: DashboardOptions = {}) {
    this.node = node;
    this.#o = o;
    this.timeline = new Timeline({ node: node.config.nodeId, boot: node.startedAt.getTime() });
    this.#offEvents = wireNodeEvents(node, this.timeline);
    this.traffic = new TrafficSampler({
      read: () => this.#readCounters(),
      refused: () => node.traffic.rejected,
    });
    this.#serving = new ServingWatch(node.startedAt.getTime());
    const onRejected = (r: ConfigRejection) => this.#configRejection.rejected(r);
    const onConfig = (c: ConfigSnapshot) => this.#configRejection.changed(c.source);
    node.configWatch.on('rejected', onRejected);
    node.configWatch.on('config', onConfig);
    this.#offConfig = () => {
      node.configWatch.off('rejected', onRejected);
      node.configWatch.off('config', onConfig);
    };
    this.view = new ClusterView({
      selfId: node.config.nodeId,
      self: () => this.summary(),
      readRegistry: () => this.#readRegistry(),
      fetchSummary: (url) => this.#fetchSummary(url),
      timeline: this.timeline,
      onChange: () => this.sse.schedule(),
    });
    this.sse = new SseHub({
      build: () => JSON.stringify(this.frame()),
      ...(o.maxClients !== undefined ? { maxClients: o.maxClients } : {}),
      onActive: (active) => {
        if (active) void this.view.poll();
      },
      onError: (err) => node.log.warn({ err }, 'dashboard frame failed'),
    });
    this.timeline.onEvent((e) => {
      this.sse.schedule();
      // Someone else may have just taken over: look at the peers now, not in a second.
      if (e.kind === 'leader' || e.kind === 'role' || e.kind === 'session') void this.view.poll();
    });
  }

  start(): this {
    this.traffic.start();
    const loop = () => {
      if (this.#stopped) return;
      const ms = this.sse.size > 0 ? (this.#o.activePollMs ?? 1000) : (this.#o.idlePollMs ?? 5000);
      this.#pollTimer = setTimeout(() => {
        void this.view.poll().finally(loop);
      }, ms);
      this.#pollTimer.unref();
    };
    void this.view.poll().finally(loop);
    return this;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#pollTimer);
    this.traffic.stop();
    this.sse.closeAll();
    this.#offEvents();
    this.#offConfig();
  }

  /** What this node says about itself to peers (GET /dashboard/node.json). */
  summary(): NodeSummary {
    const n = this.node;
    const snap = n.routing.snapshot;
    const series = this.traffic.series();
    const leader = n.roles.leader;
    return {
      id: n.config.nodeId,
      cluster: n.config.cluster,
      adminUrl: n.addresses?.adminUrl ?? null,
      proxyUrl: n.addresses?.proxyUrl ?? null,
      mode: n.config.mode,
      role: n.roles.role,
      epoch: n.roles.epoch ?? null,
      serving: n.roles.isServing(),
      lifecycle: n.roles.facts.lifecycle,
      session: n.session.state,
      snapshotVersion: snap.version,
      policy: snap.policy.name,
      hash: n.routing.config.hash ? formatHashSource(n.routing.config.hash) : null,
      configFingerprint: configFingerprint(n.routing.config),
      configSource: n.configWatch.current?.source ?? 'pending',
      backends: snap.backends.length,
      leader: leader ? { id: leader.id, epoch: leader.epoch } : null,
      startedAt: n.startedAt.toISOString(),
      at: Date.now(),
      rps: series.req[series.req.length - 2] ?? 0,
      load: this.#load(),
      series,
      events: this.timeline.recent(SUMMARY_EVENTS),
    };
  }

  #load(): Record<string, BackendLoad> {
    const n = this.node;
    const shares = this.traffic.shares();
    const out: Record<string, BackendLoad> = {};
    // As in status.ts: figures are fresh relative to now, not to the last sample.
    n.load.advance(monotonicNow());
    for (const b of n.routing.snapshot.backends) {
      const ewma = n.load.ewmaMs(b.id);
      out[b.id] = [
        ewma === undefined ? null : Math.round(ewma * 100) / 100,
        n.load.inFlight(b.id),
        shares.get(b.id) ?? 0,
        n.health.isUp(b.id) ? 1 : 0,
      ];
    }
    return out;
  }

  /** One SSE frame: this node's status plus the ensemble's view. */
  frame() {
    const n = this.node;
    const status = buildStatus(n);
    const now = Date.now();
    const self = this.summary();
    const own = self.series;
    const peers = this.view.peerSeries(own.end);
    // Peers' figures arrive up to a poll late: the chart ends at the last second all have.
    const end = own.end - 2;
    const backends = mergeBackends(status.backends, [self, ...this.view.reachablePeers()]);
    const nodes = this.view.nodes();
    return {
      type: 'cluster' as const,
      v: 1,
      at: now,
      node: n.config.nodeId,
      tokenRequired: Boolean(n.config.admin.token),
      // The backends list is in `backends` below, merged with the peers' figures.
      self: { ...status, backends: undefined },
      nodes,
      /** Whether any node serves, or since when none does (the page's red banner). */
      serving: this.#serving.update(nodes, now),
      zk: { ...this.view.registry(), leader: n.roles.leader },
      backends,
      /** Znodes read and rejected: bad backends, an invalid config, invalid services. */
      rejected: rejectedZnodes(status, this.#configRejection.current(n.configWatch.current)),
      ring: this.#ringView(n.routing.snapshot),
      series: { ...sumSeries([own, ...peers], end, own.req.length - 2), nodes: peers.length + 1 },
      events: mergeEvents([this.timeline.recent(), this.view.peerEvents()]),
    };
  }

  #ringView(snap: RoutingSnapshot): RingView | null {
    if (snap !== this.#ringFor) {
      this.#ringFor = snap;
      this.#ring = ringView(snap.policy);
    }
    return this.#ring;
  }

  async #readCounters(): Promise<readonly CounterValue[]> {
    const metric = this.node.metrics.registry.getSingleMetric('ringleader_requests_total');
    if (metric === undefined) return [];
    return (await metric.get()).values as readonly CounterValue[];
  }

  async #readRegistry(): Promise<RegistryRead> {
    const session = this.node.session;
    if (session.state !== 'connected') throw new Error(`ZooKeeper session ${session.state}`);
    const paths = clusterPaths(this.node.config.cluster);
    const [nodes, election] = await Promise.all([
      readChildrenWithData(session, paths.nodes),
      readChildrenWithData(session, paths.election),
    ]);
    const entries: RegistryEntry[] = [];
    for (const [id, e] of nodes.entries) {
      const info = parseObject(e.data);
      entries.push({
        id,
        session: e.stat.ephemeralOwner,
        ...(typeof info.host === 'string' ? { host: info.host } : {}),
        ...(typeof info.adminPort === 'number' ? { adminPort: info.adminPort } : {}),
        ...(typeof info.proxyPort === 'number' ? { proxyPort: info.proxyPort } : {}),
        ...(typeof info.mode === 'string' ? { mode: info.mode } : {}),
        ...(typeof info.version === 'string' ? { version: info.version } : {}),
      });
    }
    const order = sortContenders([...election.entries.keys()]).map((c) => {
      const id = parseObject(election.entries.get(c.name)?.data).id;
      return { seq: c.seq, id: typeof id === 'string' ? id : undefined };
    });
    return { nodes: entries, election: order };
  }

  async #fetchSummary(adminUrl: string): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${adminUrl}/dashboard/node.json`, {
        signal: AbortSignal.timeout(this.#o.peerTimeoutMs ?? 800),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      throw new Error(e.name === 'TimeoutError' ? 'timed out' : (e.cause?.code ?? e.message));
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res.json();
  }
}

function parseObject(data: Buffer | undefined): Record<string, unknown> {
  if (data === undefined) return {};
  try {
    const v: unknown = JSON.parse(data.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
