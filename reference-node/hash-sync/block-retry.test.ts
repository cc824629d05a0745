import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { HashRetryOnBlocks } from './block-retry.js';

/** Missing hashes with their nextRetryHeight (undefined: never tried). */
function setup({ missing, done = true }: { missing: Map<string, number | undefined>; done?: boolean }) {
  const runs: { attempt: number; height: number }[] = [];
  let release: (() => void) | undefined;
  const retry = new HashRetryOnBlocks({
    hashSync: {
      run: (input) => {
        runs.push(input);
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    },
    messages: {
      missingHashes: async ({ height } = {}) =>
        [...missing].filter(([, next]) => height === undefined || next === undefined || next <= height).map(([h]) => h),
    },
    hashSyncDone: () => done,
    nextAttempt: () => runs.length + 2,
    logger: createLogger({ level: 'silent' }),
  });
  const finishRun = () => release?.();
  return { retry, runs, finishRun };
}

describe('block-driven hash retries (#checkHashRetry, §6)', () => {
  it('runs at the block where a missing hash falls due, not before', async () => {
    const { retry, runs, finishRun } = setup({ missing: new Map([['a', 120]]) });
    await retry.onBlock(119);
    expect(runs).toEqual([]);
    const running = retry.onBlock(120);
    await new Promise(setImmediate);
    finishRun();
    await running;
    expect(runs).toEqual([{ attempt: 2, height: 120 }]);
  });

  it('new unresolved hashes force the next block even when nothing is due', async () => {
    const { retry, runs, finishRun } = setup({ missing: new Map([['a', 500]]) });
    retry.hashesChanged();
    const running = retry.onBlock(130);
    await new Promise(setImmediate);
    finishRun();
    await running;
    expect(runs).toEqual([{ attempt: 2, height: 130 }]);
    await retry.onBlock(131);
    expect(runs).toHaveLength(1);
  });

  it('is single-flight: a block during a run is skipped', async () => {
    const { retry, runs, finishRun } = setup({ missing: new Map([['a', undefined]]) });
    const first = retry.onBlock(10);
    await new Promise(setImmediate);
    await retry.onBlock(11);
    finishRun();
    await first;
    expect(runs.map((run) => run.height)).toEqual([10]);
  });

  it('stays off until the orchestrator hash sync is done (retries exhausted: never, §6 caveat)', async () => {
    const { retry, runs } = setup({ missing: new Map([['a', undefined]]), done: false });
    retry.hashesChanged();
    await retry.onBlock(10);
    expect(runs).toEqual([]);
  });
});
