// The ring as the dashboard draws it: at most `max` points on the 32-bit hash circle, each
// owned by a backend. The point owns the arc from the previous point up to itself (a key goes
// to the first point at or after its hash). Sampled, so 1k backends × 160 vnodes stay a
// drawing of ≤ 512 arcs; computed once per routing snapshot.
import type { ConsistentHashPolicy, MaglevPolicy, Policy } from '@ringleader/core';

export interface RingView {
  readonly policy: 'consistent-hash' | 'maglev';
  /** Points on the ring (ring size for consistent-hash, table slots for maglev). */
  readonly size: number;
  /** Sampled [position on the 2^32 circle, backend id], in increasing position. */
  readonly points: ReadonlyArray<readonly [number, string]>;
}

export const RING_SAMPLE = 512;

export function ringView(policy: Policy, max = RING_SAMPLE): RingView | null {
  if (policy.name === 'consistent-hash') {
    const p = policy as ConsistentHashPolicy;
    if (typeof p.ringPoints !== 'function') return null;
    return {
      policy: 'consistent-hash',
      size: p.pointCount,
      points: p.ringPoints(max).map((r) => [r.point, r.backendId] as const),
    };
  }
  if (policy.name === 'maglev') {
    // Maglev has a lookup table, not a ring: slot i of M is shown at i/M of the circle, which is
    // where `owner(hash)` sends keys whose hash is ≡ i (mod M). Sample M/max evenly spaced slots.
    const p = policy as MaglevPolicy;
    const size = p.tableSize;
    const points: Array<readonly [number, string]> = [];
    if (size > 0) {
      const n = Math.min(max, size);
      for (let k = 0; k < n; k++) {
        const slot = Math.floor((k * size) / n);
        const owner = p.owner(slot);
        if (owner !== undefined) points.push([Math.floor((slot / size) * 2 ** 32), owner.id]);
      }
    }
    return { policy: 'maglev', size, points };
  }
  return null;
}
