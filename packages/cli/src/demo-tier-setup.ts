// The demo's Redis and PostgreSQL tiers, set up: two redis-servers and one PostgreSQL from
// Debian's packages (through @ringleader/launcher), the services `cache` and `db` as znodes
// with their backends, and a wait until every node listens with the backends up. A tier whose
// server cannot start (the package is missing) is skipped with one line saying why; the HTTP
// demo goes on without it.
import { createServer } from 'node:net';
import type { LocalCluster } from '@ringleader/launcher';
import { pgProtocol, redisProtocol, type TierProtocol, type TierTarget } from './demo-tiers.js';
import type { ServiceBanner } from './demo-view-tiers.js';

type Launcher = typeof import('@ringleader/launcher');
type RedisServer = Awaited<ReturnType<Launcher['startRedis']>>;
type PostgresServer = Awaited<ReturnType<Launcher['startPostgres']>>;

/** Node i's service host: three nodes on one machine share the ports on 127.0.0.1/.2/.3. */
export const serviceHost = (index: number): string => `127.0.0.${index + 1}`;

export interface TierServers {
  readonly redis: readonly RedisServer[];
  readonly pg: PostgresServer | undefined;
  /** One line per tier that could not start. */
  readonly skipped: readonly string[];
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];

/** Starts both tiers' servers at once; never rejects (a failed tier is a `skipped` line). */
export async function startTierServers(
  launcher: Pick<Launcher, 'startRedis' | 'startPostgres'>,
): Promise<TierServers> {
  const [r1, r2, pg] = await Promise.allSettled([
    launcher.startRedis(),
    launcher.startRedis(),
    launcher.startPostgres(),
  ]);
  const redis = [r1, r2].flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const skipped: string[] = [];
  const all: Array<{ stop(): Promise<void> }> = [...redis];
  if (pg.status === 'fulfilled') all.push(pg.value);
  else skipped.push(`no PostgreSQL tier: ${firstLine(pg.reason)}`);
  const redisFailed = [r1, r2].find((r) => r.status === 'rejected');
  if (redisFailed !== undefined) {
    skipped.unshift(`no Redis tier: ${firstLine(redisFailed.reason)}`);
    // Half a tier is no tier: the one that did start is stopped with the rest.
  }
  return {
    redis: redisFailed === undefined ? redis : [],
    pg: pg.status === 'fulfilled' ? pg.value : undefined,
    skipped,
    pids: redis.map((r) => r.pid),
    stop: async () => {
      await Promise.allSettled(all.map((s) => s.stop()));
    },
  };
}

export interface RunningTier {
  readonly service: string;
  readonly label: string;
  readonly port: number;
  readonly protocol: TierProtocol;
  readonly intervalMs: number;
  readonly targets: readonly TierTarget[];
  readonly banner: ServiceBanner;
}

/** Whether `port` can be bound on every host now (another demo or a local server may hold it). */
async function freeOnAll(port: number, hosts: readonly string[]): Promise<boolean> {
  const tryOne = (host: string) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, host, () => s.close(() => resolve(true)));
    });
  return (await Promise.all(hosts.map(tryOne))).every(Boolean);
}

async function choosePort(preferred: number, hosts: readonly string[], launcher: Launcher): Promise<number> {
  if (await freeOnAll(preferred, hosts)) return preferred;
  for (let i = 0; i < 5; i++) {
    const [p] = await launcher.freePorts(1);
    if (p !== undefined && (await freeOnAll(p, hosts))) return p;
  }
  return preferred; // the nodes report the bind failure in /status; the banner says which port
}

const CHECK = { intervalMs: 500, timeoutMs: 400, rise: 1, fall: 1 };

/** Writes services/cache and services/db with their backends (the servers that started). */
export async function defineTiers(
  c: LocalCluster,
  servers: TierServers,
  launcher: Launcher,
): Promise<RunningTier[]> {
  const hosts = c.nodes.map((n) => serviceHost(n.index));
  const targets = c.nodes.map((n) => ({ node: n.id, host: serviceHost(n.index) }));
  const root = `/ringleader/${c.cluster}/services`;
  const put = async (
    name: string,
    def: unknown,
    backends: ReadonlyArray<{ id: string; host: string; port: number }>,
  ) => {
    // The definition first, whole: an empty services/<name> would be reported as rejected.
    await c.session.mkdirp(root);
    await c.session.create(`${root}/${name}`, JSON.stringify(def));
    await c.session.mkdirp(`${root}/${name}/backends`);
    for (const b of backends)
      await c.session.create(
        `${root}/${name}/backends/${b.id}`,
        JSON.stringify({ host: b.host, port: b.port }),
      );
  };
  const out: RunningTier[] = [];
  if (servers.redis.length > 0) {
    const port = await choosePort(6390, hosts, launcher);
    const backends = servers.redis.map((r, i) => ({
      id: `r${i + 1}`,
      host: r.host,
      port: r.port,
      pid: r.pid,
    }));
    await put(
      'cache',
      {
        // Key-aware: every command goes to the Redis that owns its key, the same on every node.
        protocol: 'redis',
        listen: port,
        policy: 'consistent-hash',
        healthCheck: { kind: 'redis', ...CHECK },
      },
      backends,
    );
    out.push({
      service: 'cache',
      label: 'redis',
      port,
      protocol: redisProtocol,
      intervalMs: 100,
      targets,
      banner: {
        name: 'cache',
        label: 'redis',
        port,
        summary: "redis, consistent-hash on each command's key, redis health check (PING → +PONG)",
        hosts: targets,
        backends: backends.map((b) => ({ id: b.id, address: `${b.host}:${b.port}`, pid: b.pid })),
        perSecond: 10,
        tryIt: `redis-cli -h ${hosts[0]} -p ${port} ping`,
      },
    });
  }
  if (servers.pg !== undefined) {
    const port = await choosePort(5440, hosts, launcher);
    const pg = servers.pg;
    await put(
      'db',
      {
        protocol: 'tcp',
        listen: port,
        policy: 'least-connections',
        healthCheck: { kind: 'postgres', ...CHECK },
      },
      [{ id: 'pg1', host: pg.host, port: pg.port }],
    );
    out.push({
      service: 'db',
      label: 'pg',
      port,
      protocol: pgProtocol,
      intervalMs: 200,
      targets,
      banner: {
        name: 'db',
        label: 'pg',
        port,
        summary: 'tcp, least-connections, postgres health check (start-up handshake), trust auth',
        hosts: targets,
        backends: [{ id: 'pg1', address: `${pg.host}:${pg.port}` }],
        perSecond: 5,
        tryIt: `psql -h ${hosts[0]} -p ${port} -U postgres -c 'select 1'`,
      },
    });
  }
  return out;
}

interface ServiceStatus {
  readonly name: string;
  readonly listener: { readonly phase: string };
  readonly backends: ReadonlyArray<{ readonly up: boolean }>;
}

/** Resolves true once every running node listens for each tier with all its backends up. */
export async function tiersReady(
  c: LocalCluster,
  tiers: readonly RunningTier[],
  timeoutMs: number,
): Promise<boolean> {
  const ready = async () => {
    for (const n of c.nodes.filter((x) => x.running)) {
      const st = (await n.status().catch(() => undefined)) as { services?: ServiceStatus[] } | undefined;
      for (const t of tiers) {
        const s = st?.services?.find((x) => x.name === t.service);
        if (s?.listener.phase !== 'listening' || s.backends.length === 0 || !s.backends.every((b) => b.up))
          return false;
      }
    }
    return true;
  };
  return c.waitFor(ready, timeoutMs, 'the services to listen on every node with their backends up').then(
    () => true,
    () => false,
  );
}
