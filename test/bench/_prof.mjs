import { startLocalCluster, startZooKeeper } from '@ringleader/launcher';
import { sleep } from './util.mjs';

const zk = await startZooKeeper({ servers: 1 });
const c = await startLocalCluster({
  zk,
  nodes: 1,
  backends: 1,
  mode: 'active-active',
  clusterConfig: {
    policy: 'consistent-hash',
    hash: { source: 'header', name: 'x-key' },
    healthCheck: { intervalMs: 3600000, timeoutMs: 1000 },
  },
  nodeEnv: { NODE_OPTIONS: '--cpu-prof --cpu-prof-dir=/tmp/scale/nprof' },
});
const port = c.backends[0].port;
let next = 0;
const worker = async () => {
  while (next < 10000) {
    const i = next++;
    await c.session.create(
      c.admin.paths.backend(`s-${String(i).padStart(5, '0')}`),
      JSON.stringify({ host: '127.0.0.1', port, weight: 1 }),
    );
  }
};
await Promise.all(Array.from({ length: 200 }, worker));
await sleep(8000);
for (let i = 0; i < 20; i++) {
  await c.admin.addBackend(`q-${i}`, { host: '127.0.0.1', port, weight: 1 });
  await sleep(300);
  await c.admin.removeBackend(`q-${i}`);
  await sleep(300);
}
await c.stop();
await zk.stop();
