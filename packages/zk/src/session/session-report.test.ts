import { describe, expect, it } from 'vitest';
import {
  connectStringHostNames,
  describeUnresolved,
  grantedTimeoutLine,
  unresolvedHosts,
} from './session-report.js';

describe('session report', () => {
  it('warns when the server grants another timeout than asked, and says which bound moved it', () => {
    expect(grantedTimeoutLine(2000, 2000)).toMatchObject({
      level: 'info',
      obj: { requestedMs: 2000, grantedMs: 2000 },
    });
    const up = grantedTimeoutLine(500, 1000);
    expect(up.level).toBe('warn');
    expect(up.msg).toBe(
      'zk session timeout: asked 500 ms, the server granted 1000 ms (below the server minimum (2 × tickTime)); failover takes about the granted time',
    );
    expect(grantedTimeoutLine(60_000, 40_000).msg).toContain('above the server maximum');
  });

  it('reads host names out of a connect string, chroot and IP literals left out', () => {
    expect(connectStringHostNames('zk1:2181,zk2.example:2182,127.0.0.1:2183/ringleader')).toEqual([
      'zk1',
      'zk2.example',
    ]);
    expect(connectStringHostNames('[::1]:2181,[fe80::1]:2181,zk1,zk1:2182')).toEqual(['zk1']);
    expect(connectStringHostNames('')).toEqual([]);
  });

  it('names each host that does not resolve with the resolver code', async () => {
    const resolve = async (h: string) => {
      if (h === 'nope.invalid') throw Object.assign(new Error('x'), { code: 'ENOTFOUND' });
      return { address: '10.0.0.1' };
    };
    const bad = await unresolvedHosts('zk1:2181,nope.invalid:2181,10.0.0.9:2181', resolve);
    expect(bad).toEqual([{ host: 'nope.invalid', code: 'ENOTFOUND' }]);
    expect(describeUnresolved(bad)).toBe('nope.invalid does not resolve (ENOTFOUND)');
  });

  it('the real resolver fails on a reserved .invalid name', async () => {
    const bad = await unresolvedHosts('zk.ringleader-test.invalid:2181,localhost:2181');
    expect(bad.map((b) => b.host)).toEqual(['zk.ringleader-test.invalid']);
  });
});
