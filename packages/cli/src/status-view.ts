// The pure half of `ringleader status`: ZooKeeper's view (readClusterStatus) joined with each
// node's own /status document into one value, shown as tables or printed as JSON. Ring
// agreement is compared, not inferred: every node publishes its effective routing state (the
// config fingerprint and the snapshot version), and the nodes agree when each holds a snapshot
// of ZooKeeper's membership version and the same config fingerprint — ZooKeeper's config's
// when that is valid, else the one most nodes hold (a node that starts into an invalid config
// must have learnt the cluster's last good one).
import {
  type BackendFields,
  backendFields,
  configFingerprint,
  formatHashSource,
  HASH_POLICIES,
} from '@ringleader/core';
import type { StatusDocument } from '@ringleader/node';
import type { ClusterStatus } from '@ringleader/zk';
import {
  type DeepPartial,
  formatServices,
  type NodeServicesView,
  nodeServices,
  type ServicesDoc,
} from './status-view-services.js';
import { dash, hostPort, renderTable } from './table.js';

/**
 * The part of a node's GET /status this command reads; anything else is ignored. Deeply partial
 * on purpose: during a rolling upgrade the node asked may be older (or newer) than this CLI and
 * lack a field (e.g. `config.fingerprint`, which older nodes published elsewhere), so every
 * field is checked before use and a missing one shows as unknown instead of failing the command.
 * `services` (see status-view-services.ts) is absent from nodes that predate services.
 */
export type NodeDoc = DeepPartial<
  Pick<
    StatusDocument,
    'node' | 'role' | 'epoch' | 'serving' | 'lifecycle' | 'session' | 'snapshot' | 'config' | 'backends'
  >
> &
  ServicesDoc;

/** Per node: its /status document, or why it could not be had. */
export type NodeFetch = { readonly doc: NodeDoc } | { readonly error: string };

export interface NodeView {
  readonly id: string;
  readonly adminUrl: string | null;
  /** From the election folder (the authority): leader, standby, or none (not contending). */
  readonly electionRole: 'leader' | 'standby' | 'none';
  readonly reachable: boolean;
  readonly error: string | null;
  /** The node's own view; null when it could not be asked. */
  readonly role: string | null;
  /** Its process id (nodes older than this field: null). */
  readonly pid: number | null;
  readonly epoch: number | null;
  readonly session: string | null;
  readonly snapshotVersion: number | null;
  readonly policy: string | null;
  /** The hash source of its routing config, if it hashes. */
  readonly hash: string | null;
  /** Fingerprint of the routing config in force (core configFingerprint). */
  readonly fingerprint: string | null;
  /** Where that config came from: znode, last-good, fallback, unknown (not serving). */
  readonly configSource: string | null;
  readonly serving: boolean | null;
  /**
   * snapshotVersion equals ZooKeeper's membership version and the fingerprint the cluster's
   * (null when the node could not be asked).
   */
  readonly inAgreement: boolean | null;
  /** Why not, in words (null when in agreement or unknown). */
  readonly disagreement: string | null;
}

export interface BackendView extends BackendFields {
  /** Health as each reachable node sees it ('-' when the backend is not in its snapshot). */
  readonly health: Readonly<Record<string, string>>;
  /**
   * Why it is not up, as the nodes that say so explain it (the last transition and the last
   * failed check, e.g. "first check failed: status 404 outside 200..399"), one entry per
   * distinct reason, node ids first; empty when every node has it up.
   */
  readonly why: readonly string[];
}

export interface StatusView {
  readonly cluster: string;
  readonly zk: string;
  readonly at: string;
  readonly leader: {
    readonly id: string | null;
    readonly epoch: number | null;
    readonly since: string | null;
    readonly proxyUrl: string | null;
    readonly adminUrl: string | null;
  } | null;
  readonly membershipVersion: number;
  readonly agreement: {
    readonly agreed: boolean;
    readonly disagreeing: readonly string[];
    /** The config fingerprint every node should hold (null when nothing to compare). */
    readonly fingerprint: string | null;
  };
  readonly nodes: readonly NodeView[];
  readonly backends: readonly BackendView[];
  /** Per reachable node that publishes them: the services of services/<name>. */
  readonly services: readonly NodeServicesView[];
  readonly rejected: readonly { readonly path: string; readonly code: string; readonly message: string }[];
  readonly config: {
    readonly exists: boolean;
    readonly version: number;
    readonly policy: string | null;
    readonly hash: string | null;
    readonly error: string | null;
  };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Where to ask a node: the leader znode's adminUrl for the leader, else host:adminPort of its registration. */
export function adminUrlOf(node: ClusterStatus['nodes'][number], status: ClusterStatus): string | null {
  const leader = status.leader?.info;
  if (leader && leader.id === node.id && typeof leader.adminUrl === 'string') return leader.adminUrl;
  const host = str(node.info?.host);
  const port = num(node.info?.adminPort);
  if (host === null || port === null) return null;
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${hostPort(h, port)}`;
}

export function buildStatusView(
  status: ClusterStatus,
  fetched: ReadonlyMap<string, NodeFetch>,
  meta: { zk: string; at: Date },
): StatusView {
  const reference = status.backends.version;
  const leaderSeq = status.election[0];
  const docs = new Map<string, NodeDoc>();
  for (const [id, f] of fetched) if ('doc' in f) docs.set(id, f.doc);
  const fingerprint = referenceFingerprint(status, [...docs.values()]);
  const nodes: NodeView[] = status.nodes.map((n) => {
    const f = fetched.get(n.id);
    const doc = f !== undefined && 'doc' in f ? f.doc : undefined;
    const electionRole =
      leaderSeq?.id === n.id ? 'leader' : status.election.some((c) => c.id === n.id) ? 'standby' : 'none';
    const snapshotVersion = num(doc?.snapshot?.version);
    const fp = str(doc?.config?.fingerprint);
    const configSource = str(doc?.config?.source);
    const disagreement =
      doc === undefined
        ? null
        : configSource === 'unknown'
          ? 'does not know the cluster config (not serving)'
          : snapshotVersion !== reference
            ? `snapshot ${dash(snapshotVersion)}, ZooKeeper ${reference}`
            : fingerprint !== null && fp !== fingerprint
              ? `config ${dash(fp)}, cluster ${fingerprint}`
              : null;
    return {
      id: n.id,
      adminUrl: adminUrlOf(n, status),
      electionRole,
      reachable: doc !== undefined,
      error: f === undefined ? 'no admin address in its registration' : 'error' in f ? f.error : null,
      role: str(doc?.role),
      pid: num(doc?.node?.pid),
      epoch: num(doc?.epoch),
      session: str(doc?.session?.state),
      snapshotVersion,
      policy: str(doc?.snapshot?.policy),
      hash: str(doc?.config?.hash),
      fingerprint: fp,
      configSource,
      serving: typeof doc?.serving === 'boolean' ? doc.serving : null,
      inAgreement: doc === undefined ? null : disagreement === null,
      disagreement,
    };
  });
  const healthBy = new Map<string, Map<string, string>>();
  const reasonsBy = new Map<string, Map<string, string>>();
  for (const n of nodes) {
    const f = fetched.get(n.id);
    if (f === undefined || !('doc' in f)) continue;
    const m = new Map<string, string>();
    const r = new Map<string, string>();
    for (const b of f.doc.backends ?? []) {
      if (typeof b.id !== 'string') continue;
      m.set(b.id, str(b.health) ?? '?');
      const reason = str(b.reason);
      if (b.up === false && reason !== null) r.set(b.id, reason);
    }
    healthBy.set(n.id, m);
    reasonsBy.set(n.id, r);
  }
  const backends: BackendView[] = status.backends.backends.map((b) => ({
    ...backendFields(b),
    health: Object.fromEntries([...healthBy].map(([node, m]) => [node, m.get(b.id) ?? '-'])),
    why: whyDown(b.id, reasonsBy),
  }));
  const li = status.leader?.info;
  const cfg = status.config;
  return {
    cluster: status.cluster,
    zk: meta.zk,
    at: meta.at.toISOString(),
    leader: li
      ? {
          id: str(li.id),
          epoch: num(li.epoch),
          since: str(li.since),
          proxyUrl: str(li.proxyUrl),
          adminUrl: str(li.adminUrl),
        }
      : null,
    membershipVersion: reference,
    agreement: {
      agreed: nodes.every((n) => n.inAgreement !== false),
      disagreeing: nodes.filter((n) => n.inAgreement === false).map((n) => n.id),
      fingerprint,
    },
    nodes,
    backends,
    services: nodeServices(
      docs,
      nodes.map((n) => n.id),
    ),
    rejected: status.backends.rejected.map((r) => ({ path: r.path, code: r.code, message: r.message })),
    config: {
      exists: cfg.exists,
      version: cfg.version,
      policy: cfg.config?.policy ?? null,
      hash:
        cfg.config?.hash && HASH_POLICIES.has(cfg.config.policy) ? formatHashSource(cfg.config.hash) : null,
      error: cfg.error ? `${cfg.error.message} [${cfg.error.code}]` : null,
    },
  };
}

/** Distinct reasons nodes give for a backend not being up: "lb-1, lb-2: <reason>". */
function whyDown(id: string, reasonsBy: ReadonlyMap<string, ReadonlyMap<string, string>>): string[] {
  const byReason = new Map<string, string[]>();
  for (const [node, m] of reasonsBy) {
    const r = m.get(id);
    if (r !== undefined) byReason.set(r, [...(byReason.get(r) ?? []), node]);
  }
  return [...byReason].map(([r, ns]) => `${ns.join(', ')}: ${r}`);
}

const yesNo = (v: boolean | null) => (v === null ? '-' : v ? 'yes' : 'no');

/**
 * The fingerprint every node should hold: that of ZooKeeper's config when it is valid, else
 * the one most answering nodes hold (the cluster's last good config); null with no answers.
 */
function referenceFingerprint(status: ClusterStatus, docs: readonly NodeDoc[]): string | null {
  if (status.config.exists && status.config.config !== undefined && status.config.error === undefined)
    return configFingerprint(status.config.config);
  const counts = new Map<string, number>();
  for (const d of docs) {
    const fp = d.config?.fingerprint;
    if (typeof fp === 'string' && d.config?.source !== 'unknown') counts.set(fp, (counts.get(fp) ?? 0) + 1);
  }
  let best: string | null = null;
  let bestCount = 0;
  for (const [fp, n] of counts) if (n > bestCount) [best, bestCount] = [fp, n];
  return best;
}

function agreementLine(v: StatusView): string {
  const asked = v.nodes.filter((n) => n.reachable);
  if (v.nodes.length === 0) return `no nodes registered; ZooKeeper membership version ${v.membershipVersion}`;
  if (asked.length === 0)
    return `unknown: no node answered (ZooKeeper membership version ${v.membershipVersion})`;
  const fp = v.agreement.fingerprint === null ? '' : `, config ${v.agreement.fingerprint}`;
  if (v.agreement.agreed) {
    return `agreed: ${asked.length} node${asked.length === 1 ? '' : 's'} on snapshot ${v.membershipVersion} (= ZooKeeper)${fp}`;
  }
  const why = v.nodes
    .filter((n) => n.inAgreement === false)
    .map((n) => `${n.id}: ${n.disagreement}`)
    .join('; ');
  return `DISAGREE: ${why} (still propagating, cut off from ZooKeeper, or routing differently)`;
}

/** The human form: summary lines, then NODES, BACKENDS (with each node's health view), REJECTED, SERVICES per node. */
export function formatStatus(v: StatusView): string {
  const l = v.leader;
  const leader = l
    ? `${dash(l.id)} epoch ${dash(l.epoch)} since ${dash(l.since)}${l.proxyUrl ? ` · proxy ${l.proxyUrl}` : ''}`
    : 'none (no leader znode)';
  const c = v.config;
  const config = !c.exists
    ? 'none in ZooKeeper (nodes use their own routing settings)'
    : c.error
      ? `INVALID (nodes keep their last good config): ${c.error}`
      : `${c.policy}${c.hash ? ` hash ${c.hash}` : ''} (znode version ${c.version})`;
  let out =
    `cluster ${v.cluster} at ${v.zk}\n` +
    `leader:  ${leader}\n` +
    `config:  ${config}\n` +
    `ring:    ${agreementLine(v)}\n`;

  if (v.nodes.length > 0) {
    out += `\nNODES\n`;
    out += renderTable(
      ['ID', 'ROLE', 'EPOCH', 'SESSION', 'SNAPSHOT', 'POLICY', 'CONFIG', 'SERVING', 'PID', 'ADMIN'],
      v.nodes.map((n) => {
        const role = n.role ?? `${n.electionRole}?`;
        const snap =
          n.snapshotVersion === null
            ? '-'
            : n.inAgreement === false
              ? `${n.snapshotVersion} (zk ${v.membershipVersion})`
              : String(n.snapshotVersion);
        const admin = n.reachable ? dash(n.adminUrl) : `${dash(n.adminUrl)} unreachable: ${dash(n.error)}`;
        const policy = n.policy === null ? '-' : `${n.policy}${n.hash ? ` ${n.hash}` : ''}`;
        const config =
          n.fingerprint === null
            ? '-'
            : `${n.fingerprint} (${dash(n.configSource)})${n.configSource === 'unknown' || (v.agreement.fingerprint !== null && n.fingerprint !== v.agreement.fingerprint) ? ' !' : ''}`;
        return [
          n.id,
          role,
          dash(n.epoch),
          dash(n.session),
          snap,
          policy,
          config,
          yesNo(n.serving),
          dash(n.pid),
          admin,
        ];
      }),
    );
  }

  const asked = v.nodes.filter((n) => n.reachable).map((n) => n.id);
  out += `\nBACKENDS (membership version ${v.membershipVersion})\n`;
  if (v.backends.length === 0) out += 'none\n';
  else {
    out += renderTable(
      ['ID', 'ADDRESS', 'WEIGHT', 'STATE', 'ZONE', ...asked.map((id) => `HEALTH@${id}`)],
      v.backends.map((b) => [
        b.id,
        hostPort(b.host, b.port),
        String(b.weight),
        b.state,
        dash(b.zone),
        ...asked.map((id) => b.health[id] ?? '-'),
      ]),
    );
    // Reasons are long: one line each under the table rather than a column that wraps it.
    const down = v.backends.filter((b) => b.why.length > 0);
    if (down.length > 0) {
      out += `\nWHY NOT UP\n`;
      for (const b of down) for (const w of b.why) out += `${b.id}  ${w}\n`;
    }
  }
  if (v.rejected.length > 0) {
    out += `\nREJECTED (not routed)\n`;
    out += renderTable(
      ['PATH', 'CODE', 'PROBLEM'],
      v.rejected.map((r) => [r.path, r.code, r.message]),
    );
  }
  return out + formatServices(v.services);
}
