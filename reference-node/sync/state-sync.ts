/**
 * Signed state sync (fluxos-node.md §7) as the node runs it: the responder serving this node's
 * event log (0x21) and temporary messages (0x20), the receiver applying what the asked peers send,
 * and the requester (#requestSyncs, §8) picking syncPeerCount eligible peers and sending each the
 * four signed requests with sinceTs 0. The simulated spawner has no installing state, so 0x22 and
 * 0x23 are answered with one empty `done` chunk: still a completion for the asker's readiness.
 */
import type { SignedBroadcast } from '../../protocol/gossip/envelope.js';
import type { SyncChunk, SyncKindName } from '../../protocol/gossip/sync-chunk.js';
import { encodeSyncRequest, SYNC_REQUEST_TYPES, signSyncRequest } from '../../protocol/gossip/sync-request.js';
import { encodePeerFrame } from '../../protocol/gossip/wire.js';
import type { AppMessageStore } from '../apps/message-store.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Identity } from '../peers/handshake.js';
import { shuffled } from '../shuffled.js';
import type { EventBus } from '../sse/event-bus.js';
import type { EventLog } from '../store/event-log.js';
import type { LocationCache } from '../store/location-cache.js';
import type { Tunables } from '../tunables.js';
import { runningEventsApplier, SyncReceiver, type SyncReceiverMetrics } from './receiver.js';
import { runningEventsSource, SyncResponder, type SyncResponderMetrics } from './responder.js';
import { temporaryMessagesApplier, temporaryMessagesSource } from './temporary-messages.js';
import type { SignerLookup } from './verify-events.js';

export interface SyncPeers {
  syncCandidates(options: { minUptimeMs: number }): string[];
  sendTo(peer: string, frame: string | Uint8Array): boolean;
}

export interface StateSyncOptions {
  identity: Identity;
  clock: Clock;
  tunables: Tunables;
  directory: SignerLookup & { hasListedKey(pubkey: string): boolean };
  eventLog: EventLog;
  cache: LocationCache;
  messages: AppMessageStore;
  /** Bound late: the peer manager needs this module's handlers. */
  peers(): SyncPeers | undefined;
  bus: EventBus;
  logger: Logger;
  /** A peer completed a type that gates readiness (apprunning, appinstalling, apperrors). */
  onReadinessCompletion(syncType: Exclude<SyncKindName, 'temporarymessages'>): void;
  random?: () => number;
}

export interface StateSyncMetrics {
  responder: SyncResponderMetrics;
  receiver: SyncReceiverMetrics;
  /** Peers asked by the last #requestSyncs. */
  requestedFrom: string[];
  /** #requestSyncs calls that found fewer eligible peers than syncPeerCount. */
  tooFewPeers: number;
}

const REQUEST_TYPES = [
  SYNC_REQUEST_TYPES.temporaryMessages,
  SYNC_REQUEST_TYPES.appRunning,
  SYNC_REQUEST_TYPES.appInstalling,
  SYNC_REQUEST_TYPES.appInstallingErrors,
] as const;

export class StateSync {
  readonly responder: SyncResponder;
  readonly receiver: SyncReceiver;
  readonly #options: StateSyncOptions;
  #requestedFrom: string[] = [];
  #tooFewPeers = 0;

  constructor(options: StateSyncOptions) {
    this.#options = options;
    const { clock, tunables, directory, eventLog, cache, messages, bus, identity } = options;
    this.responder = new SyncResponder({
      clock,
      tunables,
      directory,
      identity,
      sources: {
        [SYNC_REQUEST_TYPES.temporaryMessages]: temporaryMessagesSource(messages),
        [SYNC_REQUEST_TYPES.appRunning]: runningEventsSource(eventLog),
      },
      send: (peer, envelope) => this.#sendChunk(peer, envelope),
    });
    this.receiver = new SyncReceiver({
      clock,
      tunables,
      appliers: {
        fluxtemporarymessagesync: temporaryMessagesApplier(messages),
        fluxapprunningsync: runningEventsApplier({ directory, eventLog, cache }),
      },
      bus,
      onPeerComplete: (syncType) => {
        if (syncType !== 'temporarymessages') options.onReadinessCompletion(syncType);
      },
    });
  }

  get metrics(): StateSyncMetrics {
    return {
      responder: this.responder.metrics,
      receiver: this.receiver.metrics,
      requestedFrom: [...this.#requestedFrom],
      tooFewPeers: this.#tooFewPeers,
    };
  }

  /** A binary peer frame: a sync request. Never throws; failures are logged. */
  handleRequestFrame(input: { bytes: Uint8Array; peer: string }): void {
    this.responder
      .handleFrame(input)
      .then((result) => {
        if (result.outcome === 'rejected') {
          this.#options.logger.debug('sync request rejected', { peer: input.peer, ...result });
        }
      })
      .catch((error: unknown) => this.#options.logger.warn('sync response failed', { peer: input.peer, error }));
  }

  /** A `syncResponse` frame. Never throws; failures are logged. */
  handleResponseFrame(input: { peer: string; peerPubkey: string; envelope: SignedBroadcast }): void {
    this.receiver
      .handleChunk(input)
      .then((result) => {
        if (result.outcome === 'rejected') {
          this.#options.logger.debug('sync chunk rejected', { peer: input.peer, ...result });
        }
      })
      .catch((error: unknown) => this.#options.logger.warn('sync chunk failed', { peer: input.peer, error }));
  }

  /**
   * #requestSyncs (§8): syncPeerCount peers with no missed pong, up at least syncPeerMinUptimeMs.
   * Fewer eligible peers: nothing is asked (readiness falls back to the block
   * timer). Returns the peers asked.
   */
  requestSyncs(): string[] {
    const { tunables, identity, clock, bus, logger } = this.#options;
    const peers = this.#options.peers();
    const candidates = peers?.syncCandidates({ minUptimeMs: tunables.syncPeerMinUptimeMs }) ?? [];
    if (!peers || candidates.length < tunables.syncPeerCount) {
      this.#tooFewPeers += 1;
      logger.info('too few eligible sync peers, readiness waits for the block timer', {
        eligible: candidates.length,
        needed: tunables.syncPeerCount,
      });
      return [];
    }
    const chosen = shuffled(candidates, this.#options.random).slice(0, tunables.syncPeerCount);
    this.receiver.markSyncPeers(chosen);
    const requestTs = clock.now();
    for (const peer of chosen) {
      for (const type of REQUEST_TYPES) {
        const request = signSyncRequest({
          type,
          sinceTs: 0,
          requestTs,
          privkeyHex: identity.privkeyHex,
          pubkeyHex: identity.pubkeyHex,
        });
        peers.sendTo(peer, encodeSyncRequest(request));
      }
    }
    this.#requestedFrom = chosen;
    bus.publish('ephemeralSync:requested', { peerCount: chosen.length, peers: chosen });
    return chosen;
  }

  #sendChunk(peer: string, envelope: SignedBroadcast<SyncChunk>): void {
    const sent = this.#options.peers()?.sendTo(peer, encodePeerFrame({ kind: 'syncResponse', envelope })) ?? false;
    if (!sent) this.#options.logger.debug('sync chunk not sent: peer gone', { peer });
  }
}
