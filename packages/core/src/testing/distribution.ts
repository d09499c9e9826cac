// Measuring helpers for the hash-policy tests: key sets, per-backend load and
// the share of keys that move between two versions of a policy.

import { xxh32 } from '../hash/xxh32.js';
import type { Backend } from '../types.js';

/** Anything that maps a 32-bit key hash to its owner. */
export interface Owning {
  owner(hash: number): Backend | undefined;
}

/** Hashes of `count` distinct keys `${prefix}${i}`. */
export function keyHashes(count: number, prefix = 'key-'): Uint32Array {
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = xxh32(`${prefix}${i}`);
  return out;
}

/** Keys per owner id. */
export function loads(policy: Owning, keys: Uint32Array): Map<string, number> {
  const counts = new Map<string, number>();
  for (const h of keys) {
    const id = policy.owner(h)?.id ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Largest per-backend load over the mean load across `backendCount` backends. */
export function maxOverAvg(policy: Owning, keys: Uint32Array, backendCount: number): number {
  return Math.max(...loads(policy, keys).values()) / (keys.length / backendCount);
}

/** Every key whose owner differs between `before` and `after`, with both owners. */
export function movedKeys(before: Owning, after: Owning, keys: Uint32Array): { from: string; to: string }[] {
  const moved: { from: string; to: string }[] = [];
  for (const h of keys) {
    const from = before.owner(h)?.id ?? '';
    const to = after.owner(h)?.id ?? '';
    if (from !== to) moved.push({ from, to });
  }
  return moved;
}
