import { describe, expect, it } from 'vitest';
import { decideGate, type ServingFacts } from './gate.js';

const base: ServingFacts = {
  mode: 'active-passive',
  standby: 'reject',
  onCoordinatorLoss: 'stop-serving',
  lifecycle: 'running',
  session: 'connected',
  role: 'standby',
  ledBeforeLoss: false,
  leaderProxyUrl: 'http://10.0.0.1:8080',
  leaderEpoch: 7,
  ownEpoch: 9,
  resigning: false,
  configKnown: true,
  retryAfterS: 1,
  holdMs: 2000,
};

describe('decideGate', () => {
  const cases: Array<[string, Partial<ServingFacts>, string]> = [
    ['connected leader serves', { role: 'leader' }, 'serve'],
    ['standby rejects by default', {}, 'reject'],
    ['standby forwards when asked and the leader is known', { standby: 'forward' }, 'forward'],
    [
      'forwarding standby holds while no leader is known (hand-over window)',
      { standby: 'forward', leaderProxyUrl: undefined },
      'hold',
    ],
    [
      'forwarding candidate holds during an election',
      { standby: 'forward', role: 'candidate', leaderProxyUrl: undefined },
      'hold',
    ],
    [
      'forwarding standby without ZooKeeper rejects even with no leader known',
      { standby: 'forward', session: 'expired', leaderProxyUrl: undefined },
      'reject',
    ],
    ['candidate rejects', { role: 'candidate' }, 'reject'],
    ['suspended leader stops serving (stop-serving)', { role: 'leader', session: 'suspended' }, 'reject'],
    ['expired leader stops serving (stop-serving)', { role: 'leader', session: 'expired' }, 'reject'],
    [
      'keep-serving leader that led before the loss serves on',
      { role: 'candidate', session: 'suspended', onCoordinatorLoss: 'keep-serving', ledBeforeLoss: true },
      'serve',
    ],
    [
      'keep-serving standby does not start serving on loss',
      { session: 'suspended', onCoordinatorLoss: 'keep-serving', ledBeforeLoss: false },
      'reject',
    ],
    ['suspended standby rejects even under forward', { standby: 'forward', session: 'suspended' }, 'reject'],
    ['active-active serves as standby', { mode: 'active-active' }, 'serve'],
    ['active-active serves without the coordinator', { mode: 'active-active', session: 'expired' }, 'serve'],
    ['starting node rejects', { lifecycle: 'starting', role: 'leader' }, 'reject'],
    [
      'draining leader stops admitting before it resigns (holds for the successor)',
      { lifecycle: 'draining', role: 'leader', leaderProxyUrl: undefined },
      'hold',
    ],
    [
      'resigning leader (leader resign) holds for the successor',
      { resigning: true, role: 'leader', leaderProxyUrl: undefined },
      'hold',
    ],
    ['resigning leader forwards once the successor is named', { resigning: true, role: 'leader' }, 'forward'],
    [
      'leader that does not know the cluster config never serves',
      { role: 'leader', configKnown: false },
      'reject',
    ],
    [
      'active-active node that does not know the config never serves',
      { mode: 'active-active', configKnown: false },
      'reject',
    ],
    ['leader without an epoch never serves', { role: 'leader', ownEpoch: undefined }, 'reject'],
    [
      'active-active node without a registration never serves',
      { mode: 'active-active', ownEpoch: undefined },
      'reject',
    ],
    [
      'forwarding standby holds while the leader payload has no epoch',
      { standby: 'forward', leaderEpoch: undefined },
      'hold',
    ],
    ['resigned draining node forwards to the successor', { lifecycle: 'draining' }, 'forward'],
    [
      'resigned draining node holds until the successor is known',
      { lifecycle: 'draining', role: 'candidate', leaderProxyUrl: undefined },
      'hold',
    ],
    ['draining node without ZooKeeper rejects', { lifecycle: 'draining', session: 'suspended' }, 'reject'],
    [
      'draining active-active node serves until it stops',
      { lifecycle: 'draining', mode: 'active-active' },
      'serve',
    ],
    ['stopped rejects', { lifecycle: 'stopped', mode: 'active-active' }, 'reject'],
  ];
  it.each(cases)('%s', (_name, facts, kind) => {
    expect(decideGate({ ...base, ...facts }).kind).toBe(kind);
  });

  it("serves with its own epoch and forwards with the leader's", () => {
    expect(decideGate({ ...base, role: 'leader' })).toEqual({
      kind: 'serve',
      permit: { epoch: 9, leaseDeadline: Number.POSITIVE_INFINITY },
    });
    expect(decideGate({ ...base, standby: 'forward' })).toEqual({
      kind: 'forward',
      leaderProxyUrl: 'http://10.0.0.1:8080',
      epoch: 7,
    });
  });

  it('tells rejected clients where the leader is and when to retry', () => {
    const gate = decideGate({ ...base, retryAfterS: 2 });
    expect(gate).toEqual({
      kind: 'reject',
      reason: 'standby',
      retryAfterS: 2,
      leaderProxyUrl: 'http://10.0.0.1:8080',
    });
  });
});
