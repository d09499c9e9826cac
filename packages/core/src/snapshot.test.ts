import { describe, expect, it } from 'vitest';
import { DEFAULT_CLUSTER_CONFIG } from './codec/config.js';
import type { ConsistentHashPolicy } from './policies/consistent-hash.js';
import { buildSnapshot } from './snapshot.js';
import { backend, context } from './testing/fakes.js';
import type { ClusterConfig } from './types.js';

const config: ClusterConfig = {
  ...DEFAULT_CLUSTER_CONFIG,
  policy: 'consistent-hash',
  hash: { kind: 'path' },
  ring: { vnodes: 50 },
};

describe('buildSnapshot', () => {
  const input = [backend('c'), backend('a'), backend('B'), backend('b')];

  it('sorts members by id in code-unit order and freezes the snapshot', () => {
    const snap = buildSnapshot(42, input, config, context());
    expect(snap.version).toBe(42);
    expect(snap.backends.map((b) => b.id)).toEqual(['B', 'a', 'b', 'c']);
    expect(Object.isFrozen(snap)).toBe(true);
    expect(Object.isFrozen(snap.backends)).toBe(true);
    expect(input.map((b) => b.id)).toEqual(['c', 'a', 'B', 'b']);
  });

  it('builds the configured policy once, over the same members whatever their order', () => {
    const a = buildSnapshot(1, input, config, context()).policy as ConsistentHashPolicy;
    const b = buildSnapshot(1, [...input].reverse(), config, context()).policy as ConsistentHashPolicy;
    expect(a.name).toBe('consistent-hash');
    expect(a.ringPoints(1000)).toEqual(b.ringPoints(1000));
  });

  it('throws when the config cannot be honoured', () => {
    expect(() => buildSnapshot(1, input, { ...config, hash: undefined }, context())).toThrow(
      expect.objectContaining({ code: 'RL_BAD_HASH_SOURCE' }),
    );
  });
});
