// The Maglev lookup table (Eisenbud et al., NSDI 2016, section 3.4, pseudocode
// listing 1), weighted the way Envoy does it. Each member walks its own
// permutation of the M slots (offset and skip from two seeded hashes of its id)
// and, in turns, claims the next slot still free; a member of weight w takes a
// turn in w of every wMax rounds, so slot shares follow weights. Members are
// visited in id order and everything is integer arithmetic, so equal membership
// gives a byte-identical table on every node.
//
// Build: O(M log M) expected (late turns probe a nearly full table, as in the
// coupon collector); lookup: one modulo and one array read.

import { coreError } from '../errors.js';
import { xxh32 } from '../hash/xxh32.js';
import type { Backend } from '../types.js';

/** Envoy's default, a prime; a floor that keeps small clusters well spread. */
export const DEFAULT_MAGLEV_TABLE_SIZE = 65537;
/** Largest accepted table floor: 2^24 slots are 64 MiB of Uint32Array. */
export const MAX_MAGLEV_TABLE_SIZE = 1 << 24;
/** The paper's rule: M >= 100 × members keeps each member's share within ~1%. */
const SLOTS_PER_MEMBER = 100;
const OFFSET_SEED = 0;
const SKIP_SEED = 1;
const EMPTY = 0xffffffff;

/** Whether `n` is a prime (maglev's table size must be; the config codec checks `ring.tableSize` with it). */
export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/** Smallest prime >= n. Trial division: ~1000 divisions per candidate at 2^20. */
export function nextPrime(n: number): number {
  let p = Math.max(2, Math.ceil(n));
  while (!isPrime(p)) p++;
  return p;
}

/**
 * Table size for `memberCount` members: the smallest prime >= floor × 2^k, for
 * the least k with floor × 2^k >= 100 × members. Sizes come from this doubling
 * ladder (not simply nextPrime(100 × n)) so the table keeps its size, and keys
 * their slots, while the membership changes within a ladder step; crossing a
 * step reshuffles like any change of M.
 */
export function maglevTableSize(memberCount: number, floor = DEFAULT_MAGLEV_TABLE_SIZE): number {
  if (!Number.isInteger(floor) || floor < 1 || floor > MAX_MAGLEV_TABLE_SIZE) {
    throw coreError('RL_BAD_CONFIG', `maglev.tableSize must be an integer in 1..${MAX_MAGLEV_TABLE_SIZE}`, {
      field: 'maglev.tableSize',
    });
  }
  let base = floor;
  while (base < SLOTS_PER_MEMBER * memberCount) base *= 2;
  return nextPrime(base);
}

/**
 * Fills a table of `size` slots (a prime) with member indexes. `members` must be
 * filtered to weight > 0 and sorted by id. Empty members → empty table.
 */
export function buildMaglevTable(members: readonly Backend[], size: number): Uint32Array {
  const n = members.length;
  if (n === 0) return new Uint32Array(0);
  const next = new Uint32Array(n);
  const skip = new Uint32Array(n);
  const weight = new Uint32Array(n);
  // Turn credit in units of wMax; float64 so M × wMax (up to 2^24 × 1000) stays exact.
  const target = new Float64Array(n);
  let wMax = 0;
  for (let i = 0; i < n; i++) {
    const m = members[i]!;
    next[i] = xxh32(m.id, OFFSET_SEED) % size;
    skip[i] = (xxh32(m.id, SKIP_SEED) % (size - 1)) + 1;
    weight[i] = m.weight;
    if (m.weight > wMax) wMax = m.weight;
  }
  const table = new Uint32Array(size).fill(EMPTY);
  let filled = 0;
  // Every round the heaviest member claims one slot, so this ends after at most M rounds.
  for (let round = 1; ; round++) {
    for (let i = 0; i < n; i++) {
      if (round * weight[i]! < target[i]!) continue;
      target[i]! += wMax;
      const s = skip[i]!;
      let c = next[i]!;
      while (table[c] !== EMPTY) {
        c += s;
        if (c >= size) c -= size;
      }
      table[c] = i;
      c += s;
      next[i] = c >= size ? c - size : c;
      if (++filled === size) return table;
    }
  }
}
