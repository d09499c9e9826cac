import {
  type Backend,
  buildSnapshot,
  type ClusterConfig,
  DEFAULT_CLUSTER_CONFIG,
  HealthTable,
  LoadTracker,
  type RequestFacts,
} from '@ringleader/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GateDecision, RoutingInput } from '../seam.js';
import { LeaseCell, sharedNowNs } from './lease-cell.js';
import { RemoteHealth, WorkerSeam } from './worker-seam.js';

const backend = (id: string, weight = 1): Backend => ({
  id,
  host: '127.0.0.1',
  port: 9000,
  weight,
  state: 'active',
  format: 'native',
});

const facts = (clientIp: string, path: string): RequestFacts => ({
  clientIp,
  clientPort: 40000,
  method: 'GET',
  host: 'example.test',
  path,
  header: () => undefined,
  cookie: () => undefined,
  query: () => undefined,
});

const serve = (epoch: number): GateDecision => ({
  kind: 'serve',
  permit: { epoch, leaseDeadline: Number.POSITIVE_INFINITY },
});

function seam(input: RoutingInput, gate: GateDecision = serve(3), cell = new LeaseCell()) {
  const outcomes: Array<[string, boolean]> = [];
  const health = new RemoteHealth((id, ok) => outcomes.push([id, ok]));
  const s = new WorkerSeam({
    cell,
    initial: input,
    seq: 1,
    gate,
    load: new LoadTracker(),
    health,
    retryAfterS: 4,
  });
  return { s, cell, health, outcomes };
}

const config = (over: Partial<ClusterConfig>): ClusterConfig => ({ ...DEFAULT_CLUSTER_CONFIG, ...over });

describe('WorkerSeam', () => {
  it('aWorkerRebuildingTheSnapshotFromItsClonedInputRoutesEveryKeyAsTheMainThreadDoes', () => {
    const policies = ['consistent-hash', 'maglev', 'hash'] as const;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/), { minLength: 1, maxLength: 12 }),
        fc.constantFrom(...policies),
        fc.array(fc.tuple(fc.ipV4(), fc.webPath()), { minLength: 1, maxLength: 40 }),
        (ids, policy, keys) => {
          const input: RoutingInput = {
            version: 5,
            backends: ids.map((id, i) => backend(id, 1 + (i % 3))),
            config: config({ policy, hash: { kind: 'ip' } }),
          };
          const ctx = {
            load: new LoadTracker(),
            health: new HealthTable({
              healthCheck: DEFAULT_CLUSTER_CONFIG.healthCheck,
              outlier: DEFAULT_CLUSTER_CONFIG.outlier,
            }),
            random: Math.random,
          };
          const main = buildSnapshot(input.version, input.backends, input.config, ctx);
          const { s } = seam(structuredClone(input));
          const worker = s.snapshot();
          return keys.every(
            ([ip, path]) => main.policy.pick(facts(ip, path))?.id === worker.policy.pick(facts(ip, path))?.id,
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('honoursAServeGateOnlyWhileTheLeaseCellGrantsItsEpoch', () => {
    const { s, cell } = seam({ version: 1, backends: [backend('a')], config: config({}) }, serve(3));
    expect(s.gate()).toEqual({ kind: 'reject', reason: 'leadership lease expired', retryAfterS: 4 });
    cell.grant(3, sharedNowNs() + 60_000_000_000n);
    const g = s.gate();
    expect(g.kind).toBe('serve');
    expect(g.kind === 'serve' && g.permit.epoch).toBe(3);
    expect(g.kind === 'serve' && g.permit.leaseDeadline > performance.now() + 50_000).toBe(true);
    expect(s.permitValid({ epoch: 3 })).toBe(true);
    expect(s.permitValid({ epoch: 2 })).toBe(false);
    // The lease runs out on the shared clock: no message needed.
    cell.grant(3, sharedNowNs() - 1n);
    expect(s.gate().kind).toBe('reject');
    expect(s.permitValid({ epoch: 3 })).toBe(false);
    // A grant of another epoch does not serve this gate's.
    cell.grant(4, sharedNowNs() + 60_000_000_000n);
    expect(s.gate().kind).toBe('reject');
  });

  it('appliesMessagesInOrderAndIgnoresOlderOnes', async () => {
    const { s, health } = seam({ version: 1, backends: [backend('a'), backend('b')], config: config({}) });
    const changed = s.waitForGateChange(5000);
    expect(s.apply({ t: 'gate', seq: 2, gate: { kind: 'hold', reason: 'resigning', maxWaitMs: 100 } })).toBe(
      true,
    );
    await changed;
    expect(s.gate()).toEqual({ kind: 'hold', reason: 'resigning', maxWaitMs: 100 });
    expect(s.apply({ t: 'gate', seq: 2, gate: serve(9) })).toBe(false);
    expect(s.gate().kind).toBe('hold');
    expect(s.apply({ t: 'health', seq: 3, version: 7, down: ['b'] })).toBe(true);
    expect([health.isUp('a'), health.isUp('b'), health.version()]).toEqual([true, false, 7]);
    const input = { version: 2, backends: [backend('a')], config: config({}) };
    expect(s.apply({ t: 'routing', seq: 4, input })).toBe(true);
    expect(s.snapshot().version).toBe(2);
    expect(s.seq).toBe(4);
  });

  it('keepsThePreviousSnapshotWhenTheRoutingInputCannotBeBuilt', () => {
    const refused: number[] = [];
    const health = new RemoteHealth(() => undefined);
    const s = new WorkerSeam({
      cell: new LeaseCell(),
      initial: { version: 1, backends: [backend('a')], config: config({}) },
      seq: 0,
      gate: serve(1),
      load: new LoadTracker(),
      health,
      retryAfterS: 1,
      onRefused: (v) => refused.push(v),
    });
    // A hash policy without a hash source is refused by core's policy builder.
    const bad = {
      version: 2,
      backends: [backend('a')],
      config: config({ policy: 'consistent-hash', hash: undefined }),
    };
    expect(s.apply({ t: 'routing', seq: 1, input: bad })).toBe(true);
    expect(s.snapshot().version).toBe(1);
    expect(refused).toEqual([2]);
  });

  it('sendsPassiveOutcomesBackToTheMainThread', () => {
    const { health, outcomes } = seam({ version: 1, backends: [backend('a')], config: config({}) });
    health.recordOutcome('a', false);
    health.recordOutcome('a', true);
    expect(outcomes).toEqual([
      ['a', false],
      ['a', true],
    ]);
  });
});
