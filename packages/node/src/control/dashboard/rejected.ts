// Every znode this node read and rejected, for the page's "Rejected in ZooKeeper" panel: bad
// backend payloads (not routed), an invalid `config` (the last good one stays in force) and
// invalid service definitions or service backends. Each row says what it is, where, the error
// code, the cause, and what serves meanwhile, so the operator knows what to fix and how urgent.
import type { ConfigRejection } from '@ringleader/zk';
import type { StatusDocument } from '../status.js';

export interface RejectedRow {
  readonly kind: 'backend' | 'config' | 'service' | 'service backend';
  /** The service it belongs to (service kinds only). */
  readonly service: string | null;
  readonly path: string;
  readonly code: string;
  readonly message: string;
  /** What happens meanwhile, in words. */
  readonly effect: string;
}

type StatusPart = Pick<StatusDocument, 'rejected' | 'config' | 'services'>;

const CONFIG_EFFECT: Record<string, string> = {
  // The node's own earlier valid write, or the cluster's published copy of one.
  znode: 'the last good config stays in force',
  'last-good': 'the last good config stays in force',
  unknown: 'not serving: no last good config is published',
  fallback: "the node's own routing settings apply",
};

/**
 * Rows of the panel, in the order an operator fixes them: what stops serving first (config,
 * services), then single backends. `config` is the config znode's current problem as the
 * watcher reported it (undefined when the znode is valid).
 */
export function rejectedZnodes(status: StatusPart, config: ConfigRejection | undefined): RejectedRow[] {
  const rows: RejectedRow[] = [];
  if (config !== undefined)
    rows.push({
      kind: 'config',
      service: null,
      path: config.path,
      code: config.code,
      message: config.message,
      effect: CONFIG_EFFECT[status.config.source] ?? `config in force from ${status.config.source}`,
    });
  for (const s of status.services) {
    if (s.rejected)
      rows.push({
        kind: 'service',
        service: s.name,
        path: s.rejected.path ?? '—',
        code: s.rejected.code,
        message: s.rejected.message,
        // Without a definition (never valid) nothing serves; otherwise the last good one does.
        effect: s.protocol ? 'the last good definition serves' : 'not served',
      });
    for (const r of s.rejectedBackends)
      rows.push({
        kind: 'service backend',
        service: s.name,
        path: r.path,
        code: r.code,
        message: r.message,
        effect: 'not routed',
      });
  }
  for (const r of status.rejected)
    rows.push({
      kind: 'backend',
      service: null,
      path: r.path,
      code: r.code,
      message: r.message,
      effect: 'not routed',
    });
  return rows;
}

/**
 * The config znode's current problem, from the watcher's `rejected` events. A later valid
 * write supersedes it even when its content equals the config already in force (the watcher
 * then emits no `config` event), so it is judged against the config in force: a `znode`
 * config written after the rejected payload clears it. So does the znode's removal, which the
 * watcher reports as a change to `fallback` (an invalid write while on the fallback changes
 * nothing and is no such event).
 */
export class ConfigRejectionWatch {
  #last: ConfigRejection | undefined;

  rejected(r: ConfigRejection): void {
    this.#last = r;
  }

  /** A `config` event of the watcher (the config in force changed). */
  changed(source: string): void {
    if (source === 'fallback') this.#last = undefined;
  }

  current(
    inForce: { readonly source: string; readonly version: number } | undefined,
  ): ConfigRejection | undefined {
    const r = this.#last;
    if (r === undefined || inForce === undefined) return r;
    if (inForce.source === 'znode' && inForce.version > r.version) {
      this.#last = undefined;
      return undefined;
    }
    return r;
  }
}
