// One service on this node: its routing state (snapshot, health, load: apart from every other
// service's, as each has its own backends), its active checks and its listener, through the
// lifecycle of listener-state.ts. The listener itself comes from the data plane through the
// factory node.ts hands in; this side never imports the plane.
import {
  type Backend,
  HealthTable,
  LoadTracker,
  type RoutingSnapshot,
  type ServiceDefinition,
  stableStringify,
} from '@ringleader/core';
import type { Logger } from 'pino';
import type { GateDecision, ServiceListener, ServiceListenerInput, ServingPermit } from '../../seam.js';
import { HealthChecker } from '../health/checker.js';
import type { ProbeResult, ProbeSettings, ProbeTarget } from '../health/probe.js';
import { RoutingState } from '../routing.js';
import { bindRetryDelay, type ListenerState, nextListenerState } from './listener-state.js';

export type ProbeFn = (target: ProbeTarget, cfg: ProbeSettings) => Promise<ProbeResult>;

/** A protocol this node does not serve (yet): the listener factory throws it. */
export class UnsupportedProtocol extends Error {}

/** The node-wide parts every service shares: the gate and permits, and where to bind. */
export interface ServiceEnvironment {
  readonly host: string;
  readonly gate: () => GateDecision;
  readonly permitValid: (permit: Pick<ServingPermit, 'epoch'>) => boolean;
  readonly relayValid: (permit: ServingPermit) => boolean;
  readonly waitForGateChange: (ms: number) => Promise<void>;
  readonly openListener: (input: ServiceListenerInput) => ServiceListener;
  readonly probeFor: (definition: ServiceDefinition) => ProbeFn;
  readonly metrics: {
    readonly snapshotVersion: (service: string) => { set(v: number): void };
    readonly forget: (service: string, id: string) => void;
    readonly listenerPhase: (service: string, state: ListenerState) => void;
    /** 1 while a backend of the service may take new connections (its checks and ejections). */
    readonly backendUp: (service: string, id: string, up: boolean) => void;
  };
  readonly logger: Logger;
  readonly now?: () => number;
}

export class ServiceRuntime {
  readonly name: string;
  readonly load: LoadTracker;
  readonly health: HealthTable;
  readonly checker: HealthChecker;
  readonly routing: RoutingState;
  #definition: ServiceDefinition;
  #probe: ProbeFn;
  #state: ListenerState = { phase: 'opening', attempt: 1 };
  #listener: ServiceListener | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  #lastBindError: string | undefined;
  readonly #env: ServiceEnvironment;
  readonly #log: Logger;

  constructor(name: string, definition: ServiceDefinition, env: ServiceEnvironment) {
    this.name = name;
    this.#definition = definition;
    this.#env = env;
    this.#log = env.logger.child({ service: name });
    this.#probe = env.probeFor(definition);
    const cfg = definition.routing;
    this.load = new LoadTracker({ decayMs: cfg.lrt.decayMs });
    this.health = new HealthTable({ healthCheck: cfg.healthCheck, outlier: cfg.outlier });
    this.checker = new HealthChecker({
      table: this.health,
      config: cfg.healthCheck,
      logger: this.#log.child({ component: 'health' }),
      load: this.load,
      // Read per check, so a changed check kind applies from the next check on.
      probe: (target, settings) => this.#probe(target, settings),
    });
    // Health transitions become the service's per-backend series (the checker logs them).
    this.checker.onTransition((e) => env.metrics.backendUp(name, e.id, this.health.isUp(e.id)));
    this.routing = new RoutingState({
      fallback: cfg,
      load: this.load,
      health: this.health,
      checker: this.checker,
      metrics: {
        snapshotVersion: env.metrics.snapshotVersion(name),
        forget: (id) => env.metrics.forget(name, id),
      },
      logger: this.#log.child({ component: 'routing' }),
      onSnapshot: (snap) => this.#listener?.onSnapshot(snap),
    });
  }

  get definition(): ServiceDefinition {
    return this.#definition;
  }
  get state(): ListenerState {
    return this.#state;
  }
  get snapshot(): RoutingSnapshot {
    return this.routing.snapshot;
  }
  get listenerStats(): Readonly<object> | undefined {
    return this.#listener?.stats;
  }

  /** Starts checking and binds (a failed bind is retried: see listener-state.ts). */
  start(): void {
    this.checker.start();
    void this.#open();
  }

  setMembership(version: number, backends: readonly Backend[]): void {
    this.routing.setMembership(version, backends);
  }

  /** A changed definition of the same listener (protocol and port): see plan.ts. */
  update(definition: ServiceDefinition): void {
    const before = this.#definition;
    this.#definition = definition;
    if (stableStringify(before.healthCheck) !== stableStringify(definition.healthCheck))
      this.#probe = this.#env.probeFor(definition);
    this.routing.setConfig(definition.routing);
    this.#listener?.update(definition);
    this.#log.info({ listen: definition.listen }, 'service definition updated');
  }

  /** Drains: no new connections; open ones get `graceMs` (default the service's drainTimeoutMs). */
  close(graceMs = this.#definition.drainTimeoutMs): Promise<void> {
    this.#closing ??= this.#close(graceMs);
    return this.#closing;
  }

  stopAccepting(): void {
    this.#listener?.stopAccepting();
  }

  async #close(graceMs: number): Promise<void> {
    clearTimeout(this.#retry);
    this.#set(nextListenerState(this.#state, { kind: 'drain', graceMs, now: Date.now() }));
    this.checker.stop();
    try {
      await this.#listener?.close(graceMs);
    } catch (err) {
      this.#log.warn({ err }, 'service listener close failed');
    }
    this.#listener = undefined;
    this.#set(nextListenerState(this.#state, { kind: 'closed' }));
    this.#log.info('service listener closed');
  }

  #set(s: ListenerState): void {
    this.#state = s;
    this.#env.metrics.listenerPhase(this.name, s);
  }

  async #open(): Promise<void> {
    if (this.#closing !== undefined) return;
    const d = this.#definition;
    let listener: ServiceListener;
    try {
      listener = this.#env.openListener({
        name: this.name,
        definition: d,
        seam: {
          snapshot: () => this.routing.snapshot,
          gate: this.#env.gate,
          permitValid: this.#env.permitValid,
          relayValid: this.#env.relayValid,
          waitForGateChange: this.#env.waitForGateChange,
        },
        load: this.load,
        health: this.checker,
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.#set({ phase: 'unsupported', message });
      this.#log.error({ code: 'RL_SERVICE_UNSUPPORTED', protocol: d.protocol }, message);
      return;
    }
    this.#listener = listener;
    listener.onSnapshot(this.routing.snapshot);
    const host = this.#env.host;
    try {
      const addr = await listener.listen({ host, port: d.listen });
      if (this.#closing !== undefined) return;
      this.#set(nextListenerState(this.#state, { kind: 'bound', ...addr, now: Date.now() }));
      this.#lastBindError = undefined;
      this.#log.info({ host: addr.host, port: addr.port, protocol: d.protocol }, 'service listening');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const code = e.code ?? 'EUNKNOWN';
      const message = `cannot listen on ${host}:${d.listen}: ${e.message}`;
      this.#listener = undefined;
      await listener.close(0).catch(() => undefined);
      if (this.#closing !== undefined) return;
      this.#set(nextListenerState(this.#state, { kind: 'bind-failed', code, message, now: Date.now() }));
      const attempt = this.#state.phase === 'bind-failed' ? this.#state.attempt : 1;
      // Loud once per distinct error; the retries that follow stay at debug.
      if (this.#lastBindError !== message)
        this.#log.error(
          { code: 'RL_SERVICE_BIND_FAILED', errno: code, host, port: d.listen },
          `${message}; retrying with back-off (the node's other services are unaffected)`,
        );
      else this.#log.debug({ errno: code, attempt }, message);
      this.#lastBindError = message;
      this.#retry = setTimeout(() => {
        this.#set(nextListenerState(this.#state, { kind: 'retry' }));
        void this.#open();
      }, bindRetryDelay(attempt));
      this.#retry.unref();
    }
  }
}
