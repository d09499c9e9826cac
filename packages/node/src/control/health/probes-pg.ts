// The PostgreSQL check's bytes. An SSLRequest is the one message a PostgreSQL server answers
// before authentication, with a single byte (`S`: TLS offered, `N`: not), so it proves the
// postmaster is up and speaking its protocol without a password, a database or a log-in that
// would count against max_connections. Pure.
import { describeByte } from './probes-resp.js';

/** The SSLRequest code: 1234 in the high 16 bits, 5679 in the low (protocol docs, "SSLRequest"). */
export const SSL_REQUEST_CODE = 80877103;

/** An SSLRequest: int32 length 8, int32 code 80877103, both big-endian. */
export function sslRequest(): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32BE(8, 0);
  b.writeInt32BE(SSL_REQUEST_CODE, 4);
  return b;
}

/** The verdict on the first byte a server sent back to an SSLRequest. */
export function judgeSslReply(byte: number): { readonly passed: boolean; readonly detail: string } {
  if (byte === 0x53) return { passed: true, detail: 'SSLRequest answered S' };
  if (byte === 0x4e) return { passed: true, detail: 'SSLRequest answered N' };
  // An 'E' is an ErrorResponse (a server too old, or not PostgreSQL at all): not a healthy one.
  return { passed: false, detail: `SSLRequest answered ${describeByte(byte)}, not S or N` };
}
