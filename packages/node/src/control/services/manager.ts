// The services of this node: one ServiceRuntime per valid `services/<name>` znode, opened,
// updated, replaced and drained as the watcher's view changes (plan.ts), each with its own
// routing state, checks and listener. The default HTTP service (top-level backends/ + config)
// is not here: it is the node's main data plane.
import { type Backend, DEFAULT_SERVICE, type ServiceDefinition, stableStringify } from '@ringleader/core';
import type { ListenerState } from './listener-state.js';
import { planServices, portClashes } from './plan.js';
import { type ServiceEnvironment, ServiceRuntime } from './runtime.js';

/** A rejected znode as the watcher reports it. */
export interface ServiceRejection {
  readonly code: string;
  readonly message: string;
  readonly path: string;
  readonly field?: string | undefined;
}

/** What the watcher knows of one service (zk's ServiceState fits). */
export interface ServiceInput {
  /** The last good definition; undefined while it has never been valid. */
  readonly definition: ServiceDefinition | undefined;
  /** The current znode's problem, while it stays invalid. */
  readonly rejected?: ServiceRejection | undefined;
  readonly membership?:
    | {
        readonly version: number;
        readonly backends: readonly Backend[];
        readonly rejected: readonly {
          readonly id: string;
          readonly path: string;
          readonly code: string;
          readonly message: string;
        }[];
      }
    | undefined;
}

export interface ServiceStatusEntry {
  readonly name: string;
  readonly definition: ServiceDefinition | undefined;
  readonly listener: ListenerState | { readonly phase: 'not-opened'; readonly message: string };
  readonly rejected?: ServiceRejection | undefined;
  readonly runtime?: ServiceRuntime | undefined;
  readonly membershipRejected: NonNullable<ServiceInput['membership']>['rejected'];
}

const sameDefinition = (a: ServiceDefinition, b: ServiceDefinition) =>
  stableStringify(a) === stableStringify(b);

export class ServiceManager {
  readonly #env: ServiceEnvironment;
  /** Ports this node already uses on the service host (the default proxy port, when hosts coincide). */
  readonly #reserved: ReadonlyMap<number, string>;
  readonly #running = new Map<string, ServiceRuntime>();
  readonly #draining = new Set<Promise<void>>();
  #view: ReadonlyMap<string, ServiceInput> = new Map();
  #clashes = new Map<string, string>();
  #closed = false;

  constructor(env: ServiceEnvironment, reserved: ReadonlyMap<number, string> = new Map()) {
    this.#env = env;
    this.#reserved = reserved;
  }

  get runtimes(): ReadonlyMap<string, ServiceRuntime> {
    return this.#running;
  }

  /** Applies the watcher's current view (every node computes the same actions from it). */
  apply(view: ReadonlyMap<string, ServiceInput>): void {
    if (this.#closed) return;
    this.#view = view;
    const defined = new Map<string, ServiceDefinition | undefined>();
    for (const [name, s] of view) if (name !== DEFAULT_SERVICE) defined.set(name, s.definition);
    this.#clashes = portClashes(defined, this.#reserved);
    for (const [name, owner] of this.#clashes) {
      defined.delete(name);
      this.#env.logger.error(
        { code: 'RL_SERVICE_PORT_CLASH', service: name, owner },
        `service ${name} wants the port of ${owner}; it is not opened until one of them moves`,
      );
    }
    const running = new Map([...this.#running].map(([n, r]) => [n, r.definition] as const));
    for (const a of planServices(running, defined, sameDefinition)) {
      switch (a.kind) {
        case 'close':
          this.#drain(a.name);
          break;
        case 'replace':
          this.#drain(a.name);
          this.#open(a.name, a.definition);
          break;
        case 'open':
          this.#open(a.name, a.definition);
          break;
        case 'update':
          this.#running.get(a.name)?.update(a.definition);
          break;
      }
    }
    for (const [name, rt] of this.#running) {
      const m = view.get(name)?.membership;
      if (m !== undefined) rt.setMembership(m.version, m.backends);
    }
  }

  /** Every service the watcher knows, in name order, for /status and the dashboard. */
  status(): ServiceStatusEntry[] {
    const names = new Set([...this.#view.keys(), ...this.#running.keys()]);
    names.delete(DEFAULT_SERVICE);
    return [...names].sort().map((name) => {
      const input = this.#view.get(name);
      const rt = this.#running.get(name);
      const clash = this.#clashes.get(name);
      const listener =
        rt?.state ??
        (clash !== undefined
          ? { phase: 'not-opened' as const, message: `port taken by service ${clash}` }
          : { phase: 'not-opened' as const, message: 'no valid definition yet' });
      return {
        name,
        definition: rt?.definition ?? input?.definition,
        listener,
        rejected: input?.rejected,
        runtime: rt,
        membershipRejected: input?.membership?.rejected ?? [],
      };
    });
  }

  stopAccepting(): void {
    for (const rt of this.#running.values()) rt.stopAccepting();
  }

  /** Drains every service (each for up to `graceMs`, default its own drainTimeoutMs). */
  async close(graceMs?: number): Promise<void> {
    this.#closed = true;
    const all = [...this.#running.values()].map((rt) => rt.close(graceMs));
    this.#running.clear();
    await Promise.all([...all, ...this.#draining]);
  }

  #open(name: string, definition: ServiceDefinition): void {
    const rt = new ServiceRuntime(name, definition, this.#env);
    this.#running.set(name, rt);
    const m = this.#view.get(name)?.membership;
    if (m !== undefined) rt.setMembership(m.version, m.backends);
    rt.start();
  }

  #drain(name: string): void {
    const rt = this.#running.get(name);
    if (rt === undefined) return;
    this.#running.delete(name);
    // Free the port at once (a replacement may bind it); open connections drain behind.
    rt.stopAccepting();
    const done = rt.close().finally(() => this.#draining.delete(done));
    this.#draining.add(done);
  }
}
