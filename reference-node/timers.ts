/**
 * Self-scheduling periodic task (field bug 19m): the next run is scheduled only after the previous
 * one finished, so a slow call never overlaps itself. `overlapping` (the `overlapping-polls`
 * toggle) brings back the historic fixed `setInterval`, whose runs pile up on a slow daemon.
 */
export interface PeriodicTask {
  stop(): void;
  /** Run now (out of schedule) unless a run is in flight; the schedule restarts afterwards. */
  trigger(): void;
}

export function startPeriodic({
  intervalMs,
  run,
  onError,
  runImmediately = false,
  overlapping = false,
}: {
  intervalMs: number;
  run: () => Promise<void>;
  onError: (error: unknown) => void;
  runImmediately?: boolean;
  overlapping?: boolean;
}): PeriodicTask {
  if (overlapping) return startInterval({ intervalMs, run, onError, runImmediately });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running = false;

  const schedule = (delay: number): void => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(execute, delay);
  };
  const execute = (): void => {
    if (stopped || running) return;
    running = true;
    run()
      .catch(onError)
      .finally(() => {
        running = false;
        schedule(intervalMs);
      });
  };

  schedule(runImmediately ? 0 : intervalMs);
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
    trigger: () => {
      if (!running) schedule(0);
    },
  };
}

/** Bug 19m: a run every intervalMs whether or not the previous one has finished. */
function startInterval({
  intervalMs,
  run,
  onError,
  runImmediately,
}: {
  intervalMs: number;
  run: () => Promise<void>;
  onError: (error: unknown) => void;
  runImmediately: boolean;
}): PeriodicTask {
  const execute = (): void => {
    run().catch(onError);
  };
  const interval = setInterval(execute, intervalMs);
  if (runImmediately) setImmediate(execute);
  return {
    stop: () => clearInterval(interval),
    trigger: execute,
  };
}
