import { loadNodeConfig } from '@ringleader/node';
import { describe, expect, it } from 'vitest';
import { type ClusterRead, configSummary, judgeCluster } from './node-check.js';

const empty = { backends: [], rejected: [] } as unknown as ClusterRead['backends'];

describe('node check', () => {
  it('summarises the loaded config, IPv6 addresses bracketed', () => {
    const config = loadNodeConfig({
      env: {
        RINGLEADER_NODE_ID: 'lb-3',
        RINGLEADER_ZK: '127.0.0.1:2181',
        RINGLEADER_ADMIN_LISTEN: '[::1]:9091',
      },
    });
    expect(configSummary(config, undefined)).toBe(
      'node config OK (environment only): node lb-3, cluster default, zookeeper 127.0.0.1:2181, proxy 0.0.0.0:8080, admin [::1]:9091, active-passive',
    );
  });

  it('a cluster without znodes has nothing to reject', () => {
    const v = judgeCluster(
      {
        config: { exists: false, version: -1 },
        configPath: '/c',
        backends: empty,
        services: [],
        serviceBackends: new Map(),
      },
      'shop',
    );
    expect(v.problems).toEqual([]);
    expect(v.summary).toBe(
      'cluster shop: no config znode (nodes use their routing: fallback), 0 backend(s), 0 service(s)',
    );
  });

  it('lists each rejected znode with its path, cause and code', () => {
    const rejected = (path: string) => ({
      id: 'x',
      path,
      code: 'RL_BAD_BACKEND_PAYLOAD',
      message: 'port bad',
    });
    const read = {
      config: { exists: true, version: 3, error: { code: 'RL_BAD_CONFIG', message: 'policy unknown' } },
      configPath: '/ringleader/shop/config',
      backends: { backends: [{}], rejected: [rejected('/ringleader/shop/backends/b')] },
      services: [
        {
          name: 'pg',
          path: '/ringleader/shop/services/pg',
          version: 0,
          backends: 1,
          error: { code: 'RL_BAD_SERVICE', message: 'no listen' },
        },
      ],
      serviceBackends: new Map([
        ['pg', { backends: [], rejected: [rejected('/ringleader/shop/services/pg/backends/p')] }],
      ]),
    } as unknown as ClusterRead;
    const v = judgeCluster(read, 'shop');
    expect(v.problems).toEqual([
      '/ringleader/shop/config: config rejected, a node keeps the last good one (or does not serve without one): policy unknown [RL_BAD_CONFIG]',
      '/ringleader/shop/backends/b: backend rejected (not routed to): port bad [RL_BAD_BACKEND_PAYLOAD]',
      '/ringleader/shop/services/pg: service definition rejected: no listen [RL_BAD_SERVICE]',
      '/ringleader/shop/services/pg/backends/p: backend of service pg rejected (not routed to): port bad [RL_BAD_BACKEND_PAYLOAD]',
    ]);
    expect(v.summary).toBe('cluster shop: config invalid, 1 backend(s) + 1 rejected, 1 service(s)');
  });
});
