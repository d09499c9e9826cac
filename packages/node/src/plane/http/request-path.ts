// The request path: gate → limits → snapshot (read once) → pick → the engine (engine.ts) → on
// a connect failure, the next backend. Nothing here awaits anything but the backend. This is
// the engines' AttemptSink: whichever moves the bytes, these rules decide what happens.
//
// Accounting: load.onStart when an attempt is dispatched; load.onEnd when the response has been
// sent completely (so in-flight covers streaming bodies), with the latency measured to the
// response headers (time to first byte: what least-response-time should compare). A failed
// attempt ends with latency -1 (no sample). Passive health: connect failures, resets, header
// timeouts and 5xx responses count as failures, other responses as successes.
import { performance } from 'node:perf_hooks';
import { type Backend, diffBackends, type RoutingSnapshot, requestFacts } from '@ringleader/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { errorBody, NODE_ERRORS, type NodeErrorCode } from '../../errors.js';
import { type LimitReason, monotonicNow, type PlaneMetrics } from '../../seam.js';
import { type Admission, admit, cachedLeaderTarget, notLeaderBody, type Refusal } from '../admission.js';
import type { DataPlaneOptions, DataPlaneStats } from '../types.js';
import { failureAnswer } from './answers.js';
import { ARRIVED, Attempt, type AttemptTarget, type Exchange } from './attempt.js';
import { LazyBody } from './body.js';
import { type AttemptSink, DEFAULT_ENGINE, type EngineName, type UpstreamEngine } from './engine.js';
import { ReplyFromEngine, unfenced } from './engine-reply-from.js';
import { UndiciEngine } from './engine-undici.js';
import { type HeaderBag, rewriteRequestHeaders, rewriteResponseHeaders } from './headers.js';
import { LEASE_LOST, originOf, type UpstreamPools } from './pools.js';
import { checkRequestHead } from './request-checks.js';
import { classifyUpstreamError, countsAgainstBackend, shouldRetry } from './retry.js';

declare module 'fastify' {
  interface FastifyRequest {
    rl: Exchange | null;
  }
}

export class ProxyFlow implements AttemptSink {
  readonly #o: DataPlaneOptions;
  readonly #m: PlaneMetrics;
  readonly #log: Logger | undefined;
  readonly #now: () => number;
  readonly pools: UpstreamPools;
  readonly stats: DataPlaneStats;
  /** What sends each attempt upstream (proxy.engine). */
  readonly engine: UpstreamEngine;
  #lastSnap: RoutingSnapshot | undefined;
  readonly #originOf = new WeakMap<object, string>();
  readonly #leaderTarget = cachedLeaderTarget();
  /** Set once the listener is closed: every answer then asks the client to close. */
  announceClose = false;

  constructor(o: DataPlaneOptions, metrics: PlaneMetrics, pools: UpstreamPools, stats: DataPlaneStats) {
    this.#o = o;
    this.#m = metrics;
    this.#log = o.logger;
    this.#now = o.now ?? monotonicNow;
    this.pools = pools;
    this.stats = stats;
    const name: EngineName = o.engine ?? DEFAULT_ENGINE;
    this.engine =
      name === 'reply-from'
        ? new ReplyFromEngine(this, pools, o.timeouts.headersMs)
        : new UndiciEngine(this, pools);
  }

  /**
   * Reconciles pools with a snapshot (called on swap detection and by DataPlane.onSnapshot):
   * from the previous one, only the backends that changed (a merge walk that is one identity
   * check per unchanged backend), so a change to a pool of 10 000 costs what it changes.
   */
  sync(snap: RoutingSnapshot): void {
    if (snap === this.#lastSnap) return;
    const previous = this.#lastSnap as RoutingSnapshot | undefined;
    this.#lastSnap = snap;
    if (previous === undefined) {
      this.pools.retain(snap.backends.map((b) => this.#origin(b)));
      return;
    }
    const diff = diffBackends(previous.backends, snap.backends);
    const added: string[] = [];
    const removed: string[] = [];
    for (const b of diff.added) added.push(this.#origin(b));
    for (const b of diff.removed) {
      removed.push(this.#origin(b));
      this.#m.forget(b.id);
    }
    for (const [a, b] of diff.changed) {
      removed.push(this.#origin(a));
      added.push(this.#origin(b));
    }
    this.pools.update(added, removed);
  }

  #origin(b: Backend): string {
    let o = this.#originOf.get(b);
    if (o === undefined) {
      o = originOf(b.host, b.port);
      this.#originOf.set(b, o);
    }
    return o;
  }

  // ---------------------------------------------------------------- entry
  handle(request: FastifyRequest, reply: FastifyReply, ex: Exchange): void {
    const refusal = this.#check(request, ex);
    if (refusal?.code === 'RL_BODY_TOO_LARGE') reply.header('connection', 'close');
    // Once the listener is closed, every answer asks the client to close: keep-alive clients
    // then reconnect (refused here, so to another node) between requests instead of racing the
    // final close of an idle socket.
    if (this.announceClose) reply.header('connection', 'close');
    this.#admit(request, reply, ex, refusal);
  }

  /** HTTP's own checks before admission: the head (shared with upgrades), then the body. */
  #check(request: FastifyRequest, ex: Exchange): Refusal | undefined {
    const raw = request.raw;
    const head = checkRequestHead(raw, this.#o.limits.maxHeaderCount ?? 100);
    if (head !== undefined) return head;
    const cl = raw.headers['content-length'];
    ex.hasBody = raw.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
    if (ex.hasBody && (ex.method === 'GET' || ex.method === 'HEAD'))
      return {
        code: 'RL_BAD_REQUEST',
        reason: 'bad_request',
        detail: `a ${ex.method} request with a body is not forwarded`,
      };
    const max = this.#o.limits.maxBodyBytes;
    if (max > 0 && cl !== undefined && Number(cl) > max)
      return {
        code: 'RL_BODY_TOO_LARGE',
        reason: 'body_size',
        detail: `content-length ${cl} is over ${max} bytes`,
      };
    return undefined;
  }

  /** Admits (admission.ts) and acts on the verdict; a `hold` waits for the next gate change and admits again. */
  #admit(request: FastifyRequest, reply: FastifyReply, ex: Exchange, refusal?: Refusal): void {
    const seam = this.#o.seam;
    const via = request.raw.headers['x-ringleader-via'];
    const verdict: Admission = admit(
      {
        refusal,
        via: typeof via === 'string' ? via : undefined,
        holdUntil: ex.route.kind === 'held' ? ex.route.until : undefined,
        canWait: seam.waitForGateChange !== undefined,
        now: performance.now(),
      },
      seam.gate(),
      ex.nodeId,
      this.#leaderTarget,
    );
    switch (verdict.kind) {
      case 'refuse':
        this.#refuse(reply, ex, verdict.refusal.code, verdict.refusal.reason, verdict.refusal.detail);
        return;
      case 'not-leader':
        this.#notLeader(reply, ex, verdict);
        return;
      case 'hold': {
        ex.route = { kind: 'held', until: verdict.until };
        this.stats.held++;
        const again = () => {
          if (!ex.done) this.#admit(request, reply, ex);
        };
        seam.waitForGateChange?.(verdict.until - performance.now()).then(again, again);
        return;
      }
      case 'forward':
        ex.route = verdict;
        this.pools.want(verdict.leader.origin);
        this.stats.forwarded++;
        this.#dispatch(request, reply, ex, this.#o.timeouts.requestMs, {
          kind: 'leader',
          origin: verdict.leader.origin,
        });
        return;
      case 'serve': {
        const snap = seam.snapshot();
        if (snap !== this.#lastSnap) this.sync(snap);
        // The permit is taken here, once: a request that waited on a `hold` gate is stamped
        // with the epoch of the gate that finally admitted it, not of the one it arrived under.
        ex.route = { kind: 'serve', permit: verdict.permit, snap, facts: requestFacts(ex) };
        this.#attempt(request, reply, ex);
      }
    }
  }

  #attempt(request: FastifyRequest, reply: FastifyReply, ex: Exchange): void {
    const route = ex.route;
    if (route.kind !== 'serve') return;
    const b = route.snap.policy.pick(route.facts, ex.exclude);
    if (b === undefined) {
      this.#noBackend(reply, ex, route.snap);
      return;
    }
    const o = this.#o;
    const remaining = o.timeouts.requestMs - (performance.now() - ex.start);
    if (remaining < 1) {
      this.#limit('total_timeout');
      this.#send(
        reply,
        ex,
        'RL_UPSTREAM_TIMEOUT',
        `no response within timeouts.requestMs (${o.timeouts.requestMs} ms)`,
      );
      return;
    }
    this.#o.load.onStart(b.id);
    this.#m.backend(b.id).inFlight.inc();
    this.#dispatch(request, reply, ex, remaining, {
      kind: 'backend',
      backend: b,
      origin: this.#origin(b),
    });
  }

  #dispatch(
    request: FastifyRequest,
    reply: FastifyReply,
    ex: Exchange,
    remaining: number,
    target: AttemptTarget,
  ): void {
    const headersMs = this.#o.timeouts.headersMs;
    const timeoutIsTotal = remaining < headersMs;
    if (ex.hasBody) ex.body = new LazyBody(request.raw, this.#o.limits.maxBodyBytes);
    ex.attempt = new Attempt(target, performance.now(), timeoutIsTotal);
    try {
      this.engine.send(request, reply, ex, timeoutIsTotal ? Math.floor(remaining) : headersMs);
    } catch (err) {
      // Thrown before anything was sent: reply-from validates the URL synchronously (path
      // traversal, bad escapes), undici its request options; the header rewrite refuses an
      // unstamped request (RL_UNFENCED).
      this.#endAttempt(ex);
      const status = (err as { statusCode?: number }).statusCode;
      if (status !== undefined && status >= 400 && status < 500) {
        this.#refuse(reply, ex, 'RL_BAD_REQUEST', 'bad_request', (err as Error).message);
      } else {
        this.#send(reply, ex, 'RL_UPSTREAM_ERROR', (err as Error).message);
      }
    }
  }

  // ---------------------------------------------------------------- the engine's hooks (AttemptSink)
  requestHeaders(ex: Exchange, headers: HeaderBag): HeaderBag {
    const stamp = ex.stamp;
    // Only admission sets a stamp, and only admitted requests reach an engine: a request here
    // without one is a defect, and it is stopped rather than sent unfenced.
    if (stamp === undefined) throw unfenced();
    return rewriteRequestHeaders(headers, ex, stamp);
  }

  responseHeaders(ex: Exchange, headers: HeaderBag): HeaderBag {
    ex.attempt?.headersArrived(performance.now());
    const name = this.#o.exposeBackendHeader && !ex.forwarding ? ex.label : undefined;
    return rewriteResponseHeaders(headers, name);
  }

  failed(request: FastifyRequest, reply: FastifyReply, error: Error): void {
    const ex = request.rl;
    if (ex === null) return;
    if (leaseLost(error)) {
      // The write-time guard (pools.ts) stopped it before a byte went out: the permit it was
      // admitted under is void (resignation, demotion, lease run out). No backend failed and
      // nothing was sent, so it is admitted afresh: held for, or forwarded to, the successor.
      this.#endAttempt(ex);
      if (ex.done || reply.sent) return;
      this.stats.voidedPermits++;
      ex.route = ARRIVED;
      if (ex.body?.started)
        this.#notLeader(reply, ex, {
          reason: 'leadership lease expired',
          leaderUrl: undefined,
          retryAfterS: 1,
        });
      else this.#admit(request, reply, ex);
      return;
    }
    const kind =
      ex.attempt?.timeoutIsTotal === true && classifyUpstreamError(error) === 'headers_timeout'
        ? 'total_timeout'
        : classifyUpstreamError(error);
    ex.lastKind = kind;
    const id = ex.label;
    this.#endAttempt(ex);
    this.stats.upstreamErrors++;
    this.#m.backend(id).upstreamError(kind);
    if (!ex.forwarding && countsAgainstBackend(kind)) this.#o.health.recordOutcome(id, false, this.#now());
    this.#log?.debug({ backend: id, kind, err: error.cause ?? error }, 'upstream attempt failed');
    // The client is gone (or the reply already went out): nothing to answer, nothing to retry.
    if (kind === 'client_abort' || ex.done || reply.sent) return;

    if (!ex.forwarding) {
      const retry = shouldRetry({
        kind,
        method: ex.method,
        bodyStarted: ex.body?.started ?? false,
        retriesDone: ex.retriesDone,
        retries: this.#o.retries,
      });
      if (retry) {
        if (ex.exclude === undefined) ex.exclude = new Set();
        ex.exclude.add(id);
        ex.retriesDone++;
        this.stats.retries++;
        this.#m.retries.inc();
        this.#attempt(request, reply, ex);
        return;
      }
    }
    const answer = failureAnswer(kind, {
      id,
      tried: ex.exclude === undefined ? id : [...ex.exclude, id].join(', '),
      method: ex.method,
      leaderUrl: ex.route.kind === 'forward' ? ex.route.leader.url : undefined,
      timeouts: this.#o.timeouts,
      maxBodyBytes: this.#o.limits.maxBodyBytes,
      message: error.message,
    });
    if (answer.limit !== undefined) this.#limit(answer.limit);
    for (const [k, v] of Object.entries(answer.headers ?? {})) reply.header(k, v);
    this.#send(reply, ex, answer.code, answer.detail);
  }

  // ---------------------------------------------------------------- completion
  /** The response is over (sent, or the client went away): settle load, health and metrics. */
  finish(reply: FastifyReply, ex: Exchange): void {
    const res = reply.raw;
    const code = res.writableFinished ? res.statusCode : 499;
    ex.done = true;
    this.stats.inFlight--;
    const a = ex.attempt;
    // The client left with the attempt still running: stop it upstream (undici engine).
    if (a !== undefined && a.phase !== 'ended') a.cancel?.cancel();
    if (a !== undefined && a.phase !== 'ended' && a.backend !== undefined) {
      const id = a.backend.id;
      if (a.phase === 'streaming') {
        if (res.statusCode >= 500) {
          this.#o.health.recordOutcome(id, false, this.#now());
          this.#m.backend(id).upstreamError('status_5xx');
        } else {
          this.#o.health.recordOutcome(id, true, this.#now());
        }
      }
    }
    // Count before ending the attempt: ending it may retire a removed backend's series.
    const m = this.#m.backend(ex.label);
    m.request(code);
    m.duration.observe((performance.now() - ex.start) / 1000);
    this.#endAttempt(ex);
  }

  #endAttempt(ex: Exchange): void {
    const a = ex.attempt;
    if (a === undefined || a.phase === 'ended') return;
    const answered = a.phase === 'streaming';
    a.phase = 'ended';
    const b = a.backend;
    if (b === undefined) return;
    this.#o.load.onEnd(b.id, answered ? a.ttfbMs : -1, this.#now());
    this.#m.backend(b.id).inFlight.dec();
  }

  // ---------------------------------------------------------------- standby
  #notLeader(
    reply: FastifyReply,
    ex: Exchange,
    verdict: { reason: string; leaderUrl: string | undefined; retryAfterS: number },
  ): void {
    this.stats.rejected++;
    ex.attempt = undefined;
    reply.header('retry-after', String(verdict.retryAfterS)).header('connection', 'close');
    if (verdict.leaderUrl !== undefined) reply.header('x-ringleader-leader', verdict.leaderUrl);
    reply.code(503).header('content-type', 'application/json; charset=utf-8').send(notLeaderBody(verdict));
  }

  // ---------------------------------------------------------------- error replies
  #noBackend(reply: FastifyReply, ex: Exchange, snap: RoutingSnapshot): void {
    let why: string;
    if (snap.backends.length === 0) {
      why = 'the cluster has no backends';
    } else if (ex.exclude !== undefined && ex.exclude.size > 0) {
      why = `every eligible backend failed for this request (tried ${[...ex.exclude].join(', ')}; last: ${ex.lastKind})`;
    } else {
      let down = 0;
      let draining = 0;
      let zero = 0;
      for (const b of snap.backends) {
        if (b.state === 'draining') draining++;
        else if (b.weight === 0) zero++;
        else if (this.#o.health.isUp?.(b.id) === false) down++;
      }
      why = `none of ${snap.backends.length} backends is eligible (${down} down, ${draining} draining, ${zero} weight 0)`;
    }
    this.stats.noBackend++;
    ex.attempt = undefined;
    this.#send(reply, ex, 'RL_NO_BACKEND', why);
  }

  #refuse(reply: FastifyReply, ex: Exchange, code: NodeErrorCode, reason: LimitReason, detail: string): void {
    this.#limit(reason);
    this.#send(reply, ex, code, detail);
  }

  #limit(reason: LimitReason): void {
    this.stats.limitRejections++;
    this.#m.limit(reason);
  }

  #send(reply: FastifyReply, _ex: Exchange, code: NodeErrorCode, detail: string): void {
    if (reply.sent) return;
    reply
      .code(NODE_ERRORS[code].status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(errorBody(code, detail));
  }
}

/** True when `err` (or an error in its cause chain) is the write-time guard's RL_LEASE_LOST. */
function leaseLost(err: unknown): boolean {
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e.code === LEASE_LOST) return true;
    e = e.cause as { code?: unknown; cause?: unknown } | undefined;
  }
  return false;
}
