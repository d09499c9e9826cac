// What the session says about its set-up, beside its state changes: the timeout the server
// granted (servers clamp it to 2..20 ticks) and connect-string hosts that do not resolve,
// which the client would otherwise only ever report as "unreachable".
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** The log line for a granted timeout: a warning when the server changed what was asked. */
export function grantedTimeoutLine(
  requestedMs: number,
  grantedMs: number,
): { level: 'info' | 'warn'; obj: Record<string, number>; msg: string } {
  const obj = { requestedMs, grantedMs };
  if (requestedMs === grantedMs)
    return { level: 'info', obj, msg: `zk session timeout ${grantedMs} ms granted` };
  const why =
    grantedMs > requestedMs
      ? 'below the server minimum (2 × tickTime)'
      : 'above the server maximum (20 × tickTime)';
  return {
    level: 'warn',
    obj,
    msg: `zk session timeout: asked ${requestedMs} ms, the server granted ${grantedMs} ms (${why}); failover takes about the granted time`,
  };
}

/** The host names of a connect string (`h1:2181,h2:2181/chroot`), IP literals left out. */
export function connectStringHostNames(connectString: string): string[] {
  const slash = connectString.indexOf('/');
  const servers = (slash === -1 ? connectString : connectString.slice(0, slash)).split(',');
  const names = new Set<string>();
  for (const raw of servers) {
    const s = raw.trim();
    if (s === '') continue;
    const host = s.startsWith('[') ? s.slice(1, s.indexOf(']')) : s.replace(/:\d*$/, '');
    if (host !== '' && isIP(host) === 0) names.add(host);
  }
  return [...names];
}

export interface UnresolvedHost {
  readonly host: string;
  readonly code: string;
}

/** Looks each host name up once; the ones that fail, with the resolver's code (ENOTFOUND, EAI_AGAIN). */
export async function unresolvedHosts(
  connectString: string,
  resolve: (host: string) => Promise<unknown> = (h) => lookup(h),
): Promise<UnresolvedHost[]> {
  const out: UnresolvedHost[] = [];
  for (const host of connectStringHostNames(connectString)) {
    try {
      await resolve(host);
    } catch (err) {
      out.push({ host, code: (err as { code?: string }).code ?? 'ERROR' });
    }
  }
  return out;
}

/** "zk1.example does not resolve (ENOTFOUND)", for a log line and the unreachable error. */
export function describeUnresolved(hosts: readonly UnresolvedHost[]): string {
  return hosts.map((h) => `${h.host} does not resolve (${h.code})`).join('; ');
}
