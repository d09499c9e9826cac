// The patched WatcherManager of node-zookeeper-client (patches/, pnpm patchedDependencies):
// a plain once-list per path instead of an EventEmitter. It must keep the library's semantics:
// one call per registered watcher, duplicates ignored, a fired path forgotten (re-armed by the
// next read), and only paths with listeners re-sent after a reconnect (SetWatches).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
type Manager = {
  registerDataWatcher(path: string, fn: (e: unknown) => void): void;
  registerChildWatcher(path: string, fn: (e: unknown) => void): void;
  getDataWatcherPaths(): string[];
  getChildWatcherPaths(): string[];
  isEmpty(): boolean;
  emit(e: { type: number; state: number; path: string }): void;
  dataWatchers: Record<string, unknown>;
};
const WatcherManager = require('node-zookeeper-client/lib/WatcherManager.js') as new () => Manager;
const NODE_DATA_CHANGED = 3;
const NODE_CHILDREN_CHANGED = 4;
const SYNC_CONNECTED = 3;

describe('patched WatcherManager', () => {
  it('isTheLeanOneNotAnEventEmitterPerPath', () => {
    const m = new WatcherManager();
    m.registerDataWatcher('/a', () => {});
    expect(m.dataWatchers['/a']?.constructor.name).toBe('OnceListeners');
  });

  it('callsEachWatcherOnceIgnoresDuplicatesAndForgetsTheFiredPath', () => {
    const m = new WatcherManager();
    const calls: string[] = [];
    const one = () => calls.push('one');
    const two = () => calls.push('two');
    m.registerDataWatcher('/a', one);
    m.registerDataWatcher('/a', one);
    m.registerDataWatcher('/a', two);
    m.registerChildWatcher('/b', one);
    expect(m.getDataWatcherPaths()).toEqual(['/a']);
    expect(m.getChildWatcherPaths()).toEqual(['/b']);
    m.emit({ type: NODE_DATA_CHANGED, state: SYNC_CONNECTED, path: '/a' });
    expect(calls).toEqual(['one', 'two']);
    m.emit({ type: NODE_DATA_CHANGED, state: SYNC_CONNECTED, path: '/a' });
    expect(calls).toEqual(['one', 'two']);
    expect(m.getDataWatcherPaths()).toEqual([]);
    expect(m.isEmpty()).toBe(false);
    m.emit({ type: NODE_CHILDREN_CHANGED, state: SYNC_CONNECTED, path: '/b' });
    expect(calls).toEqual(['one', 'two', 'one']);
    expect(m.isEmpty()).toBe(true);
    m.registerDataWatcher('/a', two);
    m.emit({ type: NODE_DATA_CHANGED, state: SYNC_CONNECTED, path: '/a' });
    expect(calls).toEqual(['one', 'two', 'one', 'two']);
  });
});
