// A listener that cannot bind names the config key, the environment variable and the address,
// so "EADDRINUSE" becomes "admin.listen 127.0.0.1:9090: address already in use".
import { RingleaderError } from '@ringleader/core';
import { NODE_ERRORS } from './errors.js';

export interface ListenTarget {
  /** The config key (proxy.listen, admin.listen). */
  readonly key: string;
  /** The environment variable that sets it. */
  readonly env: string;
  readonly host: string;
  readonly port: number;
}

const CAUSES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use (another process listens there)',
  EACCES: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
  EADDRNOTAVAIL: 'address not available (no interface of this machine has it)',
  ENOTFOUND: 'host name does not resolve',
};

export class ListenError extends RingleaderError {
  readonly target: ListenTarget;

  constructor(target: ListenTarget, cause: unknown) {
    const sysCode = (cause as { code?: string } | undefined)?.code;
    const why = (sysCode && CAUSES[sysCode]) ?? (cause as Error | undefined)?.message ?? String(cause);
    const where = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    super(
      'RL_LISTEN_FAILED',
      `${target.key} ${where}: ${why}; choose another address with ${target.key} or ${target.env}`,
      { field: target.key, status: NODE_ERRORS.RL_LISTEN_FAILED.status, cause },
    );
    this.name = 'ListenError';
    this.target = target;
  }
}

/** Runs a listen call; a failure becomes a ListenError naming the key and the address. */
export async function listenAs<T>(target: ListenTarget, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (err) {
    throw new ListenError(target, err);
  }
}
