import { describe, expect, it } from 'vitest';
import type { RegressionName } from '../../protocol/regressions.js';
import { DEFAULT_TUNABLES } from '../tunables.js';
import {
  INITIAL_ORCHESTRATOR_SNAPSHOT,
  Orchestrator,
  type OrchestratorConfig,
  type OrchestratorEffect,
  type OrchestratorInput,
  type OrchestratorSnapshot,
  type OrchestratorStateName,
  SYNC_KINDS,
  stepOrchestrator,
} from './state-machine.js';

const config: OrchestratorConfig = { tunables: DEFAULT_TUNABLES };
const H = 1000;

function changed(from: OrchestratorStateName, to: OrchestratorStateName): OrchestratorEffect {
  return { kind: 'publish', event: { name: 'orchestrator:stateChanged', data: { from, to } } };
}

function run(
  inputs: readonly OrchestratorInput[],
  options: Partial<OrchestratorConfig> = {},
): { snapshot: OrchestratorSnapshot; effects: OrchestratorEffect[] } {
  let snapshot = INITIAL_ORCHESTRATOR_SNAPSHOT;
  let effects: OrchestratorEffect[] = [];
  for (const input of inputs) ({ snapshot, effects } = stepOrchestrator(snapshot, input, { ...config, ...options }));
  return { snapshot, effects };
}

const block = (height: number): OrchestratorInput => ({ kind: 'blocksProcessed', height });
const peers = (count: number): OrchestratorInput => ({ kind: 'peerCount', count });
const capable = (value: boolean): OrchestratorInput => ({ kind: 'canSendMessages', capable: value });
const allCompletions = (times: number): OrchestratorInput[] =>
  SYNC_KINDS.flatMap((syncType) => Array.from({ length: times }, () => ({ kind: 'syncComplete' as const, syncType })));

/** SYNCING, peers at threshold, list loaded, capable: hash sync running, syncs requested. */
const SYNCING: OrchestratorInput[] = [block(H), { kind: 'nodeListLoaded' }, peers(12), capable(true)];
/** READY through hash sync + 3 completions of each type. */
const READY: OrchestratorInput[] = [...SYNCING, { kind: 'hashSyncDone' }, { kind: 'dbReady' }, ...allCompletions(3)];
const DEGRADED: OrchestratorInput[] = [...READY, peers(3)];

interface Row {
  row: string;
  given: OrchestratorInput[];
  when: OrchestratorInput;
  state: OrchestratorStateName;
  effects: OrchestratorEffect[];
  options?: Partial<OrchestratorConfig>;
}

const ROWS: Row[] = [
  {
    row: 'INITIALIZING -> SYNCING on the first blocksProcessed',
    given: [],
    when: block(H),
    state: 'SYNCING',
    effects: [changed('INITIALIZING', 'SYNCING')],
  },
  {
    row: 'INITIALIZING stays without a block, whatever else happens',
    given: [{ kind: 'nodeListLoaded' }, capable(true), { kind: 'dbReady' }, ...allCompletions(3)],
    when: { kind: 'blockTimerExpired' },
    state: 'INITIALIZING',
    effects: [],
  },
  {
    row: 'INITIALIZING: peer threshold + node list -> announce and request syncs before the first block',
    given: [{ kind: 'nodeListLoaded' }],
    when: peers(12),
    state: 'INITIALIZING',
    effects: [{ kind: 'announceApps' }, { kind: 'requestSyncs' }],
  },
  {
    row: 'SYNCING: initial hash sync waits for canSendMessages',
    given: [block(H)],
    when: capable(true),
    state: 'SYNCING',
    effects: [{ kind: 'startHashSync', attempt: 1 }],
  },
  {
    row: 'SYNCING: hash sync done -> reindex requested',
    given: SYNCING,
    when: { kind: 'hashSyncDone' },
    state: 'SYNCING',
    effects: [{ kind: 'rebuildDb', reason: 'hashSync' }],
  },
  {
    row: 'SYNCING -> READY: dbReady after hash sync, 3 completions each, capable (last completion)',
    given: [...SYNCING, { kind: 'hashSyncDone' }, { kind: 'dbReady' }, ...allCompletions(3).slice(0, -1)],
    when: { kind: 'syncComplete', syncType: 'apperrors' },
    state: 'READY',
    effects: [changed('SYNCING', 'READY')],
  },
  {
    row: 'SYNCING stays with only 2 completions of one type',
    given: [...SYNCING, { kind: 'hashSyncDone' }, ...allCompletions(3).slice(0, -1)],
    when: { kind: 'dbReady' },
    state: 'SYNCING',
    effects: [],
  },
  {
    row: 'SYNCING stays without dbReady',
    given: [...SYNCING, { kind: 'hashSyncDone' }, ...allCompletions(2)],
    when: { kind: 'syncComplete', syncType: 'apprunning' },
    state: 'SYNCING',
    effects: [],
  },
  {
    row: 'SYNCING: block timer (250 blocks) expires -> rebuild from what exists',
    given: SYNCING,
    when: block(H + 250),
    state: 'SYNCING',
    effects: [{ kind: 'rebuildDb', reason: 'blockTimer' }],
  },
  {
    row: 'SYNCING: 249 blocks are not enough',
    given: SYNCING,
    when: block(H + 249),
    state: 'SYNCING',
    effects: [],
  },
  {
    row: 'SYNCING: enterprise block timer is 124 blocks',
    given: SYNCING,
    when: block(H + 124),
    state: 'SYNCING',
    effects: [{ kind: 'rebuildDb', reason: 'blockTimer' }],
    options: { enterprise: true },
  },
  {
    row: 'SYNCING -> READY by block timer without any sync completion',
    given: [...SYNCING, block(H + 250)],
    when: { kind: 'dbReady' },
    state: 'READY',
    effects: [changed('SYNCING', 'READY')],
  },
  {
    row: 'SYNCING stays when everything but canSendMessages holds',
    given: [block(H), { kind: 'nodeListLoaded' }, peers(12), block(H + 250)],
    when: { kind: 'dbReady' },
    state: 'SYNCING',
    effects: [],
  },
  {
    row: 'SYNCING -> READY when capability arrives last (hash sync starts in the same step)',
    given: [block(H), { kind: 'nodeListLoaded' }, peers(12), block(H + 250), { kind: 'dbReady' }],
    when: capable(true),
    state: 'READY',
    effects: [{ kind: 'startHashSync', attempt: 1 }, changed('SYNCING', 'READY')],
  },
  {
    row: 'READY -> DEGRADED: peers < 4 after >= 12; spawner paused',
    given: READY,
    when: peers(3),
    state: 'DEGRADED',
    effects: [changed('READY', 'DEGRADED'), { kind: 'publish', event: { name: 'spawner:paused', data: {} } }],
  },
  {
    row: 'READY stays at 4 peers (the degraded threshold is strict)',
    given: READY,
    when: peers(4),
    state: 'READY',
    effects: [],
  },
  {
    row: 'SYNCING -> DEGRADED: peers < 4 after >= 12; spawner was not running, nothing to pause',
    given: SYNCING,
    when: peers(2),
    state: 'DEGRADED',
    effects: [changed('SYNCING', 'DEGRADED')],
  },
  {
    row: 'SYNCING never degrades without having reached the peer threshold',
    given: [block(H), peers(11)],
    when: peers(1),
    state: 'SYNCING',
    effects: [],
  },
  {
    row: 'DEGRADED stays between the thresholds (hysteresis)',
    given: DEGRADED,
    when: peers(11),
    state: 'DEGRADED',
    effects: [],
  },
  {
    row: 'DEGRADED -> RESYNCING on regaining the threshold: re-request syncs, hash sync',
    given: DEGRADED,
    when: peers(12),
    state: 'RESYNCING',
    effects: [changed('DEGRADED', 'RESYNCING'), { kind: 'requestSyncs' }, { kind: 'startHashSync', attempt: 1 }],
  },
  {
    row: 'DEGRADED -> RESYNCING with the block timer already expired: DB rebuilt at once',
    given: [...READY, block(H + 300), peers(3)],
    when: peers(12),
    state: 'RESYNCING',
    effects: [
      changed('DEGRADED', 'RESYNCING'),
      { kind: 'requestSyncs' },
      { kind: 'startHashSync', attempt: 1 },
      { kind: 'rebuildDb', reason: 'blockTimer' },
    ],
  },
  {
    row: 'RESYNCING -> READY soon (block counter never reset); spawner resumed',
    given: [...READY, block(H + 300), peers(3), peers(12)],
    when: { kind: 'dbReady' },
    state: 'READY',
    effects: [changed('RESYNCING', 'READY'), { kind: 'publish', event: { name: 'spawner:resumed', data: {} } }],
  },
  {
    row: 'RESYNCING does not degrade (not a row of the table)',
    given: [...DEGRADED, peers(12)],
    when: peers(2),
    state: 'RESYNCING',
    effects: [],
  },
  {
    row: 'DEGRADED ignores results of the cleared sync state',
    given: DEGRADED,
    when: { kind: 'hashSyncDone' },
    state: 'DEGRADED',
    effects: [],
  },
  {
    row: 'READY -> SYNCING when message capability is lost',
    given: READY,
    when: capable(false),
    state: 'SYNCING',
    effects: [changed('READY', 'SYNCING')],
  },
  {
    row: 'SYNCING -> READY again when capability returns (flags kept)',
    given: [...READY, capable(false)],
    when: capable(true),
    state: 'READY',
    effects: [changed('SYNCING', 'READY')],
  },
  {
    row: 'sync requests wait for the node list (bug 17 fixed)',
    given: [block(H)],
    when: peers(12),
    state: 'SYNCING',
    effects: [],
  },
  {
    row: 'sync requests go out once the node list is loaded',
    given: [block(H), peers(12)],
    when: { kind: 'nodeListLoaded' },
    state: 'SYNCING',
    effects: [{ kind: 'announceApps' }, { kind: 'requestSyncs' }],
  },
  {
    row: 'regression sync-before-node-list: requested at the threshold, list not loaded',
    given: [block(H)],
    when: peers(12),
    state: 'SYNCING',
    effects: [{ kind: 'announceApps' }, { kind: 'requestSyncs' }],
    options: { regressions: new Set<RegressionName>(['sync-before-node-list']) },
  },
  {
    row: 'start publishes orchestrator:started with the boot context',
    given: [],
    when: {
      kind: 'start',
      bootContext: {
        machineRebooted: true,
        downtimeMs: 5000,
        cleanShutdown: false,
        currentBootId: 'b',
        firstBoot: false,
      },
    },
    state: 'INITIALIZING',
    effects: [
      {
        kind: 'publish',
        event: {
          name: 'orchestrator:started',
          data: {
            state: 'INITIALIZING',
            bootContext: {
              machineRebooted: true,
              downtimeMs: 5000,
              cleanShutdown: false,
              currentBootId: 'b',
              firstBoot: false,
            },
          },
        },
      },
    ],
  },
];

describe('orchestrator state machine (§8 table)', () => {
  for (const row of ROWS) {
    it(row.row, () => {
      const before = run(row.given, row.options);
      const after = stepOrchestrator(before.snapshot, row.when, { ...config, ...row.options });
      expect(after.effects).toEqual(row.effects);
      expect(after.snapshot.state).toBe(row.state);
    });
  }

  it('DEGRADED clears hash/DB flags and sync state but keeps the block timer', () => {
    const { snapshot } = run([...READY, block(H + 10), peers(3)]);
    expect(snapshot).toMatchObject({
      state: 'DEGRADED',
      hashSync: 'idle',
      dbReady: false,
      dbRebuildRequested: false,
      syncsRequested: false,
      completions: { apprunning: 0, appinstalling: 0, apperrors: 0 },
      timerStartHeight: H,
    });
  });

  it('does not mutate the snapshot it is given', () => {
    const { snapshot } = run(SYNCING);
    const copy = structuredClone(snapshot);
    stepOrchestrator(snapshot, peers(2), config);
    expect(snapshot).toEqual(copy);
  });
});

describe('hash-sync recovery (§6 Recovery, bug 15)', () => {
  const fail: OrchestratorInput = { kind: 'hashSyncFailed', error: 'peers dropped' };
  const failed = (attempt: number, willRetry: boolean): OrchestratorEffect => ({
    kind: 'publish',
    event: { name: 'hashSync:failed', data: { attempt, maxRetries: 3, willRetry, error: 'peers dropped' } },
  });

  it('retries 3 times, 5 min apart, then gives up (readiness falls back to the block timer)', () => {
    const orchestrator = new Orchestrator(config);
    for (const input of SYNCING) orchestrator.send(input);
    const seen: OrchestratorEffect[][] = [];
    for (let i = 0; i < 4; i += 1) {
      seen.push(orchestrator.send(fail));
      seen.push(orchestrator.send({ kind: 'hashSyncRetryDue' }));
    }
    expect(seen).toEqual([
      [failed(1, true), { kind: 'scheduleHashSyncRetry', attempt: 2, delayMs: 300_000 }],
      [{ kind: 'startHashSync', attempt: 2 }],
      [failed(2, true), { kind: 'scheduleHashSyncRetry', attempt: 3, delayMs: 300_000 }],
      [{ kind: 'startHashSync', attempt: 3 }],
      [failed(3, true), { kind: 'scheduleHashSyncRetry', attempt: 4, delayMs: 300_000 }],
      [{ kind: 'startHashSync', attempt: 4 }],
      [failed(4, false)],
      [],
    ]);
    expect(orchestrator.snapshot.hashSync).toBe('failed');
    expect(orchestrator.send(block(H + 250))).toEqual([{ kind: 'rebuildDb', reason: 'blockTimer' }]);
    expect(orchestrator.send({ kind: 'dbReady' })).toEqual([changed('SYNCING', 'READY')]);
  });

  it('regression hash-sync-failure-terminal: the first failure is final', () => {
    const { snapshot, effects } = run([...SYNCING, fail], {
      regressions: new Set<RegressionName>(['hash-sync-failure-terminal']),
    });
    expect(effects).toEqual([failed(1, false)]);
    expect(snapshot.hashSync).toBe('failed');
  });

  it('fixed: the same first failure is retried', () => {
    const { effects } = run([...SYNCING, fail]);
    expect(effects).toEqual([failed(1, true), { kind: 'scheduleHashSyncRetry', attempt: 2, delayMs: 300_000 }]);
  });

  it('degrading during a retry drops it; RESYNCING starts a fresh attempt 1', () => {
    const orchestrator = new Orchestrator(config);
    for (const input of [...SYNCING, fail, peers(3)]) orchestrator.send(input);
    expect(orchestrator.send({ kind: 'hashSyncRetryDue' })).toEqual([]);
    expect(orchestrator.send(peers(12))).toContainEqual({ kind: 'startHashSync', attempt: 1 });
  });
});
