// A node's own ephemeral znode that it rewrites (stats/<node>, health/<node>): created under this
// session, found again when a create's reply was lost, and deleted on a clean stop only while
// this session still owns it (a successor's znode of the same name is never touched).
import { hasCode } from '../errors.js';
import type { ZkSession } from './session.js';

/**
 * Creates `path` (and `folder`, when missing) as this session's ephemeral znode holding `json`.
 * `{ owned: true }` once it is ours; else the session id of the one that holds it.
 */
export async function claimEphemeral(
  session: ZkSession,
  path: string,
  folder: string,
  json: string,
): Promise<{ readonly owned: true } | { readonly owned: false; readonly owner: string | undefined }> {
  try {
    await session.create(path, json, 'ephemeral');
    return { owned: true };
  } catch (err) {
    if (hasCode(err, 'RL_ZK_NO_NODE')) {
      await session.mkdirp(folder);
      await session.create(path, json, 'ephemeral');
      return { owned: true };
    }
    if (!hasCode(err, 'RL_ZK_NODE_EXISTS')) throw err;
  }
  const stat = await session.exists(path);
  if (stat !== null && stat.ephemeralOwner === session.sessionId) {
    await session.setData(path, json); // ours: a create whose reply was lost
    return { owned: true };
  }
  return { owned: false, owner: stat?.ephemeralOwner };
}

/** Deletes `path` if it is this session's ephemeral znode; anything else is left alone. */
export async function removeOwnEphemeral(session: ZkSession, path: string): Promise<void> {
  const stat = await session.exists(path);
  if (stat?.ephemeralOwner === session.sessionId) await session.remove(path, stat.version);
}
