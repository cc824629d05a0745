/**
 * Every duration and threshold of the FluxOS app-state spec (shared/protocol/fluxos-node.md), with
 * FluxOS v8.13.0's production value as default. Keys ending in `Ms` are durations and scale with the
 * test profile; everything else (counts, block heights) does not. docs/tunables.md explains each one.
 */
import { z } from 'zod';
import { formatZodError } from '../protocol/validation.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const DEFAULT_TUNABLES = {
  // §1 event and cache lifetimes
  gossipValidityMs: 5 * MINUTE,
  runningExpiryMs: 125 * MINUTE,
  sigtermExpiryMs: 420_000,
  evictedExpiryMs: 125 * MINUTE,
  installingExpiryMs: 15 * MINUTE,
  installingErrorsExpiryMs: 24 * HOUR,
  temporaryMessageExpiryMs: HOUR,
  maxAppsPerNode: 200,
  minSyncCompletions: 3,
  // §4.1 handlers and eviction
  sigtermMaxAgeMs: 240_000,
  removedMaxAgeMs: 65 * MINUTE,
  nodeStatusIntervalMs: 20 * MINUTE,
  evictionProbeTimeoutMs: 10_000,
  // §5.3 receive pipeline, §5.4 relay, §5.5 sending
  dispatchDelayMinMs: 1,
  dispatchDelayMaxMs: 75,
  messageCacheSize: 1000,
  messageCacheTtlMs: 5 * MINUTE,
  futureToleranceMs: 120_000,
  staleBroadcastMs: 300_000,
  relayMaxAgeMs: 240_000,
  apprunningIntervalMs: HOUR,
  // §6 hash sync
  hashExpiryBlocks: 1_051_200,
  hashRetryBackoffBlocks: [0, 100, 500, 2500, 12500, 50000, 100000],
  hashRetryFallbackBlocks: 100,
  hashRequestMaxHashes: 500,
  bulkSyncThreshold: 500,
  bulkSyncPeers: 3,
  permanentMessagesTimeoutMs: 120_000,
  targetedSyncRounds: 4,
  targetedSyncPeersPerRound: 3,
  hashResolutionPollMs: 1_000,
  hashResolutionSettleMs: 4_000,
  hashResolutionPerHashMs: 150,
  hashResolutionBaseMs: 5_000,
  ephemeralSyncPeers: 5,
  hashResponseSpacingMs: 150,
  hashSyncMaxRetries: 3,
  hashSyncRetryMs: 5 * MINUTE,
  // §7 state sync
  syncThrottleMs: 5 * MINUTE,
  syncRequestToleranceMs: 120_000,
  syncChunkMaxMessages: 2000,
  syncChunkReceiveMaxMessages: 2500,
  // §8 orchestrator
  blockTimerBlocks: 250,
  enterpriseBlockTimerBlocks: 124,
  appSyncPeerThreshold: 12,
  appSyncDegradedThreshold: 4,
  syncPeerCount: 3,
  syncPeerMinUptimeMs: 7_500_000,
  syncFlagClearMs: 120_000,
  // §9 confirmation, §10 boot
  confirmationPollMs: 30_000,
  daemonStaleMs: 125 * MINUTE,
  daemonExpiredMs: 320 * MINUTE,
  heartbeatIntervalMs: 30_000,
  cleanShutdownMaxDowntimeMs: 7 * MINUTE,
  bootDaemonWaitMs: 5 * MINUTE,
  bootDbReadyWaitMs: 5 * MINUTE,
  // §11 SSE
  sseRingSize: 1024,
  sseKeepaliveMs: 15_000,
  // §12 fluxd
  daemonPollMs: 30_000,
  daemonSyncedMaxAgeMs: 300_000,
  daemonSyncedHeaderLag: 5,
  rpcMaxConcurrent: 5,
  // peers (FluxOS values not pinned by the spec; see docs/tunables.md)
  minOutboundPeers: 14,
  maxInboundPeers: 40,
  peerPingIntervalMs: 30_000,
  peerReconnectMinMs: 1_000,
  peerReconnectMaxMs: 60_000,
  // reference-node housekeeping: mongod's TTL monitor also runs every 60 s
  sweeperIntervalMs: 60_000,
};

export type Tunables = { -readonly [K in keyof typeof DEFAULT_TUNABLES]: (typeof DEFAULT_TUNABLES)[K] };
export type TunableName = keyof Tunables;
/** Absolute values set over the defaults (FLUXNET_TUNABLES, createNetwork's `tunables`). */
export type TunableOverrides = Partial<Tunables>;

/** A bad FLUXNET_TIME_SCALE / FLUXNET_TUNABLES value, naming the variable and the field. */
export class TunablesError extends Error {
  readonly source: string;
  constructor({ source, detail }: { source: string; detail: string }) {
    super(`${source}: ${detail}`);
    this.name = 'TunablesError';
    this.source = source;
  }
}

function isDurationKey(key: string): boolean {
  return key.endsWith('Ms');
}

/**
 * Transport and waiting timers and polls compress only down to a floor: a 300 ms ping deadline, a
 * 100 ms HTTP timeout or a 1.2 s window for sync answers on a loaded 2-core host would turn a slow
 * peer into a dead one, a fault nobody injected, and 300 ms polls on 16 nodes load the host.
 */
export const SCALE_FLOORS_MS: Partial<Record<TunableName, number>> = {
  // 2 s dropped live peers (and timed out hellos) while 32 containers booted on 2 cores; a request
  // on a dropped link is never re-asked, so a node could stay SYNCING.
  peerPingIntervalMs: 5_000,
  peerReconnectMinMs: 200,
  peerReconnectMaxMs: 2_000,
  evictionProbeTimeoutMs: 2_000,
  permanentMessagesTimeoutMs: 5_000,
  sseKeepaliveMs: 1_000,
  // Polls: at 0.01 they would run every 300-600 ms on 16 nodes at once and keep a 2-core host
  // busy (an idle network drew most of a core); no spec decision needs them finer than 1 s.
  daemonPollMs: 1_000,
  confirmationPollMs: 1_000,
  heartbeatIntervalMs: 1_000,
  sweeperIntervalMs: 1_000,
  // Waiting on other processes: a sync response, a request in flight, a boot gate.
  syncFlagClearMs: 15_000,
  hashResolutionBaseMs: 2_000,
  syncRequestToleranceMs: 15_000,
  bootDaemonWaitMs: 30_000,
  bootDbReadyWaitMs: 30_000,
};

/**
 * Multiplies every duration by `factor` (test profile, e.g. 0.01); a non-zero duration never becomes
 * 0, and a transport timer never drops below its floor (SCALE_FLOORS_MS) nor rises above its default.
 */
export function scaleTunables(tunables: Tunables, factor: number): Tunables {
  if (!Number.isFinite(factor) || factor <= 0) {
    throw new TunablesError({ source: 'scaleTunables', detail: `factor must be a finite number > 0, got ${factor}` });
  }
  const scaled: Record<string, unknown> = { ...tunables };
  for (const [key, value] of Object.entries(tunables)) {
    if (isDurationKey(key) && typeof value === 'number' && value > 0) {
      const floor = Math.min(SCALE_FLOORS_MS[key as TunableName] ?? 1, value);
      scaled[key] = Math.max(floor, Math.round(value * factor));
    }
  }
  return scaled as Tunables;
}

const overridesSchema = z
  .object(
    Object.fromEntries(
      Object.entries(DEFAULT_TUNABLES).map(([key, value]) => [
        key,
        Array.isArray(value) ? z.array(z.number().int().nonnegative()).min(1) : z.number().nonnegative(),
      ]),
    ) as Record<string, z.ZodType>,
  )
  .partial()
  .strict();

function parseTimeScale(raw: string): number {
  const factor = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(factor) || factor <= 0) {
    throw new TunablesError({
      source: 'FLUXNET_TIME_SCALE',
      detail: `expected a number > 0, got ${JSON.stringify(raw)}`,
    });
  }
  return factor;
}

function parseOverrides(raw: string): Partial<Tunables> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new TunablesError({ source: 'FLUXNET_TUNABLES', detail: `not valid JSON (${(error as Error).message})` });
  }
  const result = overridesSchema.safeParse(json);
  if (!result.success) throw new TunablesError({ source: 'FLUXNET_TUNABLES', detail: formatZodError(result.error) });
  return result.data as Partial<Tunables>;
}

function checkConsistency(tunables: Tunables): Tunables {
  if (tunables.dispatchDelayMinMs > tunables.dispatchDelayMaxMs) {
    throw new TunablesError({
      source: 'tunables',
      detail: `dispatchDelayMinMs (${tunables.dispatchDelayMinMs}) exceeds dispatchDelayMaxMs (${tunables.dispatchDelayMaxMs})`,
    });
  }
  return tunables;
}

/**
 * Production defaults, scaled by `FLUXNET_TIME_SCALE` when set, then overridden field by field by the
 * absolute values in `FLUXNET_TUNABLES` (a JSON object; unknown names are an error).
 */
export function loadTunables(env: Record<string, string | undefined>): Tunables {
  const scale = env.FLUXNET_TIME_SCALE;
  const overrides = env.FLUXNET_TUNABLES;
  const base = scale === undefined ? { ...DEFAULT_TUNABLES } : scaleTunables(DEFAULT_TUNABLES, parseTimeScale(scale));
  return checkConsistency(overrides === undefined ? base : { ...base, ...parseOverrides(overrides) });
}
