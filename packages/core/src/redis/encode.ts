// RESP2 encoders for what the proxy writes itself: its own replies and the commands it sends
// backends (split parts, inline commands re-encoded). Each builds one buffer of known size.

const CRLF = '\r\n';

/** A line's text with CR and LF replaced by spaces: a reply line must stay one line. */
function oneLine(s: string): string {
  return s.includes('\r') || s.includes('\n') ? s.replace(/[\r\n]/g, ' ') : s;
}

function digits(n: number): number {
  let d = n < 0 ? 2 : 1;
  for (let v = Math.abs(n); v >= 10; v = Math.floor(v / 10)) d++;
  return d;
}

/** `*<n>\r\n$<len>\r\n<arg>\r\n...` in one allocation. */
export function encodeCommand(args: readonly (Buffer | string)[]): Buffer {
  let size = 3 + digits(args.length);
  const lens = new Array<number>(args.length);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const len = typeof a === 'string' ? Buffer.byteLength(a) : a.length;
    lens[i] = len;
    size += 5 + digits(len) + len;
  }
  const out = Buffer.allocUnsafe(size);
  let p = out.write(`*${args.length}\r\n`, 0, 'latin1');
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    p += out.write(`$${lens[i]}\r\n`, p, 'latin1');
    p += typeof a === 'string' ? out.write(a, p, 'utf8') : a.copy(out, p);
    out[p++] = 13;
    out[p++] = 10;
  }
  return out;
}

function bulk(b: Buffer | string | null): Buffer {
  if (b === null) return Buffer.from('$-1\r\n', 'latin1');
  const body = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  const head = `$${body.length}\r\n`;
  const out = Buffer.allocUnsafe(head.length + body.length + 2);
  const p = out.write(head, 0, 'latin1');
  body.copy(out, p);
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}

function array(items: readonly Buffer[] | null): Buffer {
  if (items === null) return Buffer.from('*-1\r\n', 'latin1');
  const head = Buffer.from(`*${items.length}\r\n`, 'latin1');
  let size = head.length;
  for (const it of items) size += it.length;
  return Buffer.concat([head, ...items], size);
}

export const resp = {
  /** `-<msg>\r\n`; msg carries its prefix (`ERR ...`, `WRONGTYPE ...`). */
  error: (msg: string): Buffer => Buffer.from(`-${oneLine(msg)}${CRLF}`, 'utf8'),
  simple: (s: string): Buffer => Buffer.from(`+${oneLine(s)}${CRLF}`, 'utf8'),
  integer: (n: number): Buffer => {
    if (!Number.isSafeInteger(n)) throw new RangeError(`RESP integer must be a safe integer, got ${n}`);
    return Buffer.from(`:${n}${CRLF}`, 'latin1');
  },
  bulk,
  /** An array of already encoded items. */
  array,
  command: encodeCommand,
} as const;

export const RESP_OK: Buffer = Buffer.from('+OK\r\n', 'latin1');
export const RESP_PONG: Buffer = Buffer.from('+PONG\r\n', 'latin1');
