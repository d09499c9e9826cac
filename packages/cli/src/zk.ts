// Opening and always closing the ZooKeeper session a command works with.
import { RingleaderError } from '@ringleader/core';
import { ZkSession, zkSecurity } from '@ringleader/zk';
import type { ZkTarget } from './flags.js';

export interface ConnectOptions {
  /** Requested session timeout (ephemeral registrations live this long after a crash). */
  readonly sessionTimeoutMs?: number;
}

/** Connects within target.timeoutMs or throws RL_ZK_UNREACHABLE naming the address and the deadline. */
export async function connect(target: ZkTarget, opts: ConnectOptions = {}): Promise<ZkSession> {
  const session = new ZkSession({
    connectString: target.connect,
    sessionTimeoutMs: opts.sessionTimeoutMs ?? Math.max(4000, target.timeoutMs),
    opTimeoutMs: target.timeoutMs,
    // The credential and the ACLs of what the command creates (docs/security.md).
    ...zkSecurity({
      cluster: target.cluster,
      credential: target.auth,
      backendCredential: target.backendAuth,
    }),
  });
  try {
    session.start();
    await session.waitFor('connected', target.timeoutMs);
    return session;
  } catch (cause) {
    await session.close().catch(() => {});
    const code = (cause as { code?: string }).code;
    if (code === 'RL_ZK_AUTH_FAILED') throw cause;
    throw new RingleaderError(
      'RL_ZK_UNREACHABLE',
      `ZooKeeper unreachable at ${target.connect} within ${target.timeoutMs} ms`,
      { status: 503, cause },
    );
  }
}

/** Runs `fn` with a connected session and closes the session however `fn` ends. */
export async function withSession<T>(
  target: ZkTarget,
  fn: (session: ZkSession) => Promise<T>,
  opts: ConnectOptions = {},
): Promise<T> {
  const session = await connect(target, opts);
  try {
    return await fn(session);
  } finally {
    await session.close().catch(() => {});
  }
}
