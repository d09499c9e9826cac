// Pure parsing of the flags every command shares (--zk, --cluster, --timeout and the ZooKeeper
// credential from the environment) and of numbers and key=value lists. Ranges of payload
// fields are NOT checked here: the core codec is the one authority on those.
import { ZK_CONNECT } from '@ringleader/core';
import { validateClusterName } from '@ringleader/zk';
import { CliError, usage } from './errors.js';

export const DEFAULT_ZK = '127.0.0.1:2181';
export const DEFAULT_CLUSTER = 'default';
export const DEFAULT_TIMEOUT_MS = 5000;

/** What the commander options of a ZooKeeper-touching command hold. */
export interface ZkFlags {
  readonly zk?: string;
  readonly cluster?: string;
  readonly timeout?: string;
}

export interface ZkTarget {
  readonly connect: string;
  readonly cluster: string;
  /** Connect deadline (and per-operation deadline). */
  readonly timeoutMs: number;
  /** `user:password` for ZooKeeper's digest scheme; from the environment only, never a flag. */
  readonly auth?: string;
  /**
   * The backend-registration credential (RINGLEADER_ZK_BACKEND_AUTH or _FILE): used alone
   * when there is no cluster credential, e.g. a backend registering itself.
   */
  readonly backendAuth?: string;
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A number as typed; the codec decides whether it is in range (and an integer). */
export function parseNumber(name: string, text: string): number {
  const t = text.trim();
  if (!NUMBER_RE.test(t)) throw usage(`invalid ${name}: ${JSON.stringify(text)} is not a number`, name);
  return Number(t);
}

/** A whole number of milliseconds (or a count) for the CLI's own settings, range checked here. */
export function parseInteger(name: string, text: string, min: number, max: number): number {
  const n = parseNumber(name, text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw usage(`invalid ${name}: must be an integer ${min}..${max} (got ${text})`, name);
  }
  return n;
}

/**
 * `--meta k=v` pairs → an object of strings. With allowDelete, `k=` (nothing after `=`)
 * becomes null: a merge patch removes that key.
 */
export function parseMeta(pairs: readonly string[], allowDelete: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? '' : pair.slice(0, eq);
    if (eq <= 0 || key.trim() !== key) {
      throw usage(`invalid --meta ${JSON.stringify(pair)}: expected key=value`, 'meta');
    }
    const value = pair.slice(eq + 1);
    if (value === '' && !allowDelete) {
      throw usage(
        `invalid --meta ${JSON.stringify(pair)}: empty value (key= removes a key only in update)`,
        'meta',
      );
    }
    if (Object.hasOwn(out, key)) throw usage(`--meta ${key} given twice`, 'meta');
    out[key] = value === '' ? null : value;
  }
  return out;
}

/** For commander: collects a repeatable option into a list. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Flags, then environment, then defaults. Throws CliError (exit 2) on anything malformed. */
export function resolveZkTarget(
  flags: ZkFlags,
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
): ZkTarget {
  const connect = (flags.zk ?? nonEmpty(env.RINGLEADER_ZK) ?? DEFAULT_ZK).trim();
  const bad = ZK_CONNECT.problem(connect); // the one rule, shared with the node config
  if (bad !== undefined) throw usage(`invalid --zk ${bad}`, 'zk');
  const cluster = flags.cluster ?? nonEmpty(env.RINGLEADER_CLUSTER) ?? DEFAULT_CLUSTER;
  validateClusterName(cluster); // RL_ZK_BAD_PATH, exit 2
  const timeoutMs =
    flags.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseInteger('--timeout', flags.timeout, 100, 600_000);
  const auth = readZkAuth(env, readFile);
  const backendAuth = readZkAuth(env, readFile, 'RINGLEADER_ZK_BACKEND_AUTH');
  return {
    connect,
    cluster,
    timeoutMs,
    ...(auth === undefined ? {} : { auth }),
    ...(backendAuth === undefined ? {} : { backendAuth }),
  };
}

/** RINGLEADER_ZK_AUTH wins over RINGLEADER_ZK_AUTH_FILE (as for the node). The secret is never echoed. */
export function readZkAuth(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
  variable = 'RINGLEADER_ZK_AUTH',
): string | undefined {
  let auth = nonEmpty(env[variable]);
  let source = variable;
  const file = nonEmpty(env[`${variable}_FILE`]);
  if (auth === undefined && file !== undefined) {
    auth = readSecretFile(file, `${variable}_FILE`, readFile);
    source = `the file ${file} (${variable}_FILE)`;
  }
  if (auth !== undefined && !/^[^:\s]+:\S.*$/.test(auth)) {
    throw usage(`the ZooKeeper credential from ${source} must have the form user:password`, 'auth');
  }
  return auth;
}

/** A token or password kept in a file (trimmed); the file's content is never echoed. */
export function readSecretFile(path: string, what: string, readFile: (path: string) => string): string {
  let text: string;
  try {
    text = readFile(path);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new CliError('RL_CLI_SECRET_FILE', `${what}: cannot read ${path}: ${reason}`, { cause });
  }
  const secret = text.trim();
  if (secret === '') throw new CliError('RL_CLI_SECRET_FILE', `${what}: ${path} is empty`);
  return secret;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}
