// Shared checking: which k of the N live nodes actively check a backend. Rendezvous (highest
// random weight) hashing: every node scores every (node, backend) pair and the k highest
// scores check it. It is a pure function of the live node set and the backend id, so every
// node computes the same answer without talking to the others, and it moves the least work
// when the set changes: a node that joins takes over only the backends where it now ranks in
// the top k (each loses one checker), a node that leaves hands each of its backends to the
// next in rank (each gains one). k ≥ N, or N = 1, means every node checks everything.
import { xxh32 } from '@ringleader/core';

/** Murmur3's finaliser: a bijection on 32 bits with full avalanche. */
function fmix32(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Higher wins; equal scores (1 in 2³² per pair) fall back to the smaller node id. */
function beats(scoreA: number, idA: string, scoreB: number, idB: string): boolean {
  return scoreA > scoreB || (scoreA === scoreB && idA < idB);
}

export class CheckAssignment {
  /** Node ids, sorted (so the same set always builds the same table). */
  readonly nodes: readonly string[];
  readonly k: number;
  readonly #seeds: Uint32Array;

  /** `nodes`: the live checkers (duplicates ignored); `k` ≥ 1. */
  constructor(nodes: Iterable<string>, k: number) {
    if (!Number.isInteger(k) || k < 1)
      throw new RangeError(`checkers per backend must be an integer ≥ 1, got ${k}`);
    this.nodes = [...new Set(nodes)].sort();
    this.k = k;
    this.#seeds = Uint32Array.from(this.nodes, (id) => fmix32(xxh32(id, 0x5eed)));
  }

  /** True when every node checks every backend (k ≥ N). */
  get everyone(): boolean {
    return this.k >= this.nodes.length;
  }

  #score(i: number, backendHash: number): number {
    return fmix32(backendHash ^ (this.#seeds[i] as number));
  }

  /** Does `node` check `backendId`? O(N), no allocation. A node outside the set checks nothing. */
  checks(node: string, backendId: string): boolean {
    if (this.everyone) return this.nodes.includes(node);
    const me = this.nodes.indexOf(node);
    if (me < 0) return false;
    const h = xxh32(backendId);
    const mine = this.#score(me, h);
    let above = 0;
    for (let i = 0; i < this.nodes.length; i++) {
      if (i === me) continue;
      if (beats(this.#score(i, h), this.nodes[i] as string, mine, node) && ++above >= this.k) return false;
    }
    return true;
  }

  /** The nodes that check `backendId`, best-ranked first (min(k, N) of them). */
  checkersOf(backendId: string): string[] {
    const h = xxh32(backendId);
    const ranked = this.nodes.map((id, i) => ({ id, s: this.#score(i, h) }));
    ranked.sort((a, b) => (beats(a.s, a.id, b.s, b.id) ? -1 : beats(b.s, b.id, a.s, a.id) ? 1 : 0));
    return ranked.slice(0, this.k).map((r) => r.id);
  }
}
