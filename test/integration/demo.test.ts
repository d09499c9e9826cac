// `ringleader demo` end to end, as the README's first command runs it (the built CLI as a child
// process): the self-contained showcase — a 3-server ensemble, three LB nodes, four backends,
// the Redis and PostgreSQL services over real servers, traffic on all three, the leader
// SIGKILLed after 5 s, exit 0 after 12 s — must show the failover with a measured interruption
// on every tier and leave no process behind.
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, CliProcess, runCli } from './cli-helpers.js';

beforeAll(() => {
  buildCli(); // also builds packages/launcher/dist, which the demo loads
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describe('ringleader demo', () => {
  it('leaderKilledMidTraffic: shows the failover with its interruption, exits 0 and leaves nothing running', async () => {
    const r = await runCli(['demo', '--duration', '12', '--kill-leader-after', '5'], {}, 50_000);
    const out = r.stdout;
    expect(r.code, `${out}\n${r.stderr}`).toBe(0);

    // Where everything listens: three nodes with proxy and admin URLs, four backends, with pids.
    const nodeLines = out.match(
      /^ {2}lb-\d .*proxy http:\/\/127\.0\.0\.1:\d+ +admin\+dashboard .* pid \d+$/gm,
    );
    expect(nodeLines?.map((l) => l.trim().slice(0, 4)).sort()).toEqual(['lb-1', 'lb-2', 'lb-3']);
    const backendLines = out.match(/^ {2}b\d +http:\/\/127\.0\.0\.1:\d+ +pid \d+$/gm);
    expect(backendLines?.map((l) => l.trim().slice(0, 2)).sort()).toEqual(['b1', 'b2', 'b3', 'b4']);
    expect(out.match(/^ {2}zk-\d .* pid \d+$/gm)).toHaveLength(3);
    expect(out).toMatch(/kill the leader: `.* demo kill-leader` or `kill -9 \d+`/);

    // The tiers: each service on every node's own service host, its backends and a hand command.
    expect(out).toMatch(/^ {2}cache +redis, consistent-hash on each command's key/m);
    expect(out).toMatch(/listens lb-1 127\.0\.0\.1:(\d+) {2}lb-2 127\.0\.0\.2:\1 {2}lb-3 127\.0\.0\.3:\1$/m);
    expect(out).toMatch(/backends r1 127\.0\.0\.1:\d+ pid \d+, r2 127\.0\.0\.1:\d+ pid \d+$/m);
    expect(out).toMatch(/try: redis-cli -h 127\.0\.0\.1 -p \d+ ping/);
    expect(out).toMatch(/^ {2}db +tcp, least-connections/m);
    expect(out).toMatch(/try: psql -h 127\.0\.0\.1 -p \d+ -U postgres/);

    // Live lines (with a column per tier), the kill, and the failover with its measured gap.
    expect(out).toMatch(/^TIME +REQ +ERR +REDIS ok\/err +PG ok\/err +SERVED BY/m);
    expect(out).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} +\d+ +0 {2}redis \d+\/0 +pg \d+\/0 +lb-\d epoch \d+ +b1 +\d+% {2}b2/m,
    );
    const killed = /killing the leader (lb-\d) \(pid (\d+), epoch (\d+)\) with SIGKILL/.exec(out);
    expect(killed, out).not.toBeNull();
    const failover =
      /FAILOVER (lb-\d) \(epoch (\d+)\) → (lb-\d) \(epoch (\d+)\): traffic interrupted ([\d.]+) (s|ms) \(last success [\d:.]+ → first success [\d:.]+\), (\d+) failed request/.exec(
        out,
      );
    expect(failover, out).not.toBeNull();
    const [, from, fromEpoch, to, toEpoch, gap, unit] = failover!;
    expect(from).toBe(killed![1]);
    expect(to).not.toBe(from);
    expect(Number(toEpoch)).toBeGreaterThan(Number(fromEpoch));
    const gapMs = Number(gap) * (unit === 's' ? 1000 : 1);
    expect(gapMs).toBeGreaterThan(0);
    expect(gapMs).toBeLessThan(5000); // session timeout 2000 ms + election + slack
    expect(out).toMatch(/summary: \d+ requests in 1\d\.\d s, \d+ failed, 1 interruption/);

    // Each tier was interrupted by the kill (it was talking to the leader's service host) and
    // answered again through another node; after the kill, whole seconds of commands succeeded.
    for (const label of ['redis', 'pg']) {
      const it = new RegExp(
        `^>>> ${label} \\(service \\w+ :\\d+\\) interrupted ([\\d.]+) (s|ms) \\(last ok [\\d:.]+ via (lb-\\d) → first ok [\\d:.]+ via (lb-\\d)\\)`,
        'm',
      ).exec(out);
      expect(it, `${label}\n${out}`).not.toBeNull();
      expect(it![3]).toBe(killed![1]);
      expect(it![4]).not.toBe(killed![1]);
      const ms = Number(it![1]) * (it![2] === 's' ? 1000 : 1);
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThan(8000);
      expect(out).toMatch(
        new RegExp(
          `^ {2}${label} \\(service \\w+ :\\d+\\): \\d+ commands, \\d+ failed, \\d+ interruptions?, the longest`,
          'm',
        ),
      );
    }
    const afterKill = out.slice(out.indexOf('killing the leader'));
    expect(afterKill).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} +\d+ +0 {2}redis [1-9]\d*\/0 +pg [1-9]\d*\/0 +lb-\d epoch [1-9]/m,
    );
    expect(out).toMatch(/stopped: all \d+ processes it started have exited; nothing left running/);

    // Every pid it printed (java servers, nodes, restarted node, backends) is gone, and so is
    // its state file.
    const pids = [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBeGreaterThanOrEqual(10);
    expect(pids.filter(alive)).toEqual([]);
    const demoPid = /state: (.*\/(\d+)\.json)$/m.exec(out);
    expect(demoPid).not.toBeNull();
    expect(existsSync(join(tmpdir(), 'ringleader-demo', `${demoPid![2]}.json`))).toBe(false);
    // Its whole output stays in the transcript it named, the last line included.
    const kept = /stays in (.*\.log)$/m.exec(out);
    expect(kept, out).not.toBeNull();
    expect(readFileSync(kept![1]!, 'utf8')).toBe(out);
  }, 60_000);

  it('ctrlCMidTraffic: prints the summary before it exits and keeps it in its transcript (a tmux pane closes on exit)', async () => {
    const demo = new CliProcess(['demo']);
    const deadline = Date.now() + 45_000;
    // The first live line means traffic flows; Ctrl-C is SIGINT to the process.
    while (!/^\d\d:\d\d:\d\d\.\d{3} +\d+ +\d+ /m.test(demo.stdout) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const transcript = /^transcript: (\S+\.log) /m.exec(demo.stdout)?.[1];
    expect(transcript, demo.stdout).toBeDefined();
    demo.proc.kill('SIGINT');
    const r = await demo.exited;
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^summary: \d+ requests in [\d.]+ s, 0 failed/m);
    expect(r.stdout).toMatch(/SIGINT: stopping the nodes/);
    // The summary comes before the stop, so a closing pane has shown it; the file keeps it all.
    expect(r.stdout.indexOf('summary:')).toBeLessThan(r.stdout.indexOf('SIGINT: stopping'));
    const kept = readFileSync(transcript!, 'utf8');
    expect(kept).toBe(r.stdout);
    expect(kept).toMatch(/stopped: all \d+ processes it started have exited; nothing left running/);
  }, 60_000);
});
