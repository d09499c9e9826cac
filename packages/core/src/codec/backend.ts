// The backend payload codec: one znode under `backends/` → a frozen Backend.
//
// Four registration formats are read, so existing tooling feeds ringleader:
//   native     { host, port, weight?, state?, zone?, meta? }            strict: unknown keys rejected
//   serverset  { serviceEndpoint: { host, port }, additionalEndpoints?, status, shard? }   (Twitter)
//   nerve      { host, port, name, weight?, labels? }                    (Airbnb SmartStack)
//   curator    { id, name, address, port, sslPort?, enabled?, payload } (Curator x-discovery)
// The native format is ours, so a typo (`wieght`) is an error, not a silent default.
// Foreign formats are written by tools we do not control: their extra keys
// (`haproxy_server_options`, `registrationTimeUTC`, `uriSpec`, ...) are ignored.
// `null` counts as absent for every optional field (Jackson and friends write it).
//
// Decisions:
// - ServerSet `status`: only ALIVE routes. Every other known status (STARTING,
//   STOPPING, STOPPED, WARNING, DEAD) decodes to state 'draining': the member stays
//   visible on the status page and a later ALIVE is a plain data change, while
//   rejecting would log an error for a normal lifecycle step. An unknown or missing
//   status is rejected (field 'status'). `status` and `shard` are kept in meta.
// - Curator `enabled: false` → 'draining'. With no `port` but an `sslPort`, the
//   sslPort is used and meta.tls is true.
// - Ports must be JSON integers: "8080" (a string) is rejected, because it almost
//   always means a registration tool is serialising the wrong type.
//
// Nothing here throws past decodeBackend / encodeBackend: every failure is a Result
// with a code and, for payload problems, the offending field.

import { coreError, RingleaderError } from '../errors.js';
import { BACKEND_ID, show } from '../names.js';
import { err, ok, type Result } from '../result.js';
import type { Backend, BackendState, PayloadFormat } from '../types.js';

/** Largest payload accepted from a znode or file (bytes of UTF-8). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
export const MAX_WEIGHT = 1000;
/** Deepest nesting accepted inside meta, labels, payload and additionalEndpoints. */
export const MAX_META_DEPTH = 32;

export type PayloadData = Buffer | string | Uint8Array | null | undefined;

/** What `encodeBackend` takes: the native shape. A decoded Backend's `id`/`format` are ignored. */
export interface BackendInput {
  readonly host: string;
  readonly port: number;
  readonly weight?: number;
  readonly state?: BackendState;
  readonly zone?: string;
  readonly meta?: Readonly<Record<string, unknown>>;
  readonly id?: string;
  readonly format?: PayloadFormat;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** UTF-8 byte length of a string without allocating for the common small case. */
function utf8Length(text: string): number {
  if (text.length * 3 <= MAX_PAYLOAD_BYTES) return text.length; // only compared against the limit
  if (text.length > MAX_PAYLOAD_BYTES) return text.length;
  return utf8Encoder.encode(text).length;
}

/**
 * Size check, UTF-8 decoding and JSON parsing shared by the backend and config
 * codecs. RL_PAYLOAD_TOO_LARGE over 64 KiB; RL_BAD_JSON for empty data, invalid
 * UTF-8 or text that does not parse.
 */
export function readJsonPayload(data: PayloadData, path?: string, what = 'payload'): Result<unknown> {
  const opts = path === undefined ? {} : { path };
  if (data === null || data === undefined) return err(coreError('RL_BAD_JSON', `${what} is empty`, opts));
  let text: string;
  if (typeof data === 'string') {
    if (utf8Length(data) > MAX_PAYLOAD_BYTES) {
      return err(coreError('RL_PAYLOAD_TOO_LARGE', `${what} is over ${MAX_PAYLOAD_BYTES} bytes`, opts));
    }
    text = data;
  } else {
    if (data.byteLength > MAX_PAYLOAD_BYTES) {
      return err(
        coreError(
          'RL_PAYLOAD_TOO_LARGE',
          `${what} is ${data.byteLength} bytes, over ${MAX_PAYLOAD_BYTES}`,
          opts,
        ),
      );
    }
    try {
      text = utf8.decode(data);
    } catch (cause) {
      return err(coreError('RL_BAD_JSON', `${what} is not valid UTF-8`, { ...opts, cause }));
    }
  }
  if (text.trim() === '') return err(coreError('RL_BAD_JSON', `${what} is empty`, opts));
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return err(coreError('RL_BAD_JSON', `${what} does not parse: ${detail}`, { ...opts, cause }));
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export { show };

// ---- backend ids ----------------------------------------------------------

/** Checks a backend id (znode name) against the one rule, BACKEND_ID in names.ts. */
export function checkBackendId(id: unknown, path?: string): Result<string> {
  const problem = BACKEND_ID.problem(id);
  if (problem === undefined) return ok(id as string);
  const opts = { field: 'id', ...(path === undefined ? {} : { path }) };
  return err(coreError('RL_BAD_BACKEND_ID', `id ${problem}`, opts));
}

// ---- field validation -----------------------------------------------------

/** Thrown inside the codec only; turned into a Result at the boundary. */
class Invalid {
  readonly field: string;
  readonly detail: string;
  constructor(field: string, detail: string) {
    this.field = field;
    this.detail = detail;
  }
}

function fail(field: string, detail: string): never {
  throw new Invalid(field, detail);
}

const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
const IPV4_PART = /^(?:0|[1-9][0-9]{0,2})$/;

function validIpv6(h: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(h) || !h.includes(':')) return false;
  try {
    new URL(`http://[${h}]/`); // WHATWG's IPv6 parser: exact, and the same in every runtime
    return true;
  } catch {
    return false;
  }
}

/** A DNS name (RFC 1123 labels, `_` allowed), dotted IPv4 or IPv6 (optionally in brackets). Returns it unbracketed. */
function hostField(v: unknown, field: string): string {
  if (typeof v !== 'string') fail(field, `must be a string (got ${show(v)})`);
  if (v.trim() === '') fail(field, 'is empty');
  if (v.length > 253) fail(field, 'is longer than 253 characters');
  if (/\s/.test(v)) fail(field, `contains whitespace (${show(v)})`);
  // The two usual slips name themselves instead of failing as "not a valid IPv6 address".
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(v);
  if (scheme) fail(field, `${show(v)} is a URL: give the host alone (the port goes in port)`);
  const hostPort = /^([^:[\]]+):(\d+)$/.exec(v);
  if (hostPort)
    fail(
      field,
      `${show(v)} has a port in it: give the host (${show(hostPort[1])}) and the port (${hostPort[2]}) apart`,
    );
  if (v.startsWith('[') || v.includes(':')) {
    const inner = v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v;
    if (!validIpv6(inner)) fail(field, `${show(v)} is not a valid IPv6 address`);
    return inner;
  }
  const name = v.endsWith('.') ? v.slice(0, -1) : v;
  const labels = name.split('.');
  if (labels.every((l) => /^[0-9]+$/.test(l))) {
    if (labels.length !== 4 || !labels.every((l) => IPV4_PART.test(l) && Number(l) <= 255)) {
      fail(field, `${show(v)} is not a valid IPv4 address`);
    }
    return v;
  }
  if (!labels.every((l) => LABEL.test(l))) {
    fail(field, `${show(v)} is not a valid host name (letters, digits, '-', '_' in dot-separated labels)`);
  }
  return v;
}

function portField(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) {
    const hint = typeof v === 'string' ? ', a string: write it as a JSON number' : '';
    fail(field, `must be an integer 1..65535 (got ${show(v)}${hint})`);
  }
  return v;
}

function weightField(v: unknown, field: string): number {
  if (v === undefined || v === null) return 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_WEIGHT) {
    fail(field, `must be an integer 0..${MAX_WEIGHT} (got ${show(v)})`);
  }
  return v;
}

function stateField(v: unknown): BackendState {
  if (v === undefined || v === null) return 'active';
  if (v !== 'active' && v !== 'draining') fail('state', `must be "active" or "draining" (got ${show(v)})`);
  return v;
}

function zoneField(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(v)) {
    fail('zone', `must be 1..64 printable ASCII characters without spaces (got ${show(v)})`);
  }
  return v;
}

/**
 * Checks that `v` is a JSON value (null, boolean, finite number, string, array,
 * plain object) nested at most MAX_META_DEPTH deep; freezes it in place when
 * `freeze` (decoded values are fresh from JSON.parse, so nobody else holds them).
 */
function jsonValue(v: unknown, field: string, freeze: boolean, depth = 0): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail(field, 'contains a non-finite number');
    return;
  }
  if (typeof v !== 'object') fail(field, `contains a ${typeof v}, which JSON cannot hold`);
  if (depth >= MAX_META_DEPTH) fail(field, `is nested deeper than ${MAX_META_DEPTH} levels`);
  if (Array.isArray(v)) {
    for (const x of v) jsonValue(x, field, freeze, depth + 1);
  } else {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null)
      fail(field, 'contains an object that is not plain JSON');
    for (const k of Object.keys(v)) jsonValue((v as Record<string, unknown>)[k], field, freeze, depth + 1);
  }
  if (freeze) Object.freeze(v);
}

function objectField(v: unknown, field: string, freeze: boolean): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) fail(field, `must be an object (got ${show(v)})`);
  jsonValue(v, field, freeze);
  return v;
}

// ---- the four formats -----------------------------------------------------

interface Fields {
  host: string;
  port: number;
  weight: number;
  state: BackendState;
  zone?: string | undefined;
  meta?: Readonly<Record<string, unknown>> | undefined;
  format: PayloadFormat;
}

const NATIVE_KEYS = new Set(['host', 'port', 'weight', 'state', 'zone', 'meta']);

function nativeFields(o: Record<string, unknown>, freeze: boolean): Fields {
  for (const k of Object.keys(o)) {
    if (!NATIVE_KEYS.has(k)) fail(k, `unknown field "${k}" (expected host, port, weight, state, zone, meta)`);
  }
  if (o.host === undefined) fail('host', 'is required');
  return {
    host: hostField(o.host, 'host'),
    port: portField(o.port, 'port'),
    weight: weightField(o.weight, 'weight'),
    state: stateField(o.state),
    zone: zoneField(o.zone),
    meta: objectField(o.meta, 'meta', freeze),
    format: 'native',
  };
}

const SERVERSET_STATUS = new Set(['ALIVE', 'STARTING', 'STOPPING', 'STOPPED', 'WARNING', 'DEAD']);

function serverSetFields(o: Record<string, unknown>): Fields {
  const ep = o.serviceEndpoint;
  if (!isPlainObject(ep)) fail('serviceEndpoint', `must be an object { host, port } (got ${show(ep)})`);
  const host = hostField(ep.host, 'serviceEndpoint.host');
  const port = portField(ep.port, 'serviceEndpoint.port');
  const status = o.status;
  if (typeof status !== 'string' || !SERVERSET_STATUS.has(status)) {
    fail('status', `must be one of ${[...SERVERSET_STATUS].join(', ')} (got ${show(status)})`);
  }
  const meta: Record<string, unknown> = { status };
  if (o.shard !== undefined && o.shard !== null) {
    if (typeof o.shard !== 'number' || !Number.isInteger(o.shard) || o.shard < 0) {
      fail('shard', `must be a non-negative integer (got ${show(o.shard)})`);
    }
    meta.shard = o.shard;
  }
  const extra = objectField(o.additionalEndpoints, 'additionalEndpoints', true);
  if (extra !== undefined) meta.additionalEndpoints = extra;
  return {
    host,
    port,
    weight: 1,
    state: status === 'ALIVE' ? 'active' : 'draining',
    meta,
    format: 'serverset',
  };
}

function nerveFields(o: Record<string, unknown>): Fields {
  const host = hostField(o.host, 'host');
  const port = portField(o.port, 'port');
  if (typeof o.name !== 'string' || o.name === '')
    fail('name', `must be a non-empty string (got ${show(o.name)})`);
  const meta: Record<string, unknown> = { name: o.name };
  const labels = objectField(o.labels, 'labels', true);
  if (labels !== undefined) meta.labels = labels;
  return { host, port, weight: weightField(o.weight, 'weight'), state: 'active', meta, format: 'nerve' };
}

function curatorFields(o: Record<string, unknown>): Fields {
  const host = hostField(o.address, 'address');
  const meta: Record<string, unknown> = {};
  let port: number;
  if (o.port !== undefined && o.port !== null) {
    port = portField(o.port, 'port');
    if (o.sslPort !== undefined && o.sslPort !== null) meta.sslPort = portField(o.sslPort, 'sslPort');
  } else if (o.sslPort !== undefined && o.sslPort !== null) {
    port = portField(o.sslPort, 'sslPort');
    meta.tls = true;
  } else {
    fail('port', 'is required (or sslPort)');
  }
  if (o.enabled !== undefined && o.enabled !== null && typeof o.enabled !== 'boolean') {
    fail('enabled', `must be true or false (got ${show(o.enabled)})`);
  }
  for (const [key, to] of [
    ['id', 'instanceId'],
    ['name', 'service'],
  ] as const) {
    const v = o[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') fail(key, `must be a string (got ${show(v)})`);
    meta[to] = v;
  }
  if (o.payload !== undefined && o.payload !== null) {
    jsonValue(o.payload, 'payload', true);
    meta.payload = o.payload;
  }
  return {
    host,
    port,
    weight: 1,
    state: o.enabled === false ? 'draining' : 'active',
    meta,
    format: 'curator',
  };
}

function fieldsOf(v: unknown): Fields {
  if (!isPlainObject(v)) fail('$', `payload must be a JSON object (got ${show(v)})`);
  const has = (k: string) => Object.hasOwn(v, k);
  if (has('serviceEndpoint')) return serverSetFields(v);
  if (has('address')) return curatorFields(v);
  if (has('host')) {
    const nerve = has('name') && !has('state') && !has('zone') && !has('meta');
    return nerve ? nerveFields(v) : nativeFields(v, true);
  }
  if (has('port')) return nativeFields(v, true); // reports the missing host
  fail(
    '$',
    'unrecognised backend shape: expected { host, port } (native or Nerve), ' +
      '{ serviceEndpoint, status } (ServerSet) or { address, port } (Curator)',
  );
}

function toBackend(id: string, f: Fields): Backend {
  const b: { -readonly [K in keyof Backend]: Backend[K] } = {
    id,
    host: f.host,
    port: f.port,
    weight: f.weight,
    state: f.state,
    format: f.format,
  };
  if (f.zone !== undefined) b.zone = f.zone;
  if (f.meta !== undefined) b.meta = Object.freeze(f.meta);
  return Object.freeze(b);
}

function asError(e: unknown, path: string | undefined): RingleaderError {
  const opts = path === undefined ? {} : { path };
  if (e instanceof Invalid)
    return coreError('RL_BAD_BACKEND_PAYLOAD', `${e.field} ${e.detail}`, { ...opts, field: e.field });
  if (e instanceof RingleaderError) return e;
  // A bug, not bad input: still never thrown past the codec. No field, so tests notice.
  return coreError('RL_BAD_BACKEND_PAYLOAD', `internal decoder error: ${String(e)}`, { ...opts, cause: e });
}

/** Validates an already-parsed payload (e.g. from a file or a test). */
export function validateBackend(id: string, value: unknown, path?: string): Result<Backend> {
  const idOk = checkBackendId(id, path);
  if (!idOk.ok) return idOk;
  try {
    return ok(toBackend(id, fieldsOf(value)));
  } catch (e) {
    return err(asError(e, path));
  }
}

/** Decodes one `backends/<id>` znode payload. Never throws. The Backend is frozen (meta deeply). */
export function decodeBackend(id: string, data: PayloadData, path?: string): Result<Backend> {
  const idOk = checkBackendId(id, path);
  if (!idOk.ok) return idOk;
  const parsed = readJsonPayload(data, path, 'backend payload');
  if (!parsed.ok) return parsed;
  return validateBackend(id, parsed.value, path);
}

/**
 * The canonical native JSON for a backend (what the CLI writes): keys in the
 * order host, port, weight, state, zone, meta, with weight and state explicit.
 * Validates exactly as decoding does (unknown keys rejected); `id` and `format`
 * of a decoded Backend are ignored. Never throws.
 */
export function encodeBackend(input: BackendInput): Result<string> {
  try {
    if (!isPlainObject(input)) fail('$', `backend must be an object (got ${show(input)})`);
    const { id: _id, format: _format, ...rest } = input as BackendInput & Record<string, unknown>;
    const f = nativeFields(rest, false);
    const out: Record<string, unknown> = { host: f.host, port: f.port, weight: f.weight, state: f.state };
    if (f.zone !== undefined) out.zone = f.zone;
    if (f.meta !== undefined) out.meta = f.meta;
    const text = JSON.stringify(out);
    if (utf8Length(text) > MAX_PAYLOAD_BYTES) {
      return err(coreError('RL_PAYLOAD_TOO_LARGE', `encoded backend is over ${MAX_PAYLOAD_BYTES} bytes`));
    }
    return ok(text);
  } catch (e) {
    return err(asError(e, undefined));
  }
}
