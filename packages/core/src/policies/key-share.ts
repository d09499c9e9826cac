// What share of the key space each backend owns, and how much of it a ring change moved: read
// off a policy by probing evenly spaced 32-bit positions (the same pickHash requests go
// through, so a backend reported down owns nothing). Exact shares would need each policy's
// internals; 4096 probes estimate a share to about ±1.5 % of the key space, enough for a
// dashboard and for "keys moved by the last change", at ~1 ms per snapshot.

import type { Backend } from '../types.js';

/** The part of a hash policy (consistent-hash, maglev, mod-hash) the probes use. */
export interface HashPicker {
  pickHash(hash: number, exclude?: ReadonlySet<string>): Backend | undefined;
}

export const KEY_SHARE_PROBES = 4096;

/** The owner of each probe position ('' where no backend is eligible). */
export function probeOwners(policy: HashPicker, probes = KEY_SHARE_PROBES): string[] {
  const out = new Array<string>(probes);
  const step = 0x1_0000_0000 / probes;
  // Offset by half a step so the probes never sit on the ring's origin.
  for (let i = 0; i < probes; i++) out[i] = policy.pickHash(Math.floor((i + 0.5) * step) >>> 0)?.id ?? '';
  return out;
}

/** Each backend's estimated share (0..1) of the key space; backends owning nothing are absent. */
export function keyShares(owners: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of owners) if (id !== '') counts.set(id, (counts.get(id) ?? 0) + 1);
  const shares = new Map<string, number>();
  for (const [id, n] of counts) shares.set(id, n / owners.length);
  return shares;
}

/** The share (0..1) of the key space whose owner differs between two probe sets of one size. */
export function movedShare(before: readonly string[], after: readonly string[]): number {
  if (before.length !== after.length || before.length === 0) return 0;
  let moved = 0;
  for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) moved++;
  return moved / before.length;
}
