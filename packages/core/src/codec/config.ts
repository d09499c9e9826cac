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
// The checks are one zod schema (CLUSTER_CONFIG_SCHEMA, below); pure, no I/O.

import * as z from 'zod';
import { type CoreErrorCode, coreError, RingleaderError } from '../errors.js';
import { isPrime } from '../policies/maglev-table.js';
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

/** One problem of a payload (shared by the config and service codecs), turned into one error. */
export class Invalid {
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

export { isPrime };

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
//
// One zod schema (CLUSTER_CONFIG_SCHEMA) holds every field, bound, default and message. zod
// reports every problem; the codec keeps its contract of one error, the first in reading
// order (unknown keys of a level before its fields, fields in schema order), with the codes
// above. Hash sources keep their parser (shared with parseHashSource, the short form).

const absent = (v: unknown) => (v === null ? undefined : v);
const opt = <T extends z.ZodType>(schema: T) => z.preprocess(absent, schema);

/** Known keys of each level, by dotted prefix ('' for the top). */
const LEVEL_KEYS = new Map<string, readonly string[]>();

function section<S extends z.core.$ZodLooseShape>(name: string, shape: S) {
  LEVEL_KEYS.set(`${name}.`, Object.keys(shape));
  return z.preprocess(
    (v) => v ?? {},
    z.strictObject(shape, {
      error: (iss) =>
        iss.code === 'invalid_type' ? `must be an object (got ${show(iss.input)})` : undefined,
    }),
  );
}

function intIn([min, max]: readonly [number, number]) {
  const error = (iss: { input?: unknown }) => `must be an integer ${min}..${max} (got ${show(iss.input)})`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A rule across fields, checked even when other fields are wrong (the order picks the first). */
function across<T>(key: string, holds: (v: T) => boolean, message: (v: T) => string) {
  const params: z.core.$ZodCustomParams = {
    path: [key],
    when: () => true,
    error: (iss) => message(iss.input as T),
  };
  return [(v: unknown) => typeof v !== 'object' || v === null || holds(v as T), params] as const;
}

const B = CONFIG_BOUNDS;
const D = DEFAULT_CLUSTER_CONFIG;
const [STATUS_LO, STATUS_HI] = B.status;
const okStatus = (x: unknown) =>
  typeof x === 'number' && Number.isInteger(x) && x >= STATUS_LO && x <= STATUS_HI;
type Num = Record<string, unknown>;

const hashSchema = z.unknown().transform((v, ctx): HashSource | undefined => {
  try {
    return hashField(v);
  } catch (e) {
    if (!(e instanceof Invalid)) throw e;
    ctx.issues.push({ code: 'custom', message: e.detail, path: e.field.split('.').slice(1), input: v });
    return z.NEVER;
  }
});

const TOP_SHAPE = {
  policy: opt(
    z.enum(POLICY_NAMES as unknown as readonly [PolicyName, ...PolicyName[]], {
      error: (iss) =>
        iss.input === undefined
          ? `is required (${POLICY_NAMES.join(', ')})`
          : `${show(iss.input)} is not one of ${POLICY_NAMES.join(', ')}`,
    }),
  ),
  hash: opt(hashSchema),
  ring: section('ring', {
    vnodes: opt(intIn(B.vnodes).default(D.ring.vnodes)),
    loadFactor: opt(
      z
        .number({ error: (iss) => loadFactorMessage(iss.input) })
        .gt(B.loadFactor[0], { error: (iss) => loadFactorMessage(iss.input) })
        .lte(B.loadFactor[1], { error: (iss) => loadFactorMessage(iss.input) })
        .optional(),
    ),
  }),
  maglev: section('maglev', {
    tableSize: opt(
      intIn(B.tableSize)
        .refine(isPrime, { error: (iss) => `must be prime (got ${iss.input})` })
        .optional(),
    ),
  }),
  lrt: section('lrt', { decayMs: opt(intIn(B.decayMs).default(D.lrt.decayMs)) }),
  healthCheck: section('healthCheck', {
    path: opt(
      z
        .string({ error: (iss) => checkPathMessage(iss.input) })
        .regex(/^\/[\x21-\x7e]{0,1023}$/, { error: (iss) => checkPathMessage(iss.input) })
        .default(D.healthCheck.path),
    ),
    intervalMs: opt(intIn(B.intervalMs).default(D.healthCheck.intervalMs)),
    timeoutMs: opt(intIn(B.timeoutMs).default(D.healthCheck.timeoutMs)),
    rise: opt(intIn(B.rise).default(D.healthCheck.rise)),
    fall: opt(intIn(B.fall).default(D.healthCheck.fall)),
    expectStatus: opt(
      z
        .unknown()
        .refine(
          (es) =>
            Array.isArray(es) && es.length === 2 && okStatus(es[0]) && okStatus(es[1]) && es[0] <= es[1],
          {
            error: (iss) =>
              `must be [min, max] with ${STATUS_LO} ≤ min ≤ max ≤ ${STATUS_HI} (got ${show(iss.input)})`,
          },
        )
        .transform((es): readonly [number, number] => [
          (es as number[])[0] as number,
          (es as number[])[1] as number,
        ])
        .default(D.healthCheck.expectStatus),
    ),
  }).refine(
    ...across<Num>(
      'timeoutMs',
      (h) =>
        !(typeof h.timeoutMs === 'number' && typeof h.intervalMs === 'number') || h.timeoutMs <= h.intervalMs,
      (h) => `(${h.timeoutMs}) must not exceed healthCheck.intervalMs (${h.intervalMs})`,
    ),
  ),
  outlier: section('outlier', {
    consecutiveFailures: opt(intIn(B.consecutiveFailures).default(D.outlier.consecutiveFailures)),
    baseEjectionMs: opt(intIn(B.baseEjectionMs).default(D.outlier.baseEjectionMs)),
    maxEjectionMs: opt(intIn(B.maxEjectionMs).default(D.outlier.maxEjectionMs)),
  }).refine(
    ...across<Num>(
      'maxEjectionMs',
      (o) =>
        !(typeof o.maxEjectionMs === 'number' && typeof o.baseEjectionMs === 'number') ||
        o.maxEjectionMs >= o.baseEjectionMs,
      (o) => `(${o.maxEjectionMs}) must be ≥ outlier.baseEjectionMs (${o.baseEjectionMs})`,
    ),
  ),
  retries: opt(intIn(B.retries).default(D.retries)),
};
LEVEL_KEYS.set('', Object.keys(TOP_SHAPE));

function loadFactorMessage(v: unknown): string {
  return `must be a number > ${B.loadFactor[0]} and ≤ ${B.loadFactor[1]} (got ${show(v)})`;
}

function checkPathMessage(v: unknown): string {
  return `must start with '/' and hold ≤ 1024 printable ASCII characters, no spaces (got ${show(v)})`;
}

/** The cluster `config` payload: every field, bound, default and message. Pure. */
export const CLUSTER_CONFIG_SCHEMA = z
  .strictObject(TOP_SHAPE, {
    error: (iss) =>
      iss.code === 'invalid_type' ? `config must be a JSON object (got ${show(iss.input)})` : undefined,
  })
  .refine(
    ...across<Num>(
      'hash',
      (c) =>
        !(typeof c.policy === 'string' && HASH_POLICIES.has(c.policy as PolicyName)) || c.hash !== undefined,
      (c) => `is required by policy ${String(c.policy)} (${HASH_FORMS})`,
    ),
  )
  .transform((v): ClusterConfig => {
    const config: { -readonly [K in keyof ClusterConfig]: ClusterConfig[K] } = {
      policy: v.policy as PolicyName,
      ring:
        v.ring.loadFactor === undefined
          ? { vnodes: v.ring.vnodes }
          : { vnodes: v.ring.vnodes, loadFactor: v.ring.loadFactor },
      maglev: v.maglev.tableSize === undefined ? {} : { tableSize: v.maglev.tableSize },
      lrt: { decayMs: v.lrt.decayMs },
      healthCheck: v.healthCheck as HealthCheckConfig,
      outlier: v.outlier as OutlierConfig,
      retries: v.retries,
    };
    if (v.hash !== undefined) config.hash = v.hash;
    return deepFreeze(config);
  });

/** Where an issue sits in reading order: a level's unknown keys first, then its fields in order. */
function rank(iss: z.core.$ZodIssue): number[] {
  const out: number[] = [];
  let prefix = '';
  for (const seg of iss.path) {
    const keys = LEVEL_KEYS.get(prefix);
    out.push(keys ? keys.indexOf(String(seg)) : 0);
    prefix = `${prefix}${String(seg)}.`;
  }
  if (iss.code === 'unrecognized_keys') out.push(-1);
  return out;
}

function earlier(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++)
    if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/** The first problem, as the codec's one error: field, detail and code. */
function firstInvalid(issues: readonly z.core.$ZodIssue[]): Invalid {
  const iss = [...issues].sort((a, b) => earlier(rank(a), rank(b)))[0];
  if (iss === undefined) return new Invalid('RL_BAD_CONFIG', '$', 'is invalid');
  const at = iss.path.map(String).join('.');
  let field = at === '' ? '$' : at;
  let detail = iss.message;
  if (iss.code === 'unrecognized_keys') {
    field = at === '' ? String(iss.keys[0]) : `${at}.${String(iss.keys[0])}`;
    detail = `unknown field (expected ${(LEVEL_KEYS.get(at === '' ? '' : `${at}.`) ?? []).join(', ')})`;
  }
  if (field === 'hash' || field.startsWith('hash.')) return new Invalid('RL_BAD_HASH_SOURCE', field, detail);
  if (field === 'policy' && !detail.startsWith('is required'))
    return new Invalid('RL_UNKNOWN_POLICY', field, detail);
  return new Invalid('RL_BAD_CONFIG', field, detail);
}

function configOf(v: unknown): ClusterConfig {
  const r = CLUSTER_CONFIG_SCHEMA.safeParse(v);
  if (r.success) return r.data;
  throw firstInvalid(r.error.issues);
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
