/**
 * `nodeConfirmationService` (fluxos-node.md §9) at run time: every confirmationPollMs asks the daemon
 * `getzelnodestatus`, checks our ip:port and pubkey in the deterministic list, and lets
 * evaluateConfirmation (levels.ts) decide the levels, the SSE events and the actions, which this
 * poller publishes and hands to `onEvaluated`.
 */
import type { Clock } from '../clock.js';
import type { DaemonClient } from '../daemon/client.js';
import type { EventBus } from '../sse/event-bus.js';
import { type PeriodicTask, startPeriodic } from '../timers.js';
import type { Tunables } from '../tunables.js';
import {
  type ConfirmationEvaluation,
  type ConfirmationLevels,
  DOS_STATUS,
  evaluateConfirmation,
  INITIAL_CONFIRMATION_LEVELS,
  nodeStatusOf,
} from './levels.js';

export interface ConfirmationPollerOptions {
  client: Pick<DaemonClient, 'call'>;
  clock: Clock;
  tunables: Pick<Tunables, 'confirmationPollMs' | 'daemonStaleMs' | 'daemonExpiredMs'>;
  /** The deterministic list holds this node's ip:port with its pubkey. */
  isListed(): boolean;
  bus: Pick<EventBus, 'publishEvent'>;
  /** After every poll, with the levels before it. */
  onEvaluated(evaluation: ConfirmationEvaluation & { previous: ConfirmationLevels }): void;
  onError(error: unknown): void;
  /** Bug 19m (overlapping-polls): polls on a fixed interval, overlapping on a slow daemon. */
  overlappingPolls?: boolean;
}

export interface ConfirmationStats {
  polls: number;
  rpcFailures: number;
  lastStatus: string | null;
}

export class ConfirmationPoller {
  readonly #options: ConfirmationPollerOptions;
  readonly #startedAt: number;
  #levels: ConfirmationLevels = INITIAL_CONFIRMATION_LEVELS;
  #lastStatus: string | undefined;
  #lastRpcSuccessAt: number | undefined;
  #stats = { polls: 0, rpcFailures: 0 };
  #task: PeriodicTask | undefined;
  readonly #waiters = new Set<() => void>();

  constructor(options: ConfirmationPollerOptions) {
    this.#options = options;
    this.#startedAt = options.clock.now();
  }

  get levels(): ConfirmationLevels {
    return this.#levels;
  }

  get stats(): ConfirmationStats {
    return { ...this.#stats, lastStatus: this.#lastStatus ?? null };
  }

  /** waitForConfirmationStatus's DOS flag: the daemon's last answer was DOS. */
  get dos(): boolean {
    return this.#lastStatus === DOS_STATUS;
  }

  start(): void {
    this.#task ??= startPeriodic({
      intervalMs: this.#options.tunables.confirmationPollMs,
      runImmediately: true,
      overlapping: this.#options.overlappingPolls ?? false,
      run: () => this.pollOnce(),
      onError: this.#options.onError,
    });
  }

  stop(): void {
    this.#task?.stop();
    this.#task = undefined;
    for (const wake of this.#waiters) wake();
  }

  /** Resolves at the first poll that finds the node confirmed (or when the poller stops). */
  whenConfirmed(): Promise<void> {
    if (this.#levels.confirmed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        this.#waiters.delete(wake);
        resolve();
      };
      this.#waiters.add(wake);
    });
  }

  async pollOnce(): Promise<void> {
    const { client, clock, tunables, isListed, bus, onEvaluated } = this.#options;
    const rpcOk = await client.call('getzelnodestatus').then(
      (result) => {
        this.#lastStatus = nodeStatusOf(result);
        this.#lastRpcSuccessAt = clock.now();
        return true;
      },
      () => false,
    );
    this.#stats.polls += 1;
    if (!rpcOk) this.#stats.rpcFailures += 1;
    const previous = this.#levels;
    const evaluation = evaluateConfirmation({
      previous,
      observation: {
        lastStatus: this.#lastStatus,
        listed: isListed(),
        rpcOk,
        lastRpcSuccessAt: this.#lastRpcSuccessAt,
        startedAt: this.#startedAt,
        now: clock.now(),
      },
      tunables,
    });
    this.#levels = evaluation.levels;
    for (const event of evaluation.events) bus.publishEvent(event);
    onEvaluated({ ...evaluation, previous });
    if (evaluation.levels.confirmed) for (const wake of this.#waiters) wake();
  }
}
