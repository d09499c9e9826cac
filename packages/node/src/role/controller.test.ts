import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { validateNodeConfig } from '../config/schema.js';
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
    expect(c.gate().kind).toBe('serve');
    expect(c.stampEpoch()).toBe(4);
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
    expect(c.gate()).toEqual({ kind: 'forward', leaderProxyUrl: 'http://127.0.0.1:8080' });
    c.onLeader(null);
    expect(c.gate().kind).toBe('hold');
  });
});
