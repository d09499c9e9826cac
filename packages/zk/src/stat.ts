// ZooKeeper's Stat as plain numbers: node-zookeeper-client hands longs back as 8-byte
// big-endian Buffers (measured: czxid, mzxid, pzxid, ctime, mtime, ephemeralOwner).

import type { Stat as RawStat } from 'node-zookeeper-client';

export interface ZnodeStat {
  /** Creation / last-modification / last-child-change transaction ids (ordered). */
  readonly czxid: bigint;
  readonly mzxid: bigint;
  readonly pzxid: bigint;
  /** Epoch milliseconds. */
  readonly ctime: number;
  readonly mtime: number;
  /** Data version (for versioned setData/remove). */
  readonly version: number;
  /** Children version: bumps on every child add/remove. */
  readonly cversion: number;
  readonly aversion: number;
  /** Owning session as 16 hex digits; '0000000000000000' for persistent znodes. */
  readonly ephemeralOwner: string;
  readonly dataLength: number;
  readonly numChildren: number;
}

export const NO_OWNER = '0000000000000000';

/** An 8-byte long (Buffer, or a number in tests) as a bigint. */
export function longToBigInt(v: Buffer | number | bigint | undefined): bigint {
  if (v === undefined) return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  return v.length >= 8 ? v.readBigInt64BE(0) : 0n;
}

/** An 8-byte session id or ephemeralOwner as 16 lowercase hex digits. */
export function longToHex(v: Buffer | undefined): string {
  if (v === undefined || v.length < 8) return NO_OWNER;
  return v.subarray(0, 8).toString('hex');
}

export function convertStat(raw: RawStat): ZnodeStat {
  return Object.freeze({
    czxid: longToBigInt(raw.czxid),
    mzxid: longToBigInt(raw.mzxid),
    pzxid: longToBigInt(raw.pzxid),
    ctime: Number(longToBigInt(raw.ctime)),
    mtime: Number(longToBigInt(raw.mtime)),
    version: raw.version,
    cversion: raw.cversion,
    aversion: raw.aversion,
    ephemeralOwner: longToHex(raw.ephemeralOwner),
    dataLength: raw.dataLength,
    numChildren: raw.numChildren,
  });
}
