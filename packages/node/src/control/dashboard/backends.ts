// The backends table of the dashboard, as the ensemble sees it: membership, weight, state and
// health from this node's snapshot; latency from the nodes that proxy (the leader, or every
// node in active-active); in-flight requests and the last minute's traffic summed over nodes;
// and how many nodes consider each backend up.
import type { BackendFields } from '@ringleader/core';
import type { BackendLoad, NodeSummary } from './peers.js';

export interface BackendRowInput extends Omit<BackendFields, 'format' | 'state'> {
  readonly state: string;
  readonly health: string;
  readonly up: boolean;
  readonly format?: string;
  /** Why it is in that health state (status.ts). */
  readonly reason?: string | null;
  /** Why drain/undrain cannot change it (a foreign payload), null when they can. */
  readonly readOnly?: string | null;
}

export interface BackendRow extends BackendRowInput {
  /** EWMA latency (ms) seen by the proxying nodes (mean over them), else by any node. */
  readonly ewmaMs: number | null;
  readonly inFlight: number;
  /** Requests it took in the last minute, all nodes. */
  readonly requests60s: number;
  /** requests60s / all backends' requests60s (0 when there was no traffic). */
  readonly share: number;
  /** Nodes (answering) that consider it up, of `seenBy` that know it. */
  readonly upOn: number;
  readonly seenBy: number;
}

type LoadSource = Pick<NodeSummary, 'serving' | 'load'>;

export function mergeBackends(rows: readonly BackendRowInput[], nodes: readonly LoadSource[]): BackendRow[] {
  let total = 0;
  const merged = rows.map((r) => {
    let inFlight = 0;
    let requests = 0;
    let upOn = 0;
    let seenBy = 0;
    let servingSum = 0;
    let servingN = 0;
    let anySum = 0;
    let anyN = 0;
    for (const n of nodes) {
      const l: BackendLoad | undefined = n.load[r.id];
      if (l === undefined) continue;
      seenBy++;
      const [ewma, flight, req, up] = l;
      inFlight += flight;
      requests += req;
      upOn += up;
      if (ewma !== null) {
        anySum += ewma;
        anyN++;
        if (n.serving) {
          servingSum += ewma;
          servingN++;
        }
      }
    }
    total += requests;
    // Serving nodes measure the backends; with none serving (a failover), any fresh figure
    // (status.ts ages figures out by time, so a demoted node's old ones are not shown).
    const ewmaMs = servingN > 0 ? servingSum / servingN : anyN > 0 ? anySum / anyN : null;
    return {
      ...r,
      ewmaMs: ewmaMs === null ? null : Math.round(ewmaMs * 100) / 100,
      inFlight,
      requests60s: requests,
      share: 0,
      upOn,
      seenBy,
    };
  });
  if (total > 0) for (const m of merged) m.share = m.requests60s / total;
  return merged;
}
