/**
 * The per-hash backoff of fluxos-node.md §6 step 5: a hash still missing after a sync is asked for
 * again only from `nextRetryHeight` on, further apart each time; once it has been missing for
 * `hashExpiryBlocks` since it was first retried it is given up (`messageNotFound`).
 */
import type { Tunables } from '../tunables.js';

export type HashBackoffTunables = Pick<Tunables, 'hashRetryBackoffBlocks' | 'hashExpiryBlocks'>;

export interface HashRetryState {
  /** Height of the block that carried the hash. */
  height: number;
  syncAttempts?: number;
  retryFromHeight?: number;
}

export type HashRetryDecision =
  | { giveUp: false; syncAttempts: number; retryFromHeight: number; nextRetryHeight: number }
  | { giveUp: true };

export function decideHashRetry(args: {
  row: HashRetryState;
  /** The tip when the sync ended. */
  height: number;
  tunables: HashBackoffTunables;
}): HashRetryDecision {
  const { row, height, tunables } = args;
  const retryFromHeight = row.retryFromHeight ?? row.height;
  if (height - retryFromHeight > tunables.hashExpiryBlocks) return { giveUp: true };
  const syncAttempts = (row.syncAttempts ?? 0) + 1;
  const steps = tunables.hashRetryBackoffBlocks;
  const wait = steps[Math.min(syncAttempts, steps.length - 1)] ?? 0;
  return { giveUp: false, syncAttempts, retryFromHeight, nextRetryHeight: height + wait };
}
