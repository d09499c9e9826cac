// Which peers may speak for the client: x-forwarded-for (and -proto, -host) is honoured only
// from trusted proxies; from anyone else the chain is replaced by the peer address.
import { BlockList, isIP } from 'node:net';
import { RingleaderError } from '@ringleader/core';

export interface TrustedProxies {
  /** True when no proxy is trusted (the common case: clients connect directly). */
  readonly none: boolean;
  isTrusted(ip: string): boolean;
}

/** `::ffff:10.0.0.1` → `10.0.0.1`, so an IPv4 list matches dual-stack sockets. */
export function normalizeIp(ip: string): string {
  return ip.length > 7 && ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/**
 * Parses IPs and CIDRs (`10.0.0.0/8`, `::1`, `fd00::/8`). A bad entry throws a RingleaderError
 * naming it (field `trustedProxies`), so a typo fails at start instead of silently trusting nobody.
 */
export function parseTrustedProxies(list: readonly string[]): TrustedProxies {
  const block = new BlockList();
  for (const entry of list) {
    const [addr = '', bits, extra] = entry.trim().split('/');
    const ip = normalizeIp(addr);
    const family = isIP(ip);
    const prefix = bits === undefined ? undefined : Number(bits);
    const max = family === 6 ? 128 : 32;
    if (
      family === 0 ||
      extra !== undefined ||
      (prefix !== undefined && (!/^\d{1,3}$/.test(bits ?? '') || prefix > max))
    ) {
      throw new RingleaderError(
        'RL_BAD_CONFIG',
        `trusted proxy ${JSON.stringify(entry)} is not an IP or CIDR`,
        {
          field: 'trustedProxies',
        },
      );
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) block.addAddress(ip, type);
    else block.addSubnet(ip, prefix, type);
  }
  const none = list.length === 0;
  return {
    none,
    isTrusted(ip: string): boolean {
      if (none) return false;
      const n = normalizeIp(ip);
      const family = isIP(n);
      if (family === 0) return false;
      return block.check(n, family === 6 ? 'ipv6' : 'ipv4');
    },
  };
}

/** Splits an x-forwarded-for value (possibly several joined headers) into trimmed entries. */
function splitChain(xff: string): string[] {
  const out: string[] = [];
  for (const part of xff.split(',')) {
    const p = part.trim();
    if (p !== '') out.push(p);
  }
  return out;
}

export interface ForwardedFor {
  /** The client address policies see (hash by ip): the right-most untrusted hop. */
  readonly clientIp: string;
  /** The x-forwarded-for value to send upstream. */
  readonly header: string;
  /** Whether the direct peer is a trusted proxy (so its other x-forwarded-* headers stand). */
  readonly peerTrusted: boolean;
}

/**
 * Computes the upstream x-forwarded-for and the effective client address.
 * - untrusted peer: any incoming chain is dropped; the header is the peer address alone.
 * - trusted peer: the peer is appended to the incoming chain, and the client is the right-most
 *   entry that is not itself a trusted proxy (left-most if all are).
 */
export function forwardedFor(
  peer: string,
  incoming: string | readonly string[] | undefined,
  trust: TrustedProxies,
): ForwardedFor {
  const peerIp = normalizeIp(peer);
  if (trust.none || !trust.isTrusted(peerIp)) {
    return { clientIp: peerIp, header: peerIp, peerTrusted: false };
  }
  const text = typeof incoming === 'string' ? incoming : incoming?.join(',');
  if (text === undefined || text.trim() === '') {
    return { clientIp: peerIp, header: peerIp, peerTrusted: true };
  }
  const chain = splitChain(text);
  let clientIp = chain[0] ?? peerIp;
  for (let i = chain.length - 1; i >= 0; i--) {
    const hop = normalizeIp(chain[i] ?? '');
    if (!trust.isTrusted(hop)) {
      clientIp = hop;
      break;
    }
  }
  return { clientIp: normalizeIp(clientIp), header: `${chain.join(', ')}, ${peerIp}`, peerTrusted: true };
}
