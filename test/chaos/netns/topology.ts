// Private networks for the chaos suite, made only of Linux network namespaces the test creates
// and deletes: a bridge in a namespace of its own, and one namespace per member joined to it by
// a veth pair (`eth0` inside the member). Addresses exist only inside these namespaces: the
// host's own namespace gets no interface, no address and no route, so no packet of the test can
// leave the machine. Everything started inside is killed (and the namespaces deleted) by
// destroy(), by a process 'exit' hook, and — if this process is SIGKILLed — by a guardian shell
// that runs when our end of its pipe closes.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

function ip(args: readonly string[]): string {
  return execFileSync('ip', [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, cmd)));
}

/** Why the namespace test cannot run here, or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root (network namespaces need CAP_NET_ADMIN)';
  if (!onPath('ip')) return 'the `ip` command (iproute2) is not installed';
  const probe = `rlchaos-probe-${process.pid}`;
  try {
    ip(['netns', 'add', probe]);
    try {
      ip(['-n', probe, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']);
      ip(['-n', probe, 'link', 'add', 'b0', 'type', 'bridge']);
    } finally {
      ip(['netns', 'del', probe]);
    }
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    return `\`ip netns\` with veth and bridge links does not work here (${stderr || (err as Error).message})`;
  }
  // Without gratuitous ARP the client keeps the old leader's MAC for the VIP (minutes, in
  // real networks too): the node's VIP mover announces the move with arping.
  if (!onPath('arping'))
    return 'arping is not installed (Debian: iputils-arping); nodes cannot announce a moved VIP';
  return undefined;
}

export interface Member {
  readonly name: string;
  /** IPv4 CIDR for the member's eth0. */
  readonly address: string;
}

export class Topology {
  readonly prefix: string;
  readonly #namespaces: string[] = [];
  readonly #hostChildren = new Set<ChildProcess>();
  #guardian: ChildProcess | undefined;
  #destroyed = false;
  readonly #onExit = () => this.destroy();

  private constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** Creates the bridge namespace and one namespace per member, linked and addressed. */
  static create(prefix: string, members: readonly Member[]): Topology {
    const t = new Topology(prefix);
    const names = ['br', ...members.map((m) => m.name)].map((n) => t.ns(n));
    // Guardian first, so even a failure half-way through leaves nothing behind.
    const script =
      'read _ignored; for ns; do ip netns pids "$ns" | xargs -r kill -9; ip netns del "$ns"; done';
    const guardian = spawn('sh', ['-c', script, 'guardian', ...names], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    guardian.unref();
    (guardian.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    t.#guardian = guardian;
    process.on('exit', t.#onExit);
    try {
      const br = t.ns('br');
      ip(['netns', 'add', br]);
      t.#namespaces.push(br);
      ip(['-n', br, 'link', 'add', 'br0', 'type', 'bridge']);
      ip(['-n', br, 'link', 'set', 'br0', 'up']);
      for (const [i, m] of members.entries()) {
        const ns = t.ns(m.name);
        ip(['netns', 'add', ns]);
        t.#namespaces.push(ns);
        const port = `v${i}`;
        ip(['-n', br, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
        ip(['-n', br, 'link', 'set', port, 'master', 'br0', 'up']);
        ip(['-n', ns, 'addr', 'add', m.address, 'dev', 'eth0']);
        ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
        ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      }
    } catch (err) {
      t.destroy();
      throw err;
    }
    return t;
  }

  ns(name: string): string {
    return `${this.prefix}-${name}`;
  }

  /** `ip -n <ns> args…` (stdout). */
  ip(name: string, args: readonly string[]): string {
    return ip(['-n', this.ns(name), ...args]);
  }

  /** IPv4 addresses on a member's eth0. */
  addresses(name: string): string[] {
    return [...this.ip(name, ['-4', '-o', 'addr', 'show', 'dev', 'eth0']).matchAll(/inet (\S+)/g)].map(
      (m) => m[1]!,
    );
  }

  /** `node args…` inside a member namespace (`ip netns exec` execs, so the pid is node's). */
  spawnNode(
    name: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    log: number | 'pipe',
  ): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.ns(name), process.execPath, ...args], {
      env,
      stdio: ['ignore', log, log === 'pipe' ? 'pipe' : log],
    });
  }

  /** `node args…` in the host namespace (the unix-socket side of a relay); killed by destroy(). */
  spawnHostNode(args: readonly string[]): ChildProcess {
    const child = spawn(process.execPath, [...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.#hostChildren.add(child);
    child.once('exit', () => this.#hostChildren.delete(child));
    return child;
  }

  /** Kills everything inside the namespaces (only this test's processes live there) and deletes them. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    process.off('exit', this.#onExit);
    for (const c of this.#hostChildren) c.kill('SIGKILL');
    for (const ns of [...this.#namespaces].reverse()) {
      try {
        for (const pid of ip(['netns', 'pids', ns]).split(/\s+/).filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // already gone
          }
        }
        ip(['netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
    this.#guardian?.kill('SIGKILL');
  }
}

/** Resolves with the first line a child prints on stdout (rejects if it exits first). */
export function firstLine(child: ChildProcess, what: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(
      () => reject(new Error(`${what} printed nothing in ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stdout?.setEncoding('utf8');
    const onData = (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(buf.slice(0, nl));
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}) before printing a line`));
    });
  });
}
