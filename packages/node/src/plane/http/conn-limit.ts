// Max connections per client IP on the proxy port (limits.maxConnectionsPerIp): one client —
// a slowloris, a connection flood, a misbehaving pool — cannot take every socket the node has.
//
// Enforced on the server's 'connection' event, before a byte is parsed (and before the TLS
// handshake on HTTPS): a connection over the limit is destroyed at once — there is no request
// yet to answer, and answering would cost the flood more of our time. Counted by the peer's
// address as the socket sees it (IPv4-mapped IPv6 folded to IPv4); x-forwarded-for plays no
// part (it is not known yet, and would be spoofable). Trusted proxies (trustedProxies) are
// exempt: one such peer carries many clients — put a forwarding standby's address there too.
import type { Server, Socket } from 'node:net';

/** Pure bookkeeping of open connections per IP (O(1) per open/close, memory per live IP). */
export class ConnectionCounter {
  readonly max: number;
  readonly #open = new Map<string, number>();
  /** Connections refused since start. */
  refused = 0;

  constructor(max: number) {
    this.max = max;
  }

  /** Counts a new connection from `ip`; false (and not counted) when it would exceed max. */
  tryOpen(ip: string): boolean {
    const n = this.#open.get(ip) ?? 0;
    if (n >= this.max) {
      this.refused++;
      return false;
    }
    this.#open.set(ip, n + 1);
    return true;
  }

  close(ip: string): void {
    const n = this.#open.get(ip);
    if (n === undefined) return;
    if (n <= 1) this.#open.delete(ip);
    else this.#open.set(ip, n - 1);
  }

  count(ip: string): number {
    return this.#open.get(ip) ?? 0;
  }

  /** IPs with at least one open connection. */
  get ips(): number {
    return this.#open.size;
  }
}

/** `::ffff:10.0.0.1` → `10.0.0.1`; unknown → ''. */
export function clientKey(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return '';
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.')
    ? remoteAddress.slice(7)
    : remoteAddress;
}

/**
 * Caps `server`'s connections per client IP at `max` (0: no cap). `onRefused` runs for each
 * connection destroyed (metrics); `exempt(ip)` peers are not counted.
 */
export function limitConnectionsPerIp(
  server: Server,
  max: number,
  onRefused: (ip: string) => void = () => {},
  exempt: (ip: string) => boolean = () => false,
): ConnectionCounter {
  const counter = new ConnectionCounter(max);
  if (max <= 0) return counter;
  server.on('connection', (socket: Socket) => {
    const ip = clientKey(socket.remoteAddress);
    if (exempt(ip)) return;
    if (!counter.tryOpen(ip)) {
      onRefused(ip);
      socket.destroy();
      return;
    }
    socket.once('close', () => counter.close(ip));
  });
  return counter;
}
