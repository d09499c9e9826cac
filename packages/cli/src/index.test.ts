// The command tree and its exit codes, through main() with captured output. Every case here
// must be refused before a ZooKeeper session is opened: the environment points at a closed
// port, so a case that slipped through validation would exit 1 (unreachable), not 2.
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliContext } from './context.js';
import { buildProgram, main } from './index.js';

function capture(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    io: { out: (t) => void out.push(t), err: (t) => void err.push(t), isTTY: false },
    env: { RINGLEADER_ZK: '127.0.0.1:1', ...env },
    readFile: (p) => {
      throw new Error(`ENOENT: ${p}`);
    },
    untilSignal: () => new Promise(() => {}),
  };
  return { ctx, out: () => out.join(''), err: () => err.join('') };
}

async function run(args: string[], env?: Record<string, string>) {
  const c = capture(env);
  const code = await main([...args, ...(args.includes('--help') ? [] : ['--timeout', '200'])], c.ctx);
  return { code, out: c.out(), err: c.err() };
}

describe('exit code 2: invalid input, nothing touched', () => {
  it.each([
    [
      ['backend', 'add', 'web-1', '--host', 'h', '--port', '70000'],
      'invalid port: must be an integer 1..65535 (got 70000)',
    ],
    [['backend', 'add', 'web-1', '--host', 'h', '--port', 'http'], 'invalid port: "http" is not a number'],
    [['backend', 'add', 'web-1', '--host', 'h'], "required option '--port <port>' not specified"],
    [['backend', 'add', 'a/b', '--host', 'h', '--port', '80'], 'invalid id'],
    [
      ['backend', 'add', 'w', '--host', 'h', '--port', '80', '--session-timeout', '5000'],
      'only with --ephemeral',
    ],
    [['backend', 'update', 'web-1'], 'nothing to update'],
    [
      ['backend', 'update', 'web-1', '--weight', '2000'],
      'invalid weight: must be an integer 0..1000 (got 2000)',
    ],
    [['backend', 'drain', 'web-1', '--if-version', 'x'], 'invalid --if-version'],
    [['backend', 'list', '--zk', 'zk 1:2181'], 'invalid --zk'],
    [['backend', 'list', '--cluster', '../x'], 'cluster "../x"'],
    [['config', 'set'], 'nothing to set'],
    [['config', 'set', '--policy', 'fastest'], 'invalid --policy: "fastest" is not one of'],
    [['config', 'set', '--hash', 'body'], 'invalid --hash'],
    [
      ['config', 'set', '--vnodes', '5000'],
      'invalid --vnodes (ring.vnodes): must be an integer 1..1000 (got 5000)',
    ],
    [['status', '--interval', '500'], '--interval applies only with --watch'],
    [['status', '--watch', '--interval', '5'], 'invalid --interval'],
    [['leader', 'resign', '--admin-token-file', '/nope'], '--admin-token-file: cannot read /nope'],
    [['bogus'], "unknown command 'bogus'"],
    [['backend', 'list', '--frobnicate'], "unknown option '--frobnicate'"],
  ])('%j', async (args, message) => {
    const r = await run(args);
    expect(r.err).toContain(message);
    expect(r.code).toBe(2);
  });

  it('a malformed credential in the environment is refused without echoing it', async () => {
    const r = await run(['backend', 'list'], { RINGLEADER_ZK_AUTH: 'hunter2' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('user:password');
    expect(r.err).not.toContain('hunter2');
  });
});

describe('exit code 1: ZooKeeper unreachable', () => {
  it('names the address and the deadline', async () => {
    const r = await run(['backend', 'list']);
    expect(r.err).toBe(
      'ringleader: ZooKeeper unreachable at 127.0.0.1:1 within 200 ms [RL_ZK_UNREACHABLE]\n',
    );
    expect(r.code).toBe(1);
  });
});

describe('help', () => {
  function leaves(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
    if (cmd.commands.length === 0) return [{ path, cmd }];
    return cmd.commands.flatMap((c) => leaves(c, [...path, c.name()]));
  }

  it('every command has a description and help text, the common ones an example', () => {
    const program = buildProgram(capture().ctx);
    const all = leaves(program);
    expect(all.map((l) => l.path.join(' '))).toEqual([
      'node start',
      'node check',
      'backend add',
      'backend update',
      'backend drain',
      'backend undrain',
      'backend remove',
      'backend list',
      'config get',
      'config set',
      'service add',
      'service set',
      'service get',
      'service list',
      'service remove',
      'status',
      'leader resign',
      'demo kill-leader',
    ]);
    for (const { path, cmd } of all) expect(cmd.description(), path.join(' ')).not.toBe('');
  });

  it.each([
    [
      ['backend', 'add', '--help'],
      ['ringleader backend add web-1 --host', '--ephemeral', 'SIGINT/SIGTERM', 'RINGLEADER_ZK_AUTH_FILE'],
    ],
    [
      ['config', 'set', '--help'],
      ['--policy <name>', 'consistent-hash', 'Examples:', '--hash <source>'],
    ],
    [
      ['node', 'check', '--help'],
      ['--config <file>', '--zk [connect]', 'Exit codes:', 'Example:'],
    ],
    [
      ['status', '--help'],
      ['--watch', 'Examples:', '(zk N)'],
    ],
    [
      ['leader', 'resign', '--help'],
      ['--admin-token-file', 'Example:'],
    ],
    [['--help'], ['backend', 'config', 'status', 'leader', 'Examples:']],
  ])('%j exits 0 and shows %j', async (args, expected) => {
    const r = await run(args);
    expect(r.code).toBe(0);
    for (const e of expected) expect(r.out).toContain(e);
  });
});
