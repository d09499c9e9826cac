// What every HTTP plane of a node shares (the default service's, those of http services, and
// the one each data-plane worker builds): built from the node config in one place, so a plane
// in a worker thread is configured exactly like one on the main thread.
import type { Logger } from 'pino';
import type { NodeConfig } from '../config/schema.js';
import { createAccessLog } from '../logging.js';
import type { HttpServiceBase } from '../plane/http-service.js';
import type { PlaneMetrics } from '../seam.js';

export function httpPlaneBase(
  config: NodeConfig,
  tls: { readonly key: string | Buffer; readonly cert: string | Buffer } | undefined,
  logger: Logger,
  metrics: PlaneMetrics,
): HttpServiceBase {
  return {
    nodeId: config.nodeId,
    engine: config.proxy.engine,
    exposeBackendHeader: config.exposeBackendHeader,
    trustedProxies: config.trustedProxies,
    timeouts: config.timeouts,
    limits: config.limits,
    ...(tls ? { tls } : {}),
    logger,
    // Buffered and asynchronous, flushed within a second of quiet (logging.ts).
    ...(config.log.access
      ? { accessLog: createAccessLog({ node: config.nodeId, cluster: config.cluster }) }
      : {}),
    metrics,
  };
}
