import { describe, expect, it } from 'vitest';
import { mergeVerdicts } from './merge.js';

const peer = (entries: Record<string, 'up' | 'down'>) => ({ verdicts: new Map(Object.entries(entries)) });

describe('mergeVerdicts', () => {
  it.each([
    ['every checker down → down', [{ a: 'down' }, { a: 'down' }], { state: 'down', up: 0, down: 2 }],
    [
      'one checker up wins (a partition between the other and the backend)',
      [{ a: 'down' }, { a: 'up' }],
      { state: 'up', up: 1, down: 1 },
    ],
    ['a lone verdict counts', [{ a: 'up' }, { b: 'down' }], { state: 'up', up: 1, down: 0 }],
    ['no verdict is no news', [{ b: 'down' }], undefined],
    ['no peers is no news', [], undefined],
  ] as const)('%s', (_name, peers, want) => {
    expect(
      mergeVerdicts(
        'a',
        peers.map((p) => peer(p)),
      ),
    ).toEqual(want);
  });
});
