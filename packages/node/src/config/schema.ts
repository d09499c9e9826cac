// The node's own configuration (file + RINGLEADER_* environment), validated in one pass so an
// operator sees every mistake at once, each named by key and expected form.
//
// One declarative schema (NODE_CONFIG_SCHEMA, zod) is the single spelling of the config:
//   - the TypeScript type NodeConfig is its output type;
//   - the environment mapping (ENV_KEYS, the `<VAR>_FILE` secrets) is read off the `env`
//     metadata each leaf carries (ENV_REGISTRY), walking the schema;
//   - the checks, defaults and messages are the leaves' own;
//   - docs/configuration.md's table is kept in step by a test walking the same schema.
// Name rules (nodeId, cluster, zookeeper.connect) are core's (names.ts), as everywhere else.
import { availableParallelism } from 'node:os';
import type { NameRule, PolicyName } from '@ringleader/core';
import {
  CLUSTER_NAME,
  HASH_POLICIES,
  NODE_ID,
  POLICY_NAMES,
  parseHashSource,
  ZK_CONNECT,
} from '@ringleader/core';
import * as z from 'zod';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** One problem found in the configuration: which key, where it came from, what was expected. */
export interface ConfigIssue {
  readonly key: string;
  readonly source: string;
  readonly message: string;
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

// ---- leaf metadata ------------------------------------------------------------

export interface LeafMeta {
  /** The environment variable that sets this key. */
  readonly env: string;
  /** A secret: may also come from the file named by `<env>_FILE`. */
  readonly secretFile?: boolean;
  /** The default when the schema applies it later (after a cross-field rule), for the docs. */
  readonly default?: unknown;
}

/** Every leaf of the schema carries its LeafMeta here. */
export const ENV_REGISTRY = z.registry<LeafMeta>();

/** Marks the object schemas of the config (sections), so walkers know where to descend. */
const SECTIONS = new WeakMap<z.ZodType, z.ZodObject>();
/** The sections that may be left out as a whole (their keys are required only when present). */
const OPTIONAL_SECTIONS = new WeakSet<z.ZodType>();

/** Absent, null and '' (an empty variable) all mean "not set". */
const blank = (v: unknown) => (v === null || v === '' ? undefined : v);

function leaf<T extends z.ZodType>(meta: LeafMeta, schema: T) {
  const s = z.preprocess(blank, schema);
  ENV_REGISTRY.add(s, meta);
  return s;
}

const hint = (form: string | undefined) => (form ? ` (${form})` : '');

function str(opts: { form?: string; pattern?: RegExp; rule?: NameRule } = {}) {
  const { form, pattern, rule } = opts;
  return z
    .string({
      error: (iss) =>
        iss.input === undefined ? `is required${hint(form)}` : `must be a string${hint(form)}`,
    })
    .check((ctx) => {
      const v = ctx.value;
      const problem =
        rule?.problem(v) ?? (pattern && !pattern.test(v) ? `must be ${form ?? pattern}` : undefined);
      if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: v });
    });
}

const optStr = (opts: Parameters<typeof str>[0] = {}) => str(opts).optional();

function int(def: number, min: number, max: number) {
  const message = (iss: { input?: unknown }) =>
    `must be an integer in ${min}..${max}, got ${JSON.stringify(iss.input)}`;
  return z
    .preprocess(
      (v) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v),
      z
        .number({ error: message })
        .int({ error: message })
        .min(min, { error: message })
        .max(max, { error: message }),
    )
    .default(def);
}

function bool(def: boolean) {
  return z
    .preprocess(
      (v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v),
      z.boolean({ error: (iss) => `must be true or false, got ${JSON.stringify(iss.input)}` }),
    )
    .default(def);
}

function oneOf<const T extends readonly [string, ...string[]]>(choices: T) {
  return z.enum(choices, {
    error: (iss) => `must be one of ${choices.join(' | ')}, got ${JSON.stringify(iss.input)}`,
  });
}

function listen(def: string) {
  const message = (v: unknown) =>
    `must be host:port with port 0..65535 (e.g. 127.0.0.1:9090), got ${JSON.stringify(v)}`;
  return z
    .string({ error: (iss) => message(iss.input) })
    .transform((v, ctx): ListenAddress => {
      const parsed = parseListen(v);
      if (parsed) return parsed;
      ctx.issues.push({ code: 'custom', message: message(v), input: v });
      return z.NEVER;
    })
    .prefault(def);
}

const HASH_FORMS = 'ip | ip:port | header:NAME | cookie:NAME | path | query:NAME';

function hashSource() {
  return z
    .string({ error: `must be a string (${HASH_FORMS})` })
    .transform((v, ctx) => {
      const parsed = parseHashSource(v);
      if (parsed.ok) return parsed.value;
      ctx.issues.push({ code: 'custom', message: `${parsed.error.message} (${HASH_FORMS})`, input: v });
      return z.NEVER;
    })
    .optional();
}

function stringList() {
  const message = 'must be a list of IPs or CIDRs (comma-separated in the environment)';
  return z
    .preprocess(
      (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v),
      z.array(z.string({ error: message }).min(1, { error: message }), { error: message }),
    )
    .default([]);
}

/** A section: an object of known keys only; absent or null is an empty section. */
function section<S extends z.core.$ZodLooseShape>(shape: S) {
  const obj = z.strictObject(shape, {
    error: (iss) => (iss.code === 'invalid_type' ? 'must be an object' : undefined),
  });
  const s = z.preprocess((v) => v ?? {}, obj);
  SECTIONS.set(s, obj);
  return s;
}

/** A section that may be left out entirely (proxy.tls, vip); present, its keys are required. */
function optionalSection<S extends z.core.$ZodLooseShape>(shape: S) {
  const obj = z.strictObject(shape, {
    error: (iss) => (iss.code === 'invalid_type' ? 'must be an object' : undefined),
  });
  const s = z.preprocess((v) => (v === null ? {} : v), obj.optional());
  SECTIONS.set(s, obj);
  OPTIONAL_SECTIONS.add(s);
  return s;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

/**
 * A rule across keys of a section: `holds(section)` must be true, else an issue on `key`.
 * Checked even when some keys are already wrong, so every problem is reported at once.
 */
function across(key: string, holds: (v: Obj) => boolean, message: (v: Obj) => string) {
  const params: z.core.$ZodCustomParams = {
    path: [key],
    when: () => true,
    error: (iss) => message(iss.input as Obj),
  };
  return [(v: unknown) => !isObj(v) || holds(v), params] as const;
}

// ---- the schema -----------------------------------------------------------------

const CREDENTIAL = /^[^:\s]+:.+$/;
const DEFAULT_READ_ACL = 'open';

const zookeeperSection = section({
  connect: leaf({ env: 'RINGLEADER_ZK' }, str({ rule: ZK_CONNECT, form: ZK_CONNECT.form })),
  /** Bounds failover time after a crash. */
  sessionTimeoutMs: leaf({ env: 'RINGLEADER_SESSION_TIMEOUT_MS' }, int(4000, 500, 60_000)),
  /** Digest credential `user:password`, read from a file or the environment, never the command line. */
  auth: leaf(
    { env: 'RINGLEADER_ZK_AUTH', secretFile: true },
    optStr({ pattern: CREDENTIAL, form: 'user:password' }),
  ),
  /** With `auth`: who may read the cluster's znodes (docs/security.md). */
  readAcl: leaf(
    { env: 'RINGLEADER_ZK_READ_ACL', default: DEFAULT_READ_ACL },
    oneOf(['open', 'restricted']).optional(),
  ),
  /** With `auth`: the backend-registration credential granted create/delete on backends/. */
  backendAuth: leaf(
    { env: 'RINGLEADER_ZK_BACKEND_AUTH', secretFile: true },
    optStr({ pattern: CREDENTIAL, form: 'user:password' }),
  ),
});

const NEEDS_AUTH = () => 'needs zookeeper.auth (the cluster credential that sets the ACLs)';
const zookeeper = zookeeperSection
  .refine(...across('backendAuth', (zk) => zk.auth !== undefined || zk.backendAuth === undefined, NEEDS_AUTH))
  .refine(
    ...across(
      'readAcl',
      (zk) => zk.auth !== undefined || zk.backendAuth !== undefined || zk.readAcl === undefined,
      NEEDS_AUTH,
    ),
  )
  // readAcl applies only with a credential; with one it defaults to open.
  .transform(({ readAcl, ...zk }) => ({
    ...zk,
    readAcl: zk.auth === undefined ? undefined : (readAcl ?? DEFAULT_READ_ACL),
  }));

const routingSection = section({
  policy: leaf(
    { env: 'RINGLEADER_POLICY' },
    oneOf(POLICY_NAMES as unknown as readonly [PolicyName, ...PolicyName[]]).default('round-robin'),
  ),
  hash: leaf({ env: 'RINGLEADER_HASH' }, hashSource()),
});

const routing = routingSection.refine(
  ...across(
    'hash',
    (r) =>
      !(typeof r.policy === 'string' && HASH_POLICIES.has(r.policy as PolicyName)) || r.hash !== undefined,
    (r) => `is required by policy ${String(r.policy)} (ip | header:NAME | cookie:NAME | path | query:NAME)`,
  ),
);
SECTIONS.set(zookeeper, SECTIONS.get(zookeeperSection) as z.ZodObject);
SECTIONS.set(routing, SECTIONS.get(routingSection) as z.ZodObject);

export const NODE_CONFIG_SCHEMA = z.strictObject({
  nodeId: leaf({ env: 'RINGLEADER_NODE_ID' }, str({ rule: NODE_ID, form: NODE_ID.form })),
  cluster: leaf({ env: 'RINGLEADER_CLUSTER' }, optStr({ rule: CLUSTER_NAME }).default('default')),
  /** Host peers and clients use to reach this node (default: the listen host, or 127.0.0.1 for a wildcard). */
  advertiseHost: leaf(
    { env: 'RINGLEADER_ADVERTISE_HOST' },
    optStr({
      pattern: /^[A-Za-z0-9.:[\]-]{1,253}$/,
      form: 'a hostname or IP address peers can reach, e.g. 10.0.0.5',
    }),
  ),
  zookeeper,
  proxy: section({
    listen: leaf({ env: 'RINGLEADER_PROXY_LISTEN' }, listen('0.0.0.0:8080')),
    /** What sends each request upstream (plane/http/engine.ts); both pass every suite. */
    engine: leaf({ env: 'RINGLEADER_PROXY_ENGINE' }, oneOf(['undici', 'reply-from']).default('undici')),
    tls: optionalSection({
      keyFile: leaf({ env: 'RINGLEADER_TLS_KEY_FILE' }, str({ form: 'a PEM file path' })),
      certFile: leaf({ env: 'RINGLEADER_TLS_CERT_FILE' }, str({ form: 'a PEM file path' })),
    }),
  }),
  services: section({
    /**
     * The address every service listener (services/<name>) binds on this node; undefined: the
     * host of proxy.listen. Three nodes on one machine use 127.0.0.1/.2/.3 with the same ports.
     */
    host: leaf(
      { env: 'RINGLEADER_SERVICE_HOST' },
      optStr({
        pattern: /^[A-Za-z0-9.:[\]-]{1,253}$/,
        form: 'a local IP address or hostname to bind, e.g. 127.0.0.2 or 0.0.0.0',
      }),
    ),
    /**
     * The credential every `redis` service sends (AUTH) on its links to its backends: kept in
     * the node's config (or a secret file), never in ZooKeeper. Unset: no AUTH.
     */
    redis: section({
      username: leaf(
        { env: 'RINGLEADER_REDIS_USERNAME' },
        optStr({ pattern: /^\S{1,256}$/, form: 'a Redis ACL user name' }),
      ),
      password: leaf(
        { env: 'RINGLEADER_REDIS_PASSWORD', secretFile: true },
        optStr({ pattern: /^\S{1,512}$/, form: 'the Redis password (no spaces)' }),
      ),
    }),
  }),
  admin: section({
    listen: leaf({ env: 'RINGLEADER_ADMIN_LISTEN' }, listen('127.0.0.1:9090')),
    token: leaf(
      { env: 'RINGLEADER_ADMIN_TOKEN', secretFile: true },
      optStr({ pattern: /^\S{16,}$/, form: 'at least 16 non-space characters' }),
    ),
  }),
  mode: leaf(
    { env: 'RINGLEADER_MODE' },
    oneOf(['active-passive', 'active-active']).default('active-passive'),
  ),
  standby: leaf({ env: 'RINGLEADER_STANDBY' }, oneOf(['reject', 'forward']).default('reject')),
  onCoordinatorLoss: leaf(
    { env: 'RINGLEADER_ON_COORDINATOR_LOSS' },
    oneOf(['stop-serving', 'keep-serving']).default('stop-serving'),
  ),
  /** Used when the cluster `config` znode is absent. */
  routing,
  retries: leaf({ env: 'RINGLEADER_RETRIES' }, int(2, 0, 10)),
  timeouts: section({
    connectMs: leaf({ env: 'RINGLEADER_CONNECT_TIMEOUT_MS' }, int(2000, 1, 600_000)),
    headersMs: leaf({ env: 'RINGLEADER_HEADERS_TIMEOUT_MS' }, int(30_000, 1, 3_600_000)),
    idleMs: leaf({ env: 'RINGLEADER_IDLE_TIMEOUT_MS' }, int(60_000, 1, 3_600_000)),
    requestMs: leaf({ env: 'RINGLEADER_REQUEST_TIMEOUT_MS' }, int(60_000, 1, 3_600_000)),
  }),
  limits: section({
    maxHeaderBytes: leaf({ env: 'RINGLEADER_MAX_HEADER_BYTES' }, int(16 * 1024, 1024, 1024 * 1024)),
    maxBodyBytes: leaf({ env: 'RINGLEADER_MAX_BODY_BYTES' }, int(10 * 1024 * 1024, 0, 1024 * 1024 * 1024)),
    maxHeaderCount: leaf({ env: 'RINGLEADER_MAX_HEADER_COUNT' }, int(100, 1, 10_000)),
    maxConnectionsPerIp: leaf({ env: 'RINGLEADER_MAX_CONNECTIONS_PER_IP' }, int(256, 0, 1_000_000)),
  }),
  trustedProxies: leaf({ env: 'RINGLEADER_TRUSTED_PROXIES' }, stringList()),
  exposeBackendHeader: leaf({ env: 'RINGLEADER_EXPOSE_BACKEND_HEADER' }, bool(false)),
  drainTimeoutMs: leaf({ env: 'RINGLEADER_DRAIN_TIMEOUT_MS' }, int(10_000, 0, 600_000)),
  /** Shared health checking (docs/health.md): checkers per backend (0: every node checks all). */
  healthChecks: section({
    checkersPerBackend: leaf({ env: 'RINGLEADER_HEALTH_CHECKERS' }, int(2, 0, 64)),
    maxConcurrent: leaf({ env: 'RINGLEADER_HEALTH_MAX_CONCURRENT' }, int(256, 1, 100_000)),
  }),
  /**
   * Threads of the HTTP data plane: 1 serves on the main thread beside the control plane; more
   * run the plane in that many worker threads (each with its own reusePort listener), the
   * control plane alone on the main thread. `auto`: the CPUs this process may use.
   */
  workers: leaf(
    { env: 'RINGLEADER_WORKERS' },
    z.preprocess((v) => (v === 'auto' ? availableParallelism() : v), int(1, 1, 256)),
  ),
  hooks: section({
    onPromote: leaf({ env: 'RINGLEADER_ON_PROMOTE' }, optStr()),
    onDemote: leaf({ env: 'RINGLEADER_ON_DEMOTE' }, optStr()),
  }),
  vip: optionalSection({
    address: leaf(
      { env: 'RINGLEADER_VIP_ADDRESS' },
      str({
        pattern: /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/,
        form: 'IPv4 CIDR like 10.0.0.100/24',
      }),
    ),
    interface: leaf(
      { env: 'RINGLEADER_VIP_INTERFACE' },
      str({ pattern: /^[A-Za-z0-9_.@-]{1,15}$/, form: 'an interface name like eth0' }),
    ),
  }),
  metrics: section({
    // Per-backend series: 'auto' writes them up to 100 backends, then sums them (metrics.ts).
    perBackend: leaf({ env: 'RINGLEADER_METRICS_PER_BACKEND' }, oneOf(['auto', 'on', 'off']).default('auto')),
  }),
  log: section({
    level: leaf(
      { env: 'RINGLEADER_LOG_LEVEL' },
      oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ),
    access: leaf({ env: 'RINGLEADER_ACCESS_LOG' }, bool(false)),
    /** auto: readable lines when stdout is a terminal, JSON otherwise. */
    format: leaf({ env: 'RINGLEADER_LOG_FORMAT' }, oneOf(['auto', 'json', 'pretty']).default('auto')),
  }),
});

type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The validated node configuration: the schema's output type. */
export type NodeConfig = DeepReadonly<z.output<typeof NODE_CONFIG_SCHEMA>>;
export type Mode = NodeConfig['mode'];
export type StandbyBehaviour = NodeConfig['standby'];
export type CoordinatorLossBehaviour = NodeConfig['onCoordinatorLoss'];
export type LogLevel = NodeConfig['log']['level'];

// ---- walking the schema ---------------------------------------------------------

export interface ConfigLeaf {
  /** Dotted key, e.g. `zookeeper.connect`. */
  readonly key: string;
  readonly meta: LeafMeta;
  readonly schema: z.ZodType;
  /** Inside a section that may be left out (proxy.tls, vip): required only with the section. */
  readonly inOptionalSection: boolean;
}

function walk(
  obj: z.ZodObject,
  prefix: string,
  leaves: ConfigLeaf[],
  sections: Map<string, string[]>,
  inOptionalSection = false,
) {
  sections.set(prefix, Object.keys(obj.shape));
  for (const [name, schema] of Object.entries(obj.shape) as [string, z.ZodType][]) {
    const meta = ENV_REGISTRY.get(schema);
    const inner = SECTIONS.get(schema);
    if (meta) leaves.push({ key: prefix + name, meta, schema, inOptionalSection });
    else if (inner)
      walk(inner, `${prefix}${name}.`, leaves, sections, inOptionalSection || OPTIONAL_SECTIONS.has(schema));
    else throw new Error(`config schema: ${prefix}${name} is neither a leaf nor a section`);
  }
}

const LEAVES: ConfigLeaf[] = [];
/** Known keys of each section, by prefix ('' for the top level, 'zookeeper.' ...). */
const SECTION_KEYS = new Map<string, string[]>();
walk(NODE_CONFIG_SCHEMA, '', LEAVES, SECTION_KEYS);

/** Every leaf of the config, in schema order. */
export const CONFIG_LEAVES: readonly ConfigLeaf[] = Object.freeze(LEAVES);

// ---- validation -----------------------------------------------------------------

const SAFE_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * Validates a merged raw configuration. `sourceOf(key)` tells where a key came from
 * (file path or environment variable) so every message names where to fix it.
 */
export function validateNodeConfig(
  raw: Record<string, unknown>,
  sourceOf: (key: string) => string,
): { ok: true; config: NodeConfig } | { ok: false; issues: ConfigIssue[] } {
  const parsed = NODE_CONFIG_SCHEMA.safeParse(raw);
  if (parsed.success) return { ok: true, config: parsed.data };
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  const add = (key: string, message: string) => {
    if (seen.has(`${key}\u0000${message}`)) return;
    seen.add(`${key}\u0000${message}`);
    issues.push({ key, source: sourceOf(key), message });
  };
  for (const iss of parsed.error.issues) {
    const names = iss.path.filter((p): p is string => typeof p === 'string');
    const key = names.join('.');
    if (iss.code === 'unrecognized_keys') {
      const prefix = key === '' ? '' : `${key}.`;
      const known = SECTION_KEYS.get(prefix) ?? [];
      for (const k of iss.keys)
        add(
          prefix + (SAFE_KEY.test(k) ? k : JSON.stringify(k)),
          `is not a known key (known: ${known.join(', ')})`,
        );
    } else {
      add(key, iss.message);
    }
  }
  return { ok: false, issues };
}
