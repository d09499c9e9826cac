// An `http` service of services/<name>: the same HTTP plane as the default service, over the
// service's own snapshot, feeds and settings. Its timeouts and retries are taken when it is
// built (control/services/plan.ts reopens it when they change), so update() has nothing to do.
import type { ServiceListener, ServiceListenerInput } from '../seam.js';
import { createDataPlane } from './http/server.js';
import type { DataPlaneOptions } from './types.js';

/** The node-wide parts of an HTTP plane: everything but the seam, feeds, retries and connect timeout. */
export type HttpServiceBase = Omit<DataPlaneOptions, 'seam' | 'load' | 'health' | 'retries'>;

export function createHttpServiceListener(
  input: ServiceListenerInput,
  base: HttpServiceBase,
): ServiceListener {
  const d = input.definition;
  const plane = createDataPlane({
    ...base,
    seam: input.seam,
    load: input.load,
    health: input.health,
    retries: d.routing.retries,
    timeouts: { ...base.timeouts, connectMs: d.timeouts.connectMs, idleMs: d.timeouts.idleMs },
    ...(d.maxConnectionsPerBackend !== undefined
      ? { maxConnectionsPerBackend: d.maxConnectionsPerBackend }
      : {}),
    ...(base.logger ? { logger: base.logger.child({ service: input.name }) } : {}),
  });
  return {
    listen: async (addr) => {
      const a = await plane.listen(addr);
      return { host: a.host, port: a.port };
    },
    update: () => undefined,
    onSnapshot: (snap) => plane.onSnapshot(snap),
    stopAccepting: () => plane.stopAccepting(),
    close: (graceMs) => plane.close(graceMs),
    get stats() {
      return plane.stats;
    },
  };
}
