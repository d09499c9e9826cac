import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xxh32 } from '../hash/xxh32.js';
import { keyHashes, loads, movedKeys } from '../testing/distribution.js';
import { backend, backends, context, downSet, fakeFacts } from '../testing/fakes.js';
import type { Backend, HashSource } from '../types.js';
import { consistentHash } from './consistent-hash.js';
import { modHash } from './hash.js';

const source: HashSource = { kind: 'ip' };
const keys = keyHashes(100_000);
const mod = (list: readonly Backend[], ctx = context()) => modHash(list, ctx, source);

describe('hash (modulo baseline)', () => {
  it('maps the key hash modulo the total weight onto members in id order', () => {
    const list = [backend('c'), backend('a', { weight: 2 }), backend('b')];
    // Slots: a owns 0–1, b owns 2, c owns 3 (total weight 4).
    const policy = mod(list);
    expect([0, 1, 2, 3, 4, 6, 7].map((h) => policy.owner(h)?.id)).toEqual([
      'a',
      'a',
      'b',
      'c',
      'a',
      'b',
      'c',
    ]);
  });

  it('hashes the configured key', () => {
    const policy = mod(backends(5));
    const facts = fakeFacts({ clientIp: '198.51.100.20' });
    expect(policy.pick(facts)).toBe(policy.owner(xxh32('198.51.100.20')));
  });

  it('spreads evenly', () => {
    const counts = loads(mod(backends(10)), keys);
    for (const c of counts.values()) expect(c / 10_000).toBeCloseTo(1, 1);
  });

  // The contrast that motivates consistent hashing: one more backend re-maps
  // most keys under modulo, but only ~1/11 on the ring.
  it('moves most keys (> 50%) when going from 10 to 11 backends, unlike the ring', () => {
    const modMoved = movedKeys(mod(backends(10)), mod(backends(11)), keys).length / keys.length;
    const ringOpts = { source, vnodes: 160 };
    const ringMoved =
      movedKeys(
        consistentHash(backends(10), context(), ringOpts),
        consistentHash(backends(11), context(), ringOpts),
        keys,
      ).length / keys.length;
    expect(modMoved).toBeGreaterThan(0.5);
    expect(ringMoved).toBeLessThan(modMoved / 5);
  });

  it('walks to the next member in id order past ineligible ones (property)', () => {
    const list = backends(8);
    const ids = list.map((b) => b.id).sort();
    fc.assert(
      fc.property(fc.subarray(ids, { maxLength: 7 }), fc.nat({ max: 0xffffffff }), (excluded, hash) => {
        const policy = mod(list);
        const skip = new Set(excluded);
        let i = ids.indexOf(policy.owner(hash)!.id);
        while (skip.has(ids[i]!)) i = (i + 1) % ids.length;
        expect(policy.pickHash(hash, skip)?.id).toBe(ids[i]);
      }),
    );
  });

  it('skips down and draining members without re-mapping the others', () => {
    const list = backends(6).map((b) =>
      b.id === 'backend-2' ? backend('backend-2', { state: 'draining' }) : b,
    );
    const policy = mod(list, context({ health: downSet('backend-4') }));
    const reference = mod(backends(6));
    for (const h of keys.subarray(0, 3000)) {
      expect(policy.pickHash(h)?.id).toBe(reference.pickHash(h, new Set(['backend-2', 'backend-4']))?.id);
    }
  });

  it('returns undefined with no eligible member', () => {
    expect(mod(backends(3)).pickHash(9, new Set(['backend-0', 'backend-1', 'backend-2']))).toBeUndefined();
    expect(mod([]).pickHash(9)).toBeUndefined();
    expect(mod([backend('z', { weight: 0 })]).owner(9)).toBeUndefined();
  });
});
