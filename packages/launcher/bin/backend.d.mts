// Types of the sample backend (backend.mjs stays plain JavaScript: it runs without a build).
import type { Server } from 'node:http';

export interface SampleBackend {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  readonly server: Server;
  /** The x-ringleader-epoch of every proxied request so far (null when absent), in arrival order. */
  readonly epochs: (number | null)[];
  /** Proxied requests so far. */
  readonly requests: number;
  /** Closes every connection (WebSocket tunnels too) and the listener. */
  close(): Promise<void>;
}

/** Listens on `host:port` (default 127.0.0.1, port 0: a free one). */
export function startBackend(opts: { id: string; port?: number; host?: string }): Promise<SampleBackend>;
