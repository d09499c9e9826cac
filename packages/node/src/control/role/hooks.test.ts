import { describe, expect, it } from 'vitest';
import { type CommandRunner, runHook, VipMover } from './hooks.js';

const silent = { info: () => {}, warn: () => {} };

function recorder(results: Record<string, { ok: boolean; stderr?: string }> = {}) {
  const calls: string[] = [];
  const run: CommandRunner = async (file, args) => {
    const line = [file, ...args].join(' ');
    calls.push(line);
    const r = results[file] ?? { ok: true };
    return { ok: r.ok, code: r.ok ? 0 : 1, stderr: r.stderr ?? '' };
  };
  return { calls, run };
}

describe('role hooks', () => {
  it('runs a real hook command with the role facts in its environment', async () => {
    const res = await runHook(
      'test "$RINGLEADER_ROLE" = leader && test "$RINGLEADER_EPOCH" = 7 && test "$RINGLEADER_NODE_ID" = lb-1',
      { role: 'leader', epoch: 7, nodeId: 'lb-1' },
      silent,
    );
    expect(res.ok).toBe(true);
    const bad = await runHook('exit 3', { role: 'standby', epoch: undefined, nodeId: 'lb-1' }, silent);
    expect(bad).toMatchObject({ ok: false, code: 3 });
  });

  it('adds the VIP and announces it; removes it on demotion', async () => {
    const r = recorder();
    const vip = new VipMover({ address: '10.9.0.100/24', interface: 'veth0' }, silent, r.run);
    expect(await vip.acquire()).toBe(true);
    expect(await vip.release()).toBe(true);
    expect(r.calls).toEqual([
      'ip addr add 10.9.0.100/24 dev veth0',
      'arping -U -c 2 -I veth0 10.9.0.100',
      'ip addr del 10.9.0.100/24 dev veth0',
    ]);
  });

  it('treats an address it already holds as acquired, and reports other failures', async () => {
    const held = recorder({ ip: { ok: false, stderr: 'RTNETLINK answers: File exists' } });
    expect(
      await new VipMover({ address: '10.9.0.100/24', interface: 'veth0' }, silent, held.run).acquire(),
    ).toBe(true);
    const denied = recorder({ ip: { ok: false, stderr: 'RTNETLINK answers: Operation not permitted' } });
    expect(
      await new VipMover({ address: '10.9.0.100/24', interface: 'veth0' }, silent, denied.run).acquire(),
    ).toBe(false);
  });
});
