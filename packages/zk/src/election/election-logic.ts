// Pure rules of the LeaderLatch-style election: znode names, ordering, and what a
// contender does given the children of the election folder. No I/O here.
//
// Names are Curator-style "protected": `_c_<guid>-n_<seq>`, where ZooKeeper appends the
// 10-digit sequence. A create whose reply was lost is found again by its guid.

export type Role = 'candidate' | 'leader' | 'standby';
export type Lifecycle = 'latent' | 'started' | 'closed';

export const PROTECTED_PREFIX = '_c_';
const SEQ_MARK = '-n_';

export interface Contender {
  /** The znode name (no parent path). */
  readonly name: string;
  /** The guid of a protected name, else undefined. */
  readonly guid: string | undefined;
  /** ZooKeeper's sequence number: the epoch if this contender leads. */
  readonly seq: number;
}

/** The name prefix to create (ZooKeeper appends the sequence). */
export function protectedPrefix(guid: string): string {
  return `${PROTECTED_PREFIX}${guid}${SEQ_MARK}`;
}

/** Parses `<anything>-n_<digits>`; other names (operator junk) are not contenders. */
export function parseContender(name: string): Contender | undefined {
  const at = name.lastIndexOf(SEQ_MARK);
  if (at < 0) return undefined;
  const digits = name.slice(at + SEQ_MARK.length);
  if (!/^\d{1,10}$/.test(digits)) return undefined;
  const head = name.slice(0, at);
  const guid = head.startsWith(PROTECTED_PREFIX) ? head.slice(PROTECTED_PREFIX.length) : undefined;
  return { name, guid: guid === '' ? undefined : guid, seq: Number(digits) };
}

/** Contenders in election order: lowest sequence first (ties, impossible in one folder, by name). */
export function sortContenders(names: readonly string[]): Contender[] {
  const out: Contender[] = [];
  for (const n of names) {
    const c = parseContender(n);
    if (c) out.push(c);
  }
  return out.sort((a, b) => a.seq - b.seq || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The child created with `guid`, if any (finds a create whose reply was lost). */
export function findByGuid(names: readonly string[], guid: string): Contender | undefined {
  return sortContenders(names).find((c) => c.guid === guid);
}

export type Decision =
  /** We are the lowest: lead with our sequence as epoch (after the ephemeralOwner check). */
  | { readonly kind: 'lead'; readonly epoch: number }
  /** Someone is ahead: watch only the one just ahead of us. */
  | { readonly kind: 'wait'; readonly predecessor: string; readonly leaderEpoch: number }
  /** Our znode is gone (deleted, or the session that owned it expired): create a new one. */
  | { readonly kind: 'missing' };

export function decide(children: readonly string[], ours: string): Decision {
  const sorted = sortContenders(children);
  const idx = sorted.findIndex((c) => c.name === ours);
  if (idx < 0) return { kind: 'missing' };
  const me = sorted[idx]!;
  if (idx === 0) return { kind: 'lead', epoch: me.seq };
  return { kind: 'wait', predecessor: sorted[idx - 1]!.name, leaderEpoch: sorted[0]!.seq };
}

export type RoleCause =
  /** We hold the lowest election znode and our session owns it. */
  | 'elected'
  /** Someone is ahead of us. */
  | 'predecessor'
  /** The session is suspended: a leader can no longer prove it leads. */
  | 'suspended'
  /** The session expired: our znode is gone; we re-enter with a new one. */
  | 'expired'
  /** Our election znode disappeared while the session lived (deleted by an operator?). */
  | 'node-lost'
  | 'resigned'
  | 'closed';

export interface RoleChange {
  readonly from: Role;
  readonly to: Role;
  /**
   * To or from `leader`: our epoch. Otherwise the epoch of the leader we stand behind
   * (the lowest sequence we saw), or null when unknown.
   */
  readonly epoch: number | null;
  readonly cause: RoleCause;
}

/** The event for moving from `from` to `to`, or undefined when nothing changes (edges, not levels). */
export function roleChange(
  from: Role,
  to: Role,
  epoch: number | null,
  cause: RoleCause,
): RoleChange | undefined {
  return from === to ? undefined : { from, to, epoch, cause };
}
