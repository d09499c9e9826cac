// Minimal HTTP/1.1 responses written straight to a socket, for the places where no
// ServerResponse exists: parser errors (clientError) and refused websocket upgrades.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Ends the socket with a complete response and closes it (bounded by `lingerMs`). */
export function writeRawResponse(
  socket: Duplex,
  status: number,
  body: string,
  headers: Record<string, string> = {},
  lingerMs = 1000,
): void {
  if (socket.destroyed) return;
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n`;
  head += 'content-type: application/json\r\n';
  head += `content-length: ${Buffer.byteLength(body)}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  head += 'connection: close\r\n\r\n';
  if (socket.writable) socket.end(head + body);
  // A client that never reads must not pin the socket.
  setTimeout(() => socket.destroy(), lingerMs).unref();
}
