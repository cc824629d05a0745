/**
 * `#checkHashRetry` (fluxos-node.md §6 "Recovery"): once the orchestrator's hash sync is done, each
 * processed block may run hash sync again: when a still-missing hash is due (its `nextRetryHeight`
 * reached; every run gives each hash it leaves missing one, so FluxOS's +100-block fallback for a
 * hash without one never applies), and at the next block whatever the heights when new hashes
 * arrived unresolved. Single-flight: a block that comes while a run is going is skipped.
 */
import type { AppMessageStore } from '../apps/message-store.js';
import type { Logger } from '../log.js';
import type { HashSync } from './hash-sync.js';

export interface HashRetryOnBlocksOptions {
  hashSync: Pick<HashSync, 'run'>;
  messages: Pick<AppMessageStore, 'missingHashes'>;
  /** The orchestrator's hash sync is done (with retries exhausted it is not: block retries stop, §6). */
  hashSyncDone(): boolean;
  /** The attempt number a block-driven run reports in `hashSync:complete`. */
  nextAttempt(): number;
  logger: Logger;
}

export class HashRetryOnBlocks {
  readonly #options: HashRetryOnBlocksOptions;
  #running = false;
  #forced = false;

  constructor(options: HashRetryOnBlocksOptions) {
    this.#options = options;
  }

  /** New hashes on chain that could not be resolved locally: try at the next block. */
  hashesChanged(): void {
    this.#forced = true;
  }

  /** A processed block at the tip. Never throws; resolves when a run it started has ended. */
  async onBlock(height: number): Promise<void> {
    if (this.#running || !this.#options.hashSyncDone()) return;
    this.#running = true;
    try {
      if (!(await this.#due(height))) return;
      this.#forced = false;
      await this.#options.hashSync.run({ attempt: this.#options.nextAttempt(), height });
    } catch (error) {
      this.#options.logger.warn('block-driven hash sync failed', { height, error });
    } finally {
      this.#running = false;
    }
  }

  async #due(height: number): Promise<boolean> {
    return this.#forced || (await this.#options.messages.missingHashes({ height })).length > 0;
  }
}
