import { describe, expect, it } from 'vitest';
import { clusterPaths, joinPath, validateClusterName, validateNodeId, validateZnodePath } from './paths.js';

describe('znode layout', () => {
  it('places everything under /ringleader/<cluster>', () => {
    const p = clusterPaths('prod-eu');
    expect(p.root).toBe('/ringleader/prod-eu');
    expect([p.nodes, p.election, p.leader, p.backends, p.config, p.stats]).toEqual([
      '/ringleader/prod-eu/nodes',
      '/ringleader/prod-eu/election',
      '/ringleader/prod-eu/leader',
      '/ringleader/prod-eu/backends',
      '/ringleader/prod-eu/config',
      '/ringleader/prod-eu/stats',
    ]);
    expect(p.node('lb-1')).toBe('/ringleader/prod-eu/nodes/lb-1');
    expect(p.backend('web_01')).toBe('/ringleader/prod-eu/backends/web_01');
    expect(p.stat('lb-1')).toBe('/ringleader/prod-eu/stats/lb-1');
    expect(clusterPaths().root).toBe('/ringleader/default');
  });

  it.each(['', '.', '..', 'a/b', '-x', 'has space', 'x'.repeat(129), 'ünï'])('rejects the name %j', (bad) => {
    expect(() => validateClusterName(bad)).toThrow(expect.objectContaining({ code: 'RL_ZK_BAD_PATH' }));
    expect(() => validateNodeId(bad)).toThrow(
      expect.objectContaining({ code: 'RL_ZK_BAD_PATH', field: 'nodeId' }),
    );
  });

  it.each(['a', 'lb-1', 'node.example.com', 'A_9', 'x'.repeat(128)])('accepts the name %j', (ok) => {
    expect(validateNodeId(ok)).toBe(ok);
  });

  it('validates absolute znode paths', () => {
    expect(validateZnodePath('/')).toBe('/');
    expect(validateZnodePath('/a/b')).toBe('/a/b');
    for (const bad of ['', 'a', '/a/', '//a', '/a/./b', '/a/../b', '/a\u0000']) {
      expect(() => validateZnodePath(bad), bad).toThrow(expect.objectContaining({ code: 'RL_ZK_BAD_PATH' }));
    }
    expect(joinPath('/', 'a')).toBe('/a');
    expect(joinPath('/a', 'b')).toBe('/a/b');
  });
});
