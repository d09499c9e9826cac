import type { IncomingMessage } from 'node:http';
import type { Refusal } from '../admission.js';

// Request checks Node's parser does not make. RFC 9112 §3.2: a server MUST answer 400 to an
// HTTP/1.1 request with more than one Host field line. Node keeps the first and drops the
// rest, so a front end and a back end that pick different ones would disagree on the target
// (routing and cache confusion); ringleader refuses the request instead (found by test/hostile).

/** Host field lines in `rawHeaders` (name, value, name, value…), case-insensitively. O(fields). */
export function hostFieldCount(rawHeaders: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name !== undefined && name.length === 4 && name.toLowerCase() === 'host') n++;
  }
  return n;
}

/**
 * The checks every HTTP request (plain or an upgrade) passes before admission: the field count
 * (Node's parser count is off: see server.ts), a Host on HTTP/1.1, and no second Host.
 */
export function checkRequestHead(raw: IncomingMessage, maxHeaderCount: number): Refusal | undefined {
  if (raw.rawHeaders.length > maxHeaderCount * 2)
    return {
      code: 'RL_TOO_MANY_HEADERS',
      reason: 'header_count',
      detail: `more than ${maxHeaderCount} header fields`,
    };
  const host = raw.headers.host;
  if (host === undefined && raw.httpVersionMajor === 1 && raw.httpVersionMinor === 1)
    return {
      code: 'RL_BAD_REQUEST',
      reason: 'bad_request',
      detail: 'HTTP/1.1 request without a Host header',
    };
  if (host !== undefined && hostFieldCount(raw.rawHeaders) > 1)
    return { code: 'RL_BAD_REQUEST', reason: 'bad_request', detail: 'more than one Host header' };
  return undefined;
}

const SCHEME = /^[a-zA-Z][a-zA-Z\d+.-]*:/;

/**
 * Whether a request target's path may be forwarded as it is: origin-form only (no scheme, no
 * `//authority`), percent-escapes that decode, and no `..` segment, also when `\` stands for
 * `/` or the dots are escaped — the rules @fastify/http-proxy applies, so both engines refuse
 * the same targets (400). `url` is the raw target; its query is not inspected. O(length).
 */
export function forwardablePath(url: string): boolean {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  // Fast path, the common case: an absolute path with nothing to decode and no `..` at all.
  if (path.charCodeAt(0) === 47 && path.charCodeAt(1) !== 47 && !UNUSUAL.test(path) && !path.includes('..'))
    return true;
  return pathRulesHold(path);
}

const UNUSUAL = /[%\\\t\n\r\0]/;

/** The rules themselves, without the fast path (exported for the test that they agree). */
export function pathRulesHold(path: string): boolean {
  const ref = path
    .replace(/[\t\n\r\0]/g, '')
    .trimStart()
    .replaceAll('\\', '/');
  if (SCHEME.test(ref) || ref.startsWith('//')) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(ref);
  } catch {
    return false;
  }
  return !decoded.replaceAll('\\', '/').split('/').includes('..');
}
