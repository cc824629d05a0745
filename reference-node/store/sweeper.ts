/**
 * Deletes documents whose `expireAt` has passed, on the node's clock. MongoDB's TTL monitor would do
 * this on the database server's clock (and FerretDB v1 has none), so clock faults injected into the
 * node would not apply; this sweeper makes expiry follow the node's time.
 */
import type { Clock } from '../clock.js';

/** Any collection whose documents carry an epoch-ms `expireAt`. */
export interface ExpiringCollection {
  deleteMany(filter: { expireAt: { $lte: number } }): Promise<{ deletedCount: number }>;
}

export interface SweeperOptions {
  collections: readonly ExpiringCollection[];
  clock: Clock;
  intervalMs: number;
  /** Called when a sweep fails (e.g. the database is briefly unreachable); the next sweep still runs. */
  onError?: (error: unknown) => void;
}

export class Sweeper {
  private readonly collections: readonly ExpiringCollection[];
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly onError: (error: unknown) => void;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<number> | undefined;
  private running = false;

  constructor({ collections, clock, intervalMs, onError }: SweeperOptions) {
    this.collections = collections;
    this.clock = clock;
    this.intervalMs = intervalMs;
    this.onError = onError ?? (() => {});
  }

  /** One pass over every collection; resolves to the number of documents deleted. */
  async sweepOnce(): Promise<number> {
    const cutoff = this.clock.now();
    let deleted = 0;
    for (const collection of this.collections) {
      const result = await collection.deleteMany({ expireAt: { $lte: cutoff } });
      deleted += result.deletedCount;
    }
    return deleted;
  }

  /** Sweeps every intervalMs; self-scheduling so a slow sweep never overlaps the next one. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  /** Stops scheduling and waits for a sweep in progress. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight?.catch(() => 0);
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.inFlight = this.sweepOnce();
      this.inFlight
        .catch((error: unknown) => {
          this.onError(error);
          return 0;
        })
        .finally(() => {
          this.inFlight = undefined;
          if (this.running) this.schedule();
        });
    }, this.intervalMs);
    this.timer.unref();
  }
}
