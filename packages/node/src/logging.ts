// The node's logger: JSON lines for machines, a readable form on a terminal, and children for
// the ZooKeeper modules that replace a binding instead of repeating it.
import type { Logger as ZkLogger } from '@ringleader/zk';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import pretty from 'pino-pretty';

export interface NodeLoggerOptions {
  readonly level: string;
  /** Where lines go (default stdout). */
  readonly destination?: DestinationStream;
  /** `log.format` (default auto: readable on a terminal). */
  readonly format?: 'auto' | 'json' | 'pretty';
}

/** `log.format`: auto is readable when stdout is a terminal, JSON otherwise (a pipe, a file, journald). */
export function wantsPretty(
  format: 'auto' | 'json' | 'pretty' = 'auto',
  stdout: { isTTY?: boolean } = process.stdout,
): boolean {
  if (format === 'json') return false;
  if (format === 'pretty') return true;
  return stdout.isTTY === true;
}

export function createNodeLogger(opts: NodeLoggerOptions): Logger {
  const options: LoggerOptions = { level: opts.level };
  if (wantsPretty(opts.format)) {
    // In this thread and synchronous: a line logged just before exit (the shutdown summary)
    // is on the terminal before the process ends, in order.
    const stream = pretty({
      colorize: opts.destination === undefined,
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      ...(opts.destination ? { destination: opts.destination } : {}),
    });
    return pino(options, stream);
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/**
 * A logger for @ringleader/zk whose child() merges bindings: each zk module binds its own
 * `component` (and election/registry their `node`), which a plain pino child would write a
 * second time beside the node's (`"component":"zk",…,"component":"zk-session"`).
 */
export function mergingLogger(base: Logger, bindings: Record<string, unknown>): ZkLogger {
  const log = base.child(bindings);
  const fn =
    (level: 'info' | 'warn' | 'error' | 'debug') =>
    (objOrMsg: unknown, msg?: string): void => {
      if (typeof objOrMsg === 'string') log[level](objOrMsg);
      else if (msg === undefined) log[level](objOrMsg as object);
      else log[level](objOrMsg as object, msg);
    };
  return {
    info: fn('info'),
    warn: fn('warn'),
    error: fn('error'),
    debug: fn('debug'),
    child: (more) => mergingLogger(base, { ...bindings, ...more }),
  };
}

/**
 * The access log: its own buffered, asynchronous destination so the request path never waits
 * on a write, flushed every `flushMs` so a quiet moment never leaves lines in the buffer.
 */
export function createAccessLog(
  bindings: Record<string, unknown>,
  opts: { flushMs?: number; fd?: number } = {},
): Logger {
  const dest = pino.destination({ dest: opts.fd ?? 1, sync: false, minLength: 4096 });
  const timer = setInterval(() => {
    // flush() throws while the destination is still opening or already closed: next tick.
    try {
      dest.flush();
    } catch {}
  }, opts.flushMs ?? 1000);
  timer.unref();
  return pino({ base: { ...bindings, kind: 'access' } }, dest);
}
