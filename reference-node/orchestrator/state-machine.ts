/**
 * The app-sync orchestrator of fluxos-node.md §8 as a pure state machine: the runtime feeds it what
 * happened (blocks, peer counts, sync completions, hash sync and DB results, message capability) and
 * runs the effects it returns (SSE events, sync requests, hash sync, DB rebuild). No timers, no I/O:
 * the block timer counts blocks and the hash-sync retry delay is an effect the runtime schedules.
 */
import type { FluxEvent, ORCHESTRATOR_STATES } from '../../protocol/events.js';
import { NO_REGRESSIONS, type RegressionName } from '../../protocol/regressions.js';
import type { Tunables } from '../tunables.js';

export type OrchestratorStateName = (typeof ORCHESTRATOR_STATES)[number];

/** The three ephemeral sync types readiness counts (0x21, 0x22, 0x23). */
export type SyncKind = 'apprunning' | 'appinstalling' | 'apperrors';
export const SYNC_KINDS: readonly SyncKind[] = ['apprunning', 'appinstalling', 'apperrors'];

export type BootContextPayload = Extract<FluxEvent, { name: 'orchestrator:started' }>['data']['bootContext'];

export type OrchestratorInput =
  /** orchestrator.start: publishes orchestrator:started with the boot context (§10). */
  | { kind: 'start'; bootContext: BootContextPayload }
  /** The explorer processed the block at `height` (it is at the tip). */
  | { kind: 'blocksProcessed'; height: number }
  | { kind: 'peerCount'; count: number }
  /** networkStateService.waitStarted(): the deterministic node list is loaded. */
  | { kind: 'nodeListLoaded' }
  | { kind: 'canSendMessages'; capable: boolean }
  /** A sync peer sent its `done` chunk for this type. */
  | { kind: 'syncComplete'; syncType: SyncKind }
  | { kind: 'hashSyncDone' }
  | { kind: 'hashSyncFailed'; error: string }
  /** The delay of a scheduleHashSyncRetry effect has passed. */
  | { kind: 'hashSyncRetryDue' }
  /** reindexGlobalAppsInformation (after hash sync) or the rebuild from what exists finished. */
  | { kind: 'dbReady' }
  /** Forces the block timer to expire (it also expires by itself from blocksProcessed heights). */
  | { kind: 'blockTimerExpired' };

export type OrchestratorEffect =
  | { kind: 'publish'; event: FluxEvent }
  /** #onPeersReady, first time: broadcast our apprunning (after boot settled, §5.5). */
  | { kind: 'announceApps' }
  /** #requestSyncs: 0x20..0x23 with sinceTs = 0 to 3 eligible peers (§8). */
  | { kind: 'requestSyncs' }
  | { kind: 'startHashSync'; attempt: number }
  | { kind: 'scheduleHashSyncRetry'; attempt: number; delayMs: number }
  /** hashSync: reindex from the synced hashes; blockTimer: rebuild from what exists. Answer with dbReady. */
  | { kind: 'rebuildDb'; reason: 'hashSync' | 'blockTimer' };

type HashSyncPhase = 'idle' | 'running' | 'retrying' | 'done' | 'failed';

export interface OrchestratorSnapshot {
  readonly state: OrchestratorStateName;
  /** The first blocksProcessed arrived: the explorer is at the tip. */
  readonly explorerSynced: boolean;
  readonly timerStartHeight: number | undefined;
  readonly blockTimerExpired: boolean;
  readonly peerCount: number;
  /** Reached appSyncPeerThreshold and not since dropped below appSyncDegradedThreshold. */
  readonly peersAboveThreshold: boolean;
  readonly nodeListLoaded: boolean;
  readonly canSendMessages: boolean;
  readonly appsAnnounced: boolean;
  readonly syncsRequested: boolean;
  readonly hashSync: HashSyncPhase;
  /** The attempt now running or last finished (1 = first run). */
  readonly hashSyncAttempt: number;
  readonly dbRebuildRequested: boolean;
  readonly dbReady: boolean;
  readonly completions: Readonly<Record<SyncKind, number>>;
  readonly spawnerPaused: boolean;
}

export type OrchestratorTunables = Pick<
  Tunables,
  | 'appSyncPeerThreshold'
  | 'appSyncDegradedThreshold'
  | 'minSyncCompletions'
  | 'blockTimerBlocks'
  | 'enterpriseBlockTimerBlocks'
  | 'hashSyncMaxRetries'
  | 'hashSyncRetryMs'
>;

export interface OrchestratorConfig {
  tunables: OrchestratorTunables;
  /** Enterprise nodes use the shorter block timer (124 blocks). */
  enterprise?: boolean;
  /** sync-before-node-list (bug 17), hash-sync-failure-terminal (bug 15). */
  regressions?: ReadonlySet<RegressionName>;
}

export interface StepResult {
  snapshot: OrchestratorSnapshot;
  effects: OrchestratorEffect[];
}

const NO_COMPLETIONS: Record<SyncKind, number> = { apprunning: 0, appinstalling: 0, apperrors: 0 };

export const INITIAL_ORCHESTRATOR_SNAPSHOT: OrchestratorSnapshot = {
  state: 'INITIALIZING',
  explorerSynced: false,
  timerStartHeight: undefined,
  blockTimerExpired: false,
  peerCount: 0,
  peersAboveThreshold: false,
  nodeListLoaded: false,
  canSendMessages: false,
  appsAnnounced: false,
  syncsRequested: false,
  hashSync: 'idle',
  hashSyncAttempt: 0,
  dbRebuildRequested: false,
  dbReady: false,
  completions: NO_COMPLETIONS,
  spawnerPaused: false,
};

type Draft = { -readonly [K in keyof OrchestratorSnapshot]: OrchestratorSnapshot[K] };

interface Run {
  draft: Draft;
  effects: OrchestratorEffect[];
  config: OrchestratorConfig;
  regressions: ReadonlySet<RegressionName>;
  /** Height of the blocksProcessed being applied, if any: the first one arms the block timer. */
  blockHeight?: number;
}

function publish(run: Run, event: FluxEvent): void {
  run.effects.push({ kind: 'publish', event });
}

function moveTo(run: Run, to: OrchestratorStateName): void {
  const from = run.draft.state;
  if (from === to) return;
  run.draft.state = to;
  publish(run, { name: 'orchestrator:stateChanged', data: { from, to } });
}

function timerLength(config: OrchestratorConfig): number {
  return config.enterprise ? config.tunables.enterpriseBlockTimerBlocks : config.tunables.blockTimerBlocks;
}

function onBlock(run: Run, height: number): void {
  const { draft } = run;
  draft.explorerSynced = true;
  if (draft.timerStartHeight === undefined) return;
  if (height - draft.timerStartHeight >= timerLength(run.config)) draft.blockTimerExpired = true;
}

/** Peers < degraded threshold after having reached the peer threshold (§8): READY/SYNCING degrade. */
function onPeerCount(run: Run, count: number): void {
  const { draft } = run;
  const { appSyncPeerThreshold, appSyncDegradedThreshold } = run.config.tunables;
  draft.peerCount = count;
  if (!draft.peersAboveThreshold && count >= appSyncPeerThreshold) {
    draft.peersAboveThreshold = true;
    if (draft.state === 'DEGRADED') resync(run);
    return;
  }
  if (draft.peersAboveThreshold && count < appSyncDegradedThreshold) {
    draft.peersAboveThreshold = false;
    if (draft.state === 'READY' || draft.state === 'SYNCING') degrade(run);
  }
}

/** Clears hash/DB flags and the sync state; the block timer keeps counting. */
function degrade(run: Run): void {
  const { draft } = run;
  const wasReady = draft.state === 'READY';
  moveTo(run, 'DEGRADED');
  draft.hashSync = 'idle';
  draft.hashSyncAttempt = 0;
  draft.dbRebuildRequested = false;
  draft.dbReady = false;
  draft.syncsRequested = false;
  draft.completions = NO_COMPLETIONS;
  if (wasReady) {
    draft.spawnerPaused = true;
    publish(run, { name: 'spawner:paused', data: {} });
  }
}

/** Threshold regained: re-request syncs and hash sync (settle does both), then check readiness. */
function resync(run: Run): void {
  moveTo(run, 'RESYNCING');
}

function onSyncComplete(run: Run, syncType: SyncKind): void {
  if (run.draft.state === 'DEGRADED') return;
  run.draft.completions = { ...run.draft.completions, [syncType]: run.draft.completions[syncType] + 1 };
}

function onHashSyncFailed(run: Run, error: string): void {
  const { draft } = run;
  if (draft.state === 'DEGRADED' || draft.hashSync !== 'running') return;
  const maxRetries = run.config.tunables.hashSyncMaxRetries;
  const attempt = draft.hashSyncAttempt;
  // Bug 15: a failure once ended hash sync for good; readiness then waits for the block timer.
  const willRetry = !run.regressions.has('hash-sync-failure-terminal') && attempt <= maxRetries;
  publish(run, { name: 'hashSync:failed', data: { attempt, maxRetries, willRetry, error } });
  if (!willRetry) {
    draft.hashSync = 'failed';
    return;
  }
  draft.hashSync = 'retrying';
  run.effects.push({
    kind: 'scheduleHashSyncRetry',
    attempt: attempt + 1,
    delayMs: run.config.tunables.hashSyncRetryMs,
  });
}

function onHashSyncRetryDue(run: Run): void {
  const { draft } = run;
  if (draft.hashSync !== 'retrying') return;
  draft.hashSync = 'running';
  draft.hashSyncAttempt += 1;
  run.effects.push({ kind: 'startHashSync', attempt: draft.hashSyncAttempt });
}

function applyInput(run: Run, input: OrchestratorInput): void {
  const { draft } = run;
  switch (input.kind) {
    case 'start':
      publish(run, { name: 'orchestrator:started', data: { state: draft.state, bootContext: input.bootContext } });
      return;
    case 'blocksProcessed':
      onBlock(run, input.height);
      return;
    case 'peerCount':
      onPeerCount(run, input.count);
      return;
    case 'nodeListLoaded':
      draft.nodeListLoaded = true;
      return;
    case 'canSendMessages':
      draft.canSendMessages = input.capable;
      return;
    case 'syncComplete':
      onSyncComplete(run, input.syncType);
      return;
    case 'hashSyncDone':
      if (draft.state !== 'DEGRADED' && draft.hashSync === 'running') draft.hashSync = 'done';
      return;
    case 'hashSyncFailed':
      onHashSyncFailed(run, input.error);
      return;
    case 'hashSyncRetryDue':
      onHashSyncRetryDue(run);
      return;
    case 'dbReady':
      if (draft.state !== 'DEGRADED' && draft.dbRebuildRequested) draft.dbReady = true;
      return;
    case 'blockTimerExpired':
      draft.blockTimerExpired = true;
      return;
  }
}

function isSyncingState(state: OrchestratorStateName): boolean {
  return state === 'SYNCING' || state === 'RESYNCING';
}

function syncsComplete(run: Run): boolean {
  const { minSyncCompletions } = run.config.tunables;
  return SYNC_KINDS.every((kind) => run.draft.completions[kind] >= minSyncCompletions);
}

/** #checkReadiness (§8). */
function isReady(run: Run): boolean {
  const { draft } = run;
  return (
    draft.explorerSynced && draft.dbReady && (syncsComplete(run) || draft.blockTimerExpired) && draft.canSendMessages
  );
}

/** #onPeersReady: peer threshold and (unless bug 17) the node list loaded. */
function maybeRequestSyncs(run: Run): void {
  const { draft } = run;
  if (draft.state === 'DEGRADED' || draft.syncsRequested || !draft.peersAboveThreshold) return;
  if (!draft.nodeListLoaded && !run.regressions.has('sync-before-node-list')) return;
  draft.syncsRequested = true;
  if (!draft.appsAnnounced) {
    draft.appsAnnounced = true;
    run.effects.push({ kind: 'announceApps' });
  }
  run.effects.push({ kind: 'requestSyncs' });
}

/** Hash sync starts once per (re)sync, and only when the node may send messages (§8 row 1). */
function maybeStartHashSync(run: Run): void {
  const { draft } = run;
  if (!isSyncingState(draft.state) || draft.hashSync !== 'idle' || !draft.canSendMessages) return;
  draft.hashSync = 'running';
  draft.hashSyncAttempt = 1;
  run.effects.push({ kind: 'startHashSync', attempt: 1 });
}

/** The DB becomes ready from the synced hashes, or (block timer) from whatever exists. */
function maybeRebuildDb(run: Run): void {
  const { draft } = run;
  if (!isSyncingState(draft.state) || draft.dbReady || draft.dbRebuildRequested) return;
  if (draft.hashSync !== 'done' && !draft.blockTimerExpired) return;
  draft.dbRebuildRequested = true;
  run.effects.push({ kind: 'rebuildDb', reason: draft.hashSync === 'done' ? 'hashSync' : 'blockTimer' });
}

function becomeReady(run: Run): void {
  moveTo(run, 'READY');
  if (run.draft.spawnerPaused) {
    run.draft.spawnerPaused = false;
    publish(run, { name: 'spawner:resumed', data: {} });
  }
}

/** Condition-driven transitions and effects, applied until nothing changes. */
function settle(run: Run): void {
  const { draft } = run;
  for (;;) {
    const before = draft.state;
    if (draft.state === 'INITIALIZING' && draft.explorerSynced) {
      moveTo(run, 'SYNCING');
      draft.timerStartHeight ??= run.blockHeight;
    }
    maybeRequestSyncs(run);
    maybeStartHashSync(run);
    maybeRebuildDb(run);
    if (isSyncingState(draft.state) && isReady(run)) becomeReady(run);
    else if (draft.state === 'READY' && !draft.canSendMessages) moveTo(run, 'SYNCING');
    if (draft.state === before) return;
  }
}

/** Applies one input; returns the next snapshot and the effects to run, in order. */
export function stepOrchestrator(
  snapshot: OrchestratorSnapshot,
  input: OrchestratorInput,
  config: OrchestratorConfig,
): StepResult {
  const run: Run = {
    draft: { ...snapshot },
    effects: [],
    config,
    regressions: config.regressions ?? NO_REGRESSIONS,
    ...(input.kind === 'blocksProcessed' ? { blockHeight: input.height } : {}),
  };
  applyInput(run, input);
  settle(run);
  return { snapshot: run.draft, effects: run.effects };
}

/** Holds the current snapshot for the runtime: `send` an input, run the returned effects. */
export class Orchestrator {
  #snapshot: OrchestratorSnapshot = INITIAL_ORCHESTRATOR_SNAPSHOT;
  readonly #config: OrchestratorConfig;

  constructor(config: OrchestratorConfig) {
    this.#config = config;
  }

  get snapshot(): OrchestratorSnapshot {
    return this.#snapshot;
  }

  get state(): OrchestratorStateName {
    return this.#snapshot.state;
  }

  send(input: OrchestratorInput): OrchestratorEffect[] {
    const { snapshot, effects } = stepOrchestrator(this.#snapshot, input, this.#config);
    this.#snapshot = snapshot;
    return effects;
  }
}
