// Pure parts of `ringleader service ...`: flags → a definition object (merged over the stored
// one for `service set`), and the list as text or JSON. Ranges and rules are the core codec's
// (validateService): the CLI only turns flags into fields.
import { formatHashSource, type ServiceDefinition, serviceToJson } from '@ringleader/core';
import { usage } from './errors.js';
import { parseNumber } from './flags.js';
import { dash, renderTable } from './table.js';

export interface ServiceFlags {
  readonly protocol?: string;
  readonly listen?: string;
  readonly policy?: string;
  readonly hash?: string;
  readonly vnodes?: string;
  readonly retries?: string;
  readonly check?: string;
  readonly checkPath?: string;
  readonly checkPort?: string;
  readonly checkRole?: string;
  readonly checkInterval?: string;
  readonly connectTimeout?: string;
  readonly idleTimeout?: string;
  readonly maxDuration?: string;
  readonly maxConns?: string;
  readonly proxyProtocol?: string;
  readonly acceptProxyProtocol?: boolean;
  readonly drainTimeout?: string;
  /** A whole definition (or part of one) as JSON, applied before the other flags. */
  readonly definition?: string;
}

type Obj = Record<string, unknown>;

const num = (flag: string, v: string | undefined) => (v === undefined ? undefined : parseNumber(flag, v));

function setIn(target: Obj, path: readonly string[], value: unknown): void {
  if (value === undefined) return;
  let cur = target;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Obj;
  }
  cur[path[path.length - 1] as string] = value;
}

/** The definition the flags describe, over `base` (the stored definition for `service set`). */
export function planService(flags: ServiceFlags, base: Obj = {}): Obj {
  const out: Obj = structuredClone(base);
  if (flags.definition !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(flags.definition);
    } catch (e) {
      throw usage(`invalid --definition: not JSON (${(e as Error).message})`, '--definition');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw usage('invalid --definition: must be a JSON object', '--definition');
    for (const [k, v] of Object.entries(parsed)) out[k] = v;
  }
  setIn(out, ['protocol'], flags.protocol);
  setIn(out, ['listen'], num('--listen', flags.listen));
  setIn(out, ['policy'], flags.policy);
  setIn(out, ['hash'], flags.hash);
  setIn(out, ['ring', 'vnodes'], num('--vnodes', flags.vnodes));
  setIn(out, ['retries'], num('--retries', flags.retries));
  if (flags.check !== undefined) {
    // A new check kind drops the fields only the old kind had (path/port/role), unless given again.
    const hc = (
      typeof out.healthCheck === 'object' && out.healthCheck !== null ? out.healthCheck : {}
    ) as Obj;
    if (hc.kind !== flags.check) for (const k of ['path', 'expectStatus', 'port', 'role']) delete hc[k];
    hc.kind = flags.check;
    out.healthCheck = hc;
  }
  setIn(out, ['healthCheck', 'path'], flags.checkPath);
  setIn(out, ['healthCheck', 'port'], num('--check-port', flags.checkPort));
  setIn(out, ['healthCheck', 'role'], flags.checkRole);
  setIn(out, ['healthCheck', 'intervalMs'], num('--check-interval', flags.checkInterval));
  setIn(out, ['timeouts', 'connectMs'], num('--connect-timeout', flags.connectTimeout));
  setIn(out, ['timeouts', 'idleMs'], num('--idle-timeout', flags.idleTimeout));
  setIn(out, ['timeouts', 'maxDurationMs'], num('--max-duration', flags.maxDuration));
  setIn(out, ['maxConnectionsPerBackend'], num('--max-conns', flags.maxConns));
  setIn(out, ['proxyProtocol'], flags.proxyProtocol);
  if (flags.acceptProxyProtocol === true) out.acceptProxyProtocol = true;
  setIn(out, ['drainTimeoutMs'], num('--drain-timeout', flags.drainTimeout));
  return out;
}

/** The stored definition as the base of `service set`: the raw JSON if it parses, else its canonical form. */
export function serviceBase(stored: { raw?: unknown; definition?: ServiceDefinition }): Obj {
  if (typeof stored.raw === 'object' && stored.raw !== null && !Array.isArray(stored.raw))
    return stored.raw as Obj;
  return stored.definition ? serviceToJson(stored.definition) : {};
}

export interface ListedService {
  readonly name: string;
  readonly version: number;
  readonly backends: number;
  readonly definition?: ServiceDefinition;
  readonly error?: { readonly code: string; readonly message: string };
}

export function formatServiceList(list: readonly ListedService[], cluster: string): string {
  if (list.length === 0)
    return `no services in cluster ${cluster} (the default HTTP service is backends/ + config)\n`;
  const rows = list.map((s) => {
    const d = s.definition;
    const routing = d
      ? `${d.routing.policy}${d.routing.hash && d.protocol !== 'redis' ? ` (${formatHashSource(d.routing.hash)})` : ''}`
      : '';
    return [
      s.name,
      dash(d?.protocol),
      dash(d?.listen),
      dash(routing),
      dash(d?.healthCheck.kind),
      String(s.backends),
      s.error ? `INVALID ${s.error.code}: ${s.error.message}` : 'ok',
    ];
  });
  return renderTable(['SERVICE', 'PROTOCOL', 'LISTEN', 'POLICY', 'CHECK', 'BACKENDS', 'DEFINITION'], rows);
}

export function serviceListJson(list: readonly ListedService[], cluster: string): unknown {
  return {
    cluster,
    services: list.map((s) => ({
      name: s.name,
      version: s.version,
      backends: s.backends,
      definition: s.definition ? serviceToJson(s.definition) : null,
      error: s.error ?? null,
    })),
  };
}
