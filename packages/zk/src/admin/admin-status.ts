// readClusterStatus: everything `ringleader status` shows, read in parallel. Not one atomic
// read (ZooKeeper has no multi-read), but each part is internally consistent and carries
// the zxid it reflects, so a reader can tell which part is newer.

import { sortContenders } from '../election/election-logic.js';
import { hasCode } from '../errors.js';
import type { MembershipSnapshot } from '../membership/membership-snapshot.js';
import type { ZkSession } from '../session/session.js';
import { ClusterAdmin, readChildrenWithData, type StoredConfig } from './admin.js';

export interface StatusNode {
  readonly id: string;
  /** The node's registration payload ({ id, host, proxyPort, adminPort, mode, version, startedAt }). */
  readonly info: Readonly<Record<string, unknown>> | undefined;
  /** Owning session (16 hex digits). */
  readonly session: string;
  /** When the registration was created (epoch ms, ZooKeeper's clock). */
  readonly since: number;
}

export interface StatusContender {
  readonly name: string;
  /** Sequence number: the epoch this contender leads with. */
  readonly seq: number;
  readonly id: string | undefined;
  readonly session: string;
}

export interface StatusLeader {
  /** The `leader` znode ({ id, epoch, since, proxyUrl, adminUrl }). */
  readonly info: Readonly<Record<string, unknown>> | undefined;
  readonly session: string;
}

export interface ClusterStatus {
  readonly cluster: string;
  /** Registered nodes, by id. */
  readonly nodes: readonly StatusNode[];
  /** Election order: the first one leads (the authority; `leader` is for observers). */
  readonly election: readonly StatusContender[];
  readonly leader: StatusLeader | undefined;
  readonly backends: MembershipSnapshot;
  readonly config: StoredConfig;
}

function parseObject(data: Buffer): Readonly<Record<string, unknown>> | undefined {
  try {
    const v: unknown = JSON.parse(data.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export async function readClusterStatus(session: ZkSession, cluster = 'default'): Promise<ClusterStatus> {
  const admin = new ClusterAdmin({ session, cluster });
  const p = admin.paths;
  const [nodes, election, leader, backends, config] = await Promise.all([
    readChildrenWithData(session, p.nodes),
    readChildrenWithData(session, p.election),
    session.getData(p.leader).catch((err: unknown) => {
      if (hasCode(err, 'RL_ZK_NO_NODE')) return undefined;
      throw err;
    }),
    admin.listBackends(),
    admin.getConfig(),
  ]);
  const nodeList: StatusNode[] = [...nodes.entries]
    .map(([id, e]) => ({
      id,
      info: parseObject(e.data),
      session: e.stat.ephemeralOwner,
      since: e.stat.ctime,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const contenders: StatusContender[] = sortContenders([...election.entries.keys()]).map((c) => {
    const e = election.entries.get(c.name);
    const id = e === undefined ? undefined : parseObject(e.data)?.id;
    return {
      name: c.name,
      seq: c.seq,
      id: typeof id === 'string' ? id : undefined,
      session: e?.stat.ephemeralOwner ?? '',
    };
  });
  return {
    cluster: p.cluster,
    nodes: nodeList,
    election: contenders,
    leader:
      leader === undefined
        ? undefined
        : { info: parseObject(leader.data), session: leader.stat.ephemeralOwner },
    backends,
    config,
  };
}
