import { describe, expect, it } from 'vitest';
import type { Backend } from '../types.js';
import { KEY_SHARE_PROBES, keyShares, movedShare, probeOwners } from './key-share.js';

const b = (id: string): Backend =>
  ({ id, host: '127.0.0.1', port: 1, weight: 1, state: 'active' }) as Backend;

// A picker that splits the 32-bit space into equal ranges, one per backend.
const ranges = (ids: string[]) => ({
  pickHash: (h: number) => {
    if (ids.length === 0) return undefined;
    return b(ids[Math.floor((h / 0x1_0000_0000) * ids.length)] as string);
  },
});

describe('key shares', () => {
  it('estimates each owner share from evenly spaced probes', () => {
    const owners = probeOwners(ranges(['a', 'b', 'c', 'd']));
    expect(owners).toHaveLength(KEY_SHARE_PROBES);
    const s = keyShares(owners);
    for (const id of ['a', 'b', 'c', 'd']) expect(s.get(id)).toBeCloseTo(0.25, 3);
  });

  it('reports nothing for an empty policy and no share for unowned probes', () => {
    expect(keyShares(probeOwners(ranges([]))).size).toBe(0);
  });

  it('measures the moved share between two rings', () => {
    const before = probeOwners(ranges(['a', 'b']));
    expect(movedShare(before, before)).toBe(0);
    expect(movedShare(before, probeOwners(ranges(['b', 'a'])))).toBe(1);
    // a,b → a,b,c over equal ranges: a keeps [0,1/3), b keeps [1/2,2/3): 1/2 of the space moves.
    expect(movedShare(before, probeOwners(ranges(['a', 'b', 'c'])))).toBeCloseTo(0.5, 2);
    expect(movedShare([], [])).toBe(0);
  });
});
