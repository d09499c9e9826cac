// Small network helpers for the launcher: free loopback ports and ZooKeeper's
// four-letter words (`ruok`, `srvr`, `cons`, …) over a plain TCP socket.
import { connect, createServer } from 'node:net';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `n` distinct ports the kernel reports free on 127.0.0.1 (held together, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const addr = s.address();
    if (addr === null || typeof addr === 'string') throw new Error('no port');
    return addr.port;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** Sends a four-letter word and returns the whole reply (the server closes after it). */
export function fourLetter(
  port: number,
  word: string,
  timeoutMs = 1000,
  host = '127.0.0.1',
): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host });
    let out = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`${word} on ${host}:${port}: no reply in ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(word));
    sock.on('data', (d) => {
      out += d;
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}
