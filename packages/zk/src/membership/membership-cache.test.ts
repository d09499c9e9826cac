// The bounded read pipeline of ChildrenCache, against a fake session (the watch and session
// behaviour is covered against a real server in test/integration/zk-membership*.test.ts).
import { EventEmitter } from 'node:events';
import { setImmediate, setTimeout } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ZkSession } from '../session/session.js';
import { ChildrenCache } from './membership-cache.js';

/** getData replies are released by hand, so the test sees how many are outstanding. */
class FakeSession extends EventEmitter {
  generation = 0;
  outstanding = 0;
  maxOutstanding = 0;
  reads = 0;
  mzxid = 7n;
  /** A payload per path instead of the default text. */
  payload: ((path: string) => Buffer) | undefined;
  childWatcher: (() => void) | undefined;
  readonly #pending: Array<() => void> = [];
  readonly names: string[];
  constructor(names: string[]) {
    super();
    this.names = names;
  }
  getChildren(_path: string, watcher?: () => void) {
    this.childWatcher = watcher;
    return Promise.resolve({ children: this.names, stat: { pzxid: 5n } });
  }
  watcher: ((ev: { type: string; path: string; generation: number }) => void) | undefined;
  getData(path: string, watcher?: (ev: { type: string; path: string; generation: number }) => void) {
    this.watcher = watcher;
    this.outstanding++;
    this.reads++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    const mzxid = this.mzxid;
    return new Promise((resolve) => {
      this.#pending.push(() => {
        this.outstanding--;
        resolve({ data: this.payload?.(path) ?? Buffer.from(`${path}@${mzxid}`), stat: { mzxid } });
      });
    });
  }
  /** Answers every outstanding read; resolves after their callbacks ran. */
  async answerAll(): Promise<number> {
    const batch = this.#pending.splice(0);
    for (const f of batch) f();
    await setImmediate();
    return batch.length;
  }
}

describe('ChildrenCache read pipeline', () => {
  it('keepsAtMostMaxInFlightChildReadsOutstandingSoTheLivenessPingIsNotStuckBehindThousands', async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `b${i}`);
    const s = new FakeSession(names);
    const flushes: number[] = [];
    const cache = new ChildrenCache({
      session: s as unknown as ZkSession,
      path: '/f',
      maxInFlight: 32,
      coalesceMs: 0,
      maxWaitMs: 0,
      onFlush: (v) => flushes.push(v.children.size),
    });
    cache.start();
    await setImmediate();
    expect(s.outstanding).toBe(32);
    let rounds = 0;
    while ((await s.answerAll()) > 0) rounds++;
    expect(s.maxOutstanding).toBe(32);
    expect(s.reads).toBe(1000);
    expect(rounds).toBe(Math.ceil(1000 / 32));
    await setTimeout(10);
    // The first view waited for every read, queued ones included: never half the members.
    expect(flushes.length).toBeGreaterThan(0);
    expect(flushes.every((size) => size === 1000)).toBe(true);
    cache.close();
  });

  it('handsOnEveryPayloadByteForByteIncludingBytesThatAreNotUtf8', async () => {
    const s = new FakeSession(['bin', 'text']);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const text = Buffer.from('{"host":"db-1.example","note":"café ✓"}');
    s.payload = (path) => (path.endsWith('/bin') ? all : text);
    let view: Parameters<ConstructorParameters<typeof ChildrenCache>[0]['onFlush']>[0] | undefined;
    const cache = new ChildrenCache({
      session: s as unknown as ZkSession,
      path: '/f',
      coalesceMs: 0,
      maxWaitMs: 0,
      onFlush: (v) => {
        view = v;
      },
    });
    cache.start();
    await setImmediate();
    while ((await s.answerAll()) > 0);
    await setTimeout(10);
    expect(view?.children.get('bin')?.data.equals(all)).toBe(true);
    expect(view?.children.get('text')?.data.equals(text)).toBe(true);
    cache.close();
  });

  it('readsAQueuedChildOnceHoweverManyEventsAskForIt', async () => {
    const s = new FakeSession(['a', 'b', 'c']);
    const cache = new ChildrenCache({
      session: s as unknown as ZkSession,
      path: '/f',
      maxInFlight: 1,
      onFlush: () => {},
    });
    cache.start();
    await setImmediate();
    // 'b' and 'c' wait; change events for 'c' while it waits add no read.
    expect(s.reads).toBe(1);
    s.watcher?.({ type: 'data', path: '/f/c', generation: 0 });
    s.watcher?.({ type: 'data', path: '/f/c', generation: 0 });
    while ((await s.answerAll()) > 0);
    expect(s.reads).toBe(3);
    cache.close();
  });

  it('namesOnlyTheChildrenThatChangedSinceThePreviousFlushAndReadsOnlyThem', async () => {
    const s = new FakeSession(['a', 'b', 'c']);
    const flushes: Array<{ size: number; changed: string[] | undefined }> = [];
    const cache = new ChildrenCache({
      session: s as unknown as ZkSession,
      path: '/f',
      coalesceMs: 0,
      maxWaitMs: 0,
      onFlush: (v, changed) =>
        flushes.push({ size: v.children.size, changed: changed && [...changed].sort() }),
    });
    cache.start();
    await setImmediate();
    while ((await s.answerAll()) > 0);
    await setTimeout(5);
    expect(flushes.at(-1)).toEqual({ size: 3, changed: undefined }); // the first view: everything
    // b's payload changes: only b is read again, and only b is named.
    s.mzxid = 9n;
    const reads = s.reads;
    s.watcher?.({ type: 'data', path: '/f/b', generation: 0 });
    while ((await s.answerAll()) > 0);
    await setTimeout(5);
    expect(s.reads).toBe(reads + 1);
    expect(flushes.at(-1)).toEqual({ size: 3, changed: ['b'] });
    // c leaves and d arrives: the children list is read, only d's data.
    s.names.splice(2, 1, 'd');
    s.childWatcher?.();
    await setImmediate();
    while ((await s.answerAll()) > 0);
    await setTimeout(5);
    expect(s.reads).toBe(reads + 2);
    expect(flushes.at(-1)).toEqual({ size: 3, changed: ['c', 'd'] });
    cache.close();
  });
});
