// The manager's orchestration over listeners that record what they are told (the real TCP and
// HTTP listeners are exercised by test/integration and test/e2e).
import { type Backend, type ServiceDefinition, unwrap, validateService } from '@ringleader/core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ServiceListener, ServiceListenerInput } from '../../seam.js';
import { type ServiceInput, ServiceManager } from './manager.js';
import { type ServiceEnvironment, UnsupportedProtocol } from './runtime.js';

// Through the real codec, so the definitions are what a node would hold.
const def = (name: string, listen: number, extra: Partial<ServiceDefinition> = {}): ServiceDefinition => ({
  ...unwrap(validateService(name, { protocol: 'tcp', listen, policy: 'round-robin', drainTimeoutMs: 0 })),
  ...extra,
});
const backend = (id: string, port: number): Backend => ({
  id,
  host: '127.0.0.1',
  port,
  weight: 1,
  state: 'active',
  format: 'native',
});

interface Recorded {
  name: string;
  port?: number;
  calls: string[];
  input: ServiceListenerInput;
}

function harness(opts: { failBind?: (port: number) => boolean } = {}) {
  const listeners: Recorded[] = [];
  const env: ServiceEnvironment = {
    host: '127.0.0.2',
    gate: () => ({ kind: 'serve', permit: { epoch: 7, leaseDeadline: Number.POSITIVE_INFINITY } }),
    permitValid: () => true,
    relayValid: () => true,
    waitForGateChange: async () => undefined,
    openListener: (input) => {
      if (input.definition.protocol === 'redis') throw new UnsupportedProtocol('redis is not served');
      const rec: Recorded = { name: input.name, calls: [], input };
      listeners.push(rec);
      const l: ServiceListener = {
        listen: async (addr) => {
          rec.calls.push(`listen ${addr.host}:${addr.port}`);
          if (opts.failBind?.(addr.port))
            throw Object.assign(new Error('address already in use'), { code: 'EADDRINUSE' });
          rec.port = addr.port;
          return addr;
        },
        update: (d) => void rec.calls.push(`update drain=${d.drainTimeoutMs}`),
        onSnapshot: (s) => void rec.calls.push(`snapshot ${s.version}:${s.backends.length}`),
        stopAccepting: () => void rec.calls.push('stopAccepting'),
        close: async (g) => void rec.calls.push(`close ${g}`),
        stats: { open: 0 },
      };
      return l;
    },
    probeFor: () => async () => ({ passed: true, detail: 'ok', latencyMs: 1 }),
    metrics: {
      snapshotVersion: () => ({ set: () => undefined }),
      forget: () => undefined,
      listenerPhase: () => undefined,
      backendUp: () => undefined,
    },
    logger: pino({ level: 'silent' }),
  };
  return { env, listeners, manager: new ServiceManager(env, new Map([[8080, 'default (proxy.listen)']])) };
}

const view = (entries: Record<string, ServiceInput>) => new Map(Object.entries(entries));
const settle = () => new Promise((r) => setTimeout(r, 5));

describe('ServiceManager', () => {
  it('opens each valid service on the service host with its own snapshot', async () => {
    const { manager, listeners } = harness();
    manager.apply(
      view({
        pg: {
          definition: def('pg', 5433),
          membership: { version: 3, backends: [backend('pg-1', 5432), backend('pg-2', 5532)], rejected: [] },
        },
        bad: {
          definition: undefined,
          rejected: { code: 'RL_BAD_SERVICE', message: 'listen ...', path: '/x' },
        },
      }),
    );
    await settle();
    expect(listeners.map((l) => l.name)).toEqual(['pg']);
    expect(listeners[0]?.calls).toContain('listen 127.0.0.2:5433');
    expect(listeners[0]?.input.seam.snapshot().backends.map((b) => b.id)).toEqual(['pg-1', 'pg-2']);
    const st = manager.status();
    expect(st.map((s) => [s.name, s.listener.phase])).toEqual([
      ['bad', 'not-opened'],
      ['pg', 'listening'],
    ]);
    expect(st[0]?.rejected?.code).toBe('RL_BAD_SERVICE');
    await manager.close();
  });

  it('a port it cannot bind is reported and retried; other services open', async () => {
    const { manager } = harness({ failBind: (p) => p === 6380 });
    manager.apply(view({ a: { definition: def('a', 6380) }, b: { definition: def('b', 6381) } }));
    await settle();
    const st = manager.status();
    expect(st.find((s) => s.name === 'a')?.listener).toMatchObject({
      phase: 'bind-failed',
      code: 'EADDRINUSE',
    });
    expect(st.find((s) => s.name === 'b')?.listener.phase).toBe('listening');
    await manager.close();
  });

  it('a port clash opens the first by name only; a reserved port opens none', async () => {
    const { manager, listeners } = harness();
    manager.apply(
      view({
        y: { definition: def('y', 7000) },
        x: { definition: def('x', 7000) },
        z: { definition: def('z', 8080) },
      }),
    );
    await settle();
    expect(listeners.map((l) => l.name)).toEqual(['x']);
    const st = manager.status();
    expect(st.find((s) => s.name === 'y')?.listener).toMatchObject({
      phase: 'not-opened',
      message: 'port taken by service x',
    });
    expect(st.find((s) => s.name === 'z')?.listener).toMatchObject({ phase: 'not-opened' });
    await manager.close();
  });

  it('updates in place, replaces on a new port, drains on removal', async () => {
    const { manager, listeners } = harness();
    manager.apply(view({ pg: { definition: def('pg', 5433) } }));
    await settle();
    manager.apply(view({ pg: { definition: def('pg', 5433, { drainTimeoutMs: 9 }) } }));
    expect(listeners[0]?.calls.at(-1)).toBe('update drain=9');
    manager.apply(view({ pg: { definition: def('pg', 5434, { drainTimeoutMs: 9 }) } }));
    await settle();
    expect(listeners[0]?.calls.slice(-2)).toEqual(['stopAccepting', 'close 9']);
    expect(listeners[1]?.calls).toContain('listen 127.0.0.2:5434');
    manager.apply(view({}));
    await settle();
    expect(listeners[1]?.calls.slice(-2)).toEqual(['stopAccepting', 'close 9']);
    expect(manager.status()).toEqual([]);
    await manager.close();
  });

  it('a protocol this node cannot serve is reported, not fatal', async () => {
    const { manager } = harness();
    manager.apply(view({ cache: { definition: def('cache', 6390, { protocol: 'redis' }) } }));
    await settle();
    expect(manager.status()[0]?.listener).toEqual({ phase: 'unsupported', message: 'redis is not served' });
    await manager.close();
  });

  it('membership changes reach the service snapshot and the listener', async () => {
    const { manager, listeners } = harness();
    manager.apply(view({ pg: { definition: def('pg', 5433) } }));
    await settle();
    manager.apply(
      view({
        pg: {
          definition: def('pg', 5433),
          membership: { version: 9, backends: [backend('pg-1', 1)], rejected: [] },
        },
      }),
    );
    expect(listeners[0]?.calls.at(-1)).toBe('snapshot 9:1');
    expect(manager.runtimes.get('pg')?.snapshot.version).toBe(9);
    await manager.close();
  });
});
