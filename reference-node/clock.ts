/**
 * The node's only source of wall-clock time. Everything that stamps or ages data reads it, so a
 * clock fault (libfaketime in the container, or a manual clock in tests) applies uniformly.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** Date.now(), which libfaketime shifts when the harness skews a node's clock. */
export const systemClock: Clock = { now: () => Date.now() };

export interface ManualClock extends Clock {
  set(epochMs: number): void;
  advance(ms: number): void;
}

/** A clock that only moves when told to (tests). */
export function manualClock(startMs = 0): ManualClock {
  let current = startMs;
  return {
    now: () => current,
    set: (epochMs) => {
      current = epochMs;
    },
    advance: (ms) => {
      current += ms;
    },
  };
}
