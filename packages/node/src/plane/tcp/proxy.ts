// The PROXY protocol header sent to a backend (core's encoders): the client's address as the
// source, the listener's address it connected to as the destination.
import type { Socket } from 'node:net';
import { encodeProxyV1, encodeProxyV2, type ProxyAddresses } from '@ringleader/core';

export function proxyAddresses(
  ip: string,
  port: number,
  local: Pick<Socket, 'localAddress' | 'localPort'>,
): ProxyAddresses {
  const family = ip.includes(':') && !ip.startsWith('::ffff:') ? 'tcp6' : 'tcp4';
  return {
    family,
    sourceAddress: ip,
    sourcePort: port,
    destinationAddress: local.localAddress ?? '',
    destinationPort: local.localPort ?? 0,
  };
}

/** The header for `version`; UNKNOWN (v1) / LOCAL-UNSPEC (v2) when the addresses do not encode. */
export function proxyHeaderFor(
  version: 'v1' | 'v2',
  client: Pick<Socket, 'localAddress' | 'localPort'>,
  ip: string,
  port: number,
): Buffer {
  const encode = version === 'v1' ? encodeProxyV1 : (a: ProxyAddresses) => encodeProxyV2(a);
  try {
    return encode(proxyAddresses(ip, port, client));
  } catch {
    return encode({ family: 'unknown' });
  }
}
