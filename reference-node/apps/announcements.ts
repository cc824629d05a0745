/**
 * When this node broadcasts its running apps (fluxos-node.md §5.5): every apprunningIntervalMs, after
 * an install and on regaining message capability, each time only while it may send messages. The
 * first broadcast (the orchestrator's `announceApps` at the peer threshold) waits for
 * bootContainerStateSettled. Field bug 12 (`first-broadcast-races-boot`) sends that first broadcast
 * at once instead, with v8.13.0's first-run empty list allowed: after a powercut the containers are
 * still down, so the node announces 0 apps and its own rows are deleted everywhere.
 */
import type { RegressionName } from '../../protocol/regressions.js';
import { type PeriodicTask, startPeriodic } from '../timers.js';
import type { Tunables } from '../tunables.js';

export interface AnnounceRequest {
  /** Send even an empty list (v8.13.0's first run). */
  allowEmpty: boolean;
}

export interface AppAnnouncementsOptions {
  tunables: Pick<Tunables, 'apprunningIntervalMs'>;
  regressions: ReadonlySet<RegressionName>;
  canSendMessages(): boolean;
  announce(request: AnnounceRequest): Promise<void>;
  onError(error: unknown): void;
}

export class AppAnnouncements {
  readonly #options: AppAnnouncementsOptions;
  #bootSettled = false;
  /** The orchestrator asked for the first broadcast and it has not gone out yet. */
  #firstPending = false;
  #task: PeriodicTask | undefined;

  constructor(options: AppAnnouncementsOptions) {
    this.#options = options;
  }

  start(): void {
    this.#task ??= startPeriodic({
      intervalMs: this.#options.tunables.apprunningIntervalMs,
      run: async () => this.routine(),
      onError: this.#options.onError,
    });
  }

  stop(): void {
    this.#task?.stop();
    this.#task = undefined;
  }

  /** The orchestrator's announceApps effect (#onPeersReady, first time). */
  peersReady(): void {
    this.#firstPending = true;
    this.#sendFirst();
  }

  /** boot:settled: the first broadcast may go now. */
  settleBoot(): void {
    this.#bootSettled = true;
    this.#sendFirst();
  }

  capabilityChanged(capable: boolean): void {
    if (!capable) return;
    if (this.#firstPending) this.#sendFirst();
    else this.routine();
  }

  /** Hourly, after an install, on regained capability: only once boot has settled. */
  routine(): void {
    if (!this.#bootSettled || !this.#options.canSendMessages()) return;
    this.#send({ allowEmpty: false });
  }

  #sendFirst(): void {
    if (!this.#firstPending || !this.#options.canSendMessages()) return;
    const races = this.#options.regressions.has('first-broadcast-races-boot');
    if (!races && !this.#bootSettled) return;
    this.#firstPending = false;
    this.#send({ allowEmpty: races });
  }

  #send(request: AnnounceRequest): void {
    this.#options.announce(request).catch(this.#options.onError);
  }
}
