// A data-plane worker thread: the whole HTTP data plane of the default service (plane/http,
// unchanged) over a WorkerSeam, with its own pools, load figures and round-robin counters
// (Envoy-style: per-worker state built from shared immutable input). It takes connections on
// its own reusePort listener (the kernel spreads connections over the workers), applies seam
// messages in order and acknowledges each, batches passive-health outcomes back, and pushes its
// counters on a timer. It never touches ZooKeeper: the main thread decides, the lease cell fences.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { LoadTracker, type RoutingSnapshot } from '@ringleader/core';
import { pino } from 'pino';
import { createMetrics } from '../control/metrics.js';
import { SharedConnectionCounter } from '../plane/http/conn-limit.js';
import { createDataPlane } from '../plane/http/server.js';
import { LeaseCell } from './lease-cell.js';
import { httpPlaneBase } from './plane-options.js';
import { type HostMessage, sharedTicket, type WorkerInit, type WorkerMessage } from './protocol.js';
import { RemoteHealth, WorkerSeam } from './worker-seam.js';

const port = parentPort;
if (port === null) throw new Error('workers/entry.ts runs only as a worker thread');
const init = workerData as WorkerInit;
const config = init.config;
const post = (m: WorkerMessage) => port.postMessage(m);

const log = pino({ level: config.log.level }).child({
  node: config.nodeId,
  cluster: config.cluster,
  worker: init.id,
  thread: threadId,
});
const metrics = createMetrics({ defaultMetrics: false });
const load = new LoadTracker({ decayMs: init.routing.config.lrt.decayMs });

// Outcomes go back once per turn of the event loop, not once per request.
let outcomes: Array<readonly [string, boolean]> = [];
const flushOutcomes = () => {
  const list = outcomes;
  outcomes = [];
  if (list.length > 0) post({ t: 'outcomes', list });
};
const health = new RemoteHealth((id, ok) => {
  if (outcomes.length === 0) setImmediate(flushOutcomes);
  outcomes.push([id, ok]);
});

health.apply(init.health.version, init.health.down);

let plane: ReturnType<typeof createDataPlane> | undefined;
const seam = new WorkerSeam({
  cell: new LeaseCell(init.cell),
  initial: init.routing,
  seq: init.seq,
  gate: init.gate,
  load,
  health,
  retryAfterS: init.retryAfterS,
  ticket: sharedTicket(init.ticket),
  onSnapshot: (snap: RoutingSnapshot) => plane?.onSnapshot(snap),
  onRefused: (version, err) =>
    log.error({ err, version }, 'could not build the routing snapshot; keeping the previous one'),
});

plane = createDataPlane({
  ...httpPlaneBase(config, init.tls, log.child({ component: 'proxy' }), metrics),
  seam,
  load,
  health,
  retries: config.retries,
  connectionLimiter: new SharedConnectionCounter(
    config.limits.maxConnectionsPerIp,
    init.workers,
    init.id,
    init.connections,
  ),
});
const dataPlane = plane;
let routingVersion = init.routing.version;

const pushStats = () =>
  post({ t: 'stats', stats: { ...dataPlane.stats }, load: load.snapshot(performance.now()) });
const statsTimer = setInterval(pushStats, init.statsEveryMs);
statsTimer.unref();

async function handle(m: HostMessage): Promise<void> {
  switch (m.t) {
    case 'routing':
    case 'gate':
    case 'health':
      if (seam.apply(m) && m.t === 'routing') {
        routingVersion = seam.snapshot().version;
        load.setDecayMs(m.input.config.lrt.decayMs);
      }
      post({ t: 'ack', seq: seam.seq, version: routingVersion });
      return;
    case 'listen':
      try {
        // Every worker binds the same port; the kernel spreads connections over them. (fastify
        // hands its listen options to net.Server.listen, which knows reusePort; its types do not.)
        const options = { host: m.host, port: m.port, reusePort: true };
        await dataPlane.app.listen(options);
        const a = dataPlane.app.server.address();
        post({ t: 'listening', host: m.host, port: typeof a === 'object' && a ? a.port : m.port });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        post({ t: 'listen-failed', code: e.code ?? 'ERR_LISTEN', message: e.message });
      }
      return;
    case 'peers':
      load.blend(m.summaries);
      return;
    case 'metrics':
      post({ t: 'metrics', req: m.req, metrics: await metrics.registry.getMetricsAsJSON() });
      return;
    case 'stop-accepting':
      dataPlane.stopAccepting();
      return;
    case 'close':
      await dataPlane.app.ready();
      await dataPlane.close(m.graceMs);
      flushOutcomes();
      pushStats();
      clearInterval(statsTimer);
      post({ t: 'closed' });
      return;
  }
}

port.on('message', (m: HostMessage) => {
  handle(m).catch((err: unknown) => log.error({ err, message: m.t }, 'worker message failed'));
});
post({ t: 'ack', seq: seam.seq, version: routingVersion });
