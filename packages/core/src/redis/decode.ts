// Decoding of whole replies, for the few the proxy must look into (the parts of a split
// command it merges). The input is one complete reply as RespReplyReader framed it.

import { RespProtocolError } from './limits.js';
import { RespReplyReader } from './reply-reader.js';

export type RespValue =
  | { type: 'simple'; value: string }
  | { type: 'error'; value: string }
  | { type: 'integer'; value: number }
  | { type: 'bulk'; value: Buffer | null }
  | { type: 'array'; value: RespValue[] | null }
  /** A RESP3 type (map, set, double, ...): kept as its bytes. */
  | { type: 'other'; raw: Buffer };

function unexpected(detail: string): RespProtocolError {
  return new RespProtocolError('RL_RESP_UNEXPECTED_REPLY', 'ERR unexpected reply from the backend', detail);
}

/** Offset of the CR ending the line that starts at p. */
function lineEnd(raw: Buffer, p: number): number {
  const cr = raw.indexOf(13, p);
  if (cr < 0 || raw[cr + 1] !== 10) throw unexpected(`the line at byte ${p} has no CRLF`);
  return cr;
}

function intAt(raw: Buffer, p: number, end: number): number {
  const text = raw.toString('latin1', p, end);
  const n = Number(text);
  if (text === '' || !Number.isInteger(n)) throw unexpected(`${JSON.stringify(text)} is not an integer`);
  return n;
}

/** The array's raw items (subarrays of raw), or null for a null array. */
export function arrayItems(raw: Buffer): Buffer[] | null {
  if (raw[0] !== 42) {
    throw unexpected(
      `expected an array reply, got one starting with ${JSON.stringify(String.fromCharCode(raw[0] ?? 0))}`,
    );
  }
  const cr = lineEnd(raw, 1);
  const n = intAt(raw, 1, cr);
  if (n === -1) return null;
  const items: Buffer[] = [];
  if (n === 0) return items;
  const reader = new RespReplyReader();
  reader.push(raw.subarray(cr + 2));
  for (let i = 0; i < n; i++) {
    const item = reader.next();
    if (item === null) throw unexpected(`the array reply ends after ${i} of its ${n} items`);
    items.push(item);
  }
  return items;
}

/** One complete reply, decoded; RESP3-only types stay raw. */
export function decodeReply(raw: Buffer): RespValue {
  switch (raw[0]) {
    case 43: // +
      return { type: 'simple', value: raw.toString('utf8', 1, lineEnd(raw, 1)) };
    case 45: // -
      return { type: 'error', value: raw.toString('utf8', 1, lineEnd(raw, 1)) };
    case 58: // :
      return { type: 'integer', value: intAt(raw, 1, lineEnd(raw, 1)) };
    case 36: {
      // $
      const cr = lineEnd(raw, 1);
      const len = intAt(raw, 1, cr);
      if (len === -1) return { type: 'bulk', value: null };
      if (len < 0 || cr + 2 + len + 2 > raw.length)
        throw unexpected(`bulk reply of ${len} bytes is truncated`);
      return { type: 'bulk', value: raw.subarray(cr + 2, cr + 2 + len) };
    }
    case 42: {
      const items = arrayItems(raw);
      return { type: 'array', value: items === null ? null : items.map(decodeReply) };
    }
    case undefined:
      throw unexpected('an empty buffer is no reply');
    default:
      return { type: 'other', raw };
  }
}
