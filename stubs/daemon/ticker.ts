/**
 * Mines on a clock: one block per group every `intervalMs`, and with `reorgEvery` B > 0 a
 * reorg after every B-th tick. What a tick does is the caller's; the ticker only keeps time.
 */

export interface TickerOptions {
  /** Called once per tick with the 1-based tick number. */
  onTick: (tick: number) => void;
}

export class Ticker {
  private readonly onTick: (tick: number) => void;
  private timer: NodeJS.Timeout | null = null;
  private ticks = 0;
  private interval = 0;

  constructor(options: TickerOptions) {
    this.onTick = options.onTick;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  get intervalMs(): number {
    return this.interval;
  }

  start(intervalMs: number): void {
    this.stop();
    this.interval = intervalMs;
    this.timer = setInterval(() => this.onTick(++this.ticks), intervalMs);
    // The ticker alone must not keep a process (or a test worker) alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
