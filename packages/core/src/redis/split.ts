// Multi-key commands split over the owners of their keys (MGET, MSET, DEL, EXISTS, UNLINK,
// TOUCH) and their answers put back together in the client's order, as twemproxy and Envoy
// do. Pure: the caller sends each part to its owner and hands the replies back in part order.

import { arrayItems, decodeReply } from './decode.js';
import { RESP_OK, resp } from './encode.js';

export interface SplitPart {
  owner: number;
  /** The command for this owner: the original name, then its keys (and values) in order. */
  args: Buffer[];
  /** Index in the original key list of each key of this part. */
  positions: number[];
}

/**
 * One part per distinct owner, in order of first appearance, each with its keys in the
 * original order. `ownerOf` gets the full key (the caller applies hashTag). When every key
 * has one owner, the part's args are the original args (no copy).
 */
export function planSplit(args: Buffer[], step: 1 | 2, ownerOf: (key: Buffer) => number): SplitPart[] {
  const keyCount = Math.floor((args.length - 1) / step);
  const owners = new Array<number>(keyCount);
  let single = true;
  for (let k = 0; k < keyCount; k++) {
    owners[k] = ownerOf(args[1 + k * step]!);
    if (owners[k] !== owners[0]) single = false;
  }
  if (keyCount === 0) return [];
  if (single) return [{ owner: owners[0]!, args, positions: owners.map((_, k) => k) }];
  const parts: SplitPart[] = [];
  for (let k = 0; k < keyCount; k++) {
    const owner = owners[k]!;
    // Few owners (backends of one service): a linear search beats a Map here.
    let part = parts.find((p) => p.owner === owner);
    if (part === undefined) {
      part = { owner, args: [args[0]!], positions: [] };
      parts.push(part);
    }
    part.positions.push(k);
    for (let j = 0; j < step; j++) part.args.push(args[1 + k * step + j]!);
  }
  return parts;
}

const isError = (reply: Buffer) => reply[0] === 45 || reply[0] === 33; // '-' or RESP3 '!'

function unexpected(what: string): Buffer {
  return resp.error(`ERR unexpected reply from a backend to a split command: ${what}`);
}

/**
 * The client's one reply from the parts' replies (in part order). An error reply of any part
 * wins, the first by part order; a reply of the wrong shape becomes an -ERR naming it.
 */
export function mergeSplit(
  merge: 'array' | 'ok' | 'sum',
  keyCount: number,
  parts: SplitPart[],
  replies: Buffer[],
): Buffer {
  if (replies.length !== parts.length)
    return unexpected(`${replies.length} replies for ${parts.length} parts`);
  for (const r of replies) if (isError(r)) return r;
  if (parts.length === 1 && parts[0]!.positions.length === keyCount) return replies[0]!;
  switch (merge) {
    case 'ok':
      for (const r of replies)
        if (!r.equals(RESP_OK))
          return unexpected(`${JSON.stringify(r.toString('latin1', 0, 40))} instead of +OK`);
      return RESP_OK;
    case 'sum': {
      let sum = 0;
      for (const r of replies) {
        const v = r[0] === 58 ? decodeReply(r) : undefined;
        if (v?.type !== 'integer') return unexpected('a reply that is not an integer');
        sum += v.value;
      }
      return resp.integer(sum);
    }
    case 'array': {
      const out = new Array<Buffer>(keyCount);
      for (let i = 0; i < parts.length; i++) {
        const r = replies[i]!;
        const items = r[0] === 42 ? arrayItems(r) : null;
        const positions = parts[i]!.positions;
        if (items === null || items.length !== positions.length) {
          return unexpected(
            `part ${i} answered ${items === null ? 'no array' : `${items.length} items`} for ${positions.length} keys`,
          );
        }
        for (let j = 0; j < items.length; j++) out[positions[j]!] = items[j]!;
      }
      for (let k = 0; k < keyCount; k++) if (out[k] === undefined) return unexpected(`no value for key ${k}`);
      return resp.array(out);
    }
  }
}
