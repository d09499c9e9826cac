import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xxh32, xxh32Bytes } from './xxh32.js';

// Reference values: the first two are published XXH32 vectors; the rest were
// produced by the native reference build (@node-rs/xxhash, Rust) for the same
// UTF-8 bytes, covering every code path (empty, < 4, < 16, >= 16 bytes, non-ASCII).
const VECTORS: [input: string, seed0: number, seedGolden: number][] = [
  ['', 0x02cc5d05, 0x36b78ae7],
  ['a', 0x550d7456, 0x9e1633e4],
  ['abc', 0x32d153ff, 0xa1ae7709],
  ['message digest', 0x7c948494, 0x325ff26d],
  ['abcdefghijklmnopqrstuvwxyz', 0x63a14d5f, 0x235204a9],
  ['Nobody inspects the spammish repetition', 0xe2293b2f, 0xc9e89e68],
  ['10.0.0.1', 0xc2fc760e, 0x4e567c4c],
  ['10.0.0.1:54321', 0x26a3edbc, 0xf7ba2f90],
  ['héllo', 0x6207d876, 0x42730d2e],
  ['日本語キー', 0x7c0222ff, 0x2d813951],
  ['🙂 smile', 0xf38af1b8, 0x5a7fd266],
];

describe('xxh32', () => {
  it.each(VECTORS)('matches the reference for %j', (input, seed0, seedGolden) => {
    expect(xxh32(input)).toBe(seed0);
    expect(xxh32(input, 0x9e3779b1)).toBe(seedGolden);
    expect(xxh32Bytes(new TextEncoder().encode(input))).toBe(seed0);
  });

  it('hashes a lone surrogate as U+FFFD, like TextEncoder', () => {
    expect(xxh32('\ud800x')).toBe(xxh32('\ufffdx'));
  });

  it('string path equals the byte path for any string and seed', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.nat(), (s, seed) => {
        expect(xxh32(s, seed)).toBe(xxh32Bytes(new TextEncoder().encode(s), seed));
      }),
      { numRuns: 2000 },
    );
  });

  it('returns unsigned 32-bit integers', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const h = xxh32(s);
        expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
      }),
    );
  });

  // Sequential short keys (the worst case for a weak hash) spread evenly over
  // 256 buckets: Pearson's chi-square with 255 degrees of freedom has mean 255
  // and sd ~22.6; 350 is beyond the 99.99th percentile of a uniform hash.
  it.each([
    ['ip addresses', (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
    ['numbered ids', (i: number) => `user-${i}`],
  ])('spreads %s uniformly (chi-square)', (_name, key) => {
    const buckets = new Array<number>(256).fill(0);
    const n = 256_000;
    for (let i = 0; i < n; i++) buckets[xxh32(key(i)) >>> 24]!++;
    const expected = n / 256;
    const chi2 = buckets.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(350);
  });

  it('flips about half the output bits when one input bit flips (avalanche)', () => {
    let flipped = 0;
    let trials = 0;
    for (let i = 0; i < 2000; i++) {
      const s = `key-${i}`;
      const bit = i % 7;
      const t = s.slice(0, -1) + String.fromCharCode(s.charCodeAt(s.length - 1) ^ (1 << bit));
      let x = (xxh32(s) ^ xxh32(t)) >>> 0;
      while (x) {
        flipped += x & 1;
        x >>>= 1;
      }
      trials++;
    }
    expect(flipped / trials).toBeGreaterThan(15);
    expect(flipped / trials).toBeLessThan(17);
  });
});
