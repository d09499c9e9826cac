// What a command may touch besides ZooKeeper: its output streams, the environment, files and
// signals. Passed in (not read from globals) so parsing and validation run in unit tests
// without a process of their own.
import { readFileSync } from 'node:fs';

export interface CliIo {
  /** Standard output (results, tables, JSON). */
  out(text: string): void;
  /** Standard error (errors, progress notes). */
  err(text: string): void;
  /** True when stdout is a terminal (the status --watch screen is redrawn in place). */
  readonly isTTY: boolean;
}

export interface CliContext {
  readonly io: CliIo;
  readonly env: Readonly<Record<string, string | undefined>>;
  readFile(path: string): string;
  /** Resolves on the first SIGINT or SIGTERM (long-running commands: --ephemeral, --watch). */
  untilSignal(): Promise<NodeJS.Signals>;
}

export function processContext(): CliContext {
  return {
    io: {
      out: (t) => void process.stdout.write(t),
      err: (t) => void process.stderr.write(t),
      isTTY: process.stdout.isTTY === true,
    },
    env: process.env,
    readFile: (p) => readFileSync(p, 'utf8'),
    untilSignal: () =>
      new Promise((resolve) => {
        const on = (s: NodeJS.Signals) => {
          process.off('SIGINT', on);
          process.off('SIGTERM', on);
          resolve(s);
        };
        process.on('SIGINT', on);
        process.on('SIGTERM', on);
      }),
  };
}
