// Real ZooKeeper servers as local processes from Debian's `zookeeper` package:
// plain `java … QuorumPeerMain <abs cfg>`, free loopback ports, temp data dirs, small heap.
// Every java process gets a guardian (`sh -c 'read _; kill -9 PID'` holding a pipe from us),
// so the servers die with this process even when it is SIGKILLed.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fourLetter, freePorts, sleep } from './net.js';
import type { StartOptions, ZkEnsemble, ZkServer, ZkServerMode } from './types.js';

const ZK_JAR = '/usr/share/java/zookeeper.jar';
const SLF4J_SIMPLE = '/usr/share/java/slf4j-simple.jar';
const CONF_DIR = '/etc/zookeeper/conf_example';

export function localZooKeeperAvailable(): boolean {
  return existsSync(ZK_JAR);
}

const live = new Set<LocalServer>();
const tempRoots = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A script that ends (or calls process.exit) without stop() still leaves nothing behind.
  process.on('exit', () => {
    for (const s of live) s.killSync();
    for (const dir of tempRoots) rmSync(dir, { recursive: true, force: true });
  });
}

interface PeerPorts {
  readonly id: number;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly electionPort: number;
}

class LocalServer implements ZkServer {
  readonly id: number;
  readonly clientPort: number;
  readonly connectString: string;
  /** This server's own directory (config, data, log) inside the ensemble's temp root. */
  private readonly dir: string;
  private readonly cfgPath: string;
  private readonly logPath: string;
  private readonly logLevel: string;
  private proc: ChildProcess | undefined;
  private guardian: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(ports: PeerPorts, cfgPath: string, logPath: string, logLevel: string) {
    this.id = ports.id;
    this.clientPort = ports.clientPort;
    this.connectString = `127.0.0.1:${ports.clientPort}`;
    this.cfgPath = cfgPath;
    this.dir = dirname(cfgPath);
    this.logPath = logPath;
    this.logLevel = logLevel;
  }

  get pid(): number | undefined {
    return this.proc?.exitCode === null && this.proc.signalCode === null ? this.proc.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  spawn(): void {
    if (this.running) throw new Error(`zk server ${this.id} is already running (pid ${this.pid})`);
    const cp = [CONF_DIR, ZK_JAR, ...(existsSync(SLF4J_SIMPLE) ? [SLF4J_SIMPLE] : [])].join(':');
    const args = [
      '-Xmx128m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      `-Dorg.slf4j.simpleLogger.defaultLogLevel=${this.logLevel}`,
      '-Dzookeeper.admin.enableServer=false',
      '-cp',
      cp,
      'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      this.cfgPath,
    ];
    const log = openSync(this.logPath, 'a');
    const proc = spawn('java', args, { stdio: ['ignore', log, log] });
    closeSync(log);
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    proc.unref();
    // Runs only when our end of its stdin closes without us killing it first: we died.
    const script = 'read _ignored; kill -9 "$1" 2>/dev/null; sleep 0.3; rm -rf "$2"; rmdir "$3" 2>/dev/null';
    const guardian = spawn('sh', ['-c', script, 'guardian', String(proc.pid), this.dir, dirname(this.dir)], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    guardian.unref();
    (guardian.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    this.guardian = guardian;
    proc.once('exit', () => {
      if (this.guardian === guardian) this.guardian = undefined;
      guardian.kill('SIGKILL');
    });
    live.add(this);
  }

  async waitServing(timeoutMs = 30_000): Promise<ZkServerMode> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`zk server ${this.id} exited while starting:\n${this.logTail()}`);
      const mode = await this.mode();
      if (mode) return mode;
      await sleep(50);
    }
    throw new Error(`zk server ${this.id} not serving after ${timeoutMs} ms:\n${this.logTail()}`);
  }

  async mode(): Promise<ZkServerMode | undefined> {
    const out = await fourLetter(this.clientPort, 'srvr', 500).catch(() => '');
    const m = /Mode: (standalone|leader|follower|observer)/.exec(out);
    return m ? (m[1] as ZkServerMode) : undefined;
  }

  private async signalAndWait(signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return;
    proc.ref(); // keep a plain script alive until the server is really gone
    proc.kill('SIGCONT'); // a paused server cannot act on SIGTERM
    proc.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
    });
    if ((await Promise.race([this.exited, timeout])) === 'timeout') {
      proc.kill('SIGKILL');
      await this.exited;
    }
    clearTimeout(timer);
    live.delete(this);
  }

  kill(): Promise<void> {
    return this.signalAndWait('SIGKILL', 5000);
  }

  stop(): Promise<void> {
    return this.signalAndWait('SIGTERM', 5000);
  }

  async restart(opts: { wait?: boolean } = {}): Promise<void> {
    await this.stop();
    this.spawn();
    if (opts.wait !== false) await this.waitServing();
  }

  async pause(): Promise<void> {
    if (!this.proc || !this.running) throw new Error(`zk server ${this.id} is not running`);
    this.proc.kill('SIGSTOP');
    // kill() returns before the kernel has stopped every thread of the JVM: a request sent at
    // once could still be answered. Wait until /proc says the process is stopped (state T).
    const pid = this.proc.pid;
    const deadline = Date.now() + 2000;
    while (pid !== undefined && Date.now() < deadline) {
      let state = '';
      try {
        state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? '';
      } catch {
        break;
      }
      if (state === 'T' || state === 't') break;
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  async resume(): Promise<void> {
    if (!this.proc || !this.running) throw new Error(`zk server ${this.id} is not running`);
    this.proc.kill('SIGCONT');
  }

  killSync(): void {
    if (this.proc && this.running) this.proc.kill('SIGKILL');
    this.guardian?.kill('SIGKILL');
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

export async function startLocal(opts: StartOptions): Promise<ZkEnsemble> {
  installExitHook();
  const count = opts.servers ?? 1;
  const tickTime = opts.tickTime ?? 200;
  const root = mkdtempSync(join(opts.dataDirRoot ?? tmpdir(), 'ringleader-zk-'));
  tempRoots.add(root);
  const ports = await freePorts(count * 3);
  const peers: PeerPorts[] = Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    clientPort: ports[i * 3]!,
    peerPort: ports[i * 3 + 1]!,
    electionPort: ports[i * 3 + 2]!,
  }));
  const servers = peers.map((p) => {
    const dir = join(root, `server${p.id}`);
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    const lines = [
      `tickTime=${tickTime}`,
      'initLimit=10',
      'syncLimit=5',
      `dataDir=${dataDir}`,
      `clientPort=${p.clientPort}`,
      'clientPortAddress=127.0.0.1',
      'maxClientCnxns=0',
      'admin.enableServer=false',
      '4lw.commands.whitelist=*',
      'autopurge.purgeInterval=0',
    ];
    if (count > 1) {
      writeFileSync(join(dataDir, 'myid'), `${p.id}\n`);
      for (const q of peers) lines.push(`server.${q.id}=127.0.0.1:${q.peerPort}:${q.electionPort}`);
    }
    const cfg = join(dir, 'zoo.cfg');
    writeFileSync(cfg, `${lines.join('\n')}\n`);
    return new LocalServer(p, cfg, join(dir, 'zookeeper.log'), opts.logLevel ?? 'warn');
  });
  const stopAll = async () => {
    await Promise.all(servers.map((s) => s.kill()));
    rmSync(root, { recursive: true, force: true });
    tempRoots.delete(root);
  };
  try {
    for (const s of servers) s.spawn();
    await Promise.all(servers.map((s) => s.waitServing(opts.startTimeoutMs ?? 30_000)));
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    kind: 'local',
    connectString: servers.map((s) => s.connectString).join(','),
    servers,
    chaos: true,
    stop: stopAll,
  };
}
