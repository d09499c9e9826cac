// The one socket runner every layer-4 check uses, so the guarantees are written once: a fresh
// connection per check, one deadline for the whole check (connect and every exchange), the
// socket destroyed on every path, an 'error' listener attached before anything can fail, and
// a result rather than a rejection whatever the backend does.
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ProbeResult, ProbeTarget } from './probe.js';

/** Thrown by a dialogue to fail the check with `detail` (the runner turns it into a result). */
export class ProbeFailure extends Error {}

export interface Exchange {
  send(data: Uint8Array | string): void;
  /** The next chunk the backend sends; rejects with a ProbeFailure once the connection ends. */
  read(): Promise<Buffer>;
  /** Milliseconds since the check started. */
  elapsed(): number;
}

/**
 * Connects to `target`, then runs `dialogue`: its returned string is a passing detail, a
 * thrown ProbeFailure (or any error) a failing one. Never rejects.
 */
export function converse(
  target: ProbeTarget,
  timeoutMs: number,
  dialogue: (io: Exchange) => Promise<string>,
): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const sock = new Socket();
    let settled = false;
    let connected = false;
    const chunks: Buffer[] = [];
    let ended: string | undefined;
    let waiter: { resolve(b: Buffer): void; reject(e: Error): void } | undefined;

    const finish = (passed: boolean, detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ passed, detail, latencyMs: elapsed() });
    };
    const endWith = (why: string) => {
      ended ??= why;
      const w = waiter;
      waiter = undefined;
      w?.reject(new ProbeFailure(ended));
    };

    const timer = setTimeout(
      () => finish(false, `${connected ? 'no answer' : 'no connect'} within ${timeoutMs} ms`),
      timeoutMs,
    );
    sock.on('error', (err: Error & { code?: string }) => {
      const why = err.code ?? err.message;
      endWith(why);
      finish(false, why);
    });
    sock.on('data', (b: Buffer) => {
      const w = waiter;
      waiter = undefined;
      if (w !== undefined) w.resolve(b);
      else chunks.push(b);
    });
    sock.on('end', () => endWith('connection closed by backend'));
    sock.on('close', () => endWith('connection closed'));

    const io: Exchange = {
      send: (data) => {
        if (!settled) sock.write(data);
      },
      read: () => {
        const b = chunks.shift();
        if (b !== undefined) return Promise.resolve(b);
        if (ended !== undefined) return Promise.reject(new ProbeFailure(ended));
        return new Promise((res, rej) => {
          waiter = { resolve: res, reject: rej };
        });
      },
      elapsed,
    };

    sock.once('connect', () => {
      connected = true;
      dialogue(io).then(
        (detail) => finish(true, detail),
        (err: unknown) => finish(false, err instanceof Error ? err.message : String(err)),
      );
    });
    try {
      sock.connect({ host: target.host, port: target.port });
    } catch (err) {
      // A port out of range throws synchronously rather than emitting 'error'.
      finish(false, (err as Error).message);
    }
  });
}
