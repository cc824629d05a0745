/**
 * Bounded waits for boot gates (fluxos-node.md §9): whether something happened within a time limit,
 * cut short when the node stops.
 */

/** Thrown by `within` when the node stopped while waiting. */
export class WaitAbortedError extends Error {
  constructor(what: string) {
    super(`stopped while waiting for ${what}`);
    this.name = 'WaitAbortedError';
  }
}

/** True when `promise` resolves first, false after `timeoutMs`; rejects with WaitAbortedError on abort. */
export function within(
  promise: Promise<unknown>,
  { what, timeoutMs, signal }: { what: string; timeoutMs: number; signal: AbortSignal },
): Promise<boolean> {
  if (signal.aborted) return Promise.reject(new WaitAbortedError(what));
  return new Promise((resolve, reject) => {
    const finish = (outcome: () => void): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      outcome();
    };
    const onAbort = (): void => finish(() => reject(new WaitAbortedError(what)));
    const timer = setTimeout(() => finish(() => resolve(false)), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => finish(() => resolve(true)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}
