// How a node that does not check a backend itself reads its peers' verdicts. Pure.
//
// Up wins: a backend is down only when every peer with a verdict on it says down. A partition
// between one checker and a backend therefore does not take the backend out of the cluster
// (the other checker still reaches it); the nodes that cannot reach it find out by their own
// requests (passive ejection), which stay local. No verdict at all (a new backend, or its
// checkers just changed) is "no news": the caller keeps the state it has.
import type { CheckState } from '@ringleader/core';

export interface VerdictSource {
  readonly verdicts: ReadonlyMap<string, 'up' | 'down'>;
}

export interface Merged {
  readonly state: CheckState;
  readonly up: number;
  readonly down: number;
}

/** The merged verdict on `id`, or undefined when no peer has one. */
export function mergeVerdicts(id: string, peers: Iterable<VerdictSource>): Merged | undefined {
  let up = 0;
  let down = 0;
  for (const p of peers) {
    const v = p.verdicts.get(id);
    if (v === 'up') up++;
    else if (v === 'down') down++;
  }
  if (up + down === 0) return undefined;
  return { state: up > 0 ? 'up' : 'down', up, down };
}
