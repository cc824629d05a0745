/**
 * Requester side of signed state sync (fluxos-node.md §7 Receiver, §4.2). Chunks are taken only from
 * peers this node asked (sync-marked; the marks lapse after syncFlagClearMs and are never renewed),
 * only in the asked peer's own signed envelope, and only up to syncChunkReceiveMaxMessages messages.
 * Accepted chunks are applied one at a time, whichever peer sent them. A peer's `done` for a type
 * counts one completion of that type (once per peer); readiness needs minSyncCompletions of each of
 * apprunning, appinstalling and apperrors.
 */
import type { SignedBroadcast } from '../../protocol/gossip/envelope.js';
import { verifyBroadcast } from '../../protocol/gossip/envelope.js';
import {
  parseSyncChunk,
  SYNC_KIND_NAMES,
  type SyncChunkType,
  type SyncKindName,
} from '../../protocol/gossip/sync-chunk.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../sse/event-bus.js';
import type { EventLog } from '../store/event-log.js';
import type { LocationCache } from '../store/location-cache.js';
import type { Tunables } from '../tunables.js';
import { type SignerLookup, verifySyncedEvents } from './verify-events.js';

export const CHUNK_REJECT_REASONS = [
  'not-sync-peer',
  'malformed',
  'wrong-signer',
  'bad-signature',
  'too-large',
] as const;
export type ChunkRejectReason = (typeof CHUNK_REJECT_REASONS)[number];

export interface AppliedChunk {
  /** Messages that passed verification. */
  verified: number;
  /** Messages the store accepted (newer than what it had). */
  stored: number;
  /** Messages that failed verification. */
  rejected: number;
}

/** Verifies and stores the messages of one chunk type. */
export type SyncChunkApplier = (input: { messages: readonly unknown[]; peer: string }) => Promise<AppliedChunk>;

export type ChunkResult =
  | { outcome: 'applied'; syncType: SyncKindName; applied: AppliedChunk; done: boolean }
  | { outcome: 'rejected'; reason: ChunkRejectReason; detail?: string };

export interface SyncReceiverMetrics {
  chunksApplied: number;
  messagesVerified: number;
  messagesRejected: number;
  messagesStored: number;
  rejected: Record<ChunkRejectReason, number>;
}

/** The three types readiness counts (§8); 0x20 completions are counted but do not gate it. */
const READINESS_KINDS = ['apprunning', 'appinstalling', 'apperrors'] as const;

export interface SyncReceiverOptions {
  clock: Clock;
  tunables: Pick<Tunables, 'syncChunkReceiveMaxMessages' | 'syncFlagClearMs' | 'minSyncCompletions'>;
  /** Per chunk type; a type without an applier is accepted and counted, its messages ignored. */
  appliers: Partial<Record<SyncChunkType, SyncChunkApplier>>;
  bus: Pick<EventBus, 'publish'>;
  /** A peer completed a type (feeds the orchestrator's syncComplete). */
  onPeerComplete?: (syncType: SyncKindName) => void;
}

/**
 * 0x21 chunks: verify (§4.2 step 1), then the store's batch path: events with the same strict-newer
 * guard, the cache upserted and pruned, then sigterm, appremoved and evicted applied (steps 2-3).
 */
export function runningEventsApplier({
  directory,
  eventLog,
  cache,
}: {
  directory: SignerLookup;
  eventLog: Pick<EventLog, 'storeBatch'>;
  cache: Pick<LocationCache, 'storeBatch'>;
}): SyncChunkApplier {
  return async ({ messages }) => {
    const { events, rejected } = verifySyncedEvents({ messages, directory });
    const results = await eventLog.storeBatch(events);
    await cache.storeBatch(events);
    return {
      verified: events.length,
      stored: results.filter((result) => result.stored).length,
      rejected: Object.values(rejected).reduce((sum, count) => sum + count, 0),
    };
  };
}

export class SyncReceiver {
  readonly #options: SyncReceiverOptions;
  /** peer -> when it was asked; its chunks are taken until syncFlagClearMs later. */
  readonly #asked = new Map<string, number>();
  readonly #completedBy = new Set<string>();
  readonly #completions = new Map<SyncKindName, number>();
  #allCompletePublished = false;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #metrics: SyncReceiverMetrics = {
    chunksApplied: 0,
    messagesVerified: 0,
    messagesRejected: 0,
    messagesStored: 0,
    rejected: { 'not-sync-peer': 0, malformed: 0, 'wrong-signer': 0, 'bad-signature': 0, 'too-large': 0 },
  };

  constructor(options: SyncReceiverOptions) {
    this.#options = options;
  }

  get metrics(): SyncReceiverMetrics {
    return { ...this.#metrics, rejected: { ...this.#metrics.rejected } };
  }

  completions(syncType: SyncKindName): number {
    return this.#completions.get(syncType) ?? 0;
  }

  /** The peers just sent sync requests (#requestSyncs). */
  markSyncPeers(peers: readonly string[]): void {
    const now = this.#options.clock.now();
    for (const peer of peers) this.#asked.set(peer, now);
  }

  /** DEGRADED clears the sync state (§8): marks and completions start over for the resync. */
  resetSyncState(): void {
    this.#asked.clear();
    this.#completedBy.clear();
    this.#completions.clear();
    this.#allCompletePublished = false;
  }

  isSyncPeer(peer: string): boolean {
    const askedAt = this.#asked.get(peer);
    return askedAt !== undefined && this.#options.clock.now() - askedAt <= this.#options.tunables.syncFlagClearMs;
  }

  /**
   * A `syncResponse` frame from `peer`, which authenticated with `peerPubkey`. The cheap checks run at
   * once; applying waits for chunks received before it.
   */
  handleChunk({
    peer,
    peerPubkey,
    envelope,
  }: {
    peer: string;
    peerPubkey: string;
    envelope: SignedBroadcast;
  }): Promise<ChunkResult> {
    if (!this.isSyncPeer(peer)) return Promise.resolve(this.#reject('not-sync-peer'));
    const parsed = parseSyncChunk(envelope.data);
    if (!parsed.ok) return Promise.resolve(this.#reject('malformed', parsed.error));
    const { chunk } = parsed;
    if (chunk.messages.length > this.#options.tunables.syncChunkReceiveMaxMessages) {
      return Promise.resolve(this.#reject('too-large', `${chunk.messages.length} messages`));
    }
    if (envelope.pubKey.toLowerCase() !== peerPubkey.toLowerCase())
      return Promise.resolve(this.#reject('wrong-signer'));
    if (!verifyBroadcast(envelope)) return Promise.resolve(this.#reject('bad-signature'));
    const run = this.#queue.then(() =>
      this.#apply({ peer, type: chunk.type, messages: chunk.messages, done: chunk.done }),
    );
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #apply({
    peer,
    type,
    messages,
    done,
  }: {
    peer: string;
    type: SyncChunkType;
    messages: readonly unknown[];
    done: boolean;
  }): Promise<ChunkResult> {
    const syncType = SYNC_KIND_NAMES[type];
    const applier = this.#options.appliers[type];
    const applied = applier ? await applier({ messages, peer }) : { verified: 0, stored: 0, rejected: 0 };
    this.#metrics.chunksApplied += 1;
    this.#metrics.messagesVerified += applied.verified;
    this.#metrics.messagesRejected += applied.rejected;
    this.#metrics.messagesStored += applied.stored;
    this.#options.bus.publish('sync:chunkVerified', {
      syncType,
      peer,
      verified: applied.verified,
      stored: applied.stored,
    });
    if (done) this.#complete(peer, syncType);
    return { outcome: 'applied', syncType, applied, done };
  }

  #complete(peer: string, syncType: SyncKindName): void {
    const key = `${peer} ${syncType}`;
    if (this.#completedBy.has(key)) return;
    this.#completedBy.add(key);
    const completions = this.completions(syncType) + 1;
    this.#completions.set(syncType, completions);
    const required = this.#options.tunables.minSyncCompletions;
    this.#options.bus.publish('ephemeralSync:peerComplete', { syncType, completions, required });
    this.#options.onPeerComplete?.(syncType);
    const counts = {
      apprunning: this.completions('apprunning'),
      appinstalling: this.completions('appinstalling'),
      apperrors: this.completions('apperrors'),
    };
    if (!this.#allCompletePublished && READINESS_KINDS.every((kind) => counts[kind] >= required)) {
      this.#allCompletePublished = true;
      this.#options.bus.publish('ephemeralSync:allComplete', counts);
    }
  }

  #reject(reason: ChunkRejectReason, detail?: string): ChunkResult {
    this.#metrics.rejected[reason] += 1;
    return detail === undefined ? { outcome: 'rejected', reason } : { outcome: 'rejected', reason, detail };
  }
}
