// The node's own configuration (file + RINGLEADER_* environment), validated in one pass so an
// operator sees every mistake at once, each named by key and expected form.
import type { HashSource, PolicyName } from '@ringleader/core';
import { POLICY_NAMES, parseHashSource } from '@ringleader/core';

export type Mode = 'active-passive' | 'active-active';
export type StandbyBehaviour = 'reject' | 'forward';
export type CoordinatorLossBehaviour = 'stop-serving' | 'keep-serving';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface NodeConfig {
  readonly nodeId: string;
  readonly cluster: string;
  /** Host peers and clients use to reach this node, written into its znodes (default: the listen host, or 127.0.0.1 for a wildcard). */
  readonly advertiseHost?: string;
  readonly zookeeper: {
    readonly connect: string;
    readonly sessionTimeoutMs: number;
    /** Digest credential `user:password`, read from a file or the environment, never the command line. */
    readonly auth?: string;
    /**
     * With `auth`: who may read the cluster's znodes — anyone (`open`, default) or only the
     * credentials (`restricted`). See docs/security.md.
     */
    readonly readAcl?: 'open' | 'restricted';
    /** With `auth`: the backend-registration credential `user:password` granted create/delete on backends/. */
    readonly backendAuth?: string;
  };
  readonly proxy: {
    readonly listen: ListenAddress;
    readonly tls?: { readonly keyFile: string; readonly certFile: string };
  };
  readonly admin: { readonly listen: ListenAddress; readonly token?: string };
  readonly mode: Mode;
  readonly standby: StandbyBehaviour;
  readonly onCoordinatorLoss: CoordinatorLossBehaviour;
  /** Used when the cluster `config` znode is absent. */
  readonly routing: { readonly policy: PolicyName; readonly hash?: HashSource };
  readonly retries: number;
  readonly timeouts: {
    readonly connectMs: number;
    readonly headersMs: number;
    readonly idleMs: number;
    readonly requestMs: number;
  };
  readonly limits: {
    readonly maxHeaderBytes: number;
    readonly maxBodyBytes: number;
    readonly maxHeaderCount: number;
    readonly maxConnectionsPerIp: number;
  };
  readonly trustedProxies: readonly string[];
  readonly exposeBackendHeader: boolean;
  readonly drainTimeoutMs: number;
  readonly hooks: { readonly onPromote?: string; readonly onDemote?: string };
  readonly vip?: { readonly address: string; readonly interface: string };
  readonly log: { readonly level: LogLevel; readonly access: boolean };
}

/** One problem found in the configuration: which key, where it came from, what was expected. */
export interface ConfigIssue {
  readonly key: string;
  readonly source: string;
  readonly message: string;
}

type Raw = Record<string, unknown>;

/** Reads typed values out of a raw object, recording an issue for each bad one instead of throwing. */
class Reader {
  readonly issues: ConfigIssue[] = [];
  readonly sourceOf: (key: string) => string;

  constructor(sourceOf: (key: string) => string) {
    this.sourceOf = sourceOf;
  }

  fail(key: string, message: string): undefined {
    this.issues.push({ key, source: this.sourceOf(key), message });
    return undefined;
  }

  string(
    raw: Raw,
    key: string,
    path: string,
    opts: { required?: boolean; pattern?: RegExp; form?: string } = {},
  ) {
    const v = raw[key];
    if (v === undefined || v === null || v === '') {
      return opts.required ? this.fail(path, `is required${opts.form ? ` (${opts.form})` : ''}`) : undefined;
    }
    if (typeof v !== 'string')
      return this.fail(path, `must be a string${opts.form ? ` (${opts.form})` : ''}`);
    if (opts.pattern && !opts.pattern.test(v)) return this.fail(path, `must be ${opts.form ?? opts.pattern}`);
    return v;
  }

  int(raw: Raw, key: string, path: string, def: number, min: number, max: number): number {
    let v = raw[key];
    if (v === undefined || v === null || v === '') return def;
    if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) v = Number(v.trim());
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(path, `must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
      return def;
    }
    return v;
  }

  bool(raw: Raw, key: string, path: string, def: boolean): boolean {
    const v = raw[key];
    if (v === undefined || v === null || v === '') return def;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    this.fail(path, `must be true or false, got ${JSON.stringify(v)}`);
    return def;
  }

  oneOf<T extends string>(raw: Raw, key: string, path: string, choices: readonly T[], def: T): T {
    const v = raw[key];
    if (v === undefined || v === null || v === '') return def;
    if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
    this.fail(path, `must be one of ${choices.join(' | ')}, got ${JSON.stringify(v)}`);
    return def;
  }

  object(raw: Raw, key: string, path: string): Raw {
    const v = raw[key];
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.fail(path, 'must be an object');
      return {};
    }
    return v as Raw;
  }

  listen(raw: Raw, key: string, path: string, def: ListenAddress): ListenAddress {
    const v = raw[key];
    if (v === undefined || v === null || v === '') return def;
    const parsed = typeof v === 'string' ? parseListen(v) : undefined;
    if (!parsed) {
      this.fail(path, `must be host:port with port 0..65535 (e.g. 127.0.0.1:9090), got ${JSON.stringify(v)}`);
      return def;
    }
    return parsed;
  }

  unknownKeys(raw: Raw, known: readonly string[], prefix: string): void {
    for (const key of Object.keys(raw)) {
      if (!known.includes(key))
        this.fail(
          prefix + (/^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key)),
          `is not a known key (known: ${known.join(', ')})`,
        );
    }
  }
}

/** Parses `host:port`, `[v6]:port` or `:port` (all interfaces). */
export function parseListen(text: string): ListenAddress | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? (m[2] === '' || m[2] === undefined ? '0.0.0.0' : m[2]);
  return { host, port };
}

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const CLUSTER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ZK_CONNECT = /^[^\s,/]+:\d{1,5}(,[^\s,/]+:\d{1,5})*(\/[^\s]*)?$/;

const TOP_KEYS = [
  'nodeId',
  'cluster',
  'advertiseHost',
  'zookeeper',
  'proxy',
  'admin',
  'mode',
  'standby',
  'onCoordinatorLoss',
  'routing',
  'retries',
  'timeouts',
  'limits',
  'trustedProxies',
  'exposeBackendHeader',
  'drainTimeoutMs',
  'hooks',
  'vip',
  'log',
] as const;

/**
 * Validates a merged raw configuration. `sourceOf(key)` tells where a key came from
 * (file path or environment variable) so every message names where to fix it.
 */
export function validateNodeConfig(
  raw: Raw,
  sourceOf: (key: string) => string,
): { ok: true; config: NodeConfig } | { ok: false; issues: ConfigIssue[] } {
  const r = new Reader(sourceOf);
  r.unknownKeys(raw, TOP_KEYS, '');

  const nodeId = r.string(raw, 'nodeId', 'nodeId', {
    required: true,
    pattern: NODE_ID,
    form: 'letters, digits, . _ - (max 128), e.g. lb-1',
  });
  const cluster = r.string(raw, 'cluster', 'cluster', {
    pattern: CLUSTER,
    form: 'a cluster name like default',
  });
  const advertiseHost = r.string(raw, 'advertiseHost', 'advertiseHost', {
    pattern: /^[A-Za-z0-9.:[\]-]{1,253}$/,
    form: 'a hostname or IP address peers can reach, e.g. 10.0.0.5',
  });

  const zk = r.object(raw, 'zookeeper', 'zookeeper');
  r.unknownKeys(zk, ['connect', 'sessionTimeoutMs', 'auth', 'readAcl', 'backendAuth'], 'zookeeper.');
  const connect = r.string(zk, 'connect', 'zookeeper.connect', {
    required: true,
    pattern: ZK_CONNECT,
    form: 'host:port[,host:port...][/chroot], e.g. 127.0.0.1:2181',
  });
  const sessionTimeoutMs = r.int(zk, 'sessionTimeoutMs', 'zookeeper.sessionTimeoutMs', 4000, 500, 60_000);
  const auth = r.string(zk, 'auth', 'zookeeper.auth', { pattern: /^[^:\s]+:.+$/, form: 'user:password' });
  const readAcl = r.oneOf(zk, 'readAcl', 'zookeeper.readAcl', ['open', 'restricted'] as const, 'open');
  const backendAuth = r.string(zk, 'backendAuth', 'zookeeper.backendAuth', {
    pattern: /^[^:\s]+:.+$/,
    form: 'user:password',
  });
  if (auth === undefined && (backendAuth !== undefined || zk.readAcl !== undefined)) {
    r.fail(
      backendAuth !== undefined ? 'zookeeper.backendAuth' : 'zookeeper.readAcl',
      'needs zookeeper.auth (the cluster credential that sets the ACLs)',
    );
  }

  const proxy = r.object(raw, 'proxy', 'proxy');
  r.unknownKeys(proxy, ['listen', 'tls'], 'proxy.');
  const proxyListen = r.listen(proxy, 'listen', 'proxy.listen', { host: '0.0.0.0', port: 8080 });
  let tls: { keyFile: string; certFile: string } | undefined;
  if (proxy.tls !== undefined) {
    const t = r.object(proxy, 'tls', 'proxy.tls');
    r.unknownKeys(t, ['keyFile', 'certFile'], 'proxy.tls.');
    const keyFile = r.string(t, 'keyFile', 'proxy.tls.keyFile', { required: true, form: 'a PEM file path' });
    const certFile = r.string(t, 'certFile', 'proxy.tls.certFile', {
      required: true,
      form: 'a PEM file path',
    });
    if (keyFile && certFile) tls = { keyFile, certFile };
  }

  const admin = r.object(raw, 'admin', 'admin');
  r.unknownKeys(admin, ['listen', 'token'], 'admin.');
  const adminListen = r.listen(admin, 'listen', 'admin.listen', { host: '127.0.0.1', port: 9090 });
  const token = r.string(admin, 'token', 'admin.token', {
    pattern: /^\S{16,}$/,
    form: 'at least 16 non-space characters',
  });

  const mode = r.oneOf(raw, 'mode', 'mode', ['active-passive', 'active-active'] as const, 'active-passive');
  const standby = r.oneOf(raw, 'standby', 'standby', ['reject', 'forward'] as const, 'reject');
  const onCoordinatorLoss = r.oneOf(
    raw,
    'onCoordinatorLoss',
    'onCoordinatorLoss',
    ['stop-serving', 'keep-serving'] as const,
    'stop-serving',
  );

  const routing = r.object(raw, 'routing', 'routing');
  r.unknownKeys(routing, ['policy', 'hash'], 'routing.');
  const policy = r.oneOf(routing, 'policy', 'routing.policy', POLICY_NAMES, 'round-robin');
  let hash: HashSource | undefined;
  const hashText = r.string(routing, 'hash', 'routing.hash', {
    form: 'ip | ip:port | header:NAME | cookie:NAME | path | query:NAME',
  });
  if (hashText !== undefined) {
    const parsed = parseHashSource(hashText);
    if (parsed.ok) hash = parsed.value;
    else
      r.fail(
        'routing.hash',
        `${parsed.error.message} (ip | ip:port | header:NAME | cookie:NAME | path | query:NAME)`,
      );
  }
  if ((policy === 'hash' || policy === 'consistent-hash' || policy === 'maglev') && hash === undefined) {
    r.fail(
      'routing.hash',
      `is required by policy ${policy} (ip | header:NAME | cookie:NAME | path | query:NAME)`,
    );
  }

  const retries = r.int(raw, 'retries', 'retries', 2, 0, 10);

  const t = r.object(raw, 'timeouts', 'timeouts');
  r.unknownKeys(t, ['connectMs', 'headersMs', 'idleMs', 'requestMs'], 'timeouts.');
  const timeouts = {
    connectMs: r.int(t, 'connectMs', 'timeouts.connectMs', 2000, 1, 600_000),
    headersMs: r.int(t, 'headersMs', 'timeouts.headersMs', 30_000, 1, 3_600_000),
    idleMs: r.int(t, 'idleMs', 'timeouts.idleMs', 60_000, 1, 3_600_000),
    requestMs: r.int(t, 'requestMs', 'timeouts.requestMs', 60_000, 1, 3_600_000),
  };

  const l = r.object(raw, 'limits', 'limits');
  r.unknownKeys(l, ['maxHeaderBytes', 'maxBodyBytes', 'maxHeaderCount', 'maxConnectionsPerIp'], 'limits.');
  const limits = {
    maxHeaderBytes: r.int(l, 'maxHeaderBytes', 'limits.maxHeaderBytes', 16 * 1024, 1024, 1024 * 1024),
    maxBodyBytes: r.int(l, 'maxBodyBytes', 'limits.maxBodyBytes', 10 * 1024 * 1024, 0, 1024 * 1024 * 1024),
    maxHeaderCount: r.int(l, 'maxHeaderCount', 'limits.maxHeaderCount', 100, 1, 10_000),
    maxConnectionsPerIp: r.int(l, 'maxConnectionsPerIp', 'limits.maxConnectionsPerIp', 256, 0, 1_000_000),
  };

  const trustedProxies = readStringList(r, raw, 'trustedProxies');
  const exposeBackendHeader = r.bool(raw, 'exposeBackendHeader', 'exposeBackendHeader', false);
  const drainTimeoutMs = r.int(raw, 'drainTimeoutMs', 'drainTimeoutMs', 10_000, 0, 600_000);

  const h = r.object(raw, 'hooks', 'hooks');
  r.unknownKeys(h, ['onPromote', 'onDemote'], 'hooks.');
  const onPromote = r.string(h, 'onPromote', 'hooks.onPromote');
  const onDemote = r.string(h, 'onDemote', 'hooks.onDemote');

  let vip: { address: string; interface: string } | undefined;
  if (raw.vip !== undefined) {
    const v = r.object(raw, 'vip', 'vip');
    r.unknownKeys(v, ['address', 'interface'], 'vip.');
    const address = r.string(v, 'address', 'vip.address', {
      required: true,
      pattern: /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/,
      form: 'IPv4 CIDR like 10.0.0.100/24',
    });
    const iface = r.string(v, 'interface', 'vip.interface', {
      required: true,
      pattern: /^[A-Za-z0-9_.@-]{1,15}$/,
      form: 'an interface name like eth0',
    });
    if (address && iface) vip = { address, interface: iface };
  }

  const log = r.object(raw, 'log', 'log');
  r.unknownKeys(log, ['level', 'access'], 'log.');
  const level = r.oneOf(
    log,
    'level',
    'log.level',
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
    'info',
  );

  if (r.issues.length > 0 || nodeId === undefined || connect === undefined) {
    return { ok: false, issues: r.issues };
  }
  const config: NodeConfig = {
    nodeId,
    cluster: cluster ?? 'default',
    ...(advertiseHost ? { advertiseHost } : {}),
    zookeeper: {
      connect,
      sessionTimeoutMs,
      ...(auth ? { auth, readAcl } : {}),
      ...(backendAuth ? { backendAuth } : {}),
    },
    proxy: { listen: proxyListen, ...(tls ? { tls } : {}) },
    admin: { listen: adminListen, ...(token ? { token } : {}) },
    mode,
    standby,
    onCoordinatorLoss,
    routing: { policy, ...(hash ? { hash } : {}) },
    retries,
    timeouts,
    limits,
    trustedProxies,
    exposeBackendHeader,
    drainTimeoutMs,
    hooks: { ...(onPromote ? { onPromote } : {}), ...(onDemote ? { onDemote } : {}) },
    ...(vip ? { vip } : {}),
    log: { level, access: r.bool(log, 'access', 'log.access', false) },
  };
  return { ok: true, config };
}

function readStringList(r: Reader, raw: Raw, key: string): string[] {
  const v = raw[key];
  if (v === undefined || v === null || v === '') return [];
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s === '')) {
    r.fail(key, 'must be a list of IPs or CIDRs (comma-separated in the environment)');
    return [];
  }
  return list as string[];
}
