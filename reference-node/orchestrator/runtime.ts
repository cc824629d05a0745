/**
 * Runs the pure orchestrator (state-machine.ts) inside the node: inputs are sent in, the effects it
 * returns are carried out here. Results of long effects (hash sync, DB rebuild) come back as inputs;
 * a result from before a DEGRADED reset is dropped (each run carries a generation), so a stale
 * success can never mark the resync done. The hash-sync retry delay is a timer.
 */
import type { FluxEvent } from '../../protocol/events.js';
import type { Logger } from '../log.js';
import type { EventBus } from '../sse/event-bus.js';
import {
  Orchestrator,
  type OrchestratorConfig,
  type OrchestratorEffect,
  type OrchestratorInput,
  type OrchestratorSnapshot,
  type OrchestratorStateName,
} from './state-machine.js';

export interface OrchestratorHandlers {
  /** First broadcast of our apps (the announcements decide when it really goes out). */
  announceApps(): void;
  /** 0x20..0x23 to the eligible sync peers. */
  requestSyncs(): void;
  /** Resolves when hash sync finished (with or without still-missing hashes); throws on failure. */
  runHashSync(attempt: number): Promise<void>;
  /** Resolves when the app DB is rebuilt (reindex after hash sync, or from what exists). */
  rebuildDb(reason: 'hashSync' | 'blockTimer'): Promise<void>;
  /** The node entered DEGRADED: the sync state is reset. */
  degraded(): void;
}

export interface OrchestratorRuntimeOptions {
  config: OrchestratorConfig;
  bus: Pick<EventBus, 'publishEvent'>;
  logger: Logger;
  handlers: OrchestratorHandlers;
}

export class OrchestratorRuntime {
  readonly #orchestrator: Orchestrator;
  readonly #options: OrchestratorRuntimeOptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Bumped on every DEGRADED: results of effects started before it are dropped. */
  #generation = 0;
  #dbReadyOnce: (() => void) | undefined;
  readonly #dbReady: Promise<void>;
  #stopped = false;

  constructor(options: OrchestratorRuntimeOptions) {
    this.#options = options;
    this.#orchestrator = new Orchestrator(options.config);
    this.#dbReady = new Promise((resolve) => {
      this.#dbReadyOnce = resolve;
    });
  }

  get state(): OrchestratorStateName {
    return this.#orchestrator.state;
  }

  get snapshot(): OrchestratorSnapshot {
    return this.#orchestrator.snapshot;
  }

  /** Resolves the first time the DB is ready (the boot gate `dbReady`, §9). */
  whenDbReady(): Promise<void> {
    return this.#dbReady;
  }

  send(input: OrchestratorInput): void {
    if (this.#stopped) return;
    const effects = this.#orchestrator.send(input);
    if (this.#orchestrator.snapshot.dbReady) this.#dbReadyOnce?.();
    for (const effect of effects) this.#run(effect);
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #run(effect: OrchestratorEffect): void {
    const { handlers, logger } = this.#options;
    switch (effect.kind) {
      case 'publish':
        this.#publish(effect.event);
        return;
      case 'announceApps':
        handlers.announceApps();
        return;
      case 'requestSyncs':
        handlers.requestSyncs();
        return;
      case 'startHashSync':
        this.#settle(handlers.runHashSync(effect.attempt), {
          done: () => ({ kind: 'hashSyncDone' }),
          failed: (error) => ({ kind: 'hashSyncFailed', error }),
        });
        return;
      case 'scheduleHashSyncRetry':
        this.#after(effect.delayMs, { kind: 'hashSyncRetryDue' });
        return;
      case 'rebuildDb':
        this.#settle(handlers.rebuildDb(effect.reason), {
          done: () => ({ kind: 'dbReady' }),
          failed: (error) => {
            logger.warn('app DB rebuild failed', { reason: effect.reason, error });
            return undefined;
          },
        });
        return;
    }
  }

  #publish(event: FluxEvent): void {
    this.#options.bus.publishEvent(event);
    if (event.name === 'orchestrator:stateChanged' && event.data.to === 'DEGRADED') {
      this.#generation += 1;
      this.#options.handlers.degraded();
    }
  }

  /** Feeds a long effect's outcome back, unless a DEGRADED reset happened meanwhile. */
  #settle(
    work: Promise<void>,
    outcome: { done: () => OrchestratorInput; failed: (error: string) => OrchestratorInput | undefined },
  ): void {
    const generation = this.#generation;
    work.then(
      () => {
        if (generation === this.#generation) this.send(outcome.done());
      },
      (error: unknown) => {
        if (generation !== this.#generation) return;
        const input = outcome.failed(error instanceof Error ? error.message : String(error));
        if (input) this.send(input);
      },
    );
  }

  #after(delayMs: number, input: OrchestratorInput): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.send(input);
    }, delayMs);
    this.#timers.add(timer);
  }
}
