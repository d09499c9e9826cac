// Per-backend load figures for the least-* policies: in-flight counts and a
// peak-sensitive EWMA of response time (Finagle's PeakEwma), plus the hooks an
// active-active cluster uses to share them.
//
// EWMA: each sample x at time `now` is folded in with weight w = exp(-Δt/τ),
// Δt = time since the previous sample, τ = decayMs:
//   x > ewma  →  ewma = x                      (peak: a slowdown counts at once)
//   otherwise →  ewma = ewma·w + x·(1 − w)     (recovery is smoothed over ~τ)
// So the figure decays by elapsed time, not by sample count: a backend serving
// 10 000 req/s and one serving 10 req/s forget old samples at the same pace.
//
// Staleness: a backend whose last sample is older than `staleAfterMs` (default
// 3τ, when less than 5 % of the old figure would survive one new sample) reports
// no figure at all, exactly like a new backend, so the policy probes it again
// instead of trusting a minutes-old number. "Now" is the newest time this tracker
// has been told about (onEnd, advance, snapshot); nothing here reads a clock.
//
// Active-active: snapshot() is what a node publishes; blend() folds the peers'
// figures in. The blended figure is the request-weighted mean
//   (local·n_local + Σ peer·n_peer) / (n_local + Σ n_peer)
// where n is the exponentially decayed request count over ~τ (so a peer that sent
// a backend 10× more traffic weighs 10× more). Only latency is blended: peers'
// in-flight counts are a second old and would double-count; in-flight stays local.
// Published figures are local only, so peers never echo each other's numbers.

import type { LoadView } from './types.js';

export interface LoadOptions {
  /** EWMA time constant τ in ms (cluster config `lrt.decayMs`). */
  readonly decayMs?: number;
  /** A figure older than this is forgotten (probe again). Default 3 × decayMs. */
  readonly staleAfterMs?: number;
}

/** One backend's published figures. */
export interface BackendLoadSummary {
  /** Local EWMA in ms, or null without a fresh one. */
  readonly ewmaMs: number | null;
  readonly inFlight: number;
  /** Requests completed over roughly the last τ (exponentially decayed count). */
  readonly requests: number;
}

/** What one node publishes under `stats/<nodeId>` (the publisher adds node id and wall time). */
export interface LoadSummary {
  readonly backends: Readonly<Record<string, BackendLoadSummary>>;
}

class Entry {
  inFlight = 0;
  /** Samples since start or forget(); 0 = no figure. */
  samples = 0;
  ewma = 0;
  last = 0;
  /** Decayed request count as of `last`. */
  rate = 0;
  peerSum = 0;
  peerWeight = 0;
}

export class LoadTracker implements LoadView {
  private readonly entries = new Map<string, Entry>();
  private tau: number;
  private staleMs: number;
  private readonly staleExplicit: boolean;
  private clock = Number.NEGATIVE_INFINITY;
  private total = 0;

  constructor(opts: LoadOptions = {}) {
    this.tau = opts.decayMs ?? 10_000;
    this.staleExplicit = opts.staleAfterMs !== undefined;
    this.staleMs = opts.staleAfterMs ?? 3 * this.tau;
  }

  get decayMs(): number {
    return this.tau;
  }

  /** Changes τ (config update); figures are kept. */
  setDecayMs(decayMs: number): void {
    this.tau = decayMs;
    if (!this.staleExplicit) this.staleMs = 3 * decayMs;
  }

  private entry(id: string): Entry {
    let e = this.entries.get(id);
    if (e === undefined) {
      e = new Entry();
      this.entries.set(id, e);
    }
    return e;
  }

  /** Moves the tracker's notion of "now" forward (never back). */
  advance(now: number): void {
    if (now > this.clock) this.clock = now;
  }

  /** A request to `id` started. O(1). */
  onStart(id: string): void {
    this.entry(id).inFlight++;
    this.total++;
  }

  /**
   * A request to `id` ended after `latencyMs`, at time `now` (ms, any monotonic
   * origin). A negative or NaN latency only ends the request (no sample). O(1).
   */
  onEnd(id: string, latencyMs: number, now: number): void {
    const e = this.entry(id);
    if (e.inFlight > 0) {
      e.inFlight--;
      this.total--;
    }
    if (!(latencyMs >= 0) || !Number.isFinite(latencyMs)) return;
    if (now > this.clock) this.clock = now;
    if (e.samples === 0 || now - e.last > this.staleMs) {
      e.ewma = latencyMs;
      e.rate = 1;
    } else {
      const dt = now > e.last ? now - e.last : 0;
      const w = Math.exp(-dt / this.tau);
      e.ewma = latencyMs > e.ewma ? latencyMs : e.ewma * w + latencyMs * (1 - w);
      e.rate = e.rate * w + 1;
    }
    if (now > e.last || e.samples === 0) e.last = now;
    e.samples++;
  }

  inFlight(id: string): number {
    return this.entries.get(id)?.inFlight ?? 0;
  }

  /** Sum of in-flight over all backends, O(1). */
  totalInFlight(): number {
    return this.total;
  }

  private fresh(e: Entry): boolean {
    return e.samples > 0 && this.clock - e.last <= this.staleMs;
  }

  /** Smoothed latency in ms (blended with peers when they report it); undefined when nobody has a fresh figure. */
  ewmaMs(id: string): number | undefined {
    const e = this.entries.get(id);
    if (e === undefined) return undefined;
    const local = this.fresh(e);
    if (e.peerWeight > 0) {
      return local ? (e.ewma * e.rate + e.peerSum) / (e.rate + e.peerWeight) : e.peerSum / e.peerWeight;
    }
    return local ? e.ewma : undefined;
  }

  /** This node's own figure, never blended. */
  localEwmaMs(id: string): number | undefined {
    const e = this.entries.get(id);
    return e !== undefined && this.fresh(e) ? e.ewma : undefined;
  }

  /**
   * Drops the latency figures of `id` (removed, or recovered from down/ejected:
   * it is then probed like a new backend). A backend with requests still in
   * flight keeps its in-flight count so their ends balance.
   */
  forget(id: string): void {
    const e = this.entries.get(id);
    if (e === undefined) return;
    if (e.inFlight === 0) {
      this.entries.delete(id);
      return;
    }
    e.samples = 0;
    e.ewma = 0;
    e.rate = 0;
    e.peerSum = 0;
    e.peerWeight = 0;
  }

  /** What this node publishes: local figures only, request counts decayed to `now`. O(n). */
  snapshot(now: number): LoadSummary {
    this.advance(now);
    const out: [string, BackendLoadSummary][] = [];
    for (const [id, e] of this.entries) {
      const fresh = this.fresh(e);
      if (!fresh && e.inFlight === 0) continue;
      const requests = fresh ? e.rate * Math.exp(-Math.max(0, now - e.last) / this.tau) : 0;
      out.push([id, { ewmaMs: fresh ? e.ewma : null, inFlight: e.inFlight, requests }]);
    }
    return { backends: Object.fromEntries(out) };
  }

  /**
   * Replaces the peers' contribution with `peers` (the fresh summaries of every
   * other node; the caller drops stale ones by wall clock). Malformed entries
   * (non-finite or negative numbers) are ignored. O(total entries).
   */
  blend(peers: Iterable<LoadSummary>): void {
    for (const e of this.entries.values()) {
      e.peerSum = 0;
      e.peerWeight = 0;
    }
    for (const peer of peers) {
      const backends = peer?.backends;
      if (typeof backends !== 'object' || backends === null) continue;
      for (const id of Object.keys(backends)) {
        const s = backends[id];
        const ewma = s?.ewmaMs;
        const n = s?.requests;
        if (typeof ewma !== 'number' || !(ewma >= 0) || !Number.isFinite(ewma)) continue;
        if (typeof n !== 'number' || !(n > 0) || !Number.isFinite(n)) continue;
        if (!Number.isFinite(ewma * n)) continue;
        const e = this.entry(id);
        e.peerSum += ewma * n;
        e.peerWeight += n;
      }
    }
    for (const [id, e] of this.entries) {
      if (e.inFlight === 0 && e.samples === 0 && e.peerWeight === 0) this.entries.delete(id);
    }
  }
}
