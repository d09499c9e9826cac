// ZkSession: node-zookeeper-client 1.1.3 behind an explicit state machine
// (session-machine.ts), with its own liveness clock and socket watchdog, client
// replacement after expiry (a new `generation`), and promise operations with a
// per-operation timeout and RL_ZK_* errors. See docs/zookeeper.md, "Sessions and what each
// state means for a node" (how liveness is measured, and why).
import { EventEmitter, on } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { RingleaderError } from '@ringleader/core';
import zookeeper, { type Client, type State } from 'node-zookeeper-client';
import { fromZkException, zkError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { joinPath, validateZnodePath } from '../paths.js';
import type { AclPolicy, ZkAcl, ZkAuth } from '../security/types.js';
import { convertStat, longToHex, type ZnodeStat } from '../stat.js';
import {
  killSessionFromOutside,
  type RawClient,
  retireClient,
  runTransaction,
  type TxOp,
  type TxResult,
} from './client-internals.js';
import {
  leaseUntil,
  livenessVerdict,
  nextSessionState,
  type SessionInput,
  type SessionState,
  type SessionTiming,
  sessionTiming,
  tickLateness,
  watchdogDue,
} from './session-machine.js';
import {
  describeUnresolved,
  grantedTimeoutLine,
  type UnresolvedHost,
  unresolvedHosts,
} from './session-report.js';

export type { TxOp, TxResult } from './client-internals.js';

export type CreateMode = 'persistent' | 'ephemeral' | 'persistent-sequential' | 'ephemeral-sequential';

const MODES: Readonly<Record<CreateMode, number>> = {
  persistent: zookeeper.CreateMode.PERSISTENT,
  ephemeral: zookeeper.CreateMode.EPHEMERAL,
  'persistent-sequential': zookeeper.CreateMode.PERSISTENT_SEQUENTIAL,
  'ephemeral-sequential': zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL,
};

export interface ZkSessionOptions {
  /** `host:port,host:port[/chroot]`. */
  readonly connectString: string;
  /** Requested session timeout; the server clamps it to [2, 20] × tickTime. Default 10 000. */
  readonly sessionTimeoutMs?: number;
  /** Deadline for each operation. Default: the session timeout. */
  readonly opTimeoutMs?: number;
  /** Pause after every server of the connect string was tried once. Default 200. */
  readonly reconnectDelayMs?: number;
  /** Credentials added to every client this session builds (addAuthInfo). */
  readonly auth?: readonly ZkAuth[];
  /**
   * ACLs of the znodes this session creates (security/acl.ts: clusterAclPolicy for the cluster
   * credential, backendAclPolicy for a self-registering backend). Default: the library's
   * open ACL (world:anyone:cdrwa).
   */
  readonly acl?: AclPolicy;
  readonly logger?: Logger;
  /** Monotonic clock in ms (injectable). Default performance.now. */
  readonly now?: () => number;
}

export interface SessionStateChange {
  readonly from: SessionState;
  readonly to: SessionState;
  readonly cause: string;
  readonly generation: number;
}

/** A new ZooKeeper session is established: owners re-create ephemerals and re-arm watches. */
export interface NewSession {
  readonly generation: number;
  readonly sessionId: string;
}

export type WatchEventType = 'created' | 'deleted' | 'data' | 'children';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly path: string;
  readonly generation: number;
}

/** Keep one function per path and purpose: the client de-duplicates watchers by identity. */
export type Watcher = (event: WatchEvent) => void;

export interface ZkSessionEvents {
  state: [SessionStateChange];
  session: [NewSession];
}

const EVENT_TYPES: Readonly<Record<number, WatchEventType>> = {
  1: 'created',
  2: 'deleted',
  3: 'data',
  4: 'children',
};

export class ZkSession extends EventEmitter<ZkSessionEvents> {
  readonly connectString: string;
  readonly requestedTimeoutMs: number;
  readonly opTimeoutMs: number;
  private readonly reconnectDelayMs: number;
  private readonly auth: readonly ZkAuth[];
  /** How this session chooses the ACL of a znode it creates (undefined: open). */
  readonly aclPolicy: AclPolicy | undefined;
  private readonly log: Logger;
  /** The monotonic clock (ms) every time of this session is measured on. */
  readonly now: () => number;

  private stateValue: SessionState = 'connecting';
  private gen = 0;
  private client: RawClient | undefined;
  private sessionIdValue = '';
  private negotiatedMs: number;
  private timing: SessionTiming;
  private announced = false;
  private started = false;
  private ticker: NodeJS.Timeout | undefined;
  private watchWrappers = new WeakMap<Watcher, (ev: { type: number; path: string }) => void>();

  private lastContact = 0;
  private lastBytesAt = 0;
  /** How long this process was blocked (late ticks) since the last byte arrived. */
  private blockedSinceBytesMs = 0;
  private lastTickAt = 0;
  /** The longest block seen (ms), for /status and the logs. */
  private longestBlock = 0;
  private socketSince = 0;
  private watchedSocket: unknown;
  private lastPingAt = -Infinity;
  private pingInFlight = false;

  constructor(opts: ZkSessionOptions) {
    super();
    this.connectString = opts.connectString;
    this.requestedTimeoutMs = opts.sessionTimeoutMs ?? 10_000;
    this.opTimeoutMs = opts.opTimeoutMs ?? this.requestedTimeoutMs;
    this.reconnectDelayMs = opts.reconnectDelayMs ?? 200;
    this.auth = opts.auth ?? [];
    this.aclPolicy = opts.acl;
    this.log = (opts.logger ?? silentLogger).child({ component: 'zk-session' });
    this.now = opts.now ?? (() => performance.now());
    this.negotiatedMs = this.requestedTimeoutMs;
    this.timing = sessionTiming(this.negotiatedMs);
  }

  get state(): SessionState {
    return this.stateValue;
  }
  /** Bumps each time a new client (hence a new ZooKeeper session) is built. */
  get generation(): number {
    return this.gen;
  }
  /** The current session id as 16 hex digits ('' before the first connect). */
  get sessionId(): string {
    return this.sessionIdValue;
  }
  /** The longest time (ms) this process was seen blocked (its event loop not running). */
  get longestBlockMs(): number {
    return this.longestBlock;
  }
  /** The negotiated session timeout (the requested one until connected). */
  get sessionTimeoutMs(): number {
    return this.negotiatedMs;
  }
  /** Monotonic ms (this.now clock): when the most recently answered request was *sent*. */
  get lastContactAt(): number {
    return this.lastContact;
  }
  /** `host:port` of the server the session is attached to (handshake done), if any. */
  get connectedServer(): string | undefined {
    const sock = this.client?.connectionManager.socket;
    if (this.client?.client.getState().code !== zookeeper.State.SYNC_CONNECTED.code) return undefined;
    if (!sock || sock.destroyed || sock.remotePort === undefined) return undefined;
    return `${sock.remoteAddress}:${sock.remotePort}`;
  }

  /** Until when (monotonic ms) a leader may act: lastContact + sessionTimeout − margin. */
  leaseValidUntil(marginMs = Math.floor(this.negotiatedMs / 10)): number {
    if (this.stateValue !== 'connected' && this.stateValue !== 'suspended') return -Infinity;
    return leaseUntil(this.lastContact, this.negotiatedMs, marginMs);
  }

  /** Starts connecting (idempotent). Use waitFor('connected') to wait. */
  start(): this {
    if (this.started || this.stateValue === 'closed') return this;
    this.started = true;
    this.client = this.buildClient();
    void this.checkHostNames();
    this.ticker = setInterval(() => this.tick(), this.timing.checkEveryMs);
    this.ticker.unref();
    return this;
  }

  /** Connect-string hosts that did not resolve at start (the client only ever says "unreachable"). */
  private unresolved: readonly UnresolvedHost[] = [];

  private async checkHostNames(): Promise<void> {
    const bad = await unresolvedHosts(this.connectString).catch(() => []);
    this.unresolved = bad;
    for (const h of bad)
      this.log.error(
        { host: h.host, code: h.code, connectString: this.connectString },
        `ZooKeeper host ${h.host} does not resolve (${h.code}): check the connect string or DNS`,
      );
  }

  /** Resolves when the session is in `state` (at once if it is); rejects after timeoutMs or on close. */
  async waitFor(state: SessionState, timeoutMs = this.requestedTimeoutMs * 2): Promise<void> {
    if (this.stateValue === state) return;
    try {
      for await (const [ch] of on(this as EventEmitter, 'state', {
        signal: AbortSignal.timeout(timeoutMs),
      })) {
        const { to } = ch as SessionStateChange;
        if (to === state) return;
        if (to === 'closed') throw zkError('RL_ZK_CLOSED', `closed while waiting for ${state}`);
      }
    } catch (err) {
      if ((err as Error | undefined)?.name !== 'AbortError') throw err;
      throw zkError(
        'RL_ZK_UNREACHABLE',
        `session not ${state} after ${timeoutMs} ms (now ${this.stateValue}; ${this.connectString}${
          this.unresolved.length > 0 ? `; ${describeUnresolved(this.unresolved)}` : ''
        })`,
      );
    }
  }

  /** Graceful: sends closeSession so the server drops our ephemerals at once (~ms). */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.transition('close', 'close');
    if (this.ticker) clearInterval(this.ticker);
    const c = this.client;
    this.client = undefined;
    if (c) await retireClient(c, true, Math.min(this.opTimeoutMs, 2000));
    this.removeAllListeners();
  }

  /**
   * Chaos/test tool: makes the server expire the current session now, exactly as if it had
   * timed out, while this client stays unaware until the server drops its connection.
   */
  async injectExpiry(): Promise<void> {
    if (!this.client || !this.sessionIdValue) throw zkError('RL_ZK_UNREACHABLE', 'no session to expire');
    await killSessionFromOutside(this.client, this.connectString, this.negotiatedMs, this.opTimeoutMs);
  }

  // ---- operations --------------------------------------------------------------------------

  exists(path: string, watcher?: Watcher): Promise<ZnodeStat | null> {
    return this.run('exists', path, (c, g, cb) => {
      const done = (err: unknown, stat: unknown) =>
        cb(err, stat ? convertStat(stat as Parameters<typeof convertStat>[0]) : null);
      if (watcher) c.exists(path, this.wrap(watcher, g), done);
      else c.exists(path, done);
    });
  }

  getData(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: ZnodeStat }> {
    return this.run('getData', path, (c, g, cb) => {
      const done = (err: unknown, data: Buffer | null, stat: Parameters<typeof convertStat>[0]) =>
        cb(err, err ? undefined : { data: data ?? Buffer.alloc(0), stat: convertStat(stat) });
      if (watcher) c.getData(path, this.wrap(watcher, g), done);
      else c.getData(path, done);
    });
  }

  getChildren(path: string, watcher?: Watcher): Promise<{ children: string[]; stat: ZnodeStat }> {
    return this.run('getChildren', path, (c, g, cb) => {
      const done = (err: unknown, children: string[], stat: Parameters<typeof convertStat>[0]) =>
        cb(err, err ? undefined : { children: children ?? [], stat: convertStat(stat) });
      if (watcher) c.getChildren(path, this.wrap(watcher, g), done);
      else c.getChildren(path, done);
    });
  }

  /**
   * Creates a znode; resolves with the created path (with the sequence suffix if any). The
   * ACL is `acl` if given, else the session's policy for `path`, else the library's open ACL.
   */
  create(
    path: string,
    data: Buffer | string | null = null,
    mode: CreateMode = 'persistent',
    acl?: readonly ZkAcl[],
  ): Promise<string> {
    const buf = typeof data === 'string' ? Buffer.from(data) : (data ?? undefined);
    const acls = toClientAcls(acl ?? this.aclPolicy?.aclFor(path));
    return this.run('create', path, (c, _g, cb) => {
      if (buf && acls) c.create(path, buf, acls, MODES[mode], cb);
      else if (buf) c.create(path, buf, MODES[mode], cb);
      else if (acls) c.create(path, acls, MODES[mode], cb);
      else c.create(path, MODES[mode], cb);
    });
  }

  /** The znode's ACL (ZooKeeper wants READ or ADMIN on it) and its stat (`aversion` inside). */
  getACL(path: string): Promise<{ acl: ZkAcl[]; stat: ZnodeStat }> {
    return this.run('getACL', path, (c, _g, cb) =>
      c.getACL(path, (err, acls, stat) =>
        cb(
          err,
          err
            ? undefined
            : {
                // lib/ACL.js names the field `permission` (the @types say `perms`).
                acl: (acls ?? []).map((a) => ({
                  perms: (a as unknown as { permission: number }).permission,
                  scheme: a.id.scheme,
                  id: a.id.id,
                })),
                stat: convertStat(stat as Parameters<typeof convertStat>[0]),
              },
        ),
      ),
    );
  }

  /** Replaces the znode's ACL (needs ADMIN on it); `aclVersion` -1 (default) for any. */
  setACL(path: string, acl: readonly ZkAcl[], aclVersion = -1): Promise<ZnodeStat> {
    const acls = toClientAcls(acl) ?? [];
    return this.run('setACL', path, (c, _g, cb) =>
      c.setACL(path, acls, aclVersion, (err, stat) =>
        cb(err, err ? undefined : convertStat(stat as Parameters<typeof convertStat>[0])),
      ),
    );
  }

  /** Creates every missing ancestor and `path` itself as empty persistent znodes. */
  async mkdirp(path: string): Promise<void> {
    validateZnodePath(path);
    let current = '/';
    for (const seg of path.split('/').slice(1)) {
      current = joinPath(current, seg);
      if (await this.exists(current)) continue;
      try {
        await this.create(current);
      } catch (err) {
        if ((err as RingleaderError).code !== 'RL_ZK_NODE_EXISTS') throw err;
      }
    }
  }

  /** Writes data; `version` -1 (default) writes unconditionally. */
  setData(path: string, data: Buffer | string, version = -1): Promise<ZnodeStat> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    return this.run('setData', path, (c, _g, cb) =>
      c.setData(path, buf, version, (err, stat) => cb(err, err ? undefined : convertStat(stat))),
    );
  }

  /** Deletes; `version` -1 (default) deletes unconditionally. */
  remove(path: string, version = -1): Promise<void> {
    return this.run('remove', path, (c, _g, cb) => c.remove(path, version, (err) => cb(err, undefined)));
  }

  /** Multi-op: all or nothing (a failed check rolls everything back). */
  transaction(ops: readonly TxOp[]): Promise<TxResult[]> {
    for (const op of ops) validateZnodePath(op.path);
    return this.run('transaction', ops[0]?.path ?? '/', (c, _g, cb) =>
      runTransaction(
        c,
        ops,
        (op) => MODES[op],
        cb,
        (path) => toClientAcls(this.aclPolicy?.aclFor(path)),
      ),
    );
  }

  // ---- internals ---------------------------------------------------------------------------

  private run<T>(
    op: string,
    path: string,
    call: (c: Client, generation: number, cb: (err: unknown, value?: T) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.stateValue === 'closed' || !this.client) {
        reject(zkError(this.stateValue === 'closed' ? 'RL_ZK_CLOSED' : 'RL_ZK_UNREACHABLE', `${op} ${path}`));
        return;
      }
      try {
        validateZnodePath(path);
      } catch (err) {
        reject(err);
        return;
      }
      const g = this.gen;
      const sentAt = this.now();
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(zkError('RL_ZK_TIMEOUT', `${op} ${path} after ${this.opTimeoutMs} ms`, { path }));
      }, this.opTimeoutMs);
      const cb = (err: unknown, value?: T) => {
        const code = (err as { code?: unknown } | null)?.code;
        if (g === this.gen && code !== -4 && code !== -112) this.noteContact(sentAt);
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (g !== this.gen)
          reject(zkError('RL_ZK_SESSION_EXPIRED', `${op} ${path}: answered by an old session`));
        else if (err) reject(fromZkException(err, op, path));
        else resolve(value as T);
      };
      try {
        call(this.client.client, g, cb);
      } catch (err) {
        settled = true;
        clearTimeout(timer);
        reject(
          zkError('RL_ZK_BAD_ARGUMENTS', `${op} ${path}: ${(err as Error).message}`, { path, cause: err }),
        );
      }
    });
  }

  /** One stable wrapper per (caller watcher, generation), dropping events of older generations. */
  private wrap(watcher: Watcher, g: number): (ev: { type: number; path: string }) => void {
    let w = this.watchWrappers.get(watcher);
    if (!w) {
      w = (ev) => {
        if (g !== this.gen || this.stateValue === 'closed') return;
        watcher({ type: EVENT_TYPES[ev.type] ?? 'data', path: ev.path, generation: g });
      };
      this.watchWrappers.set(watcher, w);
    }
    return w;
  }

  private transition(input: SessionInput, cause: string): boolean {
    const from = this.stateValue;
    const to = nextSessionState(from, input);
    if (to === undefined || to === from) return false;
    this.stateValue = to;
    const change: SessionStateChange = { from, to, cause, generation: this.gen };
    this.log.info({ ...change, sessionId: this.sessionIdValue }, `zk session ${from} → ${to}`);
    this.emit('state', change);
    return true;
  }

  private buildClient(): RawClient {
    const g = this.gen;
    const client = zookeeper.createClient(this.connectString, {
      sessionTimeout: this.requestedTimeoutMs,
      spinDelay: this.reconnectDelayMs,
      retries: 0, // a retried sequential create duplicates znodes
    }) as Client & RawClient['client'];
    const raw: RawClient = {
      client,
      connectionManager: (client as unknown as RawClient['client']).connectionManager,
    };
    const cm = raw.connectionManager;
    // Count every byte that arrives, for the watchdog (the client has no read timeout).
    const onData = cm.onSocketData;
    cm.onSocketData = (buf: Buffer) => {
      if (g === this.gen) {
        this.lastBytesAt = this.now();
        this.blockedSinceBytesMs = 0;
      }
      onData.call(cm, buf);
    };
    client.on('state', (s: State) => this.onClientState(g, s));
    for (const a of this.auth) {
      client.addAuthInfo(
        a.scheme,
        typeof a.credentials === 'string' ? Buffer.from(a.credentials) : a.credentials,
      );
    }
    this.announced = false;
    this.socketSince = this.now();
    client.connect();
    return raw;
  }

  private onClientState(g: number, s: State): void {
    if (g !== this.gen || this.stateValue === 'closed' || !this.client) return;
    const c = this.client.client;
    switch (s.code) {
      case zookeeper.State.SYNC_CONNECTED.code: {
        this.negotiatedMs = c.getSessionTimeout();
        this.timing = sessionTiming(this.negotiatedMs);
        this.sessionIdValue = longToHex(c.getSessionId());
        this.lastContact = Math.max(this.lastContact, this.socketSince);
        const fresh = !this.announced;
        this.announced = true;
        this.transition('connected', fresh ? 'session-established' : 'reconnected');
        if (fresh) {
          const line = grantedTimeoutLine(this.requestedTimeoutMs, this.negotiatedMs);
          this.log[line.level]({ ...line.obj, sessionId: this.sessionIdValue }, line.msg);
          this.emit('session', { generation: g, sessionId: this.sessionIdValue });
        }
        break;
      }
      case zookeeper.State.DISCONNECTED.code:
        // Not suspended yet: the client tries the next server with the same session, and
        // the session provably lives until lastContact + timeout. tick() suspends when the
        // detachment outlasts the liveness allowance, so a quick move is invisible to owners.
        this.log.debug({ server: this.connectedServer }, 'zk client detached; reconnecting');
        break;
      case zookeeper.State.EXPIRED.code:
        this.onExpired('expired');
        break;
      case zookeeper.State.AUTH_FAILED.code:
        this.log.error({ connectString: this.connectString }, 'ZooKeeper rejected the credentials');
        this.transition('auth-failed', 'auth-failed');
        if (this.ticker) clearInterval(this.ticker);
        void retireClient(this.client, false, 0);
        this.client = undefined;
        break;
      default:
        break;
    }
  }

  /** Expiry is final for a client object: retire it and build a new one (next generation). */
  private onExpired(cause: string): void {
    if (!this.transition('expired', cause) || !this.client) return;
    void retireClient(this.client, false, 0);
    this.gen += 1;
    this.sessionIdValue = '';
    this.watchWrappers = new WeakMap();
    this.pingInFlight = false;
    this.client = this.buildClient();
    this.transition('new-client', 'new-client');
  }

  private noteContact(sentAt: number): void {
    if (sentAt > this.lastContact) this.lastContact = sentAt;
    if (
      this.stateValue === 'suspended' &&
      this.client?.client.getState().code === zookeeper.State.SYNC_CONNECTED.code &&
      livenessVerdict(this.now(), this.lastContact, this.timing) === 'fresh'
    ) {
      this.transition('contact', 'reply-received');
    }
  }

  private tick(): void {
    const raw = this.client;
    if (!raw || this.stateValue === 'closed') return;
    const now = this.now();
    const sock = raw.connectionManager.socket;
    if (sock !== this.watchedSocket) {
      this.watchedSocket = sock;
      this.socketSince = now;
    }
    // Was this process itself stopped (CPU starvation, a long GC, SIGSTOP, a VM pause)? Then
    // the server's bytes and replies may be waiting unread: judge nothing on this tick; the
    // next one runs after the poll phase has read them. The lease needs no such care: it is
    // measured from the last reply, and a blocked process has none to show.
    const { lateMs, blocked } = tickLateness(now, this.lastTickAt, this.timing);
    this.lastTickAt = now;
    if (blocked) {
      this.blockedSinceBytesMs += lateMs;
      this.longestBlock = Math.max(this.longestBlock, lateMs);
      // Short blocks are routine on a busy host; one a third of the session long is news.
      const level = lateMs >= this.timing.pingEveryMs ? 'warn' : 'debug';
      this.log[level](
        { blockedMs: Math.round(lateMs), sessionTimeoutMs: this.negotiatedMs },
        `this process was blocked for ${Math.round(lateMs)} ms (its event loop did not run): checking ZooKeeper again before blaming the server`,
      );
      return;
    }
    // Watchdog: a server that went silent (frozen, partitioned) is never noticed by the
    // client; destroying the socket makes it try the next server with the same session.
    const progressAt = Math.max(this.lastBytesAt, this.socketSince);
    if (
      this.stateValue !== 'expired' &&
      sock &&
      !sock.destroyed &&
      watchdogDue(now, progressAt, this.timing, this.blockedSinceBytesMs)
    ) {
      const silentMs = Math.round(now - progressAt);
      const blockedMs = Math.round(this.blockedSinceBytesMs);
      this.log.warn(
        { server: this.connectedServer, silentMs, blockedMs },
        `the ZooKeeper server sent nothing for ${silentMs} ms` +
          (blockedMs > 0 ? ` (this process was blocked for ${blockedMs} ms of it)` : '') +
          ': dropping the socket to try another server',
      );
      this.socketSince = now;
      this.blockedSinceBytesMs = 0;
      sock.destroy();
    }
    const attached = raw.client.getState().code === zookeeper.State.SYNC_CONNECTED.code;
    if (
      this.stateValue === 'connected' &&
      livenessVerdict(now, this.lastContact, this.timing) === 'no-reply'
    ) {
      const quietMs = Math.round(now - this.lastContact);
      this.log.warn(
        { server: this.connectedServer, quietMs, attached },
        attached
          ? `no reply from the ZooKeeper server for ${quietMs} ms: suspending (leadership is not provable)`
          : `detached from ZooKeeper for ${quietMs} ms: suspending`,
      );
      this.transition(attached ? 'no-reply' : 'disconnected', attached ? 'no-reply' : 'disconnected');
    }
    if (!attached) return;
    if (!this.pingInFlight && now - this.lastPingAt >= this.timing.pingEveryMs) {
      this.pingInFlight = true;
      this.lastPingAt = now;
      const g = this.gen;
      this.exists('/')
        .catch(() => null)
        .finally(() => {
          if (g === this.gen) this.pingInFlight = false;
        });
    }
  }
}

/** Our plain ACL entries as the client library's ACL objects (undefined stays undefined). */
function toClientAcls(acl: readonly ZkAcl[] | undefined): zookeeper.ACL[] | undefined {
  if (acl === undefined || acl.length === 0) return undefined;
  return acl.map((e) => new zookeeper.ACL(e.perms, new zookeeper.Id(e.scheme, e.id)));
}
