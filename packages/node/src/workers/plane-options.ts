// What every HTTP plane of a node shares (the default service's, those of http services, and
// the one each data-plane worker builds): built from the node config in one place, so a plane
// in a worker thread is configured exactly like one on the main thread.
import { type Logger, pino } from 'pino';
import type { NodeConfig } from '../config/schema.js';
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
    exposeBackendHeader: config.exposeBackendHeader,
    trustedProxies: config.trustedProxies,
    timeouts: config.timeouts,
    limits: config.limits,
    ...(tls ? { tls } : {}),
    logger,
    // Access lines go through their own buffered, asynchronous destination so the request
    // path never waits on a write.
    ...(config.log.access
      ? {
          accessLog: pino(
            { base: { node: config.nodeId, cluster: config.cluster, kind: 'access' } },
            pino.destination({ dest: 1, sync: false, minLength: 4096 }),
          ),
        }
      : {}),
    metrics,
  };
}
