// Lazy request facts: the hot path. Building one costs a single small object that
// keeps a reference to the request; everything else is computed on first use and
// cached. Policies that read nothing (round robin, least-*) pay nothing more.
//
// - clientIp is the socket peer (an IPv4-mapped IPv6 address such as
//   `::ffff:10.0.0.1` is reported as `10.0.0.1`, so a dual-stack listener hashes a
//   client the same way either way). X-Forwarded-For is the data plane's business.
// - path is the raw request-target path (not percent-decoded, so two spellings
//   never alias and hashing stays cheap); absolute-form targets are reduced to it.
// - query(name) and cookie(name) decode percent-escapes; a malformed escape gives
//   the raw text back instead of throwing.
// - header(name) is case-insensitive: Node lower-cases incoming header names, and
//   a lookup retries with the lower-cased name. Repeated headers join with ", ".

import type { RequestFacts } from './types.js';

/** The parts of a Node IncomingMessage (plus its socket) the facts read. Header keys lower-case, as Node gives them. */
export interface IncomingLike {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Percent-decodes a query or cookie component; `+` is a space in queries. Malformed → raw text. */
function decodeComponent(s: string, plusIsSpace: boolean): string {
  const hasPlus = plusIsSpace && s.includes('+');
  if (!hasPlus && !s.includes('%')) return s;
  try {
    return decodeURIComponent(hasPlus ? s.replace(/\+/g, ' ') : s);
  } catch {
    return s;
  }
}

export class LazyRequestFacts implements RequestFacts {
  private readonly req: IncomingLike;
  private ip: string | undefined;
  private pathPart: string | undefined;
  private queryPart = '';
  private cookies: Map<string, string> | undefined;

  constructor(req: IncomingLike) {
    this.req = req;
  }

  get clientIp(): string {
    if (this.ip === undefined) {
      const a = this.req.remoteAddress ?? '';
      this.ip = a.startsWith('::ffff:') && a.includes('.', 7) ? a.slice(7) : a;
    }
    return this.ip;
  }

  get clientPort(): number {
    return this.req.remotePort ?? 0;
  }

  get method(): string {
    return this.req.method ?? 'GET';
  }

  get host(): string {
    return this.header('host') ?? this.header(':authority') ?? '';
  }

  get path(): string {
    if (this.pathPart === undefined) this.split();
    return this.pathPart as string;
  }

  /** The raw query string without '?' ('' when none). */
  get rawQuery(): string {
    if (this.pathPart === undefined) this.split();
    return this.queryPart;
  }

  private split(): void {
    const url = this.req.url ?? '/';
    let start = 0;
    if (url.charCodeAt(0) !== 47 /* / */) {
      // absolute-form (`http://host/p?q`) or `*`: the path starts after the authority
      const scheme = url.indexOf('://');
      if (scheme >= 0) {
        const slash = url.indexOf('/', scheme + 3);
        const q = url.indexOf('?', scheme + 3);
        start = slash < 0 || (q >= 0 && q < slash) ? -1 : slash;
        if (start < 0) {
          this.pathPart = '/';
          this.queryPart = q < 0 ? '' : url.slice(q + 1);
          return;
        }
      }
    }
    const q = url.indexOf('?', start);
    if (q < 0) {
      this.pathPart = start === 0 ? url : url.slice(start);
    } else {
      this.pathPart = url.slice(start, q);
      this.queryPart = url.slice(q + 1);
    }
  }

  header(name: string): string | undefined {
    const h = this.req.headers;
    let v = h[name];
    if (v === undefined) {
      const lower = name.toLowerCase();
      if (lower !== name) v = h[lower];
    }
    if (v === undefined) return undefined;
    // Node's headers object inherits from Object.prototype: a hash source named `constructor`
    // or `__proto__` must read "no such header", not a function (found by test/hostile).
    return typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : undefined;
  }

  /** The first value of query parameter `name` ('' for `?name` or `?name=`), decoded. Scans; allocates only the answer. */
  query(name: string): string | undefined {
    const qs = this.rawQuery;
    const n = qs.length;
    let i = 0;
    while (i < n) {
      let amp = qs.indexOf('&', i);
      if (amp < 0) amp = n;
      if (amp > i) {
        let eq = qs.indexOf('=', i);
        if (eq < 0 || eq > amp) eq = amp;
        let match = eq - i === name.length && qs.startsWith(name, i);
        if (!match) {
          const pct = qs.indexOf('%', i);
          const plus = qs.indexOf('+', i);
          if ((pct >= 0 && pct < eq) || (plus >= 0 && plus < eq)) {
            match = decodeComponent(qs.slice(i, eq), true) === name;
          }
        }
        if (match) return eq < amp ? decodeComponent(qs.slice(eq + 1, amp), true) : '';
      }
      i = amp + 1;
    }
    return undefined;
  }

  /** Cookie `name` (first occurrence wins), decoded and unquoted. The header is parsed once, on first use. */
  cookie(name: string): string | undefined {
    let jar = this.cookies;
    if (jar === undefined) {
      jar = new Map();
      const raw = this.req.headers.cookie;
      const text = raw === undefined ? '' : typeof raw === 'string' ? raw : raw.join('; ');
      let i = 0;
      while (i < text.length) {
        let end = text.indexOf(';', i);
        if (end < 0) end = text.length;
        const eq = text.indexOf('=', i);
        if (eq >= 0 && eq < end) {
          const key = text.slice(i, eq).trim();
          if (key !== '' && !jar.has(key)) {
            let val = text.slice(eq + 1, end).trim();
            if (val.length >= 2 && val.charCodeAt(0) === 34 && val.charCodeAt(val.length - 1) === 34) {
              val = val.slice(1, -1);
            }
            jar.set(key, decodeComponent(val, false));
          }
        }
        i = end + 1;
      }
      this.cookies = jar;
    }
    return jar.get(name);
  }
}

/** Request facts for one request; O(1) to build. */
export function requestFacts(req: IncomingLike): RequestFacts {
  return new LazyRequestFacts(req);
}

/** A layer-4 peer's facts (TCP services): only the client address; no method, host, path, headers. */
class ConnectionFacts implements RequestFacts {
  readonly clientIp: string;
  readonly clientPort: number;
  readonly method = '';
  readonly host = '';
  readonly path = '';
  constructor(remoteAddress: string | undefined, remotePort: number | undefined) {
    // The same normalisation as LazyRequestFacts, so ip hashing agrees across layers 4 and 7.
    this.clientIp = new LazyRequestFacts({ remoteAddress, headers: {} }).clientIp;
    this.clientPort = remotePort ?? 0;
  }
  header(_name: string): string | undefined {
    return undefined;
  }
  cookie(_name: string): string | undefined {
    return undefined;
  }
  query(_name: string): string | undefined {
    return undefined;
  }
}

/** Facts for one TCP connection, from its socket's remoteAddress/remotePort. */
export function connectionFacts(
  remoteAddress: string | undefined,
  remotePort: number | undefined,
): RequestFacts {
  return new ConnectionFacts(remoteAddress, remotePort);
}
