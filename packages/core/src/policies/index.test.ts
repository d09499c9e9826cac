import { describe, expect, it } from 'vitest';
import { DEFAULT_CLUSTER_CONFIG, POLICY_NAMES } from '../codec/config.js';
import { backends, context, fakeFacts } from '../testing/fakes.js';
import type { ClusterConfig, PolicyName } from '../types.js';
import type { ConsistentHashPolicy } from './consistent-hash.js';
import { buildPolicy } from './index.js';
import type { MaglevPolicy } from './maglev.js';

const base: ClusterConfig = { ...DEFAULT_CLUSTER_CONFIG, hash: { kind: 'ip' } };
const list = backends(5);

describe('buildPolicy', () => {
  it.each<PolicyName>(POLICY_NAMES)('builds %s', (policy) => {
    const built = buildPolicy({ ...base, policy }, list, context());
    expect(built.name).toBe(policy);
    expect(list.map((b) => b.id)).toContain(built.pick(fakeFacts())?.id ?? 'none');
  });

  it.each<PolicyName>(['hash', 'consistent-hash', 'maglev'])('rejects %s without a hash source', (policy) => {
    const { hash: _omit, ...noHash } = base;
    expect(() => buildPolicy({ ...noHash, policy }, list, context())).toThrow(
      expect.objectContaining({ code: 'RL_BAD_HASH_SOURCE', field: 'hash' }),
    );
  });

  it('rejects an unknown policy name', () => {
    expect(() => buildPolicy({ ...base, policy: 'fastest' as PolicyName }, list, context())).toThrow(
      expect.objectContaining({ code: 'RL_UNKNOWN_POLICY' }),
    );
  });

  it('passes the ring and maglev settings through', () => {
    const ring = buildPolicy({ ...base, policy: 'consistent-hash', ring: { vnodes: 7 } }, list, context());
    expect((ring as ConsistentHashPolicy).pointCount).toBe(35);
    const table = buildPolicy({ ...base, policy: 'maglev', maglev: { tableSize: 1000 } }, list, context());
    expect((table as MaglevPolicy).tableSize).toBe(1009);
    expect(() =>
      buildPolicy(
        { ...base, policy: 'consistent-hash', ring: { vnodes: 7, loadFactor: 0.5 } },
        list,
        context(),
      ),
    ).toThrow(expect.objectContaining({ code: 'RL_BAD_CONFIG', field: 'ring.loadFactor' }));
  });
});
