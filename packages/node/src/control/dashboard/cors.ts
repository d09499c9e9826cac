// Cross-origin access to the admin API, for one purpose: a dashboard page loaded from one node
// keeps working after that node dies, by talking to another node's admin port (a different
// origin). Only pages served by this cluster's own admin listeners are let in — never `*`, so
// an unrelated web page in the operator's browser cannot drive the admin API.

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The origin to echo in Access-Control-Allow-Origin, or undefined to refuse. */
export function allowedOrigin(origin: string | undefined, adminUrls: Iterable<string>): string | undefined {
  if (origin === undefined || origin === 'null') return undefined;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return undefined;
  }
  if (o.protocol !== 'http:' && o.protocol !== 'https:') return undefined;
  for (const raw of adminUrls) {
    let a: URL;
    try {
      a = new URL(raw);
    } catch {
      continue;
    }
    if (a.origin === o.origin) return o.origin;
    // localhost and 127.0.0.1 are the same listener: accept either name for a loopback node.
    if (a.port === o.port && LOOPBACK.has(a.hostname) && LOOPBACK.has(o.hostname)) return o.origin;
  }
  return undefined;
}

export const CORS_PREFLIGHT_HEADERS: Record<string, string> = {
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-max-age': '600',
};
