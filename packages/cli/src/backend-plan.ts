// The pure half of `ringleader backend`: flags → a validated payload or patch (checked by the
// core codec BEFORE any ZooKeeper call), and the list as a table or JSON.
import {
  type Backend,
  type BackendInput,
  backendFields,
  checkBackendId,
  encodeBackend,
  unwrap,
} from '@ringleader/core';
import type { BackendPatch, MembershipSnapshot } from '@ringleader/zk';
import { parseMeta, parseNumber } from './flags.js';
import { checkHostFlag } from './host-flag.js';
import { dash, hostPort, renderTable } from './table.js';

export interface BackendFlags {
  readonly host?: string;
  readonly port?: string;
  readonly weight?: string;
  readonly zone?: string;
  readonly meta?: readonly string[];
}

/** The id must be a valid backend id: core's one rule (BACKEND_ID), which zk paths apply too. */
export function checkId(id: string): string {
  return unwrap(checkBackendId(id));
}

/** `backend add`: the payload to create, already validated by encodeBackend. */
export function planBackendAdd(id: string, flags: BackendFlags & { draining?: boolean }): BackendInput {
  checkId(id);
  checkHostFlag(flags.host);
  const meta = flags.meta && flags.meta.length > 0 ? parseMeta(flags.meta, false) : undefined;
  const input: BackendInput = {
    host: flags.host ?? '',
    port: flags.port === undefined ? Number.NaN : parseNumber('port', flags.port),
    ...(flags.weight === undefined ? {} : { weight: parseNumber('weight', flags.weight) }),
    ...(flags.draining === true ? { state: 'draining' as const } : {}),
    ...(flags.zone === undefined ? {} : { zone: flags.zone }),
    ...(meta === undefined ? {} : { meta }),
  };
  unwrap(encodeBackend(input));
  return input;
}

/**
 * `backend update`: the merge patch of the given flags (undefined when none was given).
 * Each given field is validated by the codec (the others are stand-ins that always pass);
 * the merged payload is validated again against the stored one before the write.
 */
export function planBackendPatch(id: string, flags: BackendFlags): BackendPatch | undefined {
  checkId(id);
  checkHostFlag(flags.host);
  const meta = flags.meta && flags.meta.length > 0 ? parseMeta(flags.meta, true) : undefined;
  const patch: { -readonly [K in keyof BackendPatch]: BackendPatch[K] } = {};
  if (flags.host !== undefined) patch.host = flags.host;
  if (flags.port !== undefined) patch.port = parseNumber('port', flags.port);
  if (flags.weight !== undefined) patch.weight = parseNumber('weight', flags.weight);
  if (flags.zone !== undefined) patch.zone = flags.zone === '' ? null : flags.zone;
  if (meta !== undefined) patch.meta = meta;
  if (Object.keys(patch).length === 0) return undefined;
  const kept = meta && Object.fromEntries(Object.entries(meta).filter(([, v]) => v !== null));
  unwrap(
    encodeBackend({
      host: patch.host ?? 'localhost',
      port: patch.port ?? 1,
      ...(typeof patch.weight === 'number' ? { weight: patch.weight } : {}),
      ...(typeof patch.zone === 'string' ? { zone: patch.zone } : {}),
      ...(kept ? { meta: kept } : {}),
    }),
  );
  return patch;
}

/** One line: "10.0.0.5:8080 weight 2 active zone eu-1". */
export function describeBackend(b: Backend): string {
  const zone = b.zone === undefined ? '' : ` zone ${b.zone}`;
  return `${hostPort(b.host, b.port)} weight ${b.weight} ${b.state}${zone}`;
}

export function backendJson(b: Backend): Record<string, unknown> {
  return { ...backendFields(b), meta: b.meta ?? null };
}

export function backendListJson(snap: MembershipSnapshot, cluster: string): Record<string, unknown> {
  return {
    cluster,
    version: snap.version,
    folder: snap.folder,
    backends: snap.backends.map(backendJson),
    rejected: snap.rejected.map((r) => ({
      id: r.id,
      path: r.path,
      code: r.code,
      message: r.message,
      field: r.field ?? null,
    })),
  };
}

/** The human form of `backend list`: routed backends, then the rejected znodes with path and code. */
export function formatBackendList(snap: MembershipSnapshot, cluster: string): string {
  let out = '';
  if (snap.backends.length === 0) {
    out += `no backends in cluster ${cluster}${snap.folder === 'missing' ? ' (no backends/ folder yet)' : ''}\n`;
  } else {
    out += renderTable(
      ['ID', 'ADDRESS', 'WEIGHT', 'STATE', 'ZONE', 'FORMAT'],
      snap.backends.map((b) => [
        b.id,
        hostPort(b.host, b.port),
        String(b.weight),
        b.state,
        dash(b.zone),
        b.format,
      ]),
    );
  }
  if (snap.rejected.length > 0) {
    out += `\nREJECTED (not routed: fix or remove these znodes)\n`;
    out += renderTable(
      ['PATH', 'CODE', 'PROBLEM'],
      snap.rejected.map((r) => [r.path, r.code, r.message]),
    );
  }
  return out;
}

/** Policies whose picks do not depend on weight (weight 0 still takes a backend out). */
const IGNORES_WEIGHT: ReadonlySet<string> = new Set(['round-robin']);

/**
 * The hint printed when `--weight` is set under a policy that ignores it, so a weight that
 * changes nothing is not taken for one that does; undefined when the weight matters (or no
 * weight, or weight 0, was given, or the policy is unknown).
 */
export function weightHint(
  weight: number | undefined,
  policy: string | undefined,
  where: string,
): string | undefined {
  if (weight === undefined || weight === 0 || policy === undefined || !IGNORES_WEIGHT.has(policy))
    return undefined;
  return (
    `hint: ${where} routes with policy ${policy}, which ignores weights (every backend of weight > 0 ` +
    `gets an equal share): weight ${weight} has no effect; use weighted-round-robin, ` +
    `least-connections, least-response-time or a hash policy for weights to count\n`
  );
}
