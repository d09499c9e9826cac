// The TCP listener of a `protocol: tcp` service: every accepted connection goes through admit()
// (hold, refuse, forward or serve), then through backend choice (policy over layer-4 facts,
// per-backend caps with a bounded queue, connect retries across backends before any byte
// flowed) into a byte relay fenced by the serving permit. Refusals are a close (a TCP client
// has no status line to read): the socket is destroyed at once, never left half-open.
import { createServer, type Server, type Socket } from 'node:net';
import {
  connectionFacts,
  ProxyHeaderParser,
  type RoutingSnapshot,
  type ServiceDefinition,
} from '@ringleader/core';
import type { NodeErrorCode } from '../../errors.js';
import {
  LEADER_LABEL,
  monotonicNow,
  NO_BACKEND_LABEL,
  type ServingPermit,
  type TcpCloseCause,
  type TcpRefusalReason,
} from '../../seam.js';
import { cachedLeaderTarget } from '../admission.js';
import { admitConnection, bindServer, IdleWaiters } from '../bind.js';
import { readProxyHeader } from './accept-proxy.js';
import { adoptReadBuffer, BackendReader, connectBackend } from './connect.js';
import { proxyHeaderFor } from './proxy.js';
import { type Relay, startRelay } from './relay.js';
import { BackendSlots } from './slots.js';
import type { TcpListener, TcpListenerOptions, TcpListenerStats } from './types.js';

/** The catalogue code a refusal is logged with (undefined: nothing went wrong on our side). */
export const REFUSAL_CODES: Readonly<Record<TcpRefusalReason, NodeErrorCode | undefined>> = {
  not_leader: 'RL_NOT_LEADER',
  no_backend: 'RL_TCP_NO_BACKEND',
  connect_failed: 'RL_TCP_CONNECT_FAILED',
  queue_timeout: 'RL_TCP_QUEUE_TIMEOUT',
  fenced: 'RL_TCP_FENCED',
  forward_failed: 'RL_TCP_FORWARD_FAILED',
  bad_proxy_header: 'RL_TCP_PROXY_HEADER',
  proxy_header_timeout: 'RL_TCP_PROXY_HEADER',
  client_gone: undefined,
};

/** How often open relays are checked for idleness, max duration, fencing and drain deadlines. */
export const TICK_MS = 250;

interface Conn {
  readonly client: Socket;
  readonly clientAddr: string;
  readonly backendId: string;
  readonly permit: ServingPermit | undefined;
  readonly started: number;
  relay?: Relay;
  drainAt?: number;
  /** Hands the bytes relayed since the last call to the metrics (on the tick and at the end). */
  flush?: () => void;
}

/** A reused read buffer for a client socket that has read nothing yet; undefined otherwise. */
function clientReaderFor(client: Socket): BackendReader | undefined {
  const r = new BackendReader();
  return adoptReadBuffer(client, r) ? r : undefined;
}

export function createTcpListener(o: TcpListenerOptions): TcpListener {
  const now = o.now ?? monotonicNow;
  let service: ServiceDefinition = o.service;
  const slots = new BackendSlots(service.maxConnectionsPerBackend);
  const leaderTarget = cachedLeaderTarget();
  const relayValid = (p: ServingPermit) => (o.seam.relayValid ?? o.seam.permitValid)(p);
  const sockets = new Set<Socket>();
  const relays = new Set<Conn>();
  const idle = new IdleWaiters(() => sockets.size === 0 && relays.size === 0);
  let server: Server | undefined;
  let tick: NodeJS.Timeout | undefined;
  const stats: TcpListenerStats = {
    open: 0,
    total: 0,
    relaying: 0,
    refused: 0,
    forwarded: 0,
    held: 0,
    queued: 0,
    retries: 0,
    connectFailures: 0,
    fenced: 0,
    drained: 0,
    idleClosed: 0,
    badProxyHeaders: 0,
    bytesIn: 0,
    bytesOut: 0,
  };

  const settle = () => {
    stats.open = sockets.size;
    stats.relaying = relays.size;
    idle.settle();
  };

  const refuse = (client: Socket, clientAddr: string, reason: TcpRefusalReason, started: number) => {
    stats.refused++;
    if (reason === 'bad_proxy_header' || reason === 'proxy_header_timeout') stats.badProxyHeaders++;
    o.metrics.refused(reason);
    client.destroy();
    const code = REFUSAL_CODES[reason];
    o.logger?.debug({ service: service.name, client: clientAddr, code, reason }, 'tcp connection refused');
    o.accessLog?.info({
      code,
      service: service.name,
      client: clientAddr,
      backend: NO_BACKEND_LABEL,
      bytesIn: 0,
      bytesOut: 0,
      durationMs: Math.round(now() - started),
      cause: reason,
    });
  };

  const relayTo = (conn: Conn, backend: Socket, connectMs: number, reader: BackendReader) => {
    const label = conn.backendId;
    let bytesIn = 0;
    let bytesOut = 0;
    let reportedIn = 0;
    let reportedOut = 0;
    // Byte counts reach the metrics in batches (every tick, and at the end), not per chunk: a
    // labelled counter's lookup per chunk was a measurable share of a bulk relay's CPU.
    conn.flush = () => {
      if (bytesIn > reportedIn) o.metrics.bytes(label, 'in', bytesIn - reportedIn);
      if (bytesOut > reportedOut) o.metrics.bytes(label, 'out', bytesOut - reportedOut);
      reportedIn = bytesIn;
      reportedOut = bytesOut;
    };
    relays.add(conn);
    o.metrics.opened(label);
    conn.relay = startRelay(
      conn.client,
      backend,
      now,
      {
        chunkAllowed: () => conn.permit === undefined || relayValid(conn.permit),
        bytes(direction, n) {
          if (direction === 'in') {
            bytesIn += n;
            stats.bytesIn += n;
          } else {
            bytesOut += n;
            stats.bytesOut += n;
          }
        },
        ended(cause: TcpCloseCause) {
          conn.flush?.();
          relays.delete(conn);
          if (label !== LEADER_LABEL) {
            slots.release(label);
            o.load.onEnd(label, connectMs, now());
          }
          if (cause === 'fenced') stats.fenced++;
          else if (cause === 'drain') stats.drained++;
          else if (cause === 'idle') stats.idleClosed++;
          const durationMs = now() - conn.started;
          o.metrics.closed(label, cause, durationMs / 1000);
          o.accessLog?.info({
            service: service.name,
            client: conn.clientAddr,
            backend: label,
            bytesIn,
            bytesOut,
            durationMs: Math.round(durationMs),
            cause,
          });
          settle();
        },
      },
      reader,
      // Client bytes into a reused buffer too, where the socket has read nothing yet.
      clientReaderFor(conn.client),
    );
    settle();
  };

  const serve = async (
    client: Socket,
    ip: string,
    port: number,
    clientAddr: string,
    permit: ServingPermit,
    started: number,
  ) => {
    const snap = o.seam.snapshot();
    const facts = connectionFacts(ip, port);
    const tried = new Set<string>();
    let retriesLeft = service.routing.retries;
    const queueDeadline = now() + service.timeouts.queueMs;
    let queued = false;
    for (;;) {
      if (client.destroyed) return refuse(client, clientAddr, 'client_gone', started);
      // Backends at their cap are skipped like tried ones; when only capped ones are left, wait.
      const skip = new Set(tried);
      let b = snap.policy.pick(facts, skip);
      while (b !== undefined && slots.full(b.id)) {
        skip.add(b.id);
        b = snap.policy.pick(facts, skip);
      }
      if (b === undefined) {
        if (skip.size > tried.size) {
          if (!queued) {
            queued = true;
            stats.queued++;
          }
          if (await slots.waitForRelease(queueDeadline - now())) continue;
          return refuse(client, clientAddr, 'queue_timeout', started);
        }
        return refuse(client, clientAddr, tried.size > 0 ? 'connect_failed' : 'no_backend', started);
      }
      if (!o.seam.permitValid(permit)) return refuse(client, clientAddr, 'fenced', started);
      slots.tryAcquire(b.id);
      o.load.onStart(b.id);
      const t0 = now();
      const out = await connectBackend(b.host, b.port, service.timeouts.connectMs);
      if (!out.ok) {
        slots.release(b.id);
        o.load.onEnd(b.id, -1, now());
        o.health.recordOutcome(b.id, false, now());
        o.metrics.connectFailure(b.id, out.kind);
        stats.connectFailures++;
        o.logger?.debug(
          { service: service.name, backend: b.id, err: out.error.message },
          'tcp connect failed',
        );
        tried.add(b.id);
        if (retriesLeft > 0) {
          retriesLeft--;
          stats.retries++;
          o.metrics.retry();
          continue;
        }
        return refuse(client, clientAddr, 'connect_failed', started);
      }
      const connectMs = now() - t0;
      o.health.recordOutcome(b.id, true, now());
      if (client.destroyed) {
        out.socket.destroy();
        slots.release(b.id);
        o.load.onEnd(b.id, connectMs, now());
        return refuse(client, clientAddr, 'client_gone', started);
      }
      // The PROXY header goes first: the relay only starts reading the client after this write.
      if (service.proxyProtocol !== undefined)
        out.socket.write(proxyHeaderFor(service.proxyProtocol, client, ip, port));
      return relayTo(
        { client, clientAddr, backendId: b.id, permit, started },
        out.socket,
        connectMs,
        out.reader,
      );
    }
  };

  const forward = async (
    client: Socket,
    clientAddr: string,
    target: { host: string; port: number },
    started: number,
  ) => {
    const out = await connectBackend(target.host, target.port, service.timeouts.connectMs);
    if (!out.ok || client.destroyed) {
      if (out.ok) out.socket.destroy();
      return refuse(client, clientAddr, out.ok ? 'client_gone' : 'forward_failed', started);
    }
    stats.forwarded++;
    relayTo(
      { client, clientAddr, backendId: LEADER_LABEL, permit: undefined, started },
      out.socket,
      0,
      out.reader,
    );
  };

  const admitAndRoute = async (client: Socket, ip: string, port: number, started: number) => {
    const clientAddr = `${ip}:${port}`;
    const decided = await admitConnection({
      seam: o.seam,
      nodeId: o.nodeId,
      leaderTarget,
      now,
      gone: () => client.destroyed,
      onHold: () => stats.held++,
    });
    if (decided === undefined) return refuse(client, clientAddr, 'client_gone', started);
    const { admission: a, gate } = decided;
    switch (a.kind) {
      case 'refuse':
      case 'not-leader':
        return refuse(client, clientAddr, 'not_leader', started);
      case 'forward': {
        const target = gate.kind === 'forward' ? o.forwardTarget(gate) : undefined;
        if (target === undefined) return refuse(client, clientAddr, 'forward_failed', started);
        return forward(client, clientAddr, target, started);
      }
      case 'serve':
        return serve(client, ip, port, clientAddr, a.permit, started);
    }
  };

  const accept = async (client: Socket, started: number) => {
    let ip = client.remoteAddress ?? '';
    let port = client.remotePort ?? 0;
    if (service.acceptProxyProtocol) {
      const clientAddr = `${ip}:${port}`;
      const r = await readProxyHeader(client, new ProxyHeaderParser(), service.timeouts.proxyHeaderMs);
      if (r.kind === 'gone') return refuse(client, clientAddr, 'client_gone', started);
      if (r.kind === 'late') return refuse(client, clientAddr, 'proxy_header_timeout', started);
      if (r.kind === 'bad') {
        o.logger?.debug({ service: service.name, client: clientAddr, err: r.message }, 'bad PROXY header');
        return refuse(client, clientAddr, 'bad_proxy_header', started);
      }
      ip = r.ip ?? ip;
      port = r.port ?? port;
    }
    return admitAndRoute(client, ip, port, started);
  };

  const onConnection = (client: Socket) => {
    const started = now();
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
    accept(client, started).catch((err: unknown) => {
      o.logger?.error({ err, service: service.name }, 'tcp connection failed unexpectedly');
      client.destroy();
    });
  };

  const onTick = () => {
    const t = now();
    for (const c of relays) {
      const r = c.relay;
      if (r === undefined) continue;
      c.flush?.();
      if (c.permit !== undefined && !relayValid(c.permit)) r.kill('fenced');
      else if (t - r.lastActivity >= service.timeouts.idleMs) r.kill('idle');
      else if (
        service.timeouts.maxDurationMs !== undefined &&
        t - c.started >= service.timeouts.maxDurationMs
      )
        r.kill('max_duration');
      else if (c.drainAt !== undefined && t >= c.drainAt) r.kill('drain');
    }
  };

  const stopAccepting = () => {
    server?.close();
    server = undefined;
  };

  return {
    stats,
    async listen(addr) {
      const s = createServer({ allowHalfOpen: true, pauseOnConnect: true }, onConnection);
      const bound = await bindServer(s, addr, (err) =>
        o.logger?.error({ err, service: service.name }, 'tcp listener error'),
      );
      server = s;
      tick ??= setInterval(onTick, TICK_MS);
      tick.unref();
      return bound;
    },
    update(def) {
      service = def;
      slots.setCap(def.maxConnectionsPerBackend);
    },
    onSnapshot(snap: RoutingSnapshot) {
      const state = new Map(snap.backends.map((b) => [b.id, b.state]));
      const at = now() + service.drainTimeoutMs;
      for (const c of relays) {
        if (c.backendId === LEADER_LABEL) continue;
        const s = state.get(c.backendId);
        if (s === undefined || s === 'draining') c.drainAt ??= at;
        else c.drainAt = undefined;
      }
    },
    stopAccepting,
    async close(graceMs) {
      stopAccepting();
      await idle.wait(graceMs);
      for (const c of relays) c.relay?.kill('shutdown');
      for (const s of sockets) s.destroy();
      // Wait for the 'close' events, so the fds are released when close() resolves.
      await idle.wait(1_000);
      if (tick !== undefined) clearInterval(tick);
      tick = undefined;
    },
  };
}
