// The error catalogue of @ringleader/zk: every code, its meaning and HTTP status.
// docs/errors.md documents each code (section "ZooKeeper"); errors.test.ts keeps the two in step
// and checks that every RL_* code the zk sources use is catalogued here or in core's CORE_ERRORS.
import { type CatalogueErrorFactory, catalogueError, RingleaderError } from '@ringleader/core';

export const ZK_ERRORS = {
  RL_ZK_UNREACHABLE: { status: 503, message: 'ZooKeeper is unreachable' },
  RL_ZK_TIMEOUT: { status: 504, message: 'ZooKeeper operation timed out' },
  RL_ZK_CONNECTION_LOSS: { status: 503, message: 'connection to ZooKeeper lost during the operation' },
  RL_ZK_NO_NODE: { status: 404, message: 'znode does not exist' },
  RL_ZK_NODE_EXISTS: { status: 409, message: 'znode already exists' },
  RL_ZK_BAD_VERSION: { status: 409, message: 'znode version does not match' },
  RL_ZK_NOT_EMPTY: { status: 409, message: 'znode has children' },
  RL_ZK_NOT_AUTHORISED: { status: 403, message: 'not authorised' },
  RL_ZK_AUTH_FAILED: { status: 401, message: 'ZooKeeper rejected the credentials' },
  RL_ZK_SESSION_EXPIRED: { status: 503, message: 'ZooKeeper session expired' },
  RL_ZK_CLOSED: { status: 503, message: 'ZooKeeper session is closed' },
  RL_ZK_BAD_PATH: { status: 400, message: 'invalid cluster name, node id or znode path' },
  RL_ZK_BAD_ARGUMENTS: { status: 400, message: 'ZooKeeper rejected the request arguments' },
  RL_ZK_NODE_ID_TAKEN: { status: 409, message: 'another session holds this node id' },
  RL_ZK_FOREIGN_PAYLOAD: {
    status: 409,
    message: 'backend is registered in a foreign format (ServerSet, Nerve, Curator) by another tool',
  },
  RL_CONFIG_UNKNOWN: {
    status: 503,
    message: 'the config znode is invalid and no last good config is published: the node does not serve',
  },
  RL_ZK_ERROR: { status: 500, message: 'ZooKeeper reported an error' },
} as const;

export type ZkErrorCode = keyof typeof ZK_ERRORS;

export const zkError: CatalogueErrorFactory<ZkErrorCode> = catalogueError(ZK_ERRORS);

/** node-zookeeper-client exception codes (lib/Exception.js) mapped to ours. */
const BY_ZK_CODE: Readonly<Record<number, ZkErrorCode>> = {
  [-4]: 'RL_ZK_CONNECTION_LOSS',
  [-7]: 'RL_ZK_TIMEOUT',
  [-8]: 'RL_ZK_BAD_ARGUMENTS',
  [-101]: 'RL_ZK_NO_NODE',
  [-102]: 'RL_ZK_NOT_AUTHORISED',
  [-103]: 'RL_ZK_BAD_VERSION',
  [-110]: 'RL_ZK_NODE_EXISTS',
  [-111]: 'RL_ZK_NOT_EMPTY',
  [-112]: 'RL_ZK_SESSION_EXPIRED',
  [-114]: 'RL_ZK_BAD_ARGUMENTS',
  [-115]: 'RL_ZK_AUTH_FAILED',
};

/** The RL_* code for a node-zookeeper-client exception code (unknown codes → RL_ZK_ERROR). */
export function codeForZkException(zkCode: number): ZkErrorCode {
  return BY_ZK_CODE[zkCode] ?? 'RL_ZK_ERROR';
}

/** Wraps whatever the client library threw or called back with into a RingleaderError. */
export function fromZkException(err: unknown, op: string, path: string): RingleaderError {
  if (err instanceof RingleaderError) return err;
  const zkCode = typeof (err as { code?: unknown })?.code === 'number' ? (err as { code: number }).code : NaN;
  const code = Number.isNaN(zkCode) ? 'RL_ZK_ERROR' : codeForZkException(zkCode);
  if (code === 'RL_ZK_NOT_AUTHORISED') return notAuthorised(op, path, err);
  const name = (err as { name?: unknown })?.name;
  return zkError(code, `${op} ${path}${typeof name === 'string' ? ` (${name})` : ''}`, { path, cause: err });
}

/** True when `err` is a RingleaderError with one of `codes`. */
export function hasCode(err: unknown, ...codes: ZkErrorCode[]): boolean {
  return err instanceof RingleaderError && (codes as string[]).includes(err.code);
}

/**
 * NOAUTH: `not authorised: <op> <path> needs the cluster credential` — the znode's ACL
 * (docs/security.md) refuses this session's credentials.
 */
export function notAuthorised(op: string, path: string, cause?: unknown) {
  return zkError(
    'RL_ZK_NOT_AUTHORISED',
    `${op} ${path} needs the cluster credential (RINGLEADER_ZK_AUTH or RINGLEADER_ZK_AUTH_FILE)`,
    cause === undefined ? { path } : { path, cause },
  );
}
