// The pure half of `ringleader config`: flags → an RFC 7386 merge patch for the `config`
// znode, checked by the core config codec before ZooKeeper is touched, and the stored config
// as a table that says which values are set and which are defaults.
import {
  CONFIG_BOUNDS,
  clusterConfigToJson,
  formatHashSource,
  HASH_POLICIES,
  type HashSource,
  POLICY_NAMES,
  type PolicyName,
  parseHashSource,
  unwrap,
  validateClusterConfig,
} from '@ringleader/core';
import { mergePatch, type StoredConfig } from '@ringleader/zk';
import { usage } from './errors.js';
import { parseNumber } from './flags.js';
import { renderTable } from './table.js';

/** Numeric flags: commander option key, config field, flag as typed. */
const NUMERIC = [
  ['vnodes', 'ring.vnodes', '--vnodes'],
  ['loadFactor', 'ring.loadFactor', '--load-factor'],
  ['tableSize', 'maglev.tableSize', '--table-size'],
  ['decayMs', 'lrt.decayMs', '--decay-ms'],
  ['retries', 'retries', '--retries'],
  ['healthInterval', 'healthCheck.intervalMs', '--health-interval'],
  ['healthTimeout', 'healthCheck.timeoutMs', '--health-timeout'],
  ['healthRise', 'healthCheck.rise', '--health-rise'],
  ['healthFall', 'healthCheck.fall', '--health-fall'],
  ['outlierFailures', 'outlier.consecutiveFailures', '--outlier-failures'],
  ['outlierBaseMs', 'outlier.baseEjectionMs', '--outlier-base-ms'],
  ['outlierMaxMs', 'outlier.maxEjectionMs', '--outlier-max-ms'],
] as const;

type NumericKey = (typeof NUMERIC)[number][0];

export type ConfigFlags = { readonly [K in NumericKey]?: string } & {
  readonly policy?: string;
  readonly hash?: string;
  readonly healthPath?: string;
  readonly healthExpect?: string;
  readonly unset?: readonly string[];
};

/** Config field → the flag that sets it (error messages speak the user's words). */
export const CONFIG_FIELD_FLAGS: Readonly<Record<string, string>> = Object.freeze({
  policy: '--policy',
  hash: '--hash',
  'hash.source': '--hash',
  'hash.name': '--hash',
  'hash.withPort': '--hash',
  'healthCheck.path': '--health-path',
  'healthCheck.expectStatus': '--health-expect',
  ...Object.fromEntries(NUMERIC.map(([, field, flag]) => [field, flag])),
});

/** Fields --unset accepts (back to the default, or absent for hash/loadFactor/tableSize). */
const UNSETTABLE = Object.keys(CONFIG_FIELD_FLAGS).filter((f) => f !== 'policy' && !f.startsWith('hash.'));

type Patch = Record<string, unknown>;

function setField(patch: Patch, field: string, value: unknown): void {
  const parts = field.split('.');
  let cur = patch;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Patch;
  }
  cur[parts[parts.length - 1]!] = value;
}

/** A hash source as a whole-object patch: keys the new source does not use are deleted. */
function hashPatch(h: HashSource): Patch {
  return {
    source: h.kind,
    name: h.kind === 'ip' || h.kind === 'path' ? null : h.name,
    withPort: h.kind === 'ip' && h.withPort === true ? true : null,
  };
}

function unsetField(name: string): string {
  const bare = name.replace(/^--/, '');
  const byFlag = Object.entries(CONFIG_FIELD_FLAGS).find(([, flag]) => flag === `--${bare}`)?.[0];
  const field = UNSETTABLE.includes(bare) ? bare : byFlag;
  if (field === undefined || !UNSETTABLE.includes(field)) {
    throw usage(`--unset ${name}: not a config field (one of ${UNSETTABLE.join(', ')})`, 'unset');
  }
  return field;
}

/** Flags → merge patch; undefined when no flag was given. Throws on malformed flag text. */
export function configPatchFromFlags(flags: ConfigFlags): Patch | undefined {
  const patch: Patch = {};
  for (const name of flags.unset ?? []) setField(patch, unsetField(name), null);
  if (flags.policy !== undefined) patch.policy = flags.policy;
  if (flags.hash !== undefined) patch.hash = hashPatch(unwrap(parseHashSource(flags.hash)));
  for (const [key, field, flag] of NUMERIC) {
    const text = flags[key];
    if (text !== undefined) setField(patch, field, parseNumber(flag, text));
  }
  if (flags.healthPath !== undefined) setField(patch, 'healthCheck.path', flags.healthPath);
  if (flags.healthExpect !== undefined) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(flags.healthExpect);
    if (!m)
      throw usage(
        `invalid --health-expect ${JSON.stringify(flags.healthExpect)}: expected MIN-MAX such as 200-399`,
      );
    setField(patch, 'healthCheck.expectStatus', [Number(m[1]), Number(m[2] ?? m[1])]);
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

/**
 * Checks every field of `patch` with the core codec, without the stored config: the patch
 * is merged over stand-ins that always pass (round-robin, or an `ip` hash for a hash policy;
 * the widest partner for the two cross-field rules). Throws the codec's error.
 * The merged result is validated again against the stored config before the write.
 */
export function prevalidateConfigPatch(patch: Patch): void {
  const policy = typeof patch.policy === 'string' ? patch.policy : 'round-robin';
  const base: Patch = { policy };
  if (HASH_POLICIES.has(policy as PolicyName)) base.hash = { source: 'ip' };
  const B = CONFIG_BOUNDS;
  const hc = (patch.healthCheck ?? {}) as Patch;
  if (typeof hc.timeoutMs === 'number' && hc.intervalMs === undefined)
    base.healthCheck = { intervalMs: B.intervalMs[1] };
  if (typeof hc.intervalMs === 'number' && hc.timeoutMs === undefined)
    base.healthCheck = { timeoutMs: B.timeoutMs[0] };
  const ol = (patch.outlier ?? {}) as Patch;
  if (typeof ol.baseEjectionMs === 'number' && ol.maxEjectionMs === undefined)
    base.outlier = { maxEjectionMs: B.maxEjectionMs[1] };
  if (typeof ol.maxEjectionMs === 'number' && ol.baseEjectionMs === undefined)
    base.outlier = { baseEjectionMs: B.baseEjectionMs[0] };
  unwrap(validateClusterConfig(mergePatch(base, patch)));
}

export const POLICY_HELP = POLICY_NAMES.join(', ');

/** Dotted fields of a JSON object, in order; arrays and hash sources shown in their short form. */
function flatten(v: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    out.set(prefix, Array.isArray(v) ? v.join('-') : String(v));
    return out;
  }
  for (const [k, x] of Object.entries(v)) flatten(x, prefix === '' ? k : `${prefix}.${k}`, out);
  return out;
}

export function configJson(stored: StoredConfig, cluster: string, path: string): Record<string, unknown> {
  return {
    cluster,
    path,
    exists: stored.exists,
    version: stored.version,
    stored: stored.raw ?? null,
    effective: stored.config ? clusterConfigToJson(stored.config) : null,
    error: stored.error ?? null,
  };
}

/** The human form of `config get`. */
export function formatConfig(stored: StoredConfig, cluster: string, path: string): string {
  if (!stored.exists) {
    return (
      `no cluster config in ${cluster} (${path} does not exist): each node routes with its own ` +
      `settings (routing.policy / RINGLEADER_POLICY)\nset one with: ringleader config set --policy round-robin\n`
    );
  }
  let out = `${path} (version ${stored.version})\n`;
  if (stored.error || !stored.config) {
    out += `INVALID: ${stored.error?.message ?? 'unreadable'} [${stored.error?.code ?? '?'}]\n`;
    out += `nodes keep their last good config; stored payload: ${JSON.stringify(stored.raw ?? null)}\n`;
    return out;
  }
  const c = stored.config;
  const effective = flatten({
    ...clusterConfigToJson(c),
    hash: c.hash ? formatHashSource(c.hash) : undefined,
  });
  const raw = flatten(stored.raw ?? {});
  const isSet = (field: string) => [...raw.keys()].some((k) => k === field || k.startsWith(`${field}.`));
  const rows: string[][] = [];
  for (const [field, value] of effective) {
    if (value === 'undefined') continue;
    const unused = field === 'hash' && !HASH_POLICIES.has(c.policy) ? ` (unused by ${c.policy})` : '';
    rows.push([field, value + unused, isSet(field) ? 'set' : 'default', CONFIG_FIELD_FLAGS[field] ?? '']);
  }
  return out + renderTable(['FIELD', 'VALUE', 'SOURCE', 'FLAG'], rows);
}
