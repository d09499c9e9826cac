import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckAssignment } from './assignment.js';

const nodeIds = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/), { minLength: 1, maxLength: 12 });
const backendIds = fc.uniqueArray(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,15}$/), {
  minLength: 1,
  maxLength: 40,
});
const ks = fc.integer({ min: 1, max: 4 });

describe('CheckAssignment (rendezvous hashing)', () => {
  it('eachBackendHasMinKNDistinctCheckersAndChecksAgreesWithThem', () => {
    fc.assert(
      fc.property(nodeIds, backendIds, ks, (nodes, backends, k) => {
        const a = new CheckAssignment(nodes, k);
        for (const b of backends) {
          const who = a.checkersOf(b);
          expect(new Set(who).size).toBe(Math.min(k, nodes.length));
          for (const n of nodes) expect(a.checks(n, b)).toBe(who.includes(n));
        }
      }),
    );
  });

  it('isAPureFunctionOfTheSetNotItsOrder', () => {
    fc.assert(
      fc.property(nodeIds, backendIds, ks, (nodes, backends, k) => {
        const a = new CheckAssignment(nodes, k);
        const b = new CheckAssignment([...nodes].reverse().concat(nodes), k);
        for (const id of backends) expect(b.checkersOf(id)).toEqual(a.checkersOf(id));
      }),
    );
  });

  it('aJoiningNodeTakesAtMostOneCheckerSlotPerBackendAndMovesNothingElse', () => {
    fc.assert(
      fc.property(
        nodeIds,
        backendIds,
        ks,
        fc.stringMatching(/^[A-Z][a-z]{0,5}$/),
        (nodes, backends, k, joiner) => {
          const before = new CheckAssignment(nodes, k);
          const after = new CheckAssignment([...nodes, joiner], k);
          for (const b of backends) {
            const old = new Set(before.checkersOf(b));
            const now = new Set(after.checkersOf(b));
            const gained = [...now].filter((n) => !old.has(n));
            const lost = [...old].filter((n) => !now.has(n));
            expect(gained.every((n) => n === joiner)).toBe(true);
            expect(lost.length).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });

  it('aLeavingNodesBackendsGoToOneOtherNodeEachAndNothingElseMoves', () => {
    fc.assert(
      fc.property(
        nodeIds.filter((n) => n.length > 1),
        backendIds,
        ks,
        (nodes, backends, k) => {
          const leaver = nodes[0] as string;
          const before = new CheckAssignment(nodes, k);
          const after = new CheckAssignment(nodes.slice(1), k);
          for (const b of backends) {
            const old = new Set(before.checkersOf(b));
            const now = new Set(after.checkersOf(b));
            const lost = [...old].filter((n) => !now.has(n));
            const gained = [...now].filter((n) => !old.has(n));
            expect(lost.every((n) => n === leaver)).toBe(true);
            // Someone takes its place unless every remaining node checks the backend already.
            expect(gained.length).toBe(nodes.length - 1 >= k ? lost.length : 0);
          }
        },
      ),
    );
  });

  it('spreadsTheLoadEvenly: each of 5 nodes checks 2/5 of 10 000 backends ± 5 %', () => {
    const nodes = ['lb-1', 'lb-2', 'lb-3', 'lb-4', 'lb-5'];
    const a = new CheckAssignment(nodes, 2);
    const count = new Map(nodes.map((n) => [n, 0]));
    for (let i = 0; i < 10_000; i++) {
      const id = `backend-${i}`;
      for (const n of nodes) if (a.checks(n, id)) count.set(n, (count.get(n) ?? 0) + 1);
    }
    for (const c of count.values()) expect(Math.abs(c - 4000)).toBeLessThanOrEqual(200);
  });

  it('aLoneNodeChecksEverythingAndANodeOutsideTheSetNothing', () => {
    const a = new CheckAssignment(['lb-1'], 2);
    expect(a.everyone).toBe(true);
    expect(a.checks('lb-1', 'x')).toBe(true);
    expect(a.checks('lb-9', 'x')).toBe(false);
    expect(new CheckAssignment(['a', 'b', 'c'], 2).checks('z', 'x')).toBe(false);
    expect(() => new CheckAssignment(['a'], 0)).toThrow(/≥ 1/);
  });
});
