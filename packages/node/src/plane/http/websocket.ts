// Decides where a websocket upgrade goes (gate, snapshot, policy) and keeps the books for it;
// tunnel.ts moves the bytes. Non-websocket upgrades (h2c) are answered as plain HTTP.
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { type Backend, requestFacts } from '@ringleader/core';
import { errorBody, NODE_ERRORS } from '../../errors.js';
import {
  LEADER_LABEL,
  monotonicNow,
  NO_BACKEND_LABEL,
  type PlaneMetrics,
  type UpstreamErrorKind,
} from '../../seam.js';
import { admit, cachedLeaderTarget, type LeaderTarget, notLeaderBody } from '../admission.js';
import type { DataPlaneOptions, DataPlaneStats } from '../types.js';
import { type HeaderBag, rewriteRequestHeaders } from './headers.js';
import { writeRawResponse } from './raw.js';
import { checkRequestHead } from './request-checks.js';
import { countsAgainstBackend, shouldRetry } from './retry.js';
import { forwardedFor, type TrustedProxies } from './trust.js';
import { openTunnel, type TunnelPlan, Tunnels, type TunnelTarget } from './tunnel.js';

export class UpgradeHandler {
  readonly tunnels = new Tunnels();
  readonly #o: DataPlaneOptions;
  readonly #m: PlaneMetrics;
  readonly #stats: DataPlaneStats;
  readonly #trust: TrustedProxies;
  readonly #proto: 'http' | 'https';
  readonly #now: () => number;
  readonly #leaderTarget = cachedLeaderTarget();

  constructor(o: DataPlaneOptions, m: PlaneMetrics, stats: DataPlaneStats, trust: TrustedProxies) {
    this.#o = o;
    this.#m = m;
    this.#stats = stats;
    this.#trust = trust;
    this.#proto = o.tls ? 'https' : 'http';
    this.#now = o.now ?? monotonicNow;
  }

  static isWebsocket(req: IncomingMessage): boolean {
    const u = req.headers.upgrade;
    return typeof u === 'string' && u.toLowerCase() === 'websocket';
  }

  /** `holdUntil` is set when the upgrade comes back from waiting on a `hold` gate. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer, holdUntil?: number): void {
    const o = this.#o;
    const via = req.headers['x-ringleader-via'];
    const verdict = admit(
      {
        refusal: checkRequestHead(req, o.limits.maxHeaderCount ?? 100),
        via: typeof via === 'string' ? via : undefined,
        holdUntil,
        canWait: o.seam.waitForGateChange !== undefined,
        now: performance.now(),
      },
      o.seam.gate(),
      o.nodeId,
      this.#leaderTarget,
    );
    switch (verdict.kind) {
      case 'refuse': {
        const { code, reason, detail } = verdict.refusal;
        this.#m.limit(reason);
        this.#stats.limitRejections++;
        writeRawResponse(socket, NODE_ERRORS[code].status, errorBody(code, detail));
        return;
      }
      case 'not-leader':
        this.#stats.rejected++;
        writeRawResponse(socket, 503, notLeaderBody(verdict), {
          'retry-after': String(verdict.retryAfterS),
          ...(verdict.leaderUrl ? { 'x-ringleader-leader': verdict.leaderUrl } : {}),
        });
        return;
      case 'hold': {
        this.#stats.held++;
        const again = () => {
          if (!socket.destroyed) this.handle(req, socket, head, verdict.until);
        };
        o.seam.waitForGateChange?.(verdict.until - performance.now()).then(again, again);
        return;
      }
      case 'forward':
        // The tunnel to the leader is plain TCP: an https leader cannot be reached through it.
        if (verdict.leader.origin.startsWith('https:')) {
          writeRawResponse(
            socket,
            503,
            errorBody(
              'RL_LEADER_UNREACHABLE',
              `websocket forwarding to an https leader (${verdict.leader.url})`,
            ),
          );
          return;
        }
        break;
      case 'serve':
        break;
    }
    const fwd = forwardedFor(req.socket.remoteAddress ?? '', req.headers['x-forwarded-for'], this.#trust);
    const headers = rewriteRequestHeaders(
      req.headers as HeaderBag,
      {
        xff: fwd.header,
        peerTrusted: fwd.peerTrusted,
        proto: this.#proto,
        host: req.headers.host,
        nodeId: o.nodeId,
        ...(verdict.kind === 'forward' ? { via: verdict.via } : {}),
      },
      verdict.kind === 'serve' ? verdict.permit.epoch : verdict.epoch,
    );
    let plan: TunnelPlan;
    if (verdict.kind === 'forward') {
      plan = this.#leaderPlan(verdict.leader, headers);
    } else {
      const facts = requestFacts({
        remoteAddress: fwd.clientIp,
        remotePort: req.socket.remotePort,
        method: req.method,
        url: req.url,
        headers: req.headers,
      });
      const permit = verdict.permit;
      plan = this.#backendPlan(facts, headers, () => o.seam.permitValid(permit));
    }
    openTunnel(
      req,
      socket,
      head,
      plan,
      { connectMs: o.timeouts.connectMs, now: () => performance.now() },
      this.tunnels,
    );
  }

  #backendPlan(
    facts: ReturnType<typeof requestFacts>,
    headers: HeaderBag,
    permitted: () => boolean,
  ): TunnelPlan {
    const o = this.#o;
    const snap = o.seam.snapshot();
    const exclude = new Set<string>();
    const byId = new Map<string, Backend>();
    let retriesDone = 0;
    return {
      headers,
      permitted,
      next: () => {
        const b = snap.policy.pick(facts, exclude);
        if (b === undefined) return undefined;
        byId.set(b.id, b);
        return { id: b.id, host: b.host, port: b.port };
      },
      failed: (t, kind) =>
        this.#failed(t, kind, () => {
          exclude.add(t.id);
          const ok = shouldRetry({
            kind,
            method: 'GET',
            bodyStarted: false,
            retriesDone,
            retries: o.retries,
          });
          if (ok) {
            retriesDone++;
            this.#stats.retries++;
            this.#m.retries.inc();
          }
          return ok;
        }),
      giveUp: (socket, kind) => {
        const code =
          kind === undefined || exclude.size === 0 || retriesDone < o.retries
            ? 'RL_NO_BACKEND'
            : 'RL_UPSTREAM_CONNECT';
        if (code === 'RL_NO_BACKEND') this.#stats.noBackend++;
        const detail =
          exclude.size > 0
            ? `websocket upgrade: tried ${[...exclude].join(', ')} (${kind})`
            : 'websocket upgrade: no eligible backend';
        this.#m.backend(NO_BACKEND_LABEL).request(NODE_ERRORS[code].status);
        writeRawResponse(socket, NODE_ERRORS[code].status, errorBody(code, detail));
      },
      opened: (t) => {
        this.#stats.tunnels++;
        o.load.onStart(t.id);
        this.#m.backend(t.id).inFlight.inc();
      },
      closed: (t, firstByteMs, status) => {
        this.#stats.tunnels--;
        o.load.onEnd(t.id, firstByteMs ?? -1, this.#now());
        const m = this.#m.backend(t.id);
        m.request(status ?? 502);
        m.inFlight.dec();
        if (status !== undefined && status < 500) o.health.recordOutcome(t.id, true, this.#now());
      },
    };
  }

  #leaderPlan(leader: LeaderTarget, headers: HeaderBag): TunnelPlan {
    const leaderUrl = leader.url;
    const target: TunnelTarget = { id: LEADER_LABEL, host: leader.host, port: leader.port };
    let used = false;
    return {
      headers,
      next: () => {
        if (used) return undefined;
        used = true;
        this.#stats.forwarded++;
        return target;
      },
      failed: (t, kind) => this.#failed(t, kind, () => false),
      giveUp: (socket, kind) => {
        writeRawResponse(socket, 503, errorBody('RL_LEADER_UNREACHABLE', `${leaderUrl}: ${kind}`), {
          'retry-after': '1',
          'x-ringleader-leader': leaderUrl,
        });
      },
      opened: () => {
        this.#stats.tunnels++;
      },
      closed: (_t, _ms, status) => {
        this.#stats.tunnels--;
        this.#m.backend(LEADER_LABEL).request(status ?? 502);
      },
    };
  }

  #failed(t: TunnelTarget, kind: UpstreamErrorKind, retry: () => boolean): boolean {
    this.#stats.upstreamErrors++;
    this.#m.backend(t.id).upstreamError(kind);
    if (t.id !== LEADER_LABEL && countsAgainstBackend(kind))
      this.#o.health.recordOutcome(t.id, false, this.#now());
    return retry();
  }
}
