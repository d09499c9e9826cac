// The few places where node-zookeeper-client 1.1.3 is used past its public API,
// kept in one file: its ConnectionManager (socket, state), retiring a client so it
// never reconnects, and transactions (whose check/setData/remove turn version 0 into -1).
import { on, once } from 'node:events';
import type { Socket } from 'node:net';
import zookeeper, { type Client } from 'node-zookeeper-client';
import { zkError } from '../errors.js';
import { convertStat, type ZnodeStat } from '../stat.js';

/** lib/ConnectionManager.js STATES. */
const CM_CLOSING = -1;

export interface ConnectionManagerInternals {
  socket: Socket | undefined;
  state: number;
  connect: () => void;
  onSocketData: (buf: Buffer) => void;
}

export interface RawClient {
  readonly client: Client & { connectionManager: ConnectionManagerInternals };
  readonly connectionManager: ConnectionManagerInternals;
}

/**
 * Stops a client for good. Graceful (when attached): closeSession, so the server drops our
 * ephemerals at once, then waits for the socket to close (at most timeoutMs). Otherwise, or
 * after the deadline: mark it closing, forbid reconnects, destroy the socket.
 */
export async function retireClient(raw: RawClient, graceful: boolean, timeoutMs: number): Promise<void> {
  const { client, connectionManager: cm } = raw;
  cm.connect = () => {}; // a pending reconnect timer must not open a new socket
  const hard = () => {
    cm.state = CM_CLOSING;
    cm.socket?.destroy();
  };
  if (!graceful || client.getState().code !== zookeeper.State.SYNC_CONNECTED.code || !cm.socket) {
    hard();
    return;
  }
  const closed = once(cm.socket, 'close', { signal: AbortSignal.timeout(timeoutMs) });
  try {
    client.close();
  } catch {
    hard();
    closed.catch(() => {}); // the socket is destroyed: no need to wait for it
    return;
  }
  await closed.catch(hard); // the deadline passed (or the socket failed): stop it hard
}

export type TxOp =
  | {
      readonly op: 'create';
      readonly path: string;
      readonly data?: Buffer | string;
      readonly mode?: TxMode;
    }
  | {
      readonly op: 'setData';
      readonly path: string;
      readonly data: Buffer | string;
      readonly version?: number;
    }
  | { readonly op: 'check'; readonly path: string; readonly version: number }
  | { readonly op: 'remove'; readonly path: string; readonly version?: number };

type TxMode = 'persistent' | 'ephemeral' | 'persistent-sequential' | 'ephemeral-sequential';

export interface TxResult {
  readonly op: TxOp['op'];
  /** For create: the created path. */
  readonly path?: string;
  /** For setData: the new stat. */
  readonly stat?: ZnodeStat;
}

const OP_NAMES: Readonly<Record<number, TxOp['op']>> = {
  1: 'create',
  2: 'remove',
  5: 'setData',
  13: 'check',
};

export function runTransaction(
  raw: Client,
  ops: readonly TxOp[],
  modeOf: (mode: TxMode) => number,
  cb: (err: unknown, results: TxResult[]) => void,
  /** ACL of a created znode (undefined: the library's open default). */
  aclOf: (path: string) => zookeeper.ACL[] | undefined = () => undefined,
): void {
  const tx = raw.transaction() as ReturnType<Client['transaction']> & { ops: Array<{ version?: number }> };
  for (const op of ops) {
    const data = 'data' in op && op.data !== undefined ? Buffer.from(op.data) : undefined;
    if (op.op === 'create') {
      const acls = aclOf(op.path);
      const mode = modeOf(op.mode ?? 'persistent');
      if (data && acls) tx.create(op.path, data, acls, mode);
      else if (data) tx.create(op.path, data, mode);
      else if (acls) tx.create(op.path, acls, mode);
      else tx.create(op.path, mode);
    } else if (op.op === 'setData') tx.setData(op.path, data ?? Buffer.alloc(0), op.version ?? -1);
    else if (op.op === 'check') tx.check(op.path, op.version);
    else tx.remove(op.path, op.version ?? -1);
    // Transaction.js does `version = version || -1`: version 0 would become "any version".
    const last = tx.ops[tx.ops.length - 1];
    if (last && op.op !== 'create')
      last.version = 'version' in op && op.version !== undefined ? op.version : -1;
  }
  tx.commit(
    (
      err,
      results: Array<{ type: number; path?: string; stat?: Parameters<typeof convertStat>[0]; err?: number }>,
    ) => {
      if (err) {
        const failed = Array.isArray(results)
          ? results.findIndex((r) => r.err !== undefined && r.err !== 0)
          : -1;
        const e = err as Error & { code?: number; failedOp?: number };
        if (failed >= 0) {
          e.failedOp = failed;
          e.message = `${e.message} at ops[${failed}] (${ops[failed]?.op} ${ops[failed]?.path})`;
        }
        cb(e, []);
        return;
      }
      if (!Array.isArray(results)) {
        cb(zkError('RL_ZK_ERROR', 'transaction returned no results'), []);
        return;
      }
      cb(
        null,
        results.map((r, i) => ({
          op: OP_NAMES[r.type] ?? ops[i]?.op ?? 'check',
          ...(r.path !== undefined ? { path: r.path } : {}),
          ...(r.stat !== undefined ? { stat: convertStat(r.stat) } : {}),
        })),
      );
    },
  );
}

/**
 * Ends a session from outside, as the server would on timeout (Curator's KillSession): the
 * owner's socket is dropped and its reconnects held, a second connection presents the same
 * session id and password and closes the session, then the owner reconnects and learns that
 * its session expired. Holding the owner back avoids the race where it re-attaches between.
 */
export async function killSessionFromOutside(
  owner: RawClient,
  connectString: string,
  sessionTimeoutMs: number,
  timeoutMs: number,
): Promise<void> {
  const cm = owner.connectionManager;
  const sessionId = owner.client.getSessionId();
  const sessionPassword = owner.client.getSessionPassword();
  const realConnect = cm.connect;
  cm.connect = () => {};
  cm.socket?.destroy();
  try {
    await closeSessionAs(connectString, sessionId, sessionPassword, sessionTimeoutMs, timeoutMs);
  } finally {
    cm.connect = realConnect;
    if (cm.state !== CM_CLOSING) realConnect.call(cm);
  }
}

async function closeSessionAs(
  connectString: string,
  sessionId: Buffer,
  sessionPassword: Buffer,
  sessionTimeoutMs: number,
  timeoutMs: number,
): Promise<void> {
  const intruder = zookeeper.createClient(connectString, {
    sessionTimeout: sessionTimeoutMs,
    retries: 0,
    sessionId,
    sessionPassword,
  } as unknown as { sessionTimeout: number; retries: number });
  const raw = intruder as unknown as RawClient['client'];
  const retire = (graceful: boolean) =>
    retireClient({ client: raw, connectionManager: raw.connectionManager }, graceful, timeoutMs);
  // 'state' carries every change; the first SYNC_CONNECTED or EXPIRED decides.
  const states = on(intruder, 'state', { signal: AbortSignal.timeout(timeoutMs) });
  intruder.connect();
  try {
    for await (const [state] of states) {
      const code = (state as zookeeper.State).code;
      if (code === zookeeper.State.SYNC_CONNECTED.code) return await retire(true);
      if (code === zookeeper.State.EXPIRED.code) return await retire(false);
    }
  } catch (err) {
    if ((err as Error | undefined)?.name !== 'AbortError') throw err;
    void retire(false);
    throw zkError('RL_ZK_UNREACHABLE', `could not attach to session ${sessionId.toString('hex')}`);
  }
}
