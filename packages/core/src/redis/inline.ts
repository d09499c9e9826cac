// Inline commands (what telnet sends: `SET k "a b"\r\n`), split as Redis's sdssplitargs does:
// spaces separate arguments; "double quotes" allow \n \r \t \b \a \\ \" and \xHH escapes;
// 'single quotes' allow \' only; a closing quote must be followed by a space or the end.

import { RespProtocolError } from './limits.js';

const UNBALANCED = 'ERR Protocol error: unbalanced quotes in request';

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const ESCAPES: Record<number, number> = { 110: 10, 114: 13, 116: 9, 98: 8, 97: 7 };

function unbalanced(at: number): RespProtocolError {
  return new RespProtocolError('RL_RESP_BAD_INLINE', UNBALANCED, `unbalanced quote near byte ${at}`);
}

/** The arguments of one inline line (without its line end); [] for a blank line. */
export function splitInline(line: Buffer): Buffer[] {
  const args: Buffer[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    while (i < n && isSpace(line[i]!)) i++;
    if (i >= n) return args;
    const q = line[i];
    if (q !== 34 && q !== 39) {
      const from = i;
      while (i < n && !isSpace(line[i]!) && line[i] !== 34 && line[i] !== 39) i++;
      if (i < n && !isSpace(line[i]!)) {
        // A quote inside a word starts a quoted part of the same argument in Redis; rare
        // enough to take the general path below from the word's start.
        i = from;
      } else {
        args.push(Buffer.from(line.subarray(from, i)));
        continue;
      }
    }
    const out: number[] = [];
    let inq = 0; // 0 none, 34 double, 39 single
    for (; i < n; i++) {
      const c = line[i]!;
      if (inq === 34) {
        if (c === 92 && i + 3 < n && line[i + 1] === 120) {
          const h = hexVal(line[i + 2]!);
          const l = hexVal(line[i + 3]!);
          if (h >= 0 && l >= 0) {
            out.push(h * 16 + l);
            i += 3;
            continue;
          }
        }
        if (c === 92 && i + 1 < n) {
          const e = line[++i]!;
          out.push(ESCAPES[e] ?? e);
        } else if (c === 34) {
          if (i + 1 < n && !isSpace(line[i + 1]!)) throw unbalanced(i);
          inq = 0;
          i++;
          break;
        } else out.push(c);
      } else if (inq === 39) {
        if (c === 92 && i + 1 < n && line[i + 1] === 39) {
          out.push(39);
          i++;
        } else if (c === 39) {
          if (i + 1 < n && !isSpace(line[i + 1]!)) throw unbalanced(i);
          inq = 0;
          i++;
          break;
        } else out.push(c);
      } else if (isSpace(c)) break;
      else if (c === 34 || c === 39) inq = c;
      else out.push(c);
    }
    if (inq !== 0) throw unbalanced(n);
    args.push(Buffer.from(out));
  }
}
