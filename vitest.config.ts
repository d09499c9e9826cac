import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import workspace packages from source, so a unit run needs no build.
    alias: {
      '@ringleader/core': src('core'),
      '@ringleader/zk': src('zk'),
      '@ringleader/node': src('node'),
      // The sample backend is plain JavaScript (no build); listed before the package, whose
      // alias would otherwise take `@ringleader/launcher/backend` for a path inside src/index.ts.
      '@ringleader/launcher/backend': fileURLToPath(
        new URL('./packages/launcher/bin/backend.mjs', import.meta.url),
      ),
      '@ringleader/launcher': src('launcher'),
    },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          // Real ZooKeeper servers and real processes: files run one at a time so
          // timing-sensitive suites do not fight over the two cores.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The engine matrix: the suites that exercise the proxy path end to end run once more
        // on the other engine (proxy.engine; the `integration` project runs the default). The
        // launcher hands RINGLEADER_PROXY_ENGINE to every node it starts, and the in-process
        // planes of dataplane-helpers.ts read it. After the other projects, so it never
        // competes with them for the two cores.
        extends: true,
        test: {
          name: 'engine-reply-from',
          include: [
            'test/integration/dataplane-*.test.ts',
            'test/e2e/**/*.test.ts',
            'test/hostile/**/*.test.ts',
          ],
          // Suites that never send a request through the HTTP engine: the Redis, TCP and
          // config-handling paths are the same code on either engine.
          exclude: [
            '**/node_modules/**',
            'test/e2e/redis*.test.ts',
            'test/e2e/services.test.ts',
            'test/e2e/config-*.test.ts',
            'test/hostile/znodes.test.ts',
          ],
          // The soak's leak checks still hold at its 20 s floor; the default engine soaks 40 s.
          env: { RINGLEADER_PROXY_ENGINE: 'reply-from', RINGLEADER_SOAK_S: '20' },
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Two data-plane workers per node (workers / RINGLEADER_WORKERS, default 1): the suites
        // that hold the plane to one cycle of round robin, one per-IP cap and the fencing of a
        // failover, with every request on one of two threads.
        extends: true,
        test: {
          name: 'workers-2',
          include: [
            'test/e2e/backends.test.ts',
            'test/e2e/active-passive.test.ts',
            'test/hostile/sockets.test.ts',
          ],
          env: { RINGLEADER_WORKERS: '2' },
          sequence: { groupOrder: 2 },
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
    reporters: ['default', './test/support/count-reporter.ts'],
  },
});
