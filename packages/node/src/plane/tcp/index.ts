export { createTcpListener, TICK_MS } from './listener.js';
export type { TcpListener, TcpListenerOptions, TcpListenerStats } from './types.js';
