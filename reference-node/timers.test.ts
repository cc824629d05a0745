import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startPeriodic } from './timers.js';

/** A poll that takes `runMs` against a slow daemon, every `intervalMs`, for `forMs`: the most runs at once. */
async function peakConcurrency({ overlapping }: { overlapping: boolean }): Promise<number> {
  let inFlight = 0;
  let peak = 0;
  const task = startPeriodic({
    intervalMs: 100,
    overlapping,
    run: async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 350));
      inFlight -= 1;
    },
    onError: (error) => {
      throw error;
    },
  });
  await vi.advanceTimersByTimeAsync(2_000);
  task.stop();
  return peak;
}

describe('startPeriodic (field bug 19m)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never overlaps a slow run with the next one', async () => {
    expect(await peakConcurrency({ overlapping: false })).toBe(1);
  });

  it('regression overlapping-polls: the fixed interval piles runs up on a slow daemon', async () => {
    expect(await peakConcurrency({ overlapping: true })).toBeGreaterThanOrEqual(3);
  });

  it('trigger runs at once and the schedule restarts after the run', async () => {
    const runs: number[] = [];
    const task = startPeriodic({
      intervalMs: 1_000,
      run: async () => {
        runs.push(Date.now());
      },
      onError: () => {},
    });
    const start = Date.now();
    task.trigger();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(1_000);
    task.stop();
    expect(runs.map((at) => at - start)).toEqual([0, 1_000]);
  });
});
