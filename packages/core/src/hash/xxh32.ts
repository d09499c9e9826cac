// xxHash32 (Yann Collet, BSD-2) in plain JavaScript, over the UTF-8 bytes of a
// string. Chosen by benchmark over the native (@node-rs/xxhash) and WebAssembly
// (xxhash-wasm) builds: for the short keys that dominate routing (IPs, ids,
// 10–40 bytes) crossing into native or wasm code costs more than hashing the
// bytes here (figures in docs/policies.md and test/bench/hash-candidates.mjs). Math.imul and 32-bit integer
// ops make the result identical on every engine and machine, which the ring
// relies on: every node must place the same points.
//
// Cost: O(length). ASCII strings (the usual key) are read through charCodeAt
// with no encoding step; a string with any code unit >= 0x80 is encoded to
// UTF-8 first (TextEncoder.encodeInto, so lone surrogates become U+FFFD), so the
// value always equals xxh32 of the UTF-8 bytes.

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

const encoder = new TextEncoder();
// Reused scratch buffer for non-ASCII strings; grows on demand, never shrinks.
let scratch = new Uint8Array(256);

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);
}

function avalanche(h: number): number {
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

function byteLane(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/** xxh32 of the first `len` bytes of `b`. */
export function xxh32Bytes(b: Uint8Array, seed = 0, len = b.length): number {
  let i = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    for (const limit = len - 16; i <= limit; i += 16) {
      v1 = round(v1, byteLane(b, i));
      v2 = round(v2, byteLane(b, i + 4));
      v3 = round(v3, byteLane(b, i + 8));
      v4 = round(v4, byteLane(b, i + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  for (; i + 4 <= len; i += 4) h = Math.imul(rotl((h + Math.imul(byteLane(b, i), P3)) | 0, 17), P4);
  for (; i < len; i++) h = Math.imul(rotl((h + Math.imul(b[i]!, P5)) | 0, 11), P1);
  return avalanche(h);
}

function xxh32Utf8(s: string, seed: number): number {
  if (scratch.length < s.length * 3) scratch = new Uint8Array(s.length * 3);
  const { written } = encoder.encodeInto(s, scratch);
  return xxh32Bytes(scratch, seed, written);
}

/**
 * xxh32 of the UTF-8 encoding of `s`, as an unsigned 32-bit integer.
 * Same value as the reference C implementation (XXH32) for the same bytes and seed.
 */
export function xxh32(s: string, seed = 0): number {
  const len = s.length;
  // Each code unit is read once, hashed as if it were a byte and OR-ed into
  // `seen`; if any was >= 0x80 the string was not ASCII and the result is
  // recomputed over UTF-8 bytes. Fusing the check into the hashing loop halves
  // the cost of a separate scan (measured: 44 -> 31 ns for a 13-byte key).
  let seen = 0;
  let i = 0;
  let h: number;
  let c0: number;
  let c1: number;
  let c2: number;
  let c3: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    for (const limit = len - 16; i <= limit; i += 16) {
      c0 = s.charCodeAt(i);
      c1 = s.charCodeAt(i + 1);
      c2 = s.charCodeAt(i + 2);
      c3 = s.charCodeAt(i + 3);
      seen |= c0 | c1 | c2 | c3;
      v1 = round(v1, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24));
      c0 = s.charCodeAt(i + 4);
      c1 = s.charCodeAt(i + 5);
      c2 = s.charCodeAt(i + 6);
      c3 = s.charCodeAt(i + 7);
      seen |= c0 | c1 | c2 | c3;
      v2 = round(v2, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24));
      c0 = s.charCodeAt(i + 8);
      c1 = s.charCodeAt(i + 9);
      c2 = s.charCodeAt(i + 10);
      c3 = s.charCodeAt(i + 11);
      seen |= c0 | c1 | c2 | c3;
      v3 = round(v3, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24));
      c0 = s.charCodeAt(i + 12);
      c1 = s.charCodeAt(i + 13);
      c2 = s.charCodeAt(i + 14);
      c3 = s.charCodeAt(i + 15);
      seen |= c0 | c1 | c2 | c3;
      v4 = round(v4, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  for (; i + 4 <= len; i += 4) {
    c0 = s.charCodeAt(i);
    c1 = s.charCodeAt(i + 1);
    c2 = s.charCodeAt(i + 2);
    c3 = s.charCodeAt(i + 3);
    seen |= c0 | c1 | c2 | c3;
    h = Math.imul(rotl((h + Math.imul(c0 | (c1 << 8) | (c2 << 16) | (c3 << 24), P3)) | 0, 17), P4);
  }
  for (; i < len; i++) {
    c0 = s.charCodeAt(i);
    seen |= c0;
    h = Math.imul(rotl((h + Math.imul(c0, P5)) | 0, 11), P1);
  }
  if (seen >= 0x80) return xxh32Utf8(s, seed);
  return avalanche(h);
}
