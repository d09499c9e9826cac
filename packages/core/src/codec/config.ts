// The cluster `config` znode codec, and the short hash-source syntax.
//
//   { policy, hash?: { source, name?, withPort? } | "header:x-user", ring?: { vnodes?, loadFactor? },
//     maglev?: { tableSize? }, lrt?: { decayMs? }, healthCheck?: {...}, outlier?: {...}, retries? }
//
// Every field but `policy` has a default (DEFAULT_CLUSTER_CONFIG). Unknown keys are
// errors at every level, with the key named, because a typo such as `"vnode": 40`
// silently falling back to 160 is exactly what operators want caught. Codes:
// RL_UNKNOWN_POLICY for `policy`, RL_BAD_HASH_SOURCE for anything under `hash`
// (including its absence under a hash policy), RL_BAD_CONFIG (with `field`) for
// the rest; RL_BAD_JSON / RL_PAYLOAD_TOO_LARGE from the payload reader. Never throws.

import { type CoreErrorCode, coreError, RingleaderError } from '../errors.js';
import { err, ok, type Result } from '../result.js';
import type { ClusterConfig, HashSource, HealthCheckConfig, OutlierConfig, PolicyName } from '../types.js';
import { isPlainObject, type PayloadData, readJsonPayload, show } from './backend.js';

export const POLICY_NAMES: readonly PolicyName[] = Object.freeze([
  'round-robin',
  'weighted-round-robin',
  'least-response-time',
  'least-connections',
  'hash',
  'consistent-hash',
  'maglev',
]);

/** Policies that need a `hash` source. */
export const HASH_POLICIES: ReadonlySet<PolicyName> = new Set<PolicyName>([
  'hash',
  'consistent-hash',
  'maglev',
]);

export const DEFAULT_CLUSTER_CONFIG: ClusterConfig = deepFreeze({
  policy: 'round-robin',
  ring: { vnodes: 160 },
  maglev: {},
  lrt: { decayMs: 10_000 },
  healthCheck: {
    path: '/healthz',
    intervalMs: 2000,
    timeoutMs: 1000,
    rise: 2,
    fall: 3,
    expectStatus: [200, 399],
  },
  outlier: { consecutiveFailures: 5, baseEjectionMs: 10_000, maxEjectionMs: 300_000 },
  retries: 2,
} satisfies ClusterConfig);

/** Bounds, in one place so docs, CLI help and tests can quote them. */
export const CONFIG_BOUNDS = Object.freeze({
  vnodes: [1, 1000],
  loadFactor: [1, 10], // exclusive below: must be > 1
  tableSize: [100, 10_000_000], // and prime
  decayMs: [100, 600_000],
  intervalMs: [100, 3_600_000],
  timeoutMs: [10, 600_000], // and ≤ intervalMs
  rise: [1, 100],
  fall: [1, 100],
  status: [100, 599],
  consecutiveFailures: [0, 1000], // 0 turns passive ejection off
  baseEjectionMs: [100, 3_600_000],
  maxEjectionMs: [100, 86_400_000], // and ≥ baseEjectionMs
  retries: [0, 10],
} as const);

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

class Invalid {
  readonly code: CoreErrorCode;
  readonly field: string;
  readonly detail: string;
  constructor(code: CoreErrorCode, field: string, detail: string) {
    this.code = code;
    this.field = field;
    this.detail = detail;
  }
}

function fail(field: string, detail: string, code: CoreErrorCode = 'RL_BAD_CONFIG'): never {
  throw new Invalid(code, field, detail);
}

function section(o: Record<string, unknown>, key: string, keys: readonly string[]): Record<string, unknown> {
  const v = o[key];
  if (v === undefined || v === null) return {};
  if (!isPlainObject(v)) fail(key, `must be an object (got ${show(v)})`);
  for (const k of Object.keys(v)) {
    if (!keys.includes(k)) fail(`${key}.${k}`, `unknown field (expected ${keys.join(', ')})`);
  }
  return v;
}

function int(
  o: Record<string, unknown>,
  key: string,
  field: string,
  def: number,
  [min, max]: readonly number[],
) {
  const v = o[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min! || v > max!) {
    fail(field, `must be an integer ${min}..${max} (got ${show(v)})`);
  }
  return v;
}

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

// ---- hash sources ---------------------------------------------------------

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/; // RFC 9110 token: header and cookie names
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const QUERY_NAME = /^[^\u0000-\u0020\u007f&=#]{1,256}$/;
const HASH_KINDS = ['ip', 'header', 'cookie', 'path', 'query'] as const;
const HASH_FORMS = 'ip | ip:port | header:NAME | cookie:NAME | path | query:NAME';

/** Builds a HashSource, checking the name; header names are lower-cased (HTTP header names are case-insensitive). */
function hashSource(kind: string, name: unknown, withPort: unknown, prefix: string): HashSource {
  const code = 'RL_BAD_HASH_SOURCE';
  if (!(HASH_KINDS as readonly string[]).includes(kind)) {
    fail(`${prefix}source`, `must be one of ${HASH_KINDS.join(', ')} (got ${show(kind)})`, code);
  }
  if (withPort !== undefined && withPort !== null) {
    if (kind !== 'ip') fail(`${prefix}withPort`, `applies only to source ip`, code);
    if (typeof withPort !== 'boolean')
      fail(`${prefix}withPort`, `must be true or false (got ${show(withPort)})`, code);
  }
  if (kind === 'ip' || kind === 'path') {
    if (name !== undefined && name !== null) fail(`${prefix}name`, `is not used by source ${kind}`, code);
    if (kind === 'path') return { kind };
    return withPort === true ? { kind, withPort: true } : { kind };
  }
  if (typeof name !== 'string' || name === '') fail(`${prefix}name`, `is required by source ${kind}`, code);
  if (kind === 'query') {
    if (!QUERY_NAME.test(name))
      fail(`${prefix}name`, `${show(name)} is not a valid query parameter name`, code);
    return { kind, name };
  }
  if (!TOKEN.test(name))
    fail(`${prefix}name`, `${show(name)} is not a valid ${kind} name (an HTTP token)`, code);
  return kind === 'header' ? { kind, name: name.toLowerCase() } : { kind: 'cookie', name };
}

function fromInvalid(e: unknown, path?: string): RingleaderError {
  const opts = path === undefined ? {} : { path };
  if (e instanceof Invalid) return coreError(e.code, `${e.field} ${e.detail}`, { ...opts, field: e.field });
  if (e instanceof RingleaderError) return e;
  return coreError('RL_BAD_CONFIG', `internal config decoder error: ${String(e)}`, { ...opts, cause: e });
}

function parseShort(text: string): HashSource {
  const t = text.trim();
  const colon = t.indexOf(':');
  const kind = (colon < 0 ? t : t.slice(0, colon)).toLowerCase();
  const rest = colon < 0 ? undefined : t.slice(colon + 1);
  if (kind === 'ip' && rest !== undefined) {
    if (rest.toLowerCase() !== 'port')
      fail('hash', `"ip:${rest}" is not a hash source (${HASH_FORMS})`, 'RL_BAD_HASH_SOURCE');
    return { kind: 'ip', withPort: true };
  }
  if (!(HASH_KINDS as readonly string[]).includes(kind)) {
    fail('hash', `${show(text)} is not a hash source (${HASH_FORMS})`, 'RL_BAD_HASH_SOURCE');
  }
  return hashSource(kind, rest, undefined, 'hash.');
}

/** Parses the short form used by env vars and the CLI: ip, ip:port, header:NAME, cookie:NAME, path, query:NAME. */
export function parseHashSource(text: string): Result<HashSource> {
  try {
    if (typeof text !== 'string') fail('hash', `must be a string (${HASH_FORMS})`, 'RL_BAD_HASH_SOURCE');
    return ok(parseShort(text));
  } catch (e) {
    return err(fromInvalid(e));
  }
}

/** The short form of a hash source; parseHashSource(formatHashSource(h)) equals h. */
export function formatHashSource(h: HashSource): string {
  switch (h.kind) {
    case 'ip':
      return h.withPort === true ? 'ip:port' : 'ip';
    case 'path':
      return 'path';
    default:
      return `${h.kind}:${h.name}`;
  }
}

function hashField(v: unknown): HashSource | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return parseShort(v);
  if (!isPlainObject(v))
    fail('hash', `must be an object { source, name? } or a string (${HASH_FORMS})`, 'RL_BAD_HASH_SOURCE');
  for (const k of Object.keys(v)) {
    if (k !== 'source' && k !== 'name' && k !== 'withPort') {
      fail(`hash.${k}`, 'unknown field (expected source, name, withPort)', 'RL_BAD_HASH_SOURCE');
    }
  }
  if (typeof v.source !== 'string')
    fail('hash.source', `is required (${HASH_KINDS.join(', ')})`, 'RL_BAD_HASH_SOURCE');
  return hashSource(v.source, v.name, v.withPort, 'hash.');
}

// ---- the config -----------------------------------------------------------

const TOP_KEYS = ['policy', 'hash', 'ring', 'maglev', 'lrt', 'healthCheck', 'outlier', 'retries'];

function configOf(v: unknown): ClusterConfig {
  if (!isPlainObject(v)) fail('$', `config must be a JSON object (got ${show(v)})`);
  for (const k of Object.keys(v)) {
    if (!TOP_KEYS.includes(k)) fail(k, `unknown field (expected ${TOP_KEYS.join(', ')})`);
  }
  const B = CONFIG_BOUNDS;
  const D = DEFAULT_CLUSTER_CONFIG;

  if (v.policy === undefined || v.policy === null) fail('policy', `is required (${POLICY_NAMES.join(', ')})`);
  if (typeof v.policy !== 'string' || !(POLICY_NAMES as readonly string[]).includes(v.policy)) {
    fail('policy', `${show(v.policy)} is not one of ${POLICY_NAMES.join(', ')}`, 'RL_UNKNOWN_POLICY');
  }
  const policy = v.policy as PolicyName;

  const hash = hashField(v.hash);
  if (HASH_POLICIES.has(policy) && hash === undefined) {
    fail('hash', `is required by policy ${policy} (${HASH_FORMS})`, 'RL_BAD_HASH_SOURCE');
  }

  const r = section(v, 'ring', ['vnodes', 'loadFactor']);
  const vnodes = int(r, 'vnodes', 'ring.vnodes', D.ring.vnodes, B.vnodes);
  let loadFactor: number | undefined;
  if (r.loadFactor !== undefined && r.loadFactor !== null) {
    const lf = r.loadFactor;
    if (typeof lf !== 'number' || !Number.isFinite(lf) || lf <= B.loadFactor[0] || lf > B.loadFactor[1]) {
      fail(
        'ring.loadFactor',
        `must be a number > ${B.loadFactor[0]} and ≤ ${B.loadFactor[1]} (got ${show(lf)})`,
      );
    }
    loadFactor = lf;
  }

  const m = section(v, 'maglev', ['tableSize']);
  let tableSize: number | undefined;
  if (m.tableSize !== undefined && m.tableSize !== null) {
    tableSize = int(m, 'tableSize', 'maglev.tableSize', 0, B.tableSize);
    if (!isPrime(tableSize)) fail('maglev.tableSize', `must be prime (got ${tableSize})`);
  }

  const l = section(v, 'lrt', ['decayMs']);
  const decayMs = int(l, 'decayMs', 'lrt.decayMs', D.lrt.decayMs, B.decayMs);

  const h = section(v, 'healthCheck', ['path', 'intervalMs', 'timeoutMs', 'rise', 'fall', 'expectStatus']);
  const dh = D.healthCheck;
  let checkPath = dh.path;
  if (h.path !== undefined && h.path !== null) {
    if (typeof h.path !== 'string' || !/^\/[\x21-\x7e]{0,1023}$/.test(h.path)) {
      fail(
        'healthCheck.path',
        `must start with '/' and hold ≤ 1024 printable ASCII characters, no spaces (got ${show(h.path)})`,
      );
    }
    checkPath = h.path;
  }
  const intervalMs = int(h, 'intervalMs', 'healthCheck.intervalMs', dh.intervalMs, B.intervalMs);
  const timeoutMs = int(h, 'timeoutMs', 'healthCheck.timeoutMs', dh.timeoutMs, B.timeoutMs);
  if (timeoutMs > intervalMs) {
    fail('healthCheck.timeoutMs', `(${timeoutMs}) must not exceed healthCheck.intervalMs (${intervalMs})`);
  }
  const rise = int(h, 'rise', 'healthCheck.rise', dh.rise, B.rise);
  const fall = int(h, 'fall', 'healthCheck.fall', dh.fall, B.fall);
  let expectStatus = dh.expectStatus;
  if (h.expectStatus !== undefined && h.expectStatus !== null) {
    const es = h.expectStatus;
    const [lo, hi] = B.status;
    const okStatus = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
    if (!Array.isArray(es) || es.length !== 2 || !okStatus(es[0]) || !okStatus(es[1]) || es[0] > es[1]) {
      fail('healthCheck.expectStatus', `must be [min, max] with ${lo} ≤ min ≤ max ≤ ${hi} (got ${show(es)})`);
    }
    expectStatus = [es[0], es[1]];
  }
  const healthCheck: HealthCheckConfig = { path: checkPath, intervalMs, timeoutMs, rise, fall, expectStatus };

  const o = section(v, 'outlier', ['consecutiveFailures', 'baseEjectionMs', 'maxEjectionMs']);
  const dout = D.outlier;
  const outlier: OutlierConfig = {
    consecutiveFailures: int(
      o,
      'consecutiveFailures',
      'outlier.consecutiveFailures',
      dout.consecutiveFailures,
      B.consecutiveFailures,
    ),
    baseEjectionMs: int(o, 'baseEjectionMs', 'outlier.baseEjectionMs', dout.baseEjectionMs, B.baseEjectionMs),
    maxEjectionMs: int(o, 'maxEjectionMs', 'outlier.maxEjectionMs', dout.maxEjectionMs, B.maxEjectionMs),
  };
  if (outlier.maxEjectionMs < outlier.baseEjectionMs) {
    fail(
      'outlier.maxEjectionMs',
      `(${outlier.maxEjectionMs}) must be ≥ outlier.baseEjectionMs (${outlier.baseEjectionMs})`,
    );
  }

  const retries = int(v, 'retries', 'retries', D.retries, B.retries);

  const config: { -readonly [K in keyof ClusterConfig]: ClusterConfig[K] } = {
    policy,
    ring: loadFactor === undefined ? { vnodes } : { vnodes, loadFactor },
    maglev: tableSize === undefined ? {} : { tableSize },
    lrt: { decayMs },
    healthCheck,
    outlier,
    retries,
  };
  if (hash !== undefined) config.hash = hash;
  return deepFreeze(config);
}

/** Validates an already-parsed config value (a file, a test). Never throws; the result is deeply frozen. */
export function validateClusterConfig(value: unknown, path?: string): Result<ClusterConfig> {
  try {
    return ok(configOf(value));
  } catch (e) {
    return err(fromInvalid(e, path));
  }
}

/** Decodes the `config` znode payload, filling in defaults. Never throws. */
export function decodeClusterConfig(data: PayloadData, path?: string): Result<ClusterConfig> {
  const parsed = readJsonPayload(data, path, 'config payload');
  if (!parsed.ok) return parsed;
  return validateClusterConfig(parsed.value, path);
}

/** The JSON form of a config: every field explicit, hash as { source, name?, withPort? }. */
export function clusterConfigToJson(c: ClusterConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { policy: c.policy };
  if (c.hash !== undefined) {
    const h = c.hash;
    out.hash =
      h.kind === 'ip'
        ? h.withPort === true
          ? { source: 'ip', withPort: true }
          : { source: 'ip' }
        : h.kind === 'path'
          ? { source: 'path' }
          : { source: h.kind, name: h.name };
  }
  out.ring = c.ring;
  out.maglev = c.maglev;
  out.lrt = c.lrt;
  out.healthCheck = c.healthCheck;
  out.outlier = c.outlier;
  out.retries = c.retries;
  return out;
}

/**
 * Canonical JSON for the `config` znode (what the CLI writes): validated first,
 * defaults written out, fixed key order. Never throws.
 */
export function encodeClusterConfig(config: ClusterConfig): Result<string> {
  let json: Record<string, unknown>;
  try {
    json = clusterConfigToJson(config);
  } catch (e) {
    return err(coreError('RL_BAD_CONFIG', `not a cluster config: ${String(e)}`, { field: '$', cause: e }));
  }
  const checked = validateClusterConfig(json);
  if (!checked.ok) return checked;
  return ok(JSON.stringify(clusterConfigToJson(checked.value)));
}
