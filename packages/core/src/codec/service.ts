// The `services/<name>` znode codec (docs/zookeeper.md "Services", docs/services.md).
//
//   { protocol, listen, policy, hash?, ring?, maglev?, lrt?, outlier?, retries?,
//     healthCheck?: { kind?, intervalMs?, timeoutMs?, rise?, fall?, path?, expectStatus?, port?, role? },
//     timeouts?: { connectMs?, idleMs?, maxDurationMs?, queueMs?, proxyHeaderMs?, commandMs? },
//     maxConnectionsPerBackend?, proxyProtocol?, acceptProxyProtocol?, drainTimeoutMs? }
//
// The routing fields are exactly the cluster config's, checked by its codec (config.ts), so a
// service's ring is validated, defaulted and fingerprinted as the default service's is, with
// the same codes (RL_UNKNOWN_POLICY, RL_BAD_HASH_SOURCE); everything else is RL_BAD_SERVICE
// with `field`. Unknown keys are errors at every level. One error, the first in reading order
// (unknown keys, then fields in the order above, then the rules across fields). Never throws.
import { type CoreErrorCode, coreError, type RingleaderError } from '../errors.js';
import { DEFAULT_SERVICE, SERVICE_NAME } from '../names.js';
import { err, ok, type Result } from '../result.js';
import type {
  ClusterConfig,
  ServiceCheckKind,
  ServiceDefinition,
  ServiceHealthCheck,
  ServiceProtocol,
  ServiceTimeouts,
} from '../types.js';
import { isPlainObject, type PayloadData, readJsonPayload, show } from './backend.js';
import { clusterConfigToJson, Invalid, validateClusterConfig } from './config.js';

export const SERVICE_PROTOCOLS: readonly ServiceProtocol[] = Object.freeze(['http', 'tcp', 'redis']);
export const SERVICE_CHECK_KINDS: readonly ServiceCheckKind[] = Object.freeze([
  'tcp',
  'redis',
  'postgres',
  'http',
]);

/** Bounds, in one place so docs, CLI help and tests can quote them. */
export const SERVICE_BOUNDS = Object.freeze({
  listen: [1, 65535],
  checkPort: [1, 65535],
  connectMs: [1, 600_000],
  idleMs: [1000, 86_400_000],
  maxDurationMs: [1000, 604_800_000],
  queueMs: [0, 600_000],
  proxyHeaderMs: [100, 60_000],
  commandMs: [1, 600_000],
  maxConnectionsPerBackend: [1, 1_000_000],
  drainTimeoutMs: [0, 3_600_000],
} as const);

export const SERVICE_DEFAULTS = Object.freeze({
  timeouts: Object.freeze({
    connectMs: 5000,
    idleMs: 600_000,
    queueMs: 1000,
    proxyHeaderMs: 3000,
    commandMs: 2000,
  }),
  drainTimeoutMs: 30_000,
  acceptProxyProtocol: false,
  /** The check kind a protocol gets when `healthCheck.kind` is absent. */
  checkKind: Object.freeze({ http: 'http', tcp: 'tcp', redis: 'redis' } as Record<
    ServiceProtocol,
    ServiceCheckKind
  >),
});

/** Policies a redis service may use: the command's key is hashed, so only key-stable rings. */
const REDIS_POLICIES = new Set(['consistent-hash', 'maglev']);
/**
 * The hash source a redis service's snapshot is built with: its policy hashes commands' keys
 * (the relay picks by key); this only satisfies the builder and is never written.
 */
const REDIS_ROUTING_HASH = 'ip';

const ROUTING_KEYS = ['policy', 'hash', 'ring', 'maglev', 'lrt', 'outlier', 'retries'] as const;
const TOP_KEYS = [
  'protocol',
  'listen',
  ...ROUTING_KEYS,
  'healthCheck',
  'timeouts',
  'maxConnectionsPerBackend',
  'proxyProtocol',
  'acceptProxyProtocol',
  'drainTimeoutMs',
] as const;
const CHECK_KEYS = [
  'kind',
  'intervalMs',
  'timeoutMs',
  'rise',
  'fall',
  'path',
  'expectStatus',
  'port',
  'role',
];
const TIMEOUT_KEYS = ['connectMs', 'idleMs', 'maxDurationMs', 'queueMs', 'proxyHeaderMs', 'commandMs'];

function fail(field: string, detail: string, code: CoreErrorCode = 'RL_BAD_SERVICE'): never {
  throw new Invalid(code, field, detail);
}

const absent = (v: unknown) => v === undefined || v === null;

function onlyKeys(v: Record<string, unknown>, known: readonly string[], prefix: string): void {
  for (const k of Object.keys(v))
    if (!known.includes(k)) fail(`${prefix}${k}`, `unknown field (expected ${known.join(', ')})`);
}

function section(v: unknown, field: string): Record<string, unknown> {
  if (absent(v)) return {};
  if (!isPlainObject(v)) fail(field, `must be an object (got ${show(v)})`);
  return v;
}

function intIn(v: unknown, field: string, [min, max]: readonly [number, number]): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    fail(field, `must be an integer ${min}..${max} (got ${show(v)})`);
  return v;
}

function optInt(v: unknown, field: string, bounds: readonly [number, number]): number | undefined {
  return absent(v) ? undefined : intIn(v, field, bounds);
}

function oneOf<T extends string>(v: unknown, field: string, values: readonly T[]): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v))
    fail(field, `${absent(v) ? 'is required' : `${show(v)} is not one of`} (${values.join(', ')})`);
  return v as T;
}

/** The routing part, through the cluster config codec (its codes; RL_BAD_CONFIG → RL_BAD_SERVICE). */
function routingOf(
  v: Record<string, unknown>,
  check: Record<string, unknown>,
  protocol: ServiceProtocol,
): ClusterConfig {
  const input: Record<string, unknown> = {};
  for (const k of ROUTING_KEYS) if (!absent(v[k])) input[k] = v[k];
  const timing: Record<string, unknown> = {};
  for (const k of ['intervalMs', 'timeoutMs', 'rise', 'fall', 'path', 'expectStatus'])
    if (!absent(check[k])) timing[k] = check[k];
  input.healthCheck = timing;
  if (protocol === 'redis' && input.hash === undefined) input.hash = REDIS_ROUTING_HASH;
  const r = validateClusterConfig(input);
  if (r.ok) return r.value;
  const e = r.error;
  const field = e.field ?? '$';
  // The message is "<catalogue text>: <field> <detail>": keep the detail, re-prefixed by ours.
  const at = e.message.indexOf(`${field} `);
  const detail = at >= 0 ? e.message.slice(at + field.length + 1) : e.message;
  throw new Invalid(e.code === 'RL_BAD_CONFIG' ? 'RL_BAD_SERVICE' : (e.code as CoreErrorCode), field, detail);
}

function checkOf(
  c: Record<string, unknown>,
  protocol: ServiceProtocol,
  routing: ClusterConfig,
): ServiceHealthCheck {
  const kind = absent(c.kind)
    ? SERVICE_DEFAULTS.checkKind[protocol]
    : oneOf(c.kind, 'healthCheck.kind', SERVICE_CHECK_KINDS);
  if (kind !== 'http') {
    for (const k of ['path', 'expectStatus', 'port'])
      if (!absent(c[k]))
        fail(`healthCheck.${k}`, `applies only to healthCheck.kind http (this check is ${kind})`);
  }
  if (!absent(c.role)) {
    if (kind !== 'redis')
      fail('healthCheck.role', `applies only to healthCheck.kind redis (this check is ${kind})`);
    if (c.role !== 'master') fail('healthCheck.role', `must be "master" (got ${show(c.role)})`);
  }
  const port = optInt(c.port, 'healthCheck.port', SERVICE_BOUNDS.checkPort);
  const h = routing.healthCheck;
  return {
    kind,
    intervalMs: h.intervalMs,
    timeoutMs: h.timeoutMs,
    rise: h.rise,
    fall: h.fall,
    path: h.path,
    expectStatus: h.expectStatus,
    ...(port !== undefined ? { port } : {}),
    ...(c.role === 'master' ? { role: 'master' as const } : {}),
  };
}

function timeoutsOf(t: Record<string, unknown>): ServiceTimeouts {
  const D = SERVICE_DEFAULTS.timeouts;
  const B = SERVICE_BOUNDS;
  const maxDurationMs = optInt(t.maxDurationMs, 'timeouts.maxDurationMs', B.maxDurationMs);
  return {
    connectMs: optInt(t.connectMs, 'timeouts.connectMs', B.connectMs) ?? D.connectMs,
    idleMs: optInt(t.idleMs, 'timeouts.idleMs', B.idleMs) ?? D.idleMs,
    ...(maxDurationMs !== undefined ? { maxDurationMs } : {}),
    queueMs: optInt(t.queueMs, 'timeouts.queueMs', B.queueMs) ?? D.queueMs,
    proxyHeaderMs: optInt(t.proxyHeaderMs, 'timeouts.proxyHeaderMs', B.proxyHeaderMs) ?? D.proxyHeaderMs,
    commandMs: optInt(t.commandMs, 'timeouts.commandMs', B.commandMs) ?? D.commandMs,
  };
}

function definitionOf(name: string, v: unknown): ServiceDefinition {
  const nameProblem = SERVICE_NAME.problem(name);
  if (nameProblem !== undefined) fail('name', nameProblem);
  if (name === DEFAULT_SERVICE)
    fail(
      'name',
      `"${DEFAULT_SERVICE}" is the top-level backends/ + config (the default HTTP service); pick another name`,
    );
  if (!isPlainObject(v)) fail('$', `service must be a JSON object (got ${show(v)})`);
  onlyKeys(v, TOP_KEYS, '');
  const protocol = oneOf(v.protocol, 'protocol', SERVICE_PROTOCOLS);
  if (absent(v.listen))
    fail('listen', `is required (the port every node binds, ${SERVICE_BOUNDS.listen.join('..')})`);
  const listen = intIn(v.listen, 'listen', SERVICE_BOUNDS.listen);
  const check = section(v.healthCheck, 'healthCheck');
  onlyKeys(check, CHECK_KEYS, 'healthCheck.');
  const timeouts = section(v.timeouts, 'timeouts');
  onlyKeys(timeouts, TIMEOUT_KEYS, 'timeouts.');
  if (protocol === 'redis') {
    if (typeof v.policy === 'string' && !REDIS_POLICIES.has(v.policy))
      fail(
        'policy',
        `a redis service hashes each command's key: use consistent-hash or maglev (got ${show(v.policy)})`,
      );
    if (!absent(v.hash))
      fail(
        'hash',
        `is not used by a redis service (the command's key is the hash key)`,
        'RL_BAD_HASH_SOURCE',
      );
    const ring = v.ring;
    if (typeof ring === 'object' && ring !== null && !absent((ring as Record<string, unknown>).loadFactor))
      fail(
        'ring.loadFactor',
        'bounded loads would send a key to a backend other than its owner when the owner is busy; a cache must see each key on one backend (remove ring.loadFactor)',
      );
  }
  const routing = routingOf(v, check, protocol);
  if (protocol === 'tcp' && routing.hash !== undefined && routing.hash.kind !== 'ip')
    fail(
      'hash',
      `a tcp service sees only the client's address: use ip or ip:port (got ${routing.hash.kind}, a layer-7 source)`,
      'RL_BAD_HASH_SOURCE',
    );
  const healthCheck = checkOf(check, protocol, routing);
  const t = timeoutsOf(timeouts);
  const maxConns = optInt(
    v.maxConnectionsPerBackend,
    'maxConnectionsPerBackend',
    SERVICE_BOUNDS.maxConnectionsPerBackend,
  );
  let proxyProtocol: 'v1' | 'v2' | undefined;
  if (!absent(v.proxyProtocol))
    proxyProtocol = oneOf(v.proxyProtocol, 'proxyProtocol', ['v1', 'v2'] as const);
  if (!absent(v.acceptProxyProtocol) && typeof v.acceptProxyProtocol !== 'boolean')
    fail('acceptProxyProtocol', `must be true or false (got ${show(v.acceptProxyProtocol)})`);
  const acceptProxyProtocol = v.acceptProxyProtocol === true;
  if (protocol === 'http' && (proxyProtocol !== undefined || acceptProxyProtocol))
    fail(
      proxyProtocol !== undefined ? 'proxyProtocol' : 'acceptProxyProtocol',
      'applies to tcp and redis listeners only (an http service passes the client address in X-Forwarded-For)',
    );
  const drainTimeoutMs =
    optInt(v.drainTimeoutMs, 'drainTimeoutMs', SERVICE_BOUNDS.drainTimeoutMs) ??
    SERVICE_DEFAULTS.drainTimeoutMs;
  return deepFreeze({
    name,
    protocol,
    listen,
    routing,
    healthCheck,
    timeouts: t,
    ...(maxConns !== undefined ? { maxConnectionsPerBackend: maxConns } : {}),
    ...(proxyProtocol !== undefined ? { proxyProtocol } : {}),
    acceptProxyProtocol,
    drainTimeoutMs,
  });
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

function fromInvalid(e: unknown, path: string | undefined): RingleaderError {
  const opts = path === undefined ? {} : { path };
  if (e instanceof Invalid) return coreError(e.code, `${e.field} ${e.detail}`, { ...opts, field: e.field });
  return coreError('RL_BAD_SERVICE', `internal service decoder error: ${String(e)}`, { ...opts, cause: e });
}

/** Validates an already-parsed definition of service `name`. Never throws; the result is deeply frozen. */
export function validateService(name: string, value: unknown, path?: string): Result<ServiceDefinition> {
  try {
    return ok(definitionOf(name, value));
  } catch (e) {
    return err(fromInvalid(e, path));
  }
}

/** Decodes a `services/<name>` payload, filling in defaults. Never throws. */
export function decodeService(name: string, data: PayloadData, path?: string): Result<ServiceDefinition> {
  const parsed = readJsonPayload(data, path, 'service payload');
  if (!parsed.ok) return parsed;
  return validateService(name, parsed.value, path);
}

/** The JSON form of a definition: every field explicit, in the canonical order. */
export function serviceToJson(d: ServiceDefinition): Record<string, unknown> {
  const routing = clusterConfigToJson(d.routing);
  const out: Record<string, unknown> = { protocol: d.protocol, listen: d.listen, policy: routing.policy };
  if (d.protocol !== 'redis' && routing.hash !== undefined) out.hash = routing.hash;
  for (const k of ['ring', 'maglev', 'lrt', 'outlier', 'retries']) out[k] = routing[k];
  const h = d.healthCheck;
  out.healthCheck = {
    kind: h.kind,
    intervalMs: h.intervalMs,
    timeoutMs: h.timeoutMs,
    rise: h.rise,
    fall: h.fall,
    ...(h.kind === 'http' ? { path: h.path, expectStatus: h.expectStatus } : {}),
    ...(h.port !== undefined ? { port: h.port } : {}),
    ...(h.role !== undefined ? { role: h.role } : {}),
  };
  out.timeouts = d.timeouts;
  if (d.maxConnectionsPerBackend !== undefined) out.maxConnectionsPerBackend = d.maxConnectionsPerBackend;
  if (d.proxyProtocol !== undefined) out.proxyProtocol = d.proxyProtocol;
  out.acceptProxyProtocol = d.acceptProxyProtocol;
  out.drainTimeoutMs = d.drainTimeoutMs;
  return out;
}

/** Canonical JSON for a `services/<name>` znode (what the CLI writes): validated first. Never throws. */
export function encodeService(d: ServiceDefinition): Result<string> {
  let json: Record<string, unknown>;
  try {
    json = serviceToJson(d);
  } catch (e) {
    return err(
      coreError('RL_BAD_SERVICE', `not a service definition: ${String(e)}`, { field: '$', cause: e }),
    );
  }
  const checked = validateService(d.name, json);
  if (!checked.ok) return checked;
  return ok(JSON.stringify(serviceToJson(checked.value)));
}
