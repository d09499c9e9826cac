// Binding a service listener (tcp/ and redis/): a bind error rejects, for the control room to
// report and retry; once bound, later server errors go to `onError` instead of crashing.
import type { Server } from 'node:net';

export function bindServer(
  s: Server,
  addr: { host: string; port: number },
  onError: (err: Error) => void,
): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen({ host: addr.host, port: addr.port }, () => {
      s.off('error', reject);
      s.on('error', onError);
      const a = s.address();
      resolve(typeof a === 'object' && a !== null ? { host: a.address, port: a.port } : addr);
    });
  });
}
