// A pino-compatible logger shape, so callers inject pino (or anything alike);
// the zk package itself depends on no logging library.

export type LogFn = (objOrMsg: unknown, msg?: string) => void;

export interface Logger {
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  debug: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const noop: LogFn = () => {};

/** Drops everything: the default when no logger is injected. */
export const silentLogger: Logger = {
  info: noop,
  warn: noop,
  error: noop,
  debug: noop,
  child: () => silentLogger,
};
