import { describe, expect, it } from 'vitest';
import { DEFAULT_TUNABLES } from '../tunables.js';
import { decideHashRetry } from './hash-retry.js';

const tunables = {
  hashRetryBackoffBlocks: DEFAULT_TUNABLES.hashRetryBackoffBlocks,
  hashExpiryBlocks: DEFAULT_TUNABLES.hashExpiryBlocks,
};

describe('decideHashRetry (§6 step 5)', () => {
  it.each([
    { attemptsBefore: 0, wait: 100 },
    { attemptsBefore: 1, wait: 500 },
    { attemptsBefore: 2, wait: 2_500 },
    { attemptsBefore: 3, wait: 12_500 },
    { attemptsBefore: 4, wait: 50_000 },
    { attemptsBefore: 5, wait: 100_000 },
    { attemptsBefore: 9, wait: 100_000 },
  ])('after $attemptsBefore failed attempts the next waits $wait blocks', ({ attemptsBefore, wait }) => {
    const decision = decideHashRetry({
      row: { height: 1_000, syncAttempts: attemptsBefore, retryFromHeight: 1_000 },
      height: 2_000,
      tunables,
    });
    expect(decision).toEqual({
      giveUp: false,
      syncAttempts: attemptsBefore + 1,
      retryFromHeight: 1_000,
      nextRetryHeight: 2_000 + wait,
    });
  });

  it('counts the expiry from the block that carried the hash on its first retry', () => {
    const decision = decideHashRetry({ row: { height: 500 }, height: 520, tunables });
    expect(decision).toEqual({ giveUp: false, syncAttempts: 1, retryFromHeight: 500, nextRetryHeight: 620 });
  });

  it('gives the hash up once it has been missing longer than hashExpiryBlocks, not at the boundary', () => {
    const at = (height: number) =>
      decideHashRetry({ row: { height: 10, syncAttempts: 6, retryFromHeight: 10 }, height, tunables });
    expect(at(10 + 1_051_200).giveUp).toBe(false);
    expect(at(10 + 1_051_201)).toEqual({ giveUp: true });
  });
});
