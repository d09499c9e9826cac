import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLUSTER_CONFIG } from './codec/config.js';
import { connectionFacts, LazyRequestFacts } from './facts.js';
import { buildPolicy } from './policies/index.js';
import { backends, context } from './testing/fakes.js';
import type { ClusterConfig, HashSource, PolicyName } from './types.js';

describe('connectionFacts', () => {
  it('carries only the peer, normalised like LazyRequestFacts', () => {
    const f = connectionFacts('::ffff:10.0.0.1', 4242);
    expect([f.clientIp, f.clientPort, f.method, f.host, f.path]).toEqual(['10.0.0.1', 4242, '', '', '']);
    expect([f.header('host'), f.cookie('a'), f.query('q')]).toEqual([undefined, undefined, undefined]);
    expect(connectionFacts(undefined, undefined).clientIp).toBe('');
    expect(connectionFacts(undefined, undefined).clientPort).toBe(0);
    expect(connectionFacts('::1', 1).clientIp).toBe('::1');
  });

  it('picks the same backend as LazyRequestFacts for ip and ip:port hashing', () => {
    const members = backends(7);
    const sources: HashSource[] = [{ kind: 'ip' }, { kind: 'ip', withPort: true }];
    const policies: PolicyName[] = ['hash', 'consistent-hash', 'maglev'];
    const built = policies.flatMap((policy) =>
      sources.map((hash) => {
        const config: ClusterConfig = { ...DEFAULT_CLUSTER_CONFIG, policy, hash };
        return buildPolicy(config, members, context());
      }),
    );
    const ip = fc.oneof(
      fc.ipV4(),
      fc.ipV4().map((a) => `::ffff:${a}`),
      fc.ipV6(),
    );
    fc.assert(
      fc.property(ip, fc.integer({ min: 1, max: 65535 }), (addr, port) => {
        const l7 = new LazyRequestFacts({ remoteAddress: addr, remotePort: port, headers: {} });
        const l4 = connectionFacts(addr, port);
        for (const p of built) expect(p.pick(l4)?.id).toBe(p.pick(l7)?.id);
      }),
    );
  });
});
