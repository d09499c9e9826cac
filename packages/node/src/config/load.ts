// Reads the node configuration from an optional YAML/JSON file plus RINGLEADER_* environment
// variables (environment wins), so a node can start from a file, from the environment alone
// (containers, scripts), or from both.
import { readFileSync } from 'node:fs';
import { RingleaderError } from '@ringleader/core';
import { parse as parseYaml } from 'yaml';
import { NODE_ERRORS } from '../errors.js';
import { CONFIG_LEAVES, type ConfigIssue, type NodeConfig, validateNodeConfig } from './schema.js';

/** Environment variables and the config key each sets, read off the schema (each leaf's `env`). */
export const ENV_KEYS: ReadonlyArray<readonly [env: string, key: string]> = Object.freeze(
  CONFIG_LEAVES.map((l) => Object.freeze([l.meta.env, l.key] as const)),
);

/** Secrets may come from a file named by `<VAR>_FILE`, so they never sit in a process listing. */
const SECRET_FILE_VARS: ReadonlyArray<readonly [env: string, key: string]> = CONFIG_LEAVES.filter(
  (l) => l.meta.secretFile === true,
).map((l) => [`${l.meta.env}_FILE`, l.key] as const);

export class ConfigError extends RingleaderError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], file?: string) {
    const lines = issues.map((i) => `  - ${i.key} (${i.source}): ${i.message}`);
    const { message, status } = NODE_ERRORS.RL_BAD_NODE_CONFIG;
    super('RL_BAD_NODE_CONFIG', `${message}:\n${lines.join('\n')}`, {
      status,
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
