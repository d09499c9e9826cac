// `ringleader node check`, like `haproxy -c`: the node config (file + environment) checked
// by the very loader `node start` uses, so the messages are the ones a start would print;
// with --zk, the cluster's znodes a node would read, each rejection named as the node logs it.
import type { NodeConfig } from '@ringleader/node';
import type { MembershipSnapshot, StoredConfig, StoredService } from '@ringleader/zk';

/** One line describing a config that loaded. */
export function configSummary(config: NodeConfig, file: string | undefined): string {
  const where = file === undefined ? 'environment only' : `${file} + environment`;
  const addr = (a: { host: string; port: number }) =>
    `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
  return (
    `node config OK (${where}): node ${config.nodeId}, cluster ${config.cluster}, ` +
    `zookeeper ${config.zookeeper.connect}, proxy ${addr(config.proxy.listen)}, ` +
    `admin ${addr(config.admin.listen)}, ${config.mode}`
  );
}

export interface ClusterRead {
  readonly config: StoredConfig;
  readonly configPath: string;
  readonly backends: MembershipSnapshot;
  readonly services: ReadonlyArray<StoredService & { backends: number }>;
  /** Each service's backends folder, by service name. */
  readonly serviceBackends: ReadonlyMap<string, MembershipSnapshot>;
}

export interface ClusterVerdict {
  /** What a node would reject, one line each (empty: all good). */
  readonly problems: readonly string[];
  readonly summary: string;
}

/** The same judgement the watchers make (core codecs), worded as their log lines. */
export function judgeCluster(read: ClusterRead, cluster: string): ClusterVerdict {
  const problems: string[] = [];
  const c = read.config;
  if (c.exists && c.error !== undefined)
    problems.push(
      `${read.configPath}: config rejected, a node keeps the last good one (or does not serve without one): ${c.error.message} [${c.error.code}]`,
    );
  for (const r of read.backends.rejected)
    problems.push(`${r.path}: backend rejected (not routed to): ${r.message} [${r.code}]`);
  for (const s of read.services) {
    if (s.error !== undefined)
      problems.push(`${s.path}: service definition rejected: ${s.error.message} [${s.error.code}]`);
    for (const r of read.serviceBackends.get(s.name)?.rejected ?? [])
      problems.push(
        `${r.path}: backend of service ${s.name} rejected (not routed to): ${r.message} [${r.code}]`,
      );
  }
  const configWord = !c.exists
    ? 'no config znode (nodes use their routing: fallback)'
    : c.error
      ? 'config invalid'
      : `config v${c.version} OK`;
  const summary =
    `cluster ${cluster}: ${configWord}, ${read.backends.backends.length} backend(s)` +
    `${read.backends.rejected.length > 0 ? ` + ${read.backends.rejected.length} rejected` : ''}, ` +
    `${read.services.length} service(s)`;
  return { problems, summary };
}
