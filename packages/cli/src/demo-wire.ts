// The few PostgreSQL v3 messages the demo's client speaks (pure, so they are tested without a
// server): a trust-auth start-up and a simple query. Just enough for SELECT 1 — not a driver.
// RESP comes from @ringleader/core, the codec the proxy itself uses.

/** Thrown for bytes that are not the protocol spoken: the connection is useless after that. */
export class WireError extends Error {}

// ------------------------------------------------------------------------------------ PostgreSQL

const PROTOCOL_V3 = 196608; // 3 << 16

/** StartupMessage: length, protocol 3.0, then name\0value\0 pairs and a final \0. */
export function pgStartup(params: Readonly<Record<string, string>>): Buffer {
  const body = Buffer.from(
    `${Object.entries(params)
      .map(([k, v]) => `${k}\0${v}\0`)
      .join('')}\0`,
  );
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(PROTOCOL_V3, 4);
  return Buffer.concat([head, body]);
}

function typed(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

/** A simple Query ('Q'): the SQL as a C string. */
export const pgQuery = (sql: string): Buffer => typed('Q', Buffer.from(`${sql}\0`));

/** Terminate ('X'): a polite goodbye before closing. */
export const pgTerminate = (): Buffer => typed('X', Buffer.alloc(0));

export interface PgMessage {
  readonly type: string;
  readonly body: Buffer;
}

/** The complete backend messages at the front of `buf` and the offset of what is left. */
export function parsePgMessages(buf: Buffer): { messages: PgMessage[]; next: number } {
  const messages: PgMessage[] = [];
  let at = 0;
  while (buf.length - at >= 5) {
    const len = buf.readInt32BE(at + 1);
    if (len < 4 || len > 1 << 24) throw new WireError(`PostgreSQL: message length ${len} is not plausible`);
    if (buf.length - at < 1 + len) break;
    messages.push({ type: String.fromCharCode(buf[at]!), body: buf.subarray(at + 5, at + 1 + len) });
    at += 1 + len;
  }
  return { messages, next: at };
}

/** ErrorResponse ('E') fields: the severity and message, e.g. `FATAL: role "x" does not exist`. */
export function pgErrorText(body: Buffer): string {
  const fields = new Map<string, string>();
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const end = body.indexOf(0, at + 1);
    if (end < 0) break;
    fields.set(String.fromCharCode(body[at]!), body.toString('utf8', at + 1, end));
    at = end + 1;
  }
  return `${fields.get('S') ?? 'ERROR'}: ${fields.get('M') ?? 'no message'}`;
}

/** AuthenticationOk: 'R' with code 0 (anything else asks for a password the demo has not got). */
export function pgAuthCode(body: Buffer): number {
  return body.length >= 4 ? body.readInt32BE(0) : -1;
}

/** The first column of a DataRow ('D') as text, null for SQL NULL. */
export function pgFirstColumn(body: Buffer): string | null {
  if (body.length < 2 || body.readInt16BE(0) < 1 || body.length < 6) return null;
  const n = body.readInt32BE(2);
  return n < 0 ? null : body.toString('utf8', 6, 6 + n);
}
