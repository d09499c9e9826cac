import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backend } from '../testing/fakes.js';
import { byId, diffBackends } from './members.js';

describe('diffBackends', () => {
  it('namesWhatWasAddedRemovedAndChangedAndSkipsTheSameObjects', () => {
    const a = backend('a');
    const b = backend('b');
    const c = backend('c');
    const d = diffBackends([a, b, c], [a, backend('b', { weight: 2 }), backend('d')]);
    expect(d.added.map((x) => x.id)).toEqual(['d']);
    expect(d.removed.map((x) => x.id)).toEqual(['c']);
    expect(d.changed.map(([x, y]) => [x.id, y.weight])).toEqual([['b', 2]]);
    expect(diffBackends([a, b], [a, b])).toEqual({ added: [], removed: [], changed: [] });
  });

  it('agreesWithSetDifferenceOnAnyTwoSortedLists (fast-check)', () => {
    const ids = fc.uniqueArray(fc.string({ maxLength: 4 }), { maxLength: 30 });
    fc.assert(
      fc.property(ids, ids, (p, n) => {
        const prev = p.map((id) => backend(id)).sort(byId);
        const next = n.map((id) => backend(id)).sort(byId);
        const d = diffBackends(prev, next);
        const inPrev = new Set(p);
        const inNext = new Set(n);
        expect(d.added.map((x) => x.id).sort()).toEqual(n.filter((id) => !inPrev.has(id)).sort());
        expect(d.removed.map((x) => x.id).sort()).toEqual(p.filter((id) => !inNext.has(id)).sort());
        expect(d.changed.map(([x]) => x.id).sort()).toEqual(p.filter((id) => inNext.has(id)).sort());
      }),
    );
  });
});
