import { describe, expect, it } from 'vitest';
import { manualClock } from '../clock.js';
import { DEFAULT_TUNABLES } from '../tunables.js';
import type { BootContext } from './context.js';
import type { BootCacheRow } from './decide.js';
import { type BootGates, type DecidedBoot, runBootSequence } from './sequence.js';

const NOW = 1_700_000_000_000;
const MIN = 60_000;

const POWERCUT: BootContext = {
  machineRebooted: true,
  downtimeMs: 2 * MIN,
  cleanShutdown: false,
  currentBootId: 'b2',
  firstBoot: false,
};

function gates(
  answers: Partial<{ daemonReady: boolean; confirmed: boolean; dos: boolean; dbReady: boolean; rows: BootCacheRow[] }>,
) {
  const asked: string[] = [];
  const all: BootGates = {
    daemonReady: async () => {
      asked.push('daemonReady');
      return answers.daemonReady ?? true;
    },
    confirmation: async () => {
      asked.push('confirmation');
      return { confirmed: answers.confirmed ?? true, dos: answers.dos ?? false };
    },
    dbReady: async () => {
      asked.push('dbReady');
      return answers.dbReady ?? true;
    },
    cacheRowsForMe: async () => {
      asked.push('cacheRows');
      return answers.rows ?? [];
    },
  };
  return { gates: all, asked };
}

async function run({
  context = POWERCUT,
  apps = ['alpha', 'beta'],
  answers = {},
  apply = async () => {},
}: {
  context?: BootContext;
  apps?: string[];
  answers?: Parameters<typeof gates>[0];
  apply?: (decision: DecidedBoot) => Promise<void>;
}) {
  const { gates: boot, asked } = gates(answers);
  const applied: DecidedBoot[] = [];
  let settled = 0;
  const result = runBootSequence({
    context,
    ownApps: async () => apps,
    gates: boot,
    clock: manualClock(NOW),
    tunables: DEFAULT_TUNABLES,
    apply: async (decision) => {
      applied.push(decision);
      await apply(decision);
    },
    settle: () => {
      settled += 1;
    },
  });
  return { result, asked, applied, settled: () => settled };
}

describe('boot sequence (manageAppsOnBoot, §10)', () => {
  it('waits for the gates in order, then reconciles against the cache rows', async () => {
    const { result, asked, applied, settled } = await run({
      answers: { rows: [{ name: 'alpha', expireAt: NOW + 1 }] },
    });
    expect(await result).toEqual({
      kind: 'decided',
      step: 6,
      apps: [
        { name: 'alpha', action: 'resume', reason: 'cache-row', broadcast: false },
        { name: 'beta', action: 'remove', reason: 'no-cache-row', broadcast: false },
      ],
    });
    expect(asked).toEqual(['daemonReady', 'confirmation', 'dbReady', 'cacheRows']);
    expect(applied).toHaveLength(1);
    expect(settled()).toBe(1);
  });

  it('a decision from the boot context alone asks no gate (step 2: long powercut)', async () => {
    const { result, asked } = await run({ context: { ...POWERCUT, downtimeMs: 126 * MIN } });
    expect((await result).step).toBe(2);
    expect(asked).toEqual([]);
  });

  it('a gate that timed out ends the wait there (step 5: dbReady not in time)', async () => {
    const { result, asked } = await run({ answers: { dbReady: false } });
    expect(await result).toMatchObject({ step: 5, apps: [{ reason: 'db-not-ready', broadcast: true }, {}] });
    expect(asked).toEqual(['daemonReady', 'confirmation', 'dbReady']);
  });

  it('settles even when applying the decision throws', async () => {
    const { result, settled } = await run({
      apply: async () => {
        throw new Error('database gone');
      },
    });
    await expect(result).rejects.toThrow('database gone');
    expect(settled()).toBe(1);
  });
});
