// Decides where a websocket upgrade goes (gate, snapshot, policy) and keeps the books for it;
// upgrade.ts moves the bytes. Non-websocket upgrades (h2c) are answered as plain HTTP.
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { type Backend, requestFacts } from '@ringleader/core';
import { errorBody, NODE_ERRORS } from '../../errors.js';
import { LEADER_LABEL, NO_BACKEND_LABEL, type PlaneMetrics, type UpstreamErrorKind } from '../../seam.js';
import type { DataPlaneOptions, DataPlaneStats } from '../types.js';
import { type HeaderBag, rewriteRequestHeaders } from './headers.js';
import { writeRawResponse } from './raw.js';
import { hostFieldCount } from './request-checks.js';
import { countsAgainstBackend, shouldRetry } from './retry.js';
import { forwardedFor, type TrustedProxies } from './trust.js';
import { openTunnel, type TunnelPlan, Tunnels, type TunnelTarget } from './tunnel.js';

/** Default clock of the load and health feeds: monotonic milliseconds. */
const monotonicNow = (): number => performance.now();

export class UpgradeHandler {
  readonly tunnels = new Tunnels();
  readonly #o: DataPlaneOptions;
  readonly #m: PlaneMetrics;
  readonly #stats: DataPlaneStats;
  readonly #trust: TrustedProxies;
  readonly #proto: 'http' | 'https';
  readonly #now: () => number;

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
    const maxHeaders = o.limits.maxHeaderCount ?? 100;
    if (req.rawHeaders.length > maxHeaders * 2) {
      this.#m.limit('header_count');
      this.#stats.limitRejections++;
      writeRawResponse(
        socket,
        431,
        errorBody('RL_TOO_MANY_HEADERS', `more than ${maxHeaders} header fields`),
      );
      return;
    }
    if (req.headers.host === undefined || hostFieldCount(req.rawHeaders) > 1) {
      this.#m.limit('bad_request');
      this.#stats.limitRejections++;
      const why =
        req.headers.host === undefined
          ? 'HTTP/1.1 request without a Host header'
          : 'more than one Host header';
      writeRawResponse(socket, 400, errorBody('RL_BAD_REQUEST', why));
      return;
    }
    const fwd = forwardedFor(req.socket.remoteAddress ?? '', req.headers['x-forwarded-for'], this.#trust);
    const gate = o.seam.gate();
    if (gate.kind === 'hold') {
      const now = performance.now();
      const until = holdUntil ?? now + gate.maxWaitMs;
      if (until - now >= 1 && o.seam.waitForGateChange !== undefined) {
        this.#stats.held++;
        void o.seam.waitForGateChange(until - now).then(() => {
          if (!socket.destroyed) this.handle(req, socket, head, until);
        });
        return;
      }
    }
    if (
      gate.kind === 'reject' ||
      gate.kind === 'hold' ||
      (gate.kind === 'forward' && req.headers['x-ringleader-via'] !== undefined)
    ) {
      const leader = gate.kind === 'hold' ? undefined : gate.leaderProxyUrl;
      const retryAfterS = gate.kind === 'reject' ? gate.retryAfterS : 1;
      const reason = gate.kind === 'forward' ? 'already forwarded (loop guard)' : (gate.reason ?? 'standby');
      this.#stats.rejected++;
      writeRawResponse(
        socket,
        503,
        JSON.stringify({
          code: 'RL_NOT_LEADER',
          message: `${NODE_ERRORS.RL_NOT_LEADER.message}: ${reason}`,
          leader: leader ?? null,
          retryAfterS,
        }),
        { 'retry-after': String(retryAfterS), ...(leader ? { 'x-ringleader-leader': leader } : {}) },
      );
      return;
    }
    const headers = rewriteRequestHeaders(
      req.headers as HeaderBag,
      {
        xff: fwd.header,
        peerTrusted: fwd.peerTrusted,
        proto: this.#proto,
        host: req.headers.host,
        nodeId: o.nodeId,
        ...(gate.kind === 'forward' ? { via: o.nodeId } : {}),
      },
      gate.kind === 'serve' ? gate.permit.epoch : gate.epoch,
    );
    const plan = gate.kind === 'forward' ? this.#leaderPlan(gate.leaderProxyUrl, headers) : undefined;
    if (gate.kind === 'forward' && plan === undefined) {
      writeRawResponse(
        socket,
        503,
        errorBody('RL_LEADER_UNREACHABLE', `unusable leader URL ${gate.leaderProxyUrl}`),
      );
      return;
    }
    const facts = requestFacts({
      remoteAddress: fwd.clientIp,
      remotePort: req.socket.remotePort,
      method: req.method,
      url: req.url,
      headers: req.headers,
    });
    const permit = gate.kind === 'serve' ? gate.permit : undefined;
    openTunnel(
      req,
      socket,
      head,
      plan ??
        this.#backendPlan(
          facts,
          headers,
          permit === undefined ? () => true : () => o.seam.permitValid(permit),
        ),
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

  #leaderPlan(leaderUrl: string, headers: HeaderBag): TunnelPlan | undefined {
    let url: URL;
    try {
      url = new URL(leaderUrl);
    } catch {
      return undefined;
    }
    if (url.protocol !== 'http:') return undefined;
    const target: TunnelTarget = {
      id: LEADER_LABEL,
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 80),
    };
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
