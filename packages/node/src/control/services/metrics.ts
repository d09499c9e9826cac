// The control side's series of services/<name>: which snapshot each serves and which phase
// its listener is in (so an alert fires on a port a node cannot bind). Labels: service names
// (operator-chosen, few) and the fixed phase list.
import { Gauge, type Registry } from 'prom-client';
import { LISTENER_PHASES, type ListenerState } from './listener-state.js';
import type { ServiceEnvironment } from './runtime.js';

export function serviceControlMetrics(
  registry: Registry,
  forgetBackend: (service: string, id: string) => void = () => undefined,
): ServiceEnvironment['metrics'] & { forgetService(service: string): void } {
  const registers = [registry];
  const version = new Gauge({
    name: 'ringleader_service_snapshot_version',
    help: 'Version of the routing snapshot in force, per service',
    labelNames: ['service'] as const,
    registers,
  });
  const listener = new Gauge({
    name: 'ringleader_service_listener',
    help: '1 for the phase each service listener is in (listening, bind-failed, ...), 0 for the others',
    labelNames: ['service', 'phase'] as const,
    registers,
  });
  const backendUp = new Gauge({
    name: 'ringleader_service_backend_up',
    help: '1 while a backend of a service may take new connections (active checks, passive ejection)',
    labelNames: ['service', 'backend'] as const,
    registers,
  });
  return {
    snapshotVersion: (service) => version.labels(service),
    forget: (service, id) => {
      backendUp.remove(service, id);
      forgetBackend(service, id);
    },
    backendUp: (service, id, up) => backendUp.labels(service, id).set(up ? 1 : 0),
    listenerPhase(service: string, state: ListenerState) {
      for (const p of LISTENER_PHASES) listener.labels(service, p).set(p === state.phase ? 1 : 0);
    },
    forgetService(service: string) {
      version.remove(service);
      for (const p of LISTENER_PHASES) listener.remove(service, p);
    },
  };
}
