import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xxh32 } from '../hash/xxh32.js';
import { keyHashes, loads, maxOverAvg, movedKeys } from '../testing/distribution.js';
import { backend, backends, context, downSet, fakeFacts } from '../testing/fakes.js';
import type { Backend, HashSource } from '../types.js';
import { maglev } from './maglev.js';
import { buildMaglevTable, DEFAULT_MAGLEV_TABLE_SIZE, maglevTableSize, nextPrime } from './maglev-table.js';
import { hashMembers } from './members.js';

const source: HashSource = { kind: 'path' };
const keys = keyHashes(100_000);
const table = (list: readonly Backend[], tableSize?: number, ctx = context()) =>
  maglev(list, ctx, { source, tableSize });

describe('maglev: table size', () => {
  it.each([
    [1, DEFAULT_MAGLEV_TABLE_SIZE],
    [655, DEFAULT_MAGLEV_TABLE_SIZE],
    [656, nextPrime(2 * DEFAULT_MAGLEV_TABLE_SIZE)],
    [1024, nextPrime(2 * DEFAULT_MAGLEV_TABLE_SIZE)],
    [1311, nextPrime(4 * DEFAULT_MAGLEV_TABLE_SIZE)],
  ])('%i backends → %i slots (a prime >= 100 × backends on the doubling ladder)', (n, size) => {
    expect(maglevTableSize(n)).toBe(size);
    expect(size).toBeGreaterThanOrEqual(100 * n);
  });

  it.each([
    [2, 2],
    [90, 97],
    [1000, 1009],
    [65537, 65537],
    [131074, 131101],
  ])('nextPrime(%i) = %i', (n, p) => {
    expect(nextPrime(n)).toBe(p);
  });

  it('honours a configured floor', () => {
    expect(maglevTableSize(3, 1000)).toBe(1009);
    expect(table(backends(3), 1000).tableSize).toBe(1009);
  });

  it.each([0, -5, 1.5, 2 ** 25])('rejects tableSize = %s', (size) => {
    expect(() => table(backends(3), size)).toThrow(expect.objectContaining({ code: 'RL_BAD_CONFIG' }));
  });
});

describe('maglev: spread and movement', () => {
  const ten = backends(10);
  const eleven = backends(11);

  it('keeps max/avg load <= 1.05 (n = 10, 100k keys)', () => {
    expect(maxOverAvg(table(ten), keys, 10)).toBeLessThanOrEqual(1.05);
  });

  it('fills table slots in proportion to weight', () => {
    const list = [backend('a', { weight: 1 }), backend('b', { weight: 2 }), backend('c', { weight: 7 })];
    const slots = buildMaglevTable(hashMembers(list), 65537);
    const counts = [0, 0, 0];
    for (const o of slots) counts[o]!++;
    expect(counts[0]! / 65537).toBeCloseTo(0.1, 2);
    expect(counts[1]! / 65537).toBeCloseTo(0.2, 2);
    expect(counts[2]! / 65537).toBeCloseTo(0.7, 2);
  });

  it('moves at most 1.5 × the ideal 1/11 of keys when a backend joins, most of them to it', () => {
    const moved = movedKeys(table(ten), table(eleven), keys);
    expect(moved.length / keys.length).toBeLessThanOrEqual(1.5 / 11);
    const toNew = moved.filter((m) => m.to === 'backend-10').length;
    expect(toNew / moved.length).toBeGreaterThan(0.85);
  });

  it('moves at most 1.5 × the ideal 1/11 of keys when a backend leaves, including all of its own', () => {
    const before = table(eleven);
    const owned = loads(before, keys).get('backend-4')!;
    const moved = movedKeys(before, table(eleven.filter((b) => b.id !== 'backend-4')), keys);
    expect(moved.length / keys.length).toBeLessThanOrEqual(1.5 / 11);
    expect(moved.filter((m) => m.from === 'backend-4').length).toBe(owned);
  });

  it('builds a byte-identical table whatever order the membership arrived in (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 20, maxLength: 20 }),
        fc.nat(),
        (ids, weights, seed) => {
          const list = ids.map((id, i) => backend(id, { weight: weights[i]! }));
          const shuffled = [...list].sort((x, y) => xxh32(x.id, seed) - xxh32(y.id, seed));
          const a = buildMaglevTable(hashMembers(list), 4099);
          const b = buildMaglevTable(hashMembers(shuffled), 4099);
          expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('maglev: picking', () => {
  const ten = backends(10);

  it('hashes the configured key', () => {
    const policy = table(ten);
    for (const path of ['/a', '/b/c'])
      expect(policy.pick(fakeFacts({ path }))).toBe(policy.owner(xxh32(path)));
  });

  it('walks to the next distinct eligible backend, the same way every time', () => {
    const policy = table(ten);
    const excluded = new Set(['backend-2', 'backend-7']);
    const spreadTo = new Map<string, number>();
    for (const h of keys.subarray(0, 20_000)) {
      const picked = policy.pickHash(h, excluded)!;
      expect(excluded.has(picked.id)).toBe(false);
      expect(policy.pickHash(h, excluded)).toBe(picked);
      const owner = policy.owner(h)!;
      if (!excluded.has(owner.id)) expect(picked).toBe(owner);
      else spreadTo.set(picked.id, (spreadTo.get(picked.id) ?? 0) + 1);
    }
    // The excluded backends' keys spread over all eight others.
    expect(spreadTo.size).toBe(8);
  });

  it('treats down and draining backends like excluded ones, without changing the table', () => {
    const list = ten.map((b) => (b.id === 'backend-1' ? backend('backend-1', { state: 'draining' }) : b));
    const policy = maglev(list, context({ health: downSet('backend-6') }), { source });
    const reference = table(ten);
    for (const h of keys.subarray(0, 5000)) {
      expect(policy.owner(h)?.id).toBe(reference.owner(h)?.id);
      expect(policy.pickHash(h)?.id).toBe(reference.pickHash(h, new Set(['backend-1', 'backend-6']))?.id);
    }
  });

  it('returns undefined when nothing is eligible or there are no members', () => {
    expect(table(ten).pickHash(5, new Set(ten.map((b) => b.id)))).toBeUndefined();
    expect(table([]).pick(fakeFacts())).toBeUndefined();
    expect(table([]).owner(5)).toBeUndefined();
  });
});
