// The /status document: what an operator (or `ringleader status`, or the dashboard) needs to
// see at a glance. Secrets never appear here: no token, no ZooKeeper credential.
import { hostname } from 'node:os';
import {
  type Backend,
  backendFields,
  configFingerprint,
  formatHashSource,
  type HealthTable,
  type LoadTracker,
  type RoutingSnapshot,
} from '@ringleader/core';
import { monotonicNow } from '../seam.js';
import type { HealthChecker } from './health/checker.js';
import type { NodeView } from './view.js';

/** The /status document (GET /status on the admin port), as `ringleader status`, the dashboard and tests read it. */
export type StatusDocument = ReturnType<typeof buildStatus>;

export function buildStatus(node: NodeView) {
  const snap = node.routing.snapshot;
  const cfg = node.routing.config;
  const now = performance.now();
  const membership = node.membership.current;
  const inForce = node.configWatch.current;
  return {
    node: {
      id: node.config.nodeId,
      cluster: node.config.cluster,
      mode: node.config.mode,
      startedAt: node.startedAt.toISOString(),
      // Which process to signal (`kill -9 <pid>` in a failover drill) and on which machine.
      pid: process.pid,
      host: hostname(),
      proxyUrl: node.addresses?.proxyUrl,
      adminUrl: node.addresses?.adminUrl,
    },
    role: node.roles.role,
    epoch: node.roles.epoch ?? null,
    serving: node.roles.isServing(),
    gate: node.roles.gate(),
    lifecycle: node.roles.facts.lifecycle,
    leader: node.roles.leader,
    session: {
      state: node.session.state,
      id: node.session.sessionId,
      server: node.session.connectedServer ?? null,
      timeoutMs: node.session.sessionTimeoutMs,
    },
    // With worker threads, the version is the one every thread has acknowledged (the oldest
    // while they differ), so "agreed" (ringleader status, the dashboard) includes the workers.
    snapshot: {
      version: agreedOrOldest(snap.version, node),
      policy: snap.policy.name,
      backends: snap.backends.length,
      workersAgreed: node.planeSnapshotVersion() !== null,
    },
    config: {
      policy: cfg.policy,
      hash: cfg.hash ? formatHashSource(cfg.hash) : null,
      vnodes: cfg.ring.vnodes,
      loadFactor: cfg.ring.loadFactor ?? null,
      retries: cfg.retries,
      /** znode | last-good | fallback | unknown (not serving) | pending (not read yet). */
      source: inForce?.source ?? 'pending',
      /** mzxid of the `config` write in force (0: fallback). */
      version: inForce?.version ?? 0,
      known: inForce !== undefined && inForce.source !== 'unknown',
      /**
       * What other nodes and `ringleader status` compare: two serving nodes with the same
       * fingerprint and snapshot version route every key alike.
       */
      fingerprint: configFingerprint(cfg),
    },
    backends: backendRows(snap.backends, node.health, node.load, node.checker),
    rejected: membership?.rejected ?? [],
    traffic: { ...node.traffic },
    workers: node.workerRows().map((w) => ({ ...w })),
    services: buildServices(node),
    at: new Date().toISOString(),
    uptimeS: Math.round(now / 1000),
  };
}

/** The services of services/<name>: listener, routing, backends with health, counters. */
function buildServices(node: NodeView) {
  return node.services.status().map((s) => {
    const rt = s.runtime;
    const snap = rt?.snapshot;
    const d = s.definition;
    return {
      name: s.name,
      protocol: d?.protocol ?? null,
      listen: d ? { host: node.serviceHost, port: d.listen } : null,
      /** opening | listening | bind-failed | unsupported | draining | closed | not-opened */
      listener: s.listener,
      policy: d?.routing.policy ?? null,
      hash: d?.routing.hash ? formatHashSource(d.routing.hash) : null,
      check: d?.healthCheck.kind ?? null,
      fingerprint: d ? configFingerprint(d.routing) : null,
      snapshot: snap ? { version: snap.version, backends: snap.backends.length } : null,
      /** The znode's current problem, while it stays invalid (the last good definition serves). */
      rejected: s.rejected ?? null,
      backends: rt && snap ? backendRows(snap.backends, rt.health, rt.load, rt.checker) : [],
      rejectedBackends: s.membershipRejected,
      traffic: rt?.listenerStats ? { ...rt.listenerStats } : null,
    };
  });
}

/** A snapshot's backends with the health and load figures of the service they belong to. */
function backendRows(
  backends: RoutingSnapshot['backends'],
  health: Pick<HealthTable, 'state' | 'isUp'>,
  load: Pick<LoadTracker, 'ewmaMs' | 'inFlight' | 'advance'>,
  checker: Pick<HealthChecker, 'reason'>,
) {
  // The tracker's clock moves only with samples: a node that stopped proxying (a demoted or
  // standby node) would otherwise keep its last figures "fresh" forever, and the dashboard
  // showed a former leader's last, failover-slow, EWMA for every backend. Judged against now.
  load.advance(monotonicNow());
  return backends.map((b) => ({
    ...backendFields(b),
    health: health.state(b.id),
    up: health.isUp(b.id),
    /** Why it is in that health state (the last transition, and the last failed check). */
    reason: checker.reason(b.id) ?? null,
    /** Why drain/undrain cannot change it (a payload another tool owns), null when they can. */
    readOnly: foreignOwner(b),
    ewmaMs: roundOrNull(load.ewmaMs(b.id)),
    inFlight: load.inFlight(b.id),
  }));
}

/**
 * Foreign formats (ServerSet, Nerve, Curator) are written by the tool that registered the
 * backend; ringleader refuses to rewrite them (RL_ZK_FOREIGN_PAYLOAD), so the state shown
 * comes from that tool (a ServerSet DEAD member reads as draining) and is changed there.
 */
export function foreignOwner(b: Pick<Backend, 'format' | 'meta' | 'state'>): string | null {
  if (b.format === 'native') return null;
  const status = b.meta?.status;
  const why =
    b.format === 'serverset' && typeof status === 'string'
      ? ` (ServerSet status ${status}${status === 'ALIVE' ? '' : ': not routed as draining'})`
      : b.format === 'curator' && b.state === 'draining'
        ? ' (Curator enabled: false: not routed as draining)'
        : '';
  return `registered in ${b.format} format by another tool${why}; change it there, not with drain/undrain`;
}

function agreedOrOldest(main: number, node: NodeView): number {
  if (node.planeSnapshotVersion() !== null) return main;
  const acked = node.workerRows().map((w) => w.snapshotVersion ?? -1);
  return Math.min(main, ...acked);
}

function roundOrNull(v: number | undefined): number | null {
  return v === undefined ? null : Math.round(v * 100) / 100;
}
