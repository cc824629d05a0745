import { describe, expect, it } from 'vitest';
import { DEFAULT_TUNABLES } from '../tunables.js';
import type { BootContext } from './context.js';
import { type BootDecision, type DecideBootActionsInput, decideBootActions } from './decide.js';

const NOW = 1_700_000_000_000;
const MIN = 60_000;
const APPS = ['alpha', 'Beta'];

function rebooted(partial: Partial<BootContext> = {}): BootContext {
  return {
    machineRebooted: true,
    downtimeMs: 2 * MIN,
    cleanShutdown: false,
    currentBootId: 'b2',
    firstBoot: false,
    ...partial,
  };
}

const READY_GATES = {
  daemonReady: true,
  confirmation: { confirmed: true, dos: false },
  dbReady: true,
} as const;

function input(partial: Partial<DecideBootActionsInput>): DecideBootActionsInput {
  return { context: rebooted(), ownApps: APPS, now: NOW, tunables: DEFAULT_TUNABLES, ...partial };
}

function all(step: number, action: 'keep' | 'remove', reason: string): BootDecision {
  return {
    kind: 'decided',
    step,
    apps: APPS.map((name) => ({ name, action, reason, broadcast: action === 'remove' })),
  } as BootDecision;
}

const ROWS: { row: string; input: DecideBootActionsInput; decision: BootDecision }[] = [
  {
    row: '1: not rebooted -> skip (apps keep running)',
    input: input({ context: rebooted({ machineRebooted: false, downtimeMs: 3 * 60 * MIN }) }),
    decision: all(1, 'keep', 'not-rebooted'),
  },
  {
    row: '2: clean shutdown and down > 7 min -> remove all, broadcasting',
    input: input({ context: rebooted({ cleanShutdown: true, downtimeMs: 7 * MIN + 1 }) }),
    decision: all(2, 'remove', 'downtime-after-clean-shutdown'),
  },
  {
    row: '2: clean shutdown, down exactly 7 min -> go on (waits for the daemon)',
    input: input({ context: rebooted({ cleanShutdown: true, downtimeMs: 7 * MIN }) }),
    decision: { kind: 'pending', waitFor: 'daemonReady' },
  },
  {
    row: '2: unclean (powercut) 10 min -> not removed by downtime (bug 12 scenario)',
    input: input({ context: rebooted({ downtimeMs: 10 * MIN }), ...READY_GATES, cacheRowsForMe: [] }),
    decision: {
      kind: 'decided',
      step: 6,
      apps: APPS.map((name) => ({ name, action: 'remove', reason: 'no-cache-row', broadcast: false })),
    },
  },
  {
    row: '2: down > 125 min -> remove all',
    input: input({ context: rebooted({ downtimeMs: 125 * MIN + 1 }) }),
    decision: all(2, 'remove', 'downtime-exceeded'),
  },
  {
    row: '2: first boot never removes for downtime',
    input: input({ context: rebooted({ firstBoot: true, downtimeMs: null, cleanShutdown: false }) }),
    decision: { kind: 'pending', waitFor: 'daemonReady' },
  },
  {
    row: '3: daemon not ready in 5 min -> remove all',
    input: input({ daemonReady: false }),
    decision: all(3, 'remove', 'daemon-not-ready'),
  },
  {
    row: '4: waits for the confirmation status',
    input: input({ daemonReady: true }),
    decision: { kind: 'pending', waitFor: 'confirmation' },
  },
  {
    row: '4: not confirmed -> remove all',
    input: input({ daemonReady: true, confirmation: { confirmed: false, dos: false } }),
    decision: all(4, 'remove', 'not-confirmed'),
  },
  {
    row: '4: DOS -> remove all',
    input: input({ daemonReady: true, confirmation: { confirmed: false, dos: true } }),
    decision: all(4, 'remove', 'dos'),
  },
  {
    row: '5: waits for dbReady',
    input: input({ daemonReady: true, confirmation: { confirmed: true, dos: false } }),
    decision: { kind: 'pending', waitFor: 'dbReady' },
  },
  {
    row: '5: no dbReady in 5 min -> remove all',
    input: input({ ...READY_GATES, dbReady: false }),
    decision: all(5, 'remove', 'db-not-ready'),
  },
  {
    row: '6: waits for the cache rows',
    input: input(READY_GATES),
    decision: { kind: 'pending', waitFor: 'cacheRows' },
  },
  {
    row: '6: unexpired (case-insensitive) row -> resume; expired or missing row -> remove locally',
    input: input({
      ...READY_GATES,
      cacheRowsForMe: [
        { name: 'ALPHA', expireAt: NOW + 1 },
        { name: 'beta', expireAt: NOW },
      ],
    }),
    decision: {
      kind: 'decided',
      step: 6,
      apps: [
        { name: 'alpha', action: 'resume', reason: 'cache-row', broadcast: false },
        { name: 'Beta', action: 'remove', reason: 'no-cache-row', broadcast: false },
      ],
    },
  },
];

describe('decideBootActions (§10 manageAppsOnBoot)', () => {
  for (const { row, input: given, decision } of ROWS) {
    it(row, () => {
      expect(decideBootActions(given)).toEqual(decision);
    });
  }

  it('a decision reached at step 2 never asks for a gate', () => {
    const decision = decideBootActions(input({ context: rebooted({ downtimeMs: 200 * MIN }) }));
    expect(decision.kind).toBe('decided');
  });

  it('no installed apps: still decides (the runtime settles boot either way)', () => {
    expect(decideBootActions(input({ ownApps: [], ...READY_GATES, cacheRowsForMe: [] }))).toEqual({
      kind: 'decided',
      step: 6,
      apps: [],
    });
  });
});
