import type { Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { originOf, UpstreamPools } from './pools.js';

const settings = { connectMs: 200, headersMs: 200, bodyIdleMs: 200, maxConnections: 2 };
// Port 9 (discard) on loopback: nothing listens, so the dispatch fails fast; only the pool matters.
const origin = originOf('127.0.0.1', 9);
const quiet: Dispatcher.DispatchHandler = {
  onResponseError() {},
  onError() {},
} as Dispatcher.DispatchHandler;
const open = (p: UpstreamPools, o: string) => p.dispatch(o, { path: '/', method: 'GET' }, quiet);

describe('UpstreamPools.update (a membership change as its difference)', () => {
  let pools: UpstreamPools;
  afterEach(async () => {
    await pools.destroy();
  });

  it('keepsAnOriginSharedByTwoBackendsUntilTheLastOfThemGoes', () => {
    pools = new UpstreamPools(settings);
    pools.update([origin, origin], []);
    open(pools, origin);
    expect(pools.has(origin)).toBe(true);
    pools.update([], [origin]);
    expect(pools.has(origin)).toBe(true);
    pools.update([], [origin]);
    expect(pools.has(origin)).toBe(false);
  });

  it('agreesWithRetainForAMoveAndKeepsAWantedLeaderOrigin', () => {
    pools = new UpstreamPools(settings);
    const other = originOf('127.0.0.2', 9);
    const leader = originOf('127.0.0.3', 9);
    pools.retain([origin]);
    pools.want(leader);
    open(pools, origin);
    open(pools, leader);
    pools.update([other], [origin]); // the one backend moved to `other`
    expect(pools.has(origin)).toBe(false);
    expect(pools.has(leader)).toBe(true);
    open(pools, other);
    expect(pools.has(other)).toBe(true);
    expect(pools.size).toBe(2);
  });

  it('givesAnOriginNoSnapshotNamesAOneShotPool', () => {
    pools = new UpstreamPools(settings);
    pools.update([origin], []);
    pools.update([], [origin]);
    open(pools, origin);
    expect(pools.has(origin)).toBe(false);
  });
});
