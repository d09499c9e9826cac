// The listener of a `protocol: redis` service. Every accepted connection goes through the same
// admit() as HTTP and TCP: a standby refuses it with a RESP error (or relays its bytes to the
// leader's listener in `forward` mode), the server serves it under the permit taken at
// admission. A served connection becomes a RedisSession (session.ts), which routes each command
// by key over shared backend links (link.ts): `maxConnectionsPerBackend` links per backend
// (default 2) instead of one per client.
import { createServer, type Server, type Socket } from 'node:net';
import {
  type Backend,
  keyShares,
  movedShare,
  probeOwners,
  type RoutingSnapshot,
  resp,
  type ServiceDefinition,
} from '@ringleader/core';
import { monotonicNow, type ServingPermit } from '../../seam.js';
import { cachedLeaderTarget } from '../admission.js';
import { admitConnection, bindServer, IdleWaiters } from '../bind.js';
import { connectBackend } from '../tcp/connect.js';
import { startRelay } from '../tcp/relay.js';
import { BackendLink } from './link.js';
import { RedisSession, type SessionContext } from './session.js';
import type { RedisListener, RedisListenerOptions, RedisListenerStats } from './types.js';

export const REDIS_TICK_MS = 250;
export const DEFAULT_LINKS_PER_BACKEND = 2;
export const DEFAULT_MAX_PIPELINE = 1024;

interface Links {
  readonly host: string;
  readonly port: number;
  readonly links: BackendLink[];
}

export function createRedisListener(o: RedisListenerOptions): RedisListener {
  const now = o.now ?? monotonicNow;
  let service: ServiceDefinition = o.service;
  const leaderTarget = cachedLeaderTarget();
  const relayValid = (p: ServingPermit) => (o.seam.relayValid ?? o.seam.permitValid)(p);
  const sockets = new Set<Socket>();
  const sessions = new Set<RedisSession>();
  const pools = new Map<string, Links>();
  /** Links of backends that left, closed once their last command is answered. */
  const retiring = new Set<BackendLink>();
  let owners: string[] | undefined;
  let server: Server | undefined;
  let tick: NodeJS.Timeout | undefined;
  let seq = 0;
  const idle = new IdleWaiters(() => sockets.size === 0);
  const stats: RedisListenerStats = {
    open: 0,
    total: 0,
    commands: 0,
    errors: 0,
    protocolErrors: 0,
    refused: 0,
    forwarded: 0,
    fenced: 0,
    links: 0,
    ring: {},
    lastMoved: 0,
  };
  const linksPerBackend = () => service.maxConnectionsPerBackend ?? DEFAULT_LINKS_PER_BACKEND;

  const link = (b: Backend, session: number): BackendLink => {
    let p = pools.get(b.id);
    if (p === undefined || p.host !== b.host || p.port !== b.port) {
      if (p !== undefined) for (const l of p.links) retiring.add(l);
      p = { host: b.host, port: b.port, links: [] };
      pools.set(b.id, p);
    }
    const i = session % linksPerBackend();
    let l = p.links[i];
    if (l === undefined) {
      l = new BackendLink({
        id: b.id,
        host: b.host,
        port: b.port,
        connectMs: service.timeouts.connectMs,
        commandMs: service.timeouts.commandMs,
        auth: o.auth,
        now,
        onOutcome: (ok) => o.health.recordOutcome(b.id, ok, now()),
      });
      p.links[i] = l;
      stats.links++;
    }
    return l;
  };

  const ctx: SessionContext = {
    service: service.name,
    nodeId: o.nodeId,
    maxPipeline: o.maxPipeline ?? DEFAULT_MAX_PIPELINE,
    snapshot: () => o.seam.snapshot(),
    link,
    relayValid,
    metrics: o.metrics,
    counters: stats,
    now,
  };

  const settle = () => {
    stats.open = sockets.size;
    idle.settle();
  };

  const refuse = (client: Socket, why: string) => {
    stats.refused++;
    // A RESP client reads this as the answer to its first command, then sees the close.
    client.end(resp.error(`ERR ringleader: ${why}`));
    client.resume();
  };

  const forward = async (client: Socket, target: { host: string; port: number }) => {
    const out = await connectBackend(target.host, target.port, service.timeouts.connectMs);
    if (!out.ok || client.destroyed) {
      if (out.ok) out.socket.destroy();
      return refuse(client, `${o.nodeId} is a standby and cannot reach the leader`);
    }
    stats.forwarded++;
    startRelay(
      client,
      out.socket,
      now,
      { chunkAllowed: () => true, bytes: () => undefined, ended: () => undefined },
      out.reader,
    );
  };

  const serve = (client: Socket, permit: ServingPermit) => {
    const session = new RedisSession(client, permit, ctx, seq++);
    sessions.add(session);
    client.once('close', () => sessions.delete(session));
    client.resume();
  };

  const admitAndRoute = async (client: Socket) => {
    const decided = await admitConnection({
      seam: o.seam,
      nodeId: o.nodeId,
      leaderTarget,
      now,
      gone: () => client.destroyed,
    });
    if (decided === undefined) return;
    const { admission: a, gate } = decided;
    switch (a.kind) {
      case 'refuse':
      case 'not-leader':
        return refuse(
          client,
          `${o.nodeId} is not serving (a standby; the leader serves service ${service.name})`,
        );
      case 'forward': {
        const target = gate.kind === 'forward' ? o.forwardTarget(gate) : undefined;
        if (target === undefined) return refuse(client, `${o.nodeId} is a standby and knows no leader`);
        return forward(client, target);
      }
      case 'serve':
        return serve(client, a.permit);
    }
  };

  const onConnection = (client: Socket) => {
    stats.total++;
    sockets.add(client);
    client.on('error', () => client.destroy());
    client.once('close', () => {
      sockets.delete(client);
      settle();
    });
    settle();
    client.setNoDelay(true);
    client.setKeepAlive(true, 30_000);
    admitAndRoute(client).catch((err: unknown) => {
      o.logger?.error({ err, service: service.name }, 'redis connection failed unexpectedly');
      client.destroy();
    });
  };

  const onTick = () => {
    const t = now();
    for (const p of pools.values()) for (const l of p.links) l?.tick(t);
    for (const l of retiring) {
      l.tick(t);
      if (l.inFlight === 0) {
        l.close();
        retiring.delete(l);
        stats.links--;
      }
    }
    for (const s of sessions) {
      if (!s.permitHolds()) s.fence();
      else if (s.pending === 0 && t - s.lastActivity >= service.timeouts.idleMs) s.close();
    }
    o.metrics.connections(sessions.size, stats.links);
  };

  const onSnapshot = (snap: RoutingSnapshot) => {
    const present = new Set(snap.backends.map((b) => b.id));
    for (const [id, p] of pools) {
      if (present.has(id)) continue;
      pools.delete(id);
      for (const l of p.links) if (l !== undefined) retiring.add(l);
    }
    const picker = snap.policy as unknown as { pickHash?: (h: number) => Backend | undefined };
    if (typeof picker.pickHash !== 'function') return;
    const next = probeOwners(picker as { pickHash: (h: number) => Backend | undefined });
    const shares = keyShares(next);
    const moved = owners === undefined ? 0 : movedShare(owners, next);
    owners = next;
    stats.ring = Object.fromEntries(shares);
    stats.lastMoved = moved;
    o.metrics.ring(shares, moved);
  };

  const stopAccepting = () => {
    server?.close();
    server = undefined;
  };

  return {
    stats,
    async listen(addr) {
      const s = createServer({ pauseOnConnect: true }, onConnection);
      const bound = await bindServer(s, addr, (err) =>
        o.logger?.error({ err, service: service.name }, 'redis listener error'),
      );
      server = s;
      tick ??= setInterval(onTick, REDIS_TICK_MS);
      tick.unref();
      return bound;
    },
    update(def) {
      service = def;
    },
    onSnapshot,
    stopAccepting,
    async close(graceMs) {
      stopAccepting();
      // Clients of a cache reconnect at will: idle sessions go now, busy ones get the grace.
      for (const s of sessions) if (s.pending === 0) s.close();
      await idle.wait(graceMs);
      for (const s of sockets) s.destroy();
      await idle.wait(1_000);
      for (const p of pools.values()) for (const l of p.links) l?.close();
      for (const l of retiring) l.close();
      pools.clear();
      retiring.clear();
      stats.links = 0;
      if (tick !== undefined) clearInterval(tick);
      tick = undefined;
    },
  };
}
