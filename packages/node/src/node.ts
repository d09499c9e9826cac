// One LB node: a ZooKeeper session, registration, election, membership and config watches,
// health checks, the data plane and the admin listener, wired so that data flows one way:
// watch → validated snapshot → atomic swap → pick per request. Nothing on the request path
// awaits ZooKeeper.
import { on } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { HealthTable, LoadTracker } from '@ringleader/core';
import {
  ClusterAdmin,
  type ConfigSource,
  ConfigWatcher,
  clusterPaths,
  ensureClusterPaths,
  freshSummaries,
  LeaderElection,
  LeaderWatcher,
  MembershipWatcher,
  NodeRegistry,
  NotAuthorisedLog,
  PeerStatsWatcher,
  ServicesWatcher,
  StatsPublisher,
  type Logger as ZkLogger,
  ZkSession,
  zkSecurity,
} from '@ringleader/zk';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { NodeConfig } from './config/schema.js';
import { createAdminServer } from './control/admin/server.js';
import { registerClusterMetrics } from './control/cluster-metrics.js';
import { HealthChecker } from './control/health/checker.js';
import { serviceProbe } from './control/health/probes.js';
import { SharedHealth } from './control/health/shared.js';
import { createMetrics, type NodeMetrics } from './control/metrics.js';
import { RoleController } from './control/role/controller.js';
import { fallbackClusterConfig, RoutingState } from './control/routing.js';
import { ServiceManager } from './control/services/manager.js';
import { serviceControlMetrics } from './control/services/metrics.js';
import { buildStatus } from './control/status.js';
import { CertificateReloader, loadTls, type ReloadResult, type SecureContextTarget } from './control/tls.js';
import type { NodeAddresses, NodeView, WorkerStatusRow } from './control/view.js';
import { listenAs } from './listen-error.js';
import { createNodeLogger, mergingLogger } from './logging.js';
import { parseLeaderTarget } from './plane/admission.js';
import { createDataPlane } from './plane/http/server.js';
import { createHttpServiceListener, type HttpServiceBase } from './plane/http-service.js';
import { createRedisListener } from './plane/redis/index.js';
import { createTcpListener } from './plane/tcp/index.js';
import type { DataPlane } from './plane/types.js';
import type { DataPlaneStats, ServiceListener, ServiceListenerInput } from './seam.js';
import { WorkerPlane } from './workers/host.js';
import { httpPlaneBase } from './workers/plane-options.js';

export const RINGLEADER_VERSION = '0.1.0';

export type { NodeAddresses } from './control/view.js';

export interface StartOptions {
  readonly logger?: Logger;
  /** Called after the admin server is built, before it listens (dashboard, SSE). */
  readonly extendAdmin?: (app: FastifyInstance, node: RingleaderNode) => void | Promise<void>;
}

export class RingleaderNode implements NodeView {
  readonly config: NodeConfig;
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  readonly session: ZkSession;
  readonly load: LoadTracker;
  readonly health: HealthTable;
  readonly checker: HealthChecker;
  readonly routing: RoutingState;
  readonly roles: RoleController;
  readonly membership: MembershipWatcher;
  readonly servicesWatch: ServicesWatcher;
  readonly configWatch: ConfigWatcher;
  readonly leaderWatch: LeaderWatcher;
  readonly admin: ClusterAdmin;
  /** The HTTP data plane on this thread (`workers: 1`). */
  readonly dataPlane: DataPlane | undefined;
  /** The HTTP data plane in worker threads (`workers` > 1). */
  readonly workers: WorkerPlane | undefined;
  /** Whichever of the two serves. */
  readonly #plane: ProxyPlane;
  /** The services of services/<name>, each with its own listener on serviceHost. */
  readonly services: ServiceManager;
  readonly serviceHost: string;
  readonly startedAt = new Date();
  readonly #httpBase: HttpServiceBase;
  #election: LeaderElection | undefined;
  #registry: NodeRegistry | undefined;
  #statsPublisher: StatsPublisher | undefined;
  #peerStats: PeerStatsWatcher | undefined;
  #sharedHealth: SharedHealth | undefined;
  #adminApp: FastifyInstance | undefined;
  #addresses: NodeAddresses | undefined;
  #stopping: Promise<void> | undefined;
  #tls: ReturnType<typeof loadTls> | undefined;
  #tlsReloader: CertificateReloader | undefined;
  #zkLog: ZkLogger;

  constructor(config: NodeConfig, opts: { logger?: Logger } = {}) {
    this.config = config;
    const base = opts.logger ?? createNodeLogger({ level: config.log.level, format: config.log.format });
    const bindings = { node: config.nodeId, cluster: config.cluster };
    this.log = base.child(bindings);
    this.metrics = createMetrics({ perBackend: config.metrics.perBackend });
    // zk modules bind their own component (and node): merged, so no line carries a key twice.
    const zkLog = mergingLogger(base, { ...bindings, component: 'zk' });
    this.#zkLog = zkLog;
    this.session = new ZkSession({
      connectString: config.zookeeper.connect,
      sessionTimeoutMs: config.zookeeper.sessionTimeoutMs,
      logger: zkLog,
      // The digest credential, and the ACLs of everything this node creates (docs/security.md).
      ...zkSecurity({
        cluster: config.cluster,
        credential: config.zookeeper.auth,
        backendCredential: config.zookeeper.backendAuth,
        readAcl: config.zookeeper.readAcl,
      }),
    });
    const fallback = fallbackClusterConfig(config);
    this.load = new LoadTracker({ decayMs: fallback.lrt.decayMs });
    this.health = new HealthTable({ healthCheck: fallback.healthCheck, outlier: fallback.outlier });
    this.checker = new HealthChecker({
      table: this.health,
      config: fallback.healthCheck,
      metrics: this.metrics,
      logger: this.log.child({ component: 'health' }),
      load: this.load,
      maxConcurrent: config.healthChecks.maxConcurrent,
    });
    this.routing = new RoutingState({
      fallback,
      load: this.load,
      health: this.health,
      checker: this.checker,
      metrics: this.metrics,
      logger: this.log.child({ component: 'routing' }),
      onSnapshot: (snap) => this.#plane?.onSnapshot(snap),
    });
    this.roles = new RoleController({
      config,
      logger: this.log.child({ component: 'role' }),
      metrics: this.metrics,
      holdsLease: () => this.#election?.holdsLease() ?? false,
      leaseValidUntil: () => this.#election?.leaseValidUntil() ?? Number.NEGATIVE_INFINITY,
      sessionLive: () =>
        this.session.state === 'connected' && this.session.now() < this.session.leaseValidUntil(),
    });
    this.membership = new MembershipWatcher({
      session: this.session,
      cluster: config.cluster,
      logger: zkLog,
    });
    this.configWatch = new ConfigWatcher({
      session: this.session,
      cluster: config.cluster,
      fallback,
      nodeId: config.nodeId,
      logger: zkLog,
    });
    this.servicesWatch = new ServicesWatcher({
      session: this.session,
      cluster: config.cluster,
      logger: zkLog,
    });
    this.leaderWatch = new LeaderWatcher({ session: this.session, cluster: config.cluster, logger: zkLog });
    this.admin = new ClusterAdmin({ session: this.session, cluster: config.cluster });
    // Read and checked now (a bad pair stops the start with RL_TLS_RELOAD_FAILED naming the file).
    this.#tls = config.proxy.tls ? loadTls(config.proxy.tls) : undefined;
    // What every HTTP plane of this node shares (the default service's and those of http
    // services): the seam, feeds, retries and connect timeout are each service's own.
    this.#httpBase = httpPlaneBase(config, this.#tls, this.log.child({ component: 'proxy' }), this.metrics);
    if (config.workers > 1) {
      // The plane in worker threads (workers/): the seam crosses as messages, the permit is
      // checked against the shared lease cell; the control plane stays alone on this thread.
      this.workers = new WorkerPlane({
        count: config.workers,
        config,
        ...(this.#tls ? { tls: { key: this.#tls.key, cert: this.#tls.cert } } : {}),
        routing: () => ({
          version: this.routing.snapshot.version,
          backends: this.routing.snapshot.backends,
          config: this.routing.config,
        }),
        gate: () => this.roles.gate(),
        waitForGateChange: (ms) => this.roles.waitForGateChange(ms),
        health: this.health,
        passive: this.checker,
        registry: this.metrics.registry,
        logger: this.log.child({ component: 'workers' }),
        retryAfterS: this.roles.facts.retryAfterS,
        refreshMs: Math.max(5, Math.min(50, Math.floor(config.zookeeper.sessionTimeoutMs / 40))),
      });
      this.#plane = this.workers;
    } else {
      this.dataPlane = createDataPlane({
        ...this.#httpBase,
        // The seam (seam.ts): the plane reads the snapshot and the gate, and asks again right
        // before each write to a backend (plane/http/pools.ts) whether the permit still holds.
        seam: {
          snapshot: () => this.routing.snapshot,
          gate: () => this.roles.gate(),
          permitValid: (permit) => this.roles.permitValid(permit),
          waitForGateChange: (ms) => this.roles.waitForGateChange(ms),
        },
        load: this.load,
        health: this.checker,
        retries: config.retries,
      });
      this.#plane = this.dataPlane;
    }
    this.serviceHost = config.services.host ?? config.proxy.listen.host;
    this.services = new ServiceManager(
      {
        host: this.serviceHost,
        gate: () => this.roles.gate(),
        permitValid: (permit) => this.roles.permitValid(permit),
        relayValid: (permit) => this.roles.relayValid(permit),
        waitForGateChange: (ms) => this.roles.waitForGateChange(ms),
        openListener: (input) => this.#openServiceListener(input),
        probeFor: (d) => serviceProbe(d.healthCheck),
        metrics: serviceControlMetrics(this.metrics.registry),
        logger: this.log.child({ component: 'services' }),
      },
      reservedPorts(config, this.serviceHost),
    );
    registerClusterMetrics(this.metrics.registry, this);
  }

  /** The listener of one service, by protocol; the control room drives it (control/services/). */
  #openServiceListener(input: ServiceListenerInput): ServiceListener {
    // A forwarding standby relays to the same service port on the leader's service host.
    const forwardTarget = () => {
      const host = this.roles.leader?.serviceHost ?? leaderProxyHost(this.roles.leader?.proxyUrl);
      return host === undefined ? undefined : { host, port: input.definition.listen };
    };
    switch (input.definition.protocol) {
      case 'http':
        return createHttpServiceListener(input, this.#httpBase);
      case 'tcp':
        return createTcpListener({
          ...input,
          service: input.definition,
          nodeId: this.config.nodeId,
          forwardTarget,
          metrics: this.metrics.serviceMetrics(input.name),
          logger: this.log.child({ component: 'tcp', service: input.name }),
          ...(this.#httpBase.accessLog ? { accessLog: this.#httpBase.accessLog } : {}),
        });
      case 'redis': {
        const auth = this.config.services.redis;
        return createRedisListener({
          ...input,
          service: input.definition,
          nodeId: this.config.nodeId,
          forwardTarget,
          metrics: this.metrics.redisMetrics(input.name),
          ...(auth.password !== undefined
            ? {
                auth: {
                  password: auth.password,
                  ...(auth.username !== undefined ? { username: auth.username } : {}),
                },
              }
            : {}),
          logger: this.log.child({ component: 'redis', service: input.name }),
        });
      }
    }
  }

  /** Shared health checking, once joined (undefined with healthChecks.checkersPerBackend 0). */
  get sharedHealth(): SharedHealth | undefined {
    return this.#sharedHealth;
  }

  /** Built in start(), once the URLs written into the leader znode are known. */
  get election(): LeaderElection | undefined {
    return this.#election;
  }

  get addresses(): NodeAddresses | undefined {
    return this.#addresses;
  }

  get traffic(): Readonly<DataPlaneStats> {
    return this.#plane.stats;
  }

  /** /status `workers`: one row per data-plane thread (the main thread's alone with `workers: 1`). */
  workerRows(): WorkerStatusRow[] {
    if (this.workers) return this.workers.rows();
    const t = this.#plane.stats;
    const version = this.routing.snapshot.version;
    return [
      {
        id: 0,
        state: 'main-thread',
        threadId: 0,
        requests: t.requests,
        inFlight: t.inFlight,
        snapshotVersion: version,
        restarts: 0,
      },
    ];
  }

  /** The snapshot version every data-plane thread routes with (null while workers differ). */
  planeSnapshotVersion(): number | null {
    if (!this.workers) return this.routing.snapshot.version;
    const v = this.workers.agreedVersion();
    return v === this.routing.snapshot.version ? v : null;
  }

  /**
   * SIGHUP: re-reads proxy.tls and swaps the pair in for new handshakes (open connections keep
   * theirs); a bad pair keeps the one in force and is logged (RL_TLS_RELOAD_FAILED). tls.ts.
   */
  reloadTls(): ReloadResult | undefined {
    const files = this.config.proxy.tls;
    if (!files) {
      this.log.info('reload requested, but proxy.tls is not configured: nothing to reload');
      return undefined;
    }
    if (!this.dataPlane) {
      this.log.warn(
        'reload requested, but the proxy port is served by worker threads: restart the node to change its certificate',
      );
      return undefined;
    }
    this.#tlsReloader ??= new CertificateReloader({
      files,
      target: this.dataPlane.app.server as unknown as SecureContextTarget,
      logger: this.log.child({ component: 'tls' }),
      ...(this.#tls ? { current: this.#tls.info } : {}),
    });
    return this.#tlsReloader.reload();
  }

  /** Listens on both ports, then joins the cluster. Resolves once listening; ZooKeeper may still be connecting. */
  async start(opts: StartOptions = {}): Promise<NodeAddresses> {
    const { config } = this;
    this.#wireEvents();

    const proxy = await listenAs(
      { key: 'proxy.listen', env: 'RINGLEADER_PROXY_LISTEN', ...config.proxy.listen },
      () => this.#plane.listen(config.proxy.listen),
    );
    this.#adminApp = await createAdminServer({
      isReady: () => this.roles.isServing(),
      status: () => buildStatus(this),
      metrics: async () => ({
        contentType: this.metrics.registry.contentType,
        body: this.workers ? await this.workers.metricsText() : await this.metrics.registry.metrics(),
      }),
      actions: {
        resign: async () => {
          const role = this.#election?.role ?? 'candidate';
          if (role !== 'leader') return { resigned: false, reason: `this node is ${role}` };
          // Stop admitting before the election znode goes (see decideGate's hand-over).
          this.roles.beginResign();
          try {
            await this.#election?.resign({ rejoin: true });
          } finally {
            this.roles.endResign();
          }
          return { resigned: true };
        },
        drain: async (id) => void (await this.admin.drainBackend(id)),
        undrain: async (id) => void (await this.admin.undrainBackend(id)),
      },
      ...(config.admin.token ? { token: config.admin.token } : {}),
      logger: this.log,
      // The dashboard (GET /, /events, /dashboard/*) is installed here by process.ts.
      extend: async (app: FastifyInstance) => {
        await opts.extendAdmin?.(app, this);
      },
    });
    const adminApp = this.#adminApp;
    await listenAs({ key: 'admin.listen', env: 'RINGLEADER_ADMIN_LISTEN', ...config.admin.listen }, () =>
      adminApp.listen({ host: config.admin.listen.host, port: config.admin.listen.port }),
    );
    const adminAddr = this.#adminApp.server.address();
    const adminPort = typeof adminAddr === 'object' && adminAddr ? adminAddr.port : config.admin.listen.port;
    const advertised = advertisedHost(config.proxy.listen.host, config.advertiseHost);
    this.#addresses = {
      proxyUrl: `${config.proxy.tls ? 'https' : 'http'}://${advertised}:${proxy.port}`,
      adminUrl: `http://${advertisedHost(config.admin.listen.host, config.advertiseHost)}:${adminPort}`,
    };

    const election = new LeaderElection({
      session: this.session,
      nodeId: config.nodeId,
      cluster: config.cluster,
      urls: { ...this.#addresses, serviceHost: reachableServiceHost(this.serviceHost, config.advertiseHost) },
      logger: this.#zkLog,
    });
    election.on('role', (change) => {
      this.roles.onRoleChange(change);
      this.roles.setOwnSequence(election.sequence);
    });
    this.#election = election;

    this.session.start();
    this.checker.start();
    this.roles.setLifecycle('running');
    void this.#join(proxy.port, adminPort);
    this.log.info({ ...this.#addresses, mode: config.mode, zk: config.zookeeper.connect }, 'node started');
    return this.#addresses;
  }

  /** Connects (retrying, with a clear log line while ZooKeeper is unreachable), then joins. */
  async #join(proxyPort: number, adminPort: number): Promise<void> {
    const { config } = this;
    const waitMs = Math.max(2000, config.zookeeper.sessionTimeoutMs * 2);
    const noauth = new NotAuthorisedLog(this.#zkLog);
    while (this.#stopping === undefined) {
      try {
        await this.session.waitFor('connected', waitMs);
        await ensureClusterPaths(this.session, config.cluster);
        break;
      } catch (err) {
        if (this.#stopping !== undefined) return;
        // Refused by the ACLs (no or another credential): logged, and the node goes on — it
        // reads what it may, and the registry and election retry, reporting once a minute.
        if (noauth.report(err)) break;
        this.log.error(
          {
            code: 'RL_ZK_UNREACHABLE',
            zk: config.zookeeper.connect,
            waitedMs: waitMs,
            cause: (err as Error).message,
          },
          `ZooKeeper unreachable at ${config.zookeeper.connect} within ${waitMs} ms; still trying`,
        );
      }
    }
    if (this.#stopping !== undefined) return;
    this.membership.start();
    this.configWatch.start();
    this.servicesWatch.start();
    this.leaderWatch.start();
    this.#registry = new NodeRegistry({
      session: this.session,
      cluster: config.cluster,
      logger: this.#zkLog,
      info: {
        id: config.nodeId,
        host: advertisedHost(config.proxy.listen.host, config.advertiseHost),
        proxyPort,
        adminPort,
        mode: config.mode,
        version: RINGLEADER_VERSION,
        startedAt: this.startedAt.toISOString(),
      },
    });
    this.#registry.start();
    this.#election?.start();
    // Shared health checking (docs/health.md): k checkers per backend among the nodes in health/.
    if (config.healthChecks.checkersPerBackend > 0) {
      this.#sharedHealth = new SharedHealth({
        checker: this.checker,
        session: this.session,
        nodeId: config.nodeId,
        cluster: config.cluster,
        k: config.healthChecks.checkersPerBackend,
        fallbackMs: config.zookeeper.sessionTimeoutMs,
        logger: this.log.child({ component: 'health' }),
      }).start();
    }
    if (config.mode === 'active-active') {
      this.#statsPublisher = new StatsPublisher({
        session: this.session,
        nodeId: config.nodeId,
        cluster: config.cluster,
        summary: () => this.workers?.loadSummary() ?? this.load.snapshot(performance.now()),
      }).start();
      this.#peerStats = new PeerStatsWatcher({
        session: this.session,
        nodeId: config.nodeId,
        cluster: config.cluster,
        onPeers: (peers) => {
          const fresh = freshSummaries(peers.values(), Date.now(), 5_000);
          this.load.blend(fresh);
          this.workers?.setPeers(fresh);
        },
      }).start();
    }
  }

  #wireEvents(): void {
    this.session.on('state', (c) => this.roles.onSessionState(c.to, c.cause));
    this.membership.on('snapshot', (m) => this.routing.setMembership(m.version, m.backends));
    this.configWatch.on('config', (c) => {
      // 'unknown': the znode is invalid and no last good copy exists. Routing keeps what it
      // has, and the gate stops serving (the other nodes may route with another config).
      if (c.source !== 'unknown') this.routing.setConfig(c.config);
      this.roles.setConfigKnown(c.source !== 'unknown');
      for (const s of CONFIG_SOURCES) this.metrics.configSource.labels(s).set(s === c.source ? 1 : 0);
      this.metrics.configKnown.set(c.source === 'unknown' ? 0 : 1);
    });
    this.leaderWatch.on('leader', (l) => this.roles.onLeader(l));
    this.servicesWatch.on('services', (view) => this.services.apply(view));
  }

  /**
   * Graceful stop: resign first (a standby takes over at once), stop accepting, let in-flight
   * requests finish within drainTimeoutMs, then close the session (ephemerals go in ~ms).
   */
  stop(reason = 'stop requested'): Promise<void> {
    this.#stopping ??= this.#stop(reason);
    return this.#stopping;
  }

  /** Resolves once the leader znode names another node (or after `ms`). */
  async #successorKnown(ms: number): Promise<void> {
    const named = () => {
      const l = this.leaderWatch.current;
      return l !== null && l.id !== this.config.nodeId;
    };
    if (named()) return;
    try {
      for await (const _ of on(this.leaderWatch, 'leader', { signal: AbortSignal.timeout(ms) }))
        if (named()) return;
    } catch {
      // The timeout: the session close hands over instead.
    }
  }

  async #stop(reason: string): Promise<void> {
    this.log.info({ reason, role: this.roles.role }, 'node stopping');
    // Draining: a leader serves until its resignation is through, then forwards what still
    // reaches it to the successor; every answer asks keep-alive clients to reconnect elsewhere.
    this.roles.setLifecycle('draining');
    const wasLeader = this.#election?.role === 'leader';
    if (wasLeader && this.#election) {
      // A lone node has no successor to wait for (it used to wait the whole session timeout).
      const contenders = await this.session.getChildren(clusterPaths(this.config.cluster).election).then(
        (r) => r.children.length,
        () => Number.POSITIVE_INFINITY,
      );
      try {
        await this.#election.resign({ rejoin: false });
      } catch (err) {
        this.log.warn({ err }, 'resign failed; the session close will hand over');
      }
      if (this.config.mode === 'active-passive' && contenders > 1)
        await this.#successorKnown(this.config.zookeeper.sessionTimeoutMs);
      else if (contenders <= 1) this.log.info('no other node in the election: not waiting for a successor');
    }
    // The listener closes only now, when kept-alive clients have no reason to open connections,
    // so none is caught in the kernel's accept queue (reset when a listening socket closes).
    // Then each kept-alive client gets one round trip to see `connection: close` and go
    // elsewhere before idle connections are closed.
    this.#plane.stopAccepting();
    this.services.stopAccepting();
    await sleep(Math.min(this.config.drainTimeoutMs, DRAIN_ANNOUNCE_MS));
    // Each service drains its open connections for its own drainTimeoutMs (docs/services.md).
    await Promise.all([this.#plane.close(this.config.drainTimeoutMs), this.services.close()]);
    this.roles.setLifecycle('stopped');
    this.checker.stop();
    await this.#sharedHealth?.close();
    await this.#statsPublisher?.close();
    this.#peerStats?.close();
    this.membership.close();
    this.servicesWatch.close();
    this.configWatch.close();
    this.leaderWatch.close();
    await this.#election?.close();
    await this.#registry?.close();
    await this.session.close();
    await this.roles.settle();
    await this.#adminApp?.close();
    this.log.info('node stopped');
  }
}

const DRAIN_ANNOUNCE_MS = 1000;

/** What node.ts asks of the plane, in-thread or in workers. */
type ProxyPlane = Pick<DataPlane, 'listen' | 'stopAccepting' | 'close' | 'onSnapshot' | 'stats'>;

const CONFIG_SOURCES: readonly ConfigSource[] = ['znode', 'last-good', 'fallback', 'unknown'];

/** The host of a leader's proxy URL (without IPv6 brackets), by the plane's one parser. */
const leaderProxyHost = (url: string | undefined): string | undefined =>
  url === undefined ? undefined : parseLeaderTarget(url)?.host;

/** Where peers reach this node's service listeners: the service host, unless it is a wildcard. */
function reachableServiceHost(host: string, advertise: string | undefined): string {
  const wild = host === '0.0.0.0' || host === '::' || host === '';
  return wild ? advertisedHost(host, advertise).replace(/^\[|\]$/g, '') : host;
}

/** Ports this node holds on the service host already (a service asking for one is not opened). */
function reservedPorts(config: NodeConfig, serviceHost: string): Map<number, string> {
  const wild = (h: string) => h === '0.0.0.0' || h === '::' || h === '';
  const overlaps = (h: string) => h === serviceHost || wild(h) || wild(serviceHost);
  const out = new Map<number, string>();
  if (overlaps(config.proxy.listen.host) && config.proxy.listen.port !== 0)
    out.set(config.proxy.listen.port, 'default (proxy.listen)');
  if (overlaps(config.admin.listen.host) && config.admin.listen.port !== 0)
    out.set(config.admin.listen.port, 'the admin API (admin.listen)');
  return out;
}

/** The address peers and clients can reach for a listen host (0.0.0.0 is not one). */
function advertisedHost(host: string, configured: string | undefined): string {
  const h = configured ?? (host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host);
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
}
