// The state file of a running `ringleader demo`: where everything listens and which process is
// which, so `ringleader demo kill-leader` in another terminal can find the leader's pid. One file
// per demo, `<tmpdir>/ringleader-demo/<demo pid>.json`, rewritten when a node restarts (new pid)
// and removed when the demo stops. Parsing and choosing are pure; the file I/O is at the end.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DemoProcessInfo {
  readonly id: string;
  readonly pid: number | null;
}

export interface DemoNodeInfo extends DemoProcessInfo {
  readonly proxyUrl: string;
  readonly adminUrl: string;
}

export interface DemoBackendInfo extends DemoProcessInfo {
  readonly url: string;
}

export interface DemoZkServerInfo extends DemoProcessInfo {
  readonly address: string;
}

export interface DemoState {
  readonly version: 1;
  /** The demo process itself. */
  readonly pid: number;
  readonly startedAt: string;
  readonly cluster: string;
  readonly zk: { readonly connect: string; readonly servers: readonly DemoZkServerInfo[] };
  readonly nodes: readonly DemoNodeInfo[];
  readonly backends: readonly DemoBackendInfo[];
  readonly logDir: string;
}

export function demoStateDir(base: string = tmpdir()): string {
  return join(base, 'ringleader-demo');
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isPid = (v: unknown): v is number | null => v === null || (Number.isInteger(v) && (v as number) > 0);

function procList<T extends DemoProcessInfo>(v: unknown, extra: readonly string[]): T[] | undefined {
  if (!Array.isArray(v)) return undefined;
  for (const item of v) {
    if (!isObj(item) || typeof item.id !== 'string' || !isPid(item.pid)) return undefined;
    if (extra.some((k) => typeof item[k] !== 'string')) return undefined;
  }
  return v as T[];
}

/** The state file's JSON, checked field by field; undefined when it is not a demo state. */
export function parseDemoState(text: string): DemoState | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObj(v) || v.version !== 1 || !Number.isInteger(v.pid) || (v.pid as number) <= 0) return undefined;
  if (typeof v.startedAt !== 'string' || typeof v.cluster !== 'string' || typeof v.logDir !== 'string')
    return undefined;
  if (!isObj(v.zk) || typeof v.zk.connect !== 'string') return undefined;
  if (!procList(v.zk.servers, ['address'])) return undefined;
  if (!procList(v.nodes, ['proxyUrl', 'adminUrl']) || !procList(v.backends, ['url'])) return undefined;
  return v as unknown as DemoState;
}

export type DemoChoice =
  | { readonly ok: true; readonly state: DemoState }
  | { readonly ok: false; readonly reason: string };

/**
 * Which running demo a command means: the one with `wanted` as its pid, else the only one
 * running, else the newest (demos whose process is gone do not count).
 */
export function chooseDemo(
  states: readonly DemoState[],
  alive: (pid: number) => boolean,
  wanted?: number,
): DemoChoice {
  const running = states.filter((s) => alive(s.pid));
  if (wanted !== undefined) {
    const s = running.find((r) => r.pid === wanted);
    return s ? { ok: true, state: s } : { ok: false, reason: `no running demo with pid ${wanted}` };
  }
  if (running.length === 0) {
    return { ok: false, reason: 'no demo is running (start one with `ringleader demo` or scripts/demo.sh)' };
  }
  const newest = [...running].sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0]!;
  return { ok: true, state: newest };
}

// ------------------------------------------------------------------------------ file I/O

export function stateFile(pid: number, dir: string = demoStateDir()): string {
  return join(dir, `${pid}.json`);
}

/** Written to a temp name and renamed, so a reader never sees half a file. */
export function writeDemoState(state: DemoState, dir: string = demoStateDir()): string {
  mkdirSync(dir, { recursive: true });
  const file = stateFile(state.pid, dir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
  return file;
}

/**
 * This demo's output, line by line, kept after it exits: Ctrl-C in a tmux pane closes the pane
 * with the summary, so the summary must outlive the terminal.
 */
export function transcriptFile(pid: number, dir: string = demoStateDir()): string {
  return join(dir, `${pid}.log`);
}

/** Starts this demo's transcript; of the finished demos' transcripts, the `keep` newest stay. */
export function startTranscript(
  pid: number,
  alive: (pid: number) => boolean,
  keep = 3,
  dir: string = demoStateDir(),
): string {
  mkdirSync(dir, { recursive: true });
  const old = readdirSync(dir)
    .map((n) => /^(\d+)\.log$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && !alive(Number(m[1])))
    .map((m) => ({ file: join(dir, m[0]), at: statSync(join(dir, m[0])).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const o of old.slice(keep)) rmSync(o.file, { force: true });
  const file = transcriptFile(pid, dir);
  writeFileSync(file, '');
  return file;
}

export function removeDemoState(pid: number, dir: string = demoStateDir()): void {
  rmSync(stateFile(pid, dir), { force: true });
}

/** Every readable state file; files of demos that are gone are removed on the way. */
export function readDemoStates(alive: (pid: number) => boolean, dir: string = demoStateDir()): DemoState[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return [];
  }
  const out: DemoState[] = [];
  for (const name of names) {
    let text: string;
    try {
      text = readFileSync(join(dir, name), 'utf8');
    } catch {
      continue;
    }
    const state = parseDemoState(text);
    if (state === undefined) continue;
    if (!alive(state.pid)) rmSync(join(dir, name), { force: true });
    else out.push(state);
  }
  return out;
}

/** `kill -0`: true while a process with this pid exists (and may be signalled by us). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
