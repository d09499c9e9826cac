import { describe, expect, it } from 'vitest';
import {
  decide,
  findByGuid,
  parseContender,
  protectedPrefix,
  roleChange,
  sortContenders,
} from './election-logic.js';

const n = (guid: string, seq: number) => `${protectedPrefix(guid)}${String(seq).padStart(10, '0')}`;

describe('election names', () => {
  it('parses protected names, plain `-n_` names, and rejects others', () => {
    expect(parseContender(n('abc-123', 7))).toEqual({ name: n('abc-123', 7), guid: 'abc-123', seq: 7 });
    expect(parseContender('node-a-n_0000000042')).toEqual({
      name: 'node-a-n_0000000042',
      guid: undefined,
      seq: 42,
    });
    expect(parseContender('junk')).toBeUndefined();
    expect(parseContender('x-n_12a')).toBeUndefined();
  });

  it('orders by sequence, not by name (guids sort randomly)', () => {
    const names = [n('zzz', 3), n('aaa', 10), n('mmm', 1), 'junk'];
    expect(sortContenders(names).map((c) => c.seq)).toEqual([1, 3, 10]);
  });

  it('finds a create whose reply was lost by its guid', () => {
    const names = [n('g1', 1), n('g2', 2)];
    expect(findByGuid(names, 'g2')?.seq).toBe(2);
    expect(findByGuid(names, 'g3')).toBeUndefined();
  });
});

describe('election decision', () => {
  const kids = [n('b', 5), n('a', 2), n('c', 9), n('d', 7)];
  it.each([
    [n('a', 2), { kind: 'lead', epoch: 2 }],
    [n('b', 5), { kind: 'wait', predecessor: n('a', 2), leaderEpoch: 2 }],
    [n('d', 7), { kind: 'wait', predecessor: n('b', 5), leaderEpoch: 2 }],
    [n('c', 9), { kind: 'wait', predecessor: n('d', 7), leaderEpoch: 2 }],
    [n('x', 1), { kind: 'missing' }],
  ])('%s → %o', (ours, expected) => {
    expect(decide(kids, ours)).toEqual(expected);
  });
});

describe('role changes', () => {
  it('fire only on an actual change', () => {
    expect(roleChange('standby', 'standby', 3, 'predecessor')).toBeUndefined();
    expect(roleChange('candidate', 'leader', 4, 'elected')).toEqual({
      from: 'candidate',
      to: 'leader',
      epoch: 4,
      cause: 'elected',
    });
  });
});
