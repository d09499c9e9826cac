// Reads the node configuration from an optional YAML/JSON file plus RINGLEADER_* environment
// variables (environment wins), so a node can start from a file, from the environment alone
// (containers, scripts), or from both.
import { readFileSync } from 'node:fs';
import { RingleaderError } from '@ringleader/core';
import { parse as parseYaml } from 'yaml';
import { type ConfigIssue, type NodeConfig, validateNodeConfig } from './schema.js';

/** Environment variables and the config key each sets. Names in the issue come first. */
export const ENV_KEYS: ReadonlyArray<readonly [env: string, key: string]> = [
  ['RINGLEADER_NODE_ID', 'nodeId'],
  ['RINGLEADER_CLUSTER', 'cluster'],
  ['RINGLEADER_ADVERTISE_HOST', 'advertiseHost'],
  ['RINGLEADER_ZK', 'zookeeper.connect'],
  ['RINGLEADER_SESSION_TIMEOUT_MS', 'zookeeper.sessionTimeoutMs'],
  ['RINGLEADER_ZK_AUTH', 'zookeeper.auth'],
  ['RINGLEADER_ZK_READ_ACL', 'zookeeper.readAcl'],
  ['RINGLEADER_ZK_BACKEND_AUTH', 'zookeeper.backendAuth'],
  ['RINGLEADER_PROXY_LISTEN', 'proxy.listen'],
  ['RINGLEADER_TLS_KEY_FILE', 'proxy.tls.keyFile'],
  ['RINGLEADER_TLS_CERT_FILE', 'proxy.tls.certFile'],
  ['RINGLEADER_ADMIN_LISTEN', 'admin.listen'],
  ['RINGLEADER_ADMIN_TOKEN', 'admin.token'],
  ['RINGLEADER_MODE', 'mode'],
  ['RINGLEADER_STANDBY', 'standby'],
  ['RINGLEADER_ON_COORDINATOR_LOSS', 'onCoordinatorLoss'],
  ['RINGLEADER_POLICY', 'routing.policy'],
  ['RINGLEADER_HASH', 'routing.hash'],
  ['RINGLEADER_RETRIES', 'retries'],
  ['RINGLEADER_CONNECT_TIMEOUT_MS', 'timeouts.connectMs'],
  ['RINGLEADER_HEADERS_TIMEOUT_MS', 'timeouts.headersMs'],
  ['RINGLEADER_IDLE_TIMEOUT_MS', 'timeouts.idleMs'],
  ['RINGLEADER_REQUEST_TIMEOUT_MS', 'timeouts.requestMs'],
  ['RINGLEADER_MAX_HEADER_BYTES', 'limits.maxHeaderBytes'],
  ['RINGLEADER_MAX_BODY_BYTES', 'limits.maxBodyBytes'],
  ['RINGLEADER_MAX_HEADER_COUNT', 'limits.maxHeaderCount'],
  ['RINGLEADER_MAX_CONNECTIONS_PER_IP', 'limits.maxConnectionsPerIp'],
  ['RINGLEADER_TRUSTED_PROXIES', 'trustedProxies'],
  ['RINGLEADER_EXPOSE_BACKEND_HEADER', 'exposeBackendHeader'],
  ['RINGLEADER_DRAIN_TIMEOUT_MS', 'drainTimeoutMs'],
  ['RINGLEADER_ON_PROMOTE', 'hooks.onPromote'],
  ['RINGLEADER_ON_DEMOTE', 'hooks.onDemote'],
  ['RINGLEADER_VIP_ADDRESS', 'vip.address'],
  ['RINGLEADER_VIP_INTERFACE', 'vip.interface'],
  ['RINGLEADER_LOG_LEVEL', 'log.level'],
  ['RINGLEADER_ACCESS_LOG', 'log.access'],
];

/** Secrets may come from a file named by `<VAR>_FILE`, so they never sit in a process listing. */
const SECRET_FILE_VARS: ReadonlyArray<readonly [env: string, key: string]> = [
  ['RINGLEADER_ZK_AUTH_FILE', 'zookeeper.auth'],
  ['RINGLEADER_ZK_BACKEND_AUTH_FILE', 'zookeeper.backendAuth'],
  ['RINGLEADER_ADMIN_TOKEN_FILE', 'admin.token'],
];

export class ConfigError extends RingleaderError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], file?: string) {
    const lines = issues.map((i) => `  - ${i.key} (${i.source}): ${i.message}`);
    super('RL_BAD_NODE_CONFIG', `invalid node configuration:\n${lines.join('\n')}`, {
      ...(file ? { path: file } : {}),
      ...(issues[0] ? { field: issues[0].key } : {}),
    });
    this.issues = issues;
  }
}

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let cur = target;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1] as string] = value;
}

/** Parses a config file's text; YAML is a superset of JSON, so one parser serves both. */
export function parseConfigText(text: string, file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    throw new ConfigError([
      { key: '(file)', source: file, message: `does not parse: ${(err as Error).message}` },
    ]);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError([{ key: '(file)', source: file, message: 'must be a mapping of keys to values' }]);
  }
  return doc as Record<string, unknown>;
}

export interface LoadOptions {
  readonly file?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly readFile?: (path: string) => string;
}

/** Loads, merges and validates; throws ConfigError listing every problem with key and source. */
export function loadNodeConfig(opts: LoadOptions = {}): NodeConfig {
  const env = opts.env ?? process.env;
  const read = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const sources = new Map<string, string>();
  let raw: Record<string, unknown> = {};

  if (opts.file) {
    let text: string;
    try {
      text = read(opts.file);
    } catch (err) {
      throw new ConfigError(
        [{ key: '(file)', source: opts.file, message: `cannot be read: ${(err as Error).message}` }],
        opts.file,
      );
    }
    raw = parseConfigText(text, opts.file);
  }

  const issues: ConfigIssue[] = [];
  for (const [name, key] of SECRET_FILE_VARS) {
    const path = env[name];
    if (!path) continue;
    try {
      setPath(raw, key, read(path).trim());
      sources.set(key, `file ${path} from ${name}`);
    } catch (err) {
      issues.push({ key, source: name, message: `file ${path} cannot be read: ${(err as Error).message}` });
    }
  }
  for (const [name, key] of ENV_KEYS) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, key, value);
    sources.set(key, `env ${name}`);
  }
  if (issues.length > 0) throw new ConfigError(issues, opts.file);

  const fileLabel = opts.file ? `file ${opts.file}` : 'no config file';
  const result = validateNodeConfig(raw, (key) => sources.get(key) ?? envHint(key, fileLabel));
  if (!result.ok) throw new ConfigError(result.issues, opts.file);
  return result.config;
}

function envHint(key: string, fileLabel: string): string {
  const env = ENV_KEYS.find(([, k]) => k === key)?.[0];
  return env ? `${fileLabel}; or env ${env}` : fileLabel;
}
