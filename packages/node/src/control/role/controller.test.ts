import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { validateNodeConfig } from '../../config/schema.js';
import { createMetrics } from '../metrics.js';
import { RoleController } from './controller.js';

function controller(over: Record<string, unknown> = {}) {
  const r = validateNodeConfig(
    { nodeId: 'lb-1', zookeeper: { connect: '127.0.0.1:2181' }, ...over },
    () => 'test',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  let lease = true;
  const metrics = createMetrics({ defaultMetrics: false });
  const c = new RoleController({
    config: r.config,
    logger: pino({ level: 'silent' }),
    metrics,
    holdsLease: () => lease,
  });
  c.setConfigKnown(true);
  return { c, metrics, setLease: (v: boolean) => (lease = v) };
}

describe('RoleController', () => {
  it('serves only once elected and connected, and counts the promotion', async () => {
    const { c, metrics } = controller();
    expect(c.gate().kind).toBe('reject');
    c.setLifecycle('running');
    c.onSessionState('connected');
    expect(c.gate().kind).toBe('reject');
    c.onRoleChange({ from: 'candidate', to: 'leader', epoch: 4, cause: 'elected' });
    expect(c.gate()).toMatchObject({ kind: 'serve', permit: { epoch: 4 } });
    expect((await metrics.failovers.get()).values[0]?.value).toBe(1);
  });

  it('stops serving at once when the lease runs out, before any role event', () => {
    const { c, setLease } = controller();
    c.setLifecycle('running');
    c.onSessionState('connected');
    c.onRoleChange({ from: 'candidate', to: 'leader', epoch: 1, cause: 'elected' });
    setLease(false);
    expect(c.gate()).toMatchObject({ kind: 'reject', reason: 'leadership lease expired' });
    expect(c.isServing()).toBe(false);
  });

  it('keep-serving rides through coordinator loss but not a lost election', () => {
    const { c, setLease } = controller({ onCoordinatorLoss: 'keep-serving' });
    c.setLifecycle('running');
    c.onSessionState('connected');
    c.onRoleChange({ from: 'candidate', to: 'leader', epoch: 1, cause: 'elected' });
    setLease(false);
    c.onSessionState('suspended');
    c.onRoleChange({ from: 'leader', to: 'candidate', epoch: 1, cause: 'suspended' });
    expect(c.gate().kind).toBe('serve');
    c.onSessionState('connected');
    c.onRoleChange({ from: 'candidate', to: 'standby', epoch: 2, cause: 'predecessor' });
    expect(c.gate().kind).toBe('reject');
    expect(c.epoch).toBe(2);
  });

  it('forwards from a standby to the leader it reads from ZooKeeper', () => {
    const { c } = controller({ standby: 'forward' });
    c.setLifecycle('running');
    c.onSessionState('connected');
    c.onRoleChange({ from: 'candidate', to: 'standby', epoch: 3, cause: 'predecessor' });
    expect(c.gate().kind).toBe('hold');
    c.onLeader({ id: 'lb-0', epoch: 3, since: '', proxyUrl: 'http://127.0.0.1:8080' });
    expect(c.gate()).toEqual({ kind: 'forward', leaderProxyUrl: 'http://127.0.0.1:8080', epoch: 3 });
    c.onLeader(null);
    expect(c.gate().kind).toBe('hold');
  });

  it('stamps a held request with the epoch of the gate that admits it, never with none', () => {
    // The graceful-stop fault: a request that arrived at a standby while no leader was known
    // and was then served after the standby's promotion went out with no epoch at all.
    const { c } = controller({ standby: 'forward' });
    c.setLifecycle('running');
    c.onSessionState('connected');
    c.onRoleChange({ from: 'candidate', to: 'standby', epoch: 3, cause: 'predecessor' });
    c.onLeader(null);
    const arrival = c.gate();
    expect(arrival.kind).toBe('hold');
    c.onRoleChange({ from: 'standby', to: 'leader', epoch: 5, cause: 'predecessor' });
    expect(c.gate()).toMatchObject({ kind: 'serve', permit: { epoch: 5 } });
  });

  it('voids permits of an earlier epoch, and every permit once resigning', () => {
    const { c, setLease } = controller();
    c.setLifecycle('running');
    c.onSessionState('connected');
    c.onRoleChange({ from: 'candidate', to: 'leader', epoch: 5, cause: 'elected' });
    const g = c.gate();
    if (g.kind !== 'serve') throw new Error(`expected serve, got ${g.kind}`);
    expect(c.permitValid(g.permit)).toBe(true);
    expect(c.permitValid({ epoch: 4 })).toBe(false);
    c.beginResign();
    expect(c.gate().kind).toBe('hold');
    expect(c.permitValid(g.permit)).toBe(false);
    c.endResign();
    expect(c.permitValid(g.permit)).toBe(true);
    setLease(false);
    expect(c.permitValid(g.permit)).toBe(false);
  });

  it('active-active serves only once its own registration sequence is known', () => {
    const { c } = controller({ mode: 'active-active' });
    c.setLifecycle('running');
    expect(c.gate()).toMatchObject({ kind: 'reject', reason: 'no serving epoch yet' });
    c.setOwnSequence(12);
    expect(c.gate()).toMatchObject({
      kind: 'serve',
      permit: { epoch: 12, leaseDeadline: Number.POSITIVE_INFINITY },
    });
    c.setOwnSequence(13);
    expect(c.permitValid({ epoch: 12 })).toBe(false);
  });

  it('does not serve before the cluster config is known, nor while it is unknown', () => {
    const { c } = controller();
    c.setLifecycle('running');
    c.onSessionState('connected');
    c.onRoleChange({ from: 'candidate', to: 'leader', epoch: 2, cause: 'elected' });
    expect(c.gate().kind).toBe('serve');
    c.setConfigKnown(false);
    expect(c.gate()).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/config unknown/) });
    expect(c.permitValid({ epoch: 2 })).toBe(false);
  });
});
