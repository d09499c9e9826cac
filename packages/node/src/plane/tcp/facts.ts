// Layer-4 request facts: a TCP connection has only its client address, so hash policies key on
// `ip` (and `withPort`); header, cookie, path and query sources see nothing and hash the empty
// key. NOTE: core is getting `connectionFacts(ip, port)`; once it lands this file gives way to it.
import type { RequestFacts } from '@ringleader/core';

const none = (): undefined => undefined;

export function connectionFacts(clientIp: string, clientPort: number): RequestFacts {
  return {
    clientIp: clientIp.startsWith('::ffff:') ? clientIp.slice(7) : clientIp,
    clientPort,
    method: '',
    host: '',
    path: '',
    header: none,
    cookie: none,
    query: none,
  };
}
