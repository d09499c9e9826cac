// `--host` slips named in the flags' own terms before the codec sees them: the codec's message
// speaks of payload fields ("the port goes in port"), the user typed --host and --port.
import { usage } from './errors.js';

/** What is wrong with a `--host` value, or undefined when it is a plain host (the codec checks the rest). */
export function hostFlagProblem(host: string): string | undefined {
  const shown = JSON.stringify(host);
  const url = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:?#]*)(?::(\d+))?/.exec(host);
  if (url) {
    const inner = url[2] ?? '';
    const fix = `--host ${inner || 'HOST'}${url[3] ? ` --port ${url[3]}` : ' --port PORT'}`;
    return `--host ${shown} is a URL (${url[1]}://…): give the host alone, e.g. ${fix}`;
  }
  // host:port and [v6]:port; a bare IPv6 address has several colons and no brackets.
  const withPort = /^(\[[^\]]+\]|[^:[\]]+):(\d*)$/.exec(host);
  if (withPort) {
    const bare = (withPort[1] ?? '').replace(/^\[(.*)\]$/, '$1');
    return `--host ${shown} has a port in it: use --host ${bare} --port ${withPort[2] || 'PORT'}`;
  }
  return undefined;
}

/** Throws a usage error (exit 2, nothing written) for a --host slip. */
export function checkHostFlag(host: string | undefined): void {
  if (host === undefined) return;
  const problem = hostFlagProblem(host);
  if (problem !== undefined) throw usage(problem, 'host');
}
