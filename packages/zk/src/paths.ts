// The znode layout, the public contract of docs/zookeeper.md ("The znode layout"):
//   /ringleader/<cluster>/{nodes,election,leader,backends,config,config-last-good,stats,services}
// Names are checked by core's rules (names.ts; documented in docs/zookeeper.md, "Names").
import { BACKEND_ID, CLUSTER_NAME, type NameRule, NODE_ID, SERVICE_NAME } from '@ringleader/core';
import { zkError } from './errors.js';

export const ROOT = '/ringleader';

/** Throws RL_ZK_BAD_PATH (field `kind`) when `value` breaks `rule`: one of core's name rules. */
function checkName(kind: string, rule: NameRule, value: string): string {
  const problem = rule.problem(value);
  if (problem !== undefined) throw zkError('RL_ZK_BAD_PATH', `${kind} ${problem}`, { field: kind });
  return value;
}

export function validateClusterName(name: string): string {
  return checkName('cluster', CLUSTER_NAME, name);
}

export function validateNodeId(id: string): string {
  return checkName('nodeId', NODE_ID, id);
}

export function validateBackendId(id: string): string {
  return checkName('backendId', BACKEND_ID, id);
}

export function validateServiceName(name: string): string {
  return checkName('service', SERVICE_NAME, name);
}

export interface ClusterPaths {
  readonly cluster: string;
  readonly root: string;
  readonly nodes: string;
  readonly election: string;
  readonly leader: string;
  readonly backends: string;
  readonly config: string;
  /** The validated copy of the last valid `config`, published by the nodes (config/config-watch.ts). */
  readonly configLastGood: string;
  readonly stats: string;
  /** The services folder: services/<name> (definition) and services/<name>/backends/<id>. */
  readonly services: string;
  service(name: string): string;
  serviceBackends(name: string): string;
  serviceBackend(name: string, backendId: string): string;
  node(nodeId: string): string;
  backend(backendId: string): string;
  stat(nodeId: string): string;
}

/** All paths of one cluster. `cluster` defaults to `default`. */
export function clusterPaths(cluster = 'default'): ClusterPaths {
  const root = `${ROOT}/${validateClusterName(cluster)}`;
  return Object.freeze({
    cluster,
    root,
    nodes: `${root}/nodes`,
    election: `${root}/election`,
    leader: `${root}/leader`,
    backends: `${root}/backends`,
    config: `${root}/config`,
    configLastGood: `${root}/config-last-good`,
    stats: `${root}/stats`,
    services: `${root}/services`,
    service: (name: string) => `${root}/services/${validateServiceName(name)}`,
    serviceBackends: (name: string) => `${root}/services/${validateServiceName(name)}/backends`,
    serviceBackend: (name: string, backendId: string) =>
      `${root}/services/${validateServiceName(name)}/backends/${validateBackendId(backendId)}`,
    node: (nodeId: string) => `${root}/nodes/${validateNodeId(nodeId)}`,
    backend: (backendId: string) => `${root}/backends/${validateBackendId(backendId)}`,
    stat: (nodeId: string) => `${root}/stats/${validateNodeId(nodeId)}`,
  });
}

/** `a/b` joined the ZooKeeper way (no double slash under `/`). */
export function joinPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/** Validates an absolute znode path the way the server would (subset: no empty, `.` or `..` segments). */
export function validateZnodePath(path: string): string {
  const ok =
    typeof path === 'string' &&
    path.startsWith('/') &&
    (path === '/' ||
      (!path.endsWith('/') &&
        path
          .split('/')
          .slice(1)
          .every((s) => s !== '' && s !== '.' && s !== '..')));
  if (!ok || path.includes('\u0000')) {
    throw zkError('RL_ZK_BAD_PATH', `znode path ${JSON.stringify(path)} is not a valid absolute path`, {
      path,
    });
  }
  return path;
}
