// Hash functions that lost the benchmark, kept here so `pnpm bench` can show why
// packages/core/src/hash/xxh32.ts won. Pure JavaScript over ASCII code units;
// not used by the product.

/** MurmurHash3 x86_32 (Austin Appleby, public domain) over ASCII code units. */
export function murmur3(s, seed = 0) {
  const len = s.length;
  let h = seed | 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    let k =
      s.charCodeAt(i) |
      (s.charCodeAt(i + 1) << 8) |
      (s.charCodeAt(i + 2) << 16) |
      (s.charCodeAt(i + 3) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = len & 3;
  if (rest > 0) {
    let k = s.charCodeAt(i);
    if (rest > 1) k ^= s.charCodeAt(i + 1) << 8;
    if (rest > 2) k ^= s.charCodeAt(i + 2) << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a 32-bit over ASCII code units: the simplest candidate, weakest mixing. */
export function fnv1a(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
