// The services half of `ringleader status`: each node's `services` list from its GET /status
// (the services of services/<name>, not the default one) turned into lines an operator reads.
// Per node, not merged: listeners are per node (one node may fail to bind where others listen),
// and so is each node's health view of a service's backends.
import { dash, hostPort, renderTable } from './table.js';

/** Every field, at every depth, may be missing. */
export type DeepPartial<T> = T extends readonly (infer E)[]
  ? readonly DeepPartial<E>[]
  : T extends object
    ? { readonly [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/**
 * One entry of a node's `services` (control/status.ts buildServices), written out here rather
 * than derived from StatusDocument so that this CLI reads nodes that publish it and nodes that
 * do not (older ones) alike; read deeply partial like the rest of the document.
 */
export interface ServiceDocEntry {
  name: string;
  protocol: string | null;
  listen: { host: string; port: number } | null;
  listener: {
    phase: string;
    attempt: number;
    host: string;
    port: number;
    since: number;
    code: string;
    message: string;
    retryAt: number;
    until: number;
  };
  policy: string | null;
  hash: string | null;
  check: string | null;
  rejected: { code: string; message: string; path: string; field: string } | null;
  backends: { id: string; host: string; port: number; health: string; up: boolean; reason: string | null }[];
  rejectedBackends: { id: string; path: string; code: string; message: string }[];
  traffic: Record<string, number> | null;
}

export type ServicesDoc = DeepPartial<{ services: ServiceDocEntry[] }>;

export interface ServiceBackendView {
  readonly id: string;
  readonly address: string | null;
  readonly up: boolean | null;
  readonly health: string | null;
  readonly reason: string | null;
}

export interface ServiceView {
  readonly name: string;
  readonly protocol: string | null;
  readonly address: string | null;
  readonly phase: string | null;
  /** The listener in words, e.g. "bind-failed: cannot listen on …: address already in use; retrying". */
  readonly listener: string;
  /** The listener does not serve (bind-failed, unsupported, not-opened). */
  readonly listenerProblem: boolean;
  readonly policy: string | null;
  readonly hash: string | null;
  readonly up: number;
  readonly total: number;
  /** Open connections (tcp) or requests in flight (http); null when the node does not say. */
  readonly open: number | null;
  readonly rejected: { readonly code: string; readonly message: string; readonly path: string | null } | null;
  readonly backends: readonly ServiceBackendView[];
  readonly rejectedBackends: readonly {
    readonly id: string | null;
    readonly path: string | null;
    readonly code: string;
    readonly message: string;
  }[];
}

/** The services one reachable node publishes (absent for nodes too old to publish any). */
export interface NodeServicesView {
  readonly node: string;
  readonly services: readonly ServiceView[];
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const PROBLEM = new Set(['bind-failed', 'unsupported', 'not-opened']);

export function listenerText(l: DeepPartial<ServiceDocEntry['listener']> | undefined): string {
  const phase = str(l?.phase);
  const message = str(l?.message);
  switch (phase) {
    case null:
      return '-';
    case 'opening':
      return num(l?.attempt) !== null && (l?.attempt ?? 0) > 1
        ? `opening (attempt ${l?.attempt})`
        : 'opening';
    case 'listening':
      return 'listening';
    case 'bind-failed':
      return `bind-failed: ${message ?? str(l?.code) ?? 'unknown cause'}; retrying`;
    case 'not-opened':
      return `not opened: ${message ?? 'unknown cause'}`;
    default:
      return message === null ? phase : `${phase}: ${message}`;
  }
}

export function serviceView(s: DeepPartial<ServiceDocEntry>): ServiceView {
  const host = str(s.listen?.host);
  const port = num(s.listen?.port);
  const phase = str(s.listener?.phase);
  const backends: ServiceBackendView[] = (s.backends ?? []).map((b) => {
    const h = str(b.host);
    const p = num(b.port);
    return {
      id: str(b.id) ?? '?',
      address: h !== null && p !== null ? hostPort(h, p) : null,
      up: typeof b.up === 'boolean' ? b.up : null,
      health: str(b.health),
      reason: str(b.reason),
    };
  });
  const t = s.traffic;
  const rj = s.rejected;
  return {
    name: str(s.name) ?? '?',
    protocol: str(s.protocol),
    address: host !== null && port !== null ? hostPort(host, port) : null,
    phase,
    listener: listenerText(s.listener),
    listenerProblem: phase !== null && PROBLEM.has(phase),
    policy: str(s.policy),
    hash: str(s.hash),
    up: backends.filter((b) => b.up === true).length,
    total: backends.length,
    // tcp/redis listeners count open connections; an http service's counters are the data plane's.
    open: num(t?.open) ?? num(t?.inFlight),
    rejected:
      rj && typeof rj === 'object'
        ? { code: str(rj.code) ?? '?', message: str(rj.message) ?? '', path: str(rj.path) }
        : null,
    backends,
    rejectedBackends: (s.rejectedBackends ?? []).map((r) => ({
      id: str(r.id),
      path: str(r.path),
      code: str(r.code) ?? '?',
      message: str(r.message) ?? '',
    })),
  };
}

/** Per reachable node that publishes `services` (an older node's document has none: skipped). */
export function nodeServices(
  docs: ReadonlyMap<string, ServicesDoc>,
  order: readonly string[],
): NodeServicesView[] {
  const out: NodeServicesView[] = [];
  for (const id of order) {
    const list = docs.get(id)?.services;
    if (!Array.isArray(list)) continue;
    out.push({ node: id, services: list.map(serviceView) });
  }
  return out;
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => (l === '' ? l : `  ${l}`))
    .join('\n');

/** One SERVICES section per node: a line per service, then its backends and problems. */
export function formatServices(nodes: readonly NodeServicesView[]): string {
  let out = '';
  for (const n of nodes) {
    out += `\nSERVICES on ${n.node}\n`;
    if (n.services.length === 0) {
      out += 'none\n';
      continue;
    }
    out += renderTable(
      ['NAME', 'PROTOCOL', 'LISTEN', 'POLICY', 'BACKENDS', 'OPEN', 'LISTENER'],
      n.services.map((s) => [
        s.name,
        dash(s.protocol),
        dash(s.address),
        s.policy === null ? '-' : `${s.policy}${s.hash ? ` ${s.hash}` : ''}`,
        `${s.up}/${s.total} up`,
        dash(s.open),
        s.listener,
      ]),
    );
    for (const s of n.services) {
      if (s.backends.length === 0 && s.rejected === null && s.rejectedBackends.length === 0) continue;
      out += `${s.name}:\n`;
      if (s.rejected !== null)
        out += `  rejected definition${s.rejected.path ? ` ${s.rejected.path}` : ''}: ${s.rejected.message} [${s.rejected.code}] (${s.protocol === null ? 'not served: no valid definition yet' : 'the last good definition serves'})\n`;
      if (s.backends.length > 0)
        out += indent(
          renderTable(
            ['BACKEND', 'ADDRESS', 'UP', 'HEALTH'],
            s.backends.map((b) => [
              b.id,
              dash(b.address),
              b.up === null ? '-' : b.up ? 'up' : 'down',
              `${dash(b.health)}${b.reason ? `: ${b.reason}` : ''}`,
            ]),
          ),
        );
      for (const r of s.rejectedBackends)
        out += `  rejected backend ${dash(r.path ?? r.id)}: ${r.message} [${r.code}] (not routed)\n`;
    }
  }
  return out;
}
