import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resp } from './encode.js';
import { mergeSplit, planSplit } from './split.js';

const a = (...xs: string[]) => xs.map((x) => Buffer.from(x, 'latin1'));
const strs = (xs: Buffer[]) => xs.map((x) => x.toString('latin1'));
const byFirstChar = (k: Buffer) => k[0]! % 3;

describe('planSplit', () => {
  it('makes one part per owner, keys in order, with their positions', () => {
    const parts = planSplit(a('MGET', 'a', 'b', 'c', 'd'), 1, byFirstChar); // a=97→1 b→2 c→0 d→1
    expect(parts.map((p) => ({ owner: p.owner, args: strs(p.args), positions: p.positions }))).toEqual([
      { owner: 1, args: ['MGET', 'a', 'd'], positions: [0, 3] },
      { owner: 2, args: ['MGET', 'b'], positions: [1] },
      { owner: 0, args: ['MGET', 'c'], positions: [2] },
    ]);
  });

  it('keeps each MSET value with its key', () => {
    const parts = planSplit(a('MSET', 'a', '1', 'b', '2', 'd', '4'), 2, byFirstChar);
    expect(parts.map((p) => strs(p.args))).toEqual([
      ['MSET', 'a', '1', 'd', '4'],
      ['MSET', 'b', '2'],
    ]);
  });

  it('sends the original args when one owner has every key', () => {
    const args = a('DEL', 'a', 'd');
    const parts = planSplit(args, 1, byFirstChar);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.args).toBe(args);
    expect(parts[0]!.positions).toEqual([0, 1]);
  });
});

/** What each backend would answer: MGET items from its own map, MSET +OK, DEL count. */
function backendReply(name: string, args: Buffer[], store: Map<string, string>): Buffer {
  const keys = strs(args.slice(1));
  if (name === 'MGET') return resp.array(keys.map((k) => resp.bulk(store.get(k) ?? null)));
  if (name === 'DEL') return resp.integer(keys.filter((k) => store.has(k)).length);
  return resp.simple('OK');
}

describe('planSplit + mergeSplit round trip', () => {
  it('MGET over any owners gives what one server would, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 5 }),
        (keys, backends) => {
          const store = new Map(keys.filter((_, i) => i % 2 === 0).map((k) => [k, `v:${k}`]));
          const owner = (k: Buffer) => (k.reduce((h, c) => h * 31 + c, 7) >>> 0) % backends;
          const parts = planSplit(a('MGET', ...keys), 1, owner);
          expect(new Set(parts.map((p) => p.owner)).size).toBe(parts.length);
          const replies = parts.map((p) => backendReply('MGET', p.args, store));
          const merged = mergeSplit('array', keys.length, parts, replies);
          expect(merged.equals(backendReply('MGET', a('MGET', ...keys), store))).toBe(true);
          const dels = parts.map((p) => backendReply('DEL', p.args, store));
          const expected = keys.filter((k) => store.has(k)).length;
          expect(mergeSplit('sum', keys.length, parts, dels).toString()).toBe(`:${expected}\r\n`);
        },
      ),
    );
  });

  it('MSET answers +OK when every part does', () => {
    const parts = planSplit(a('MSET', 'a', '1', 'b', '2'), 2, byFirstChar);
    expect(mergeSplit('ok', 2, parts, [resp.simple('OK'), resp.simple('OK')]).toString()).toBe('+OK\r\n');
  });

  it('lets the first error by part order win', () => {
    const parts = planSplit(a('MGET', 'a', 'b', 'c'), 1, byFirstChar);
    const replies = [resp.array([resp.bulk('1')]), resp.error('ERR down'), resp.error('ERR other')];
    expect(mergeSplit('array', 3, parts, replies).toString()).toBe('-ERR down\r\n');
  });

  it('names a reply of the wrong shape instead of merging it', () => {
    const parts = planSplit(a('MGET', 'a', 'b'), 1, byFirstChar);
    expect(mergeSplit('array', 2, parts, [resp.integer(1), resp.array([resp.bulk('x')])]).toString()).toMatch(
      /^-ERR unexpected reply.*part 0 answered no array/,
    );
    expect(mergeSplit('array', 2, parts, [resp.array([]), resp.array([resp.bulk('x')])]).toString()).toMatch(
      /part 0 answered 0 items for 1 keys/,
    );
    expect(mergeSplit('sum', 2, parts, [resp.integer(1), resp.simple('OK')]).toString()).toMatch(
      /not an integer/,
    );
    expect(mergeSplit('ok', 2, parts, [resp.simple('OK'), resp.integer(1)]).toString()).toMatch(
      /instead of \+OK/,
    );
    expect(mergeSplit('sum', 2, parts, [resp.integer(1)]).toString()).toMatch(/1 replies for 2 parts/);
  });
});
