// The error catalogue of @ringleader/cli, and how any error a command throws becomes one
// stderr line naming the cause plus an exit code: 2 for usage and validation (nothing was
// written), 1 for runtime and ZooKeeper failures. docs/errors.md documents each code
// (section "CLI"); a test keeps the two in step.
import { CORE_ERRORS, RingleaderError } from '@ringleader/core';

export const CLI_ERRORS = {
  RL_CLI_USAGE: { exit: 2, message: 'invalid command line' },
  RL_CLI_SECRET_FILE: { exit: 2, message: 'secret file cannot be read' },
  RL_CLI_NO_LEADER: { exit: 1, message: 'the cluster has no usable leader' },
  RL_CLI_ADMIN_REQUEST: { exit: 1, message: 'admin API request failed' },
  RL_CLI_DEMO: { exit: 1, message: 'the local demo could not run' },
  RL_CLI_CHECK_FAILED: { exit: 2, message: 'node check found znodes a node would reject' },
} as const;

export type CliErrorCode = keyof typeof CLI_ERRORS;

export class CliError extends RingleaderError {
  readonly exitCode: number;

  constructor(code: CliErrorCode, message: string, opts: { field?: string; cause?: unknown } = {}) {
    super(code, message, opts);
    this.name = 'CliError';
    this.exitCode = CLI_ERRORS[code].exit;
  }
}

export const usage = (message: string, field?: string): CliError =>
  new CliError('RL_CLI_USAGE', message, field === undefined ? {} : { field });

/** Codes meaning "the input is invalid": nothing was written, exit 2. */
const VALIDATION_CODES = new Set<string>([
  ...Object.keys(CORE_ERRORS),
  'RL_ZK_BAD_PATH',
  'RL_ZK_FOREIGN_PAYLOAD',
]);

/**
 * "invalid port: must be an integer 1..65535 (got 70000)" from the core codec's
 * "backend payload is invalid: port must be an integer 1..65535 (got 70000)" (field 'port').
 * `labels` maps a payload field to what the user typed (ring.vnodes → --vnodes).
 */
export function describeCodecError(
  e: RingleaderError,
  labels: Readonly<Record<string, string>> = {},
): string {
  const catalogued = (CORE_ERRORS as Record<string, { message: string }>)[e.code]?.message;
  let rest =
    catalogued !== undefined && e.message.startsWith(`${catalogued}: `)
      ? e.message.slice(catalogued.length + 2)
      : e.message;
  if (e.field === undefined || e.field === '$') return rest;
  if (rest.startsWith(`${e.field} `)) rest = rest.slice(e.field.length + 1);
  const flag = labels[e.field];
  const name = flag === undefined ? e.field : flag === `--${e.field}` ? flag : `${flag} (${e.field})`;
  return `invalid ${name}: ${rest}`;
}

/** `/ringleader/<cluster>/backends/<id>` → { cluster, id }. */
function backendOfPath(path: string | undefined): { cluster: string; id: string } | undefined {
  const m = path === undefined ? null : /^\/ringleader\/([^/]+)\/backends\/([^/]+)$/.exec(path);
  return m ? { cluster: m[1]!, id: m[2]! } : undefined;
}

export interface RenderedError {
  readonly text: string;
  readonly exitCode: number;
}

/** One line for stderr (without the "ringleader: " prefix) and the exit code. */
export function renderError(err: unknown, labels: Readonly<Record<string, string>> = {}): RenderedError {
  if (err instanceof CliError) return { text: `${err.message} [${err.code}]`, exitCode: err.exitCode };
  if (!(err instanceof RingleaderError)) {
    const message = err instanceof Error ? err.message : String(err);
    return { text: `unexpected error: ${message}`, exitCode: 1 };
  }
  const tag = ` [${err.code}]`;
  if (VALIDATION_CODES.has(err.code)) {
    const text = err.code in CORE_ERRORS ? describeCodecError(err, labels) : err.message;
    return { text: text + tag, exitCode: 2 };
  }
  const backend = backendOfPath(err.path);
  switch (err.code) {
    case 'RL_ZK_NODE_EXISTS':
      if (backend)
        return {
          text: `backend ${backend.id} exists (change it with "ringleader backend update ${backend.id}")${tag}`,
          exitCode: 1,
        };
      break;
    case 'RL_ZK_NO_NODE':
      if (backend)
        return { text: `no backend ${backend.id} in cluster ${backend.cluster}${tag}`, exitCode: 1 };
      break;
    case 'RL_ZK_BAD_VERSION':
      return {
        text: `version conflict — retry: ${err.path ?? 'the znode'} was changed by another writer${tag}`,
        exitCode: 1,
      };
    case 'RL_ZK_NOT_AUTHORISED':
      // "not authorised: create /ringleader/default/backends/web-1 needs the cluster credential (…)"
      return {
        text: err.message.includes('RINGLEADER_ZK_AUTH')
          ? err.message + tag
          : `not authorised: ${err.path ?? 'this znode'} needs the cluster credential ` +
            `(RINGLEADER_ZK_AUTH=user:password or RINGLEADER_ZK_AUTH_FILE)${tag}`,
        exitCode: 1,
      };
  }
  return { text: err.message + tag, exitCode: 1 };
}
