// What the node does with its service listeners when the services in ZooKeeper change: a pure
// comparison of what runs with what is defined, so every case is unit-tested without sockets.
//
// A listener is identified by (protocol, port): a definition that changes either is a new
// listener (the old one drains, the new one opens), anything else is applied in place to new
// connections. A service whose definition has never been valid opens nothing; one that turns
// invalid keeps its last good definition (the watcher hands that over), so nothing here ever
// sees a half-valid definition.
import type { ServiceDefinition } from '@ringleader/core';

export type ServiceAction =
  | { readonly kind: 'open'; readonly name: string; readonly definition: ServiceDefinition }
  | { readonly kind: 'update'; readonly name: string; readonly definition: ServiceDefinition }
  | { readonly kind: 'replace'; readonly name: string; readonly definition: ServiceDefinition }
  | { readonly kind: 'close'; readonly name: string };

/**
 * The listener identity: what cannot change under open connections. An HTTP service's plane
 * takes its timeouts and retries when built, so a change of those reopens it too (the old one
 * drains; its port is free at once).
 */
export function sameListener(a: ServiceDefinition, b: ServiceDefinition): boolean {
  if (a.protocol !== b.protocol || a.listen !== b.listen) return false;
  if (a.protocol !== 'http') return true;
  return (
    a.routing.retries === b.routing.retries &&
    a.timeouts.connectMs === b.timeouts.connectMs &&
    a.timeouts.idleMs === b.timeouts.idleMs &&
    a.maxConnectionsPerBackend === b.maxConnectionsPerBackend
  );
}

/**
 * Actions turning `running` (name → definition in force) into `wanted` (name → last good
 * definition, undefined when the service has none). Closes first (a port freed by one service
 * may be taken by another in the same change), then replacements, opens and updates, each in
 * name order so every node acts alike.
 */
export function planServices(
  running: ReadonlyMap<string, ServiceDefinition>,
  wanted: ReadonlyMap<string, ServiceDefinition | undefined>,
  same: (a: ServiceDefinition, b: ServiceDefinition) => boolean = (a, b) => a === b,
): ServiceAction[] {
  const closes: ServiceAction[] = [];
  const replaces: ServiceAction[] = [];
  const rest: ServiceAction[] = [];
  for (const name of [...running.keys()].sort()) {
    if (wanted.get(name) === undefined) closes.push({ kind: 'close', name });
  }
  for (const name of [...wanted.keys()].sort()) {
    const definition = wanted.get(name);
    if (definition === undefined) continue;
    const current = running.get(name);
    if (current === undefined) rest.push({ kind: 'open', name, definition });
    else if (!sameListener(current, definition)) replaces.push({ kind: 'replace', name, definition });
    else if (!same(current, definition)) rest.push({ kind: 'update', name, definition });
  }
  return [...closes, ...replaces, ...rest];
}

/**
 * Services that want the same port on this node: the first by name keeps it; the others are
 * reported (they would fail to bind anyway, and a deterministic winner keeps nodes alike).
 */
export function portClashes(
  wanted: ReadonlyMap<string, ServiceDefinition | undefined>,
  reserved: ReadonlyMap<number, string>,
): Map<string, string> {
  const owner = new Map<number, string>(reserved);
  const clashes = new Map<string, string>();
  for (const name of [...wanted.keys()].sort()) {
    const d = wanted.get(name);
    if (d === undefined) continue;
    const taken = owner.get(d.listen);
    if (taken !== undefined) clashes.set(name, taken);
    else owner.set(d.listen, name);
  }
  return clashes;
}
