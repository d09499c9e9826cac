import { describe, expect, it } from 'vitest';
import { convertStat, longToBigInt, longToHex, NO_OWNER } from './stat.js';

const long = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};

describe('stat conversion', () => {
  it('turns 8-byte longs into bigint zxids, numeric times and a hex owner', () => {
    const s = convertStat({
      czxid: long(0x100000002n),
      mzxid: long(0x100000005n),
      pzxid: long(7n),
      ctime: long(1_700_000_000_123n),
      mtime: long(1_700_000_000_456n),
      version: 3,
      cversion: 4,
      aversion: 0,
      ephemeralOwner: long(0x01000a2b3c4d5e6fn),
      dataLength: 12,
      numChildren: 0,
    });
    expect(s.czxid).toBe(0x100000002n);
    expect(s.mzxid > s.czxid).toBe(true);
    expect(s.ctime).toBe(1_700_000_000_123);
    expect(s.mtime).toBe(1_700_000_000_456);
    expect(s.ephemeralOwner).toBe('01000a2b3c4d5e6f');
    expect(s.version).toBe(3);
    expect(s.cversion).toBe(4);
  });

  it('reports persistent znodes with the all-zero owner', () => {
    expect(longToHex(long(0n))).toBe(NO_OWNER);
    expect(longToHex(undefined)).toBe(NO_OWNER);
    expect(longToBigInt(undefined)).toBe(0n);
  });
});
