/**
 * Responder side of signed state sync (fluxos-node.md §7, `verifySyncRequest`). Cheap checks first,
 * all before any database read: the per-peer, per-type throttle (consumed even if the request then
 * fails), the request's age (|now - requestTs| ≤ 120 s), the pubkey being listed (any listed node:
 * not bound to the peer's IP), the signature. Then the window of the type is read and streamed as
 * signed chunks of at most syncChunkMaxMessages, the last one `done`.
 */
import { type SignedBroadcast, signBroadcast } from '../../protocol/gossip/envelope.js';
import { type SyncChunk, syncChunkTypeFor } from '../../protocol/gossip/sync-chunk.js';
import {
  decodeSyncRequest,
  SYNC_REQUEST_TYPES,
  type SyncRequest,
  type SyncRequestType,
  verifySyncRequest,
} from '../../protocol/gossip/sync-request.js';
import type { Clock } from '../clock.js';
import type { EventLog } from '../store/event-log.js';
import type { Tunables } from '../tunables.js';

export const SYNC_REJECT_REASONS = ['malformed', 'throttled', 'stale-request', 'unlisted', 'bad-signature'] as const;
export type SyncRejectReason = (typeof SYNC_REJECT_REASONS)[number];

export type SyncResponderTunables = Pick<
  Tunables,
  | 'syncThrottleMs'
  | 'syncRequestToleranceMs'
  | 'syncChunkMaxMessages'
  | 'temporaryMessageExpiryMs'
  | 'runningExpiryMs'
  | 'installingExpiryMs'
  | 'installingErrorsExpiryMs'
>;

/** Reads what a type serves from sinceMs on; a type without a source serves an empty, done stream. */
export type SyncSource = (query: { sinceMs: number }) => Promise<readonly unknown[]>;
export type SyncSources = Partial<Record<SyncRequestType, SyncSource>>;

export interface SyncResponderOptions {
  clock: Clock;
  tunables: SyncResponderTunables;
  directory: { hasListedKey(pubkey: string): boolean };
  sources: SyncSources;
  /** Signs each chunk; the requester checks it against the key the peer authenticated with. */
  identity: { privkeyHex: string; pubkeyHex: string };
  /** Sends one chunk envelope to the requesting peer (a `syncResponse` frame). */
  send(peer: string, envelope: SignedBroadcast<SyncChunk>): void;
}

export type SyncResponseResult =
  | { outcome: 'served'; type: SyncRequestType; chunks: number; messages: number }
  | { outcome: 'rejected'; reason: SyncRejectReason; detail?: string };

export interface SyncResponderMetrics {
  served: number;
  chunksSent: number;
  messagesSent: number;
  rejected: Record<SyncRejectReason, number>;
}

/** 0x21: the event log's running window (evictions by createdAt), documents as stored minus receivedAt. */
export function runningEventsSource(eventLog: Pick<EventLog, 'eventsSince'>): SyncSource {
  return async ({ sinceMs }) =>
    (await eventLog.eventsSince({ sinceMs })).map(({ receivedAt: _receivedAt, ...served }) => served);
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  if (items.length === 0) return [[]];
  const chunks: T[][] = [];
  for (let at = 0; at < items.length; at += size) chunks.push(items.slice(at, at + size));
  return chunks;
}

export class SyncResponder {
  readonly #options: SyncResponderOptions;
  /** `${peer} ${type}` -> when that peer last consumed its slot for that type. */
  readonly #lastRequest = new Map<string, number>();
  readonly #metrics: SyncResponderMetrics = {
    served: 0,
    chunksSent: 0,
    messagesSent: 0,
    rejected: { malformed: 0, throttled: 0, 'stale-request': 0, unlisted: 0, 'bad-signature': 0 },
  };

  constructor(options: SyncResponderOptions) {
    this.#options = options;
  }

  get metrics(): SyncResponderMetrics {
    return { ...this.#metrics, rejected: { ...this.#metrics.rejected } };
  }

  /** A binary peer frame: decoded here, a bad frame is counted as malformed (never thrown). */
  handleFrame({ bytes, peer }: { bytes: Uint8Array; peer: string }): Promise<SyncResponseResult> {
    let request: SyncRequest;
    try {
      request = decodeSyncRequest(bytes);
    } catch (error) {
      return Promise.resolve(this.#reject('malformed', (error as Error).message));
    }
    return this.handle({ request, peer });
  }

  async handle({ request, peer }: { request: SyncRequest; peer: string }): Promise<SyncResponseResult> {
    const rejected = this.#check(request, peer);
    if (rejected) return rejected;
    const messages = await this.#read(request);
    const chunks = chunked(messages, this.#options.tunables.syncChunkMaxMessages);
    chunks.forEach((slice, index) => {
      this.#send(peer, { type: syncChunkTypeFor(request.type), messages: slice, done: index === chunks.length - 1 });
    });
    this.#metrics.served += 1;
    return { outcome: 'served', type: request.type, chunks: chunks.length, messages: messages.length };
  }

  /** Every check that needs no database, in FluxOS's order; the throttle slot is taken first. */
  #check(request: SyncRequest, peer: string): SyncResponseResult | undefined {
    const { clock, tunables, directory } = this.#options;
    const now = clock.now();
    const key = `${peer} ${request.type}`;
    const last = this.#lastRequest.get(key);
    if (last !== undefined && now - last < tunables.syncThrottleMs) return this.#reject('throttled');
    this.#lastRequest.set(key, now);
    if (Math.abs(now - request.requestTs) > tunables.syncRequestToleranceMs) return this.#reject('stale-request');
    if (!directory.hasListedKey(request.pubKey)) return this.#reject('unlisted');
    if (!verifySyncRequest(request)) return this.#reject('bad-signature');
    return undefined;
  }

  async #read(request: SyncRequest): Promise<readonly unknown[]> {
    const source = this.#options.sources[request.type];
    if (!source) return [];
    const sinceMs = Math.max(request.sinceTs, this.#options.clock.now() - this.#windowOf(request.type));
    return source({ sinceMs });
  }

  #windowOf(type: SyncRequestType): number {
    const { tunables } = this.#options;
    switch (type) {
      case SYNC_REQUEST_TYPES.temporaryMessages:
        return tunables.temporaryMessageExpiryMs;
      case SYNC_REQUEST_TYPES.appRunning:
        return tunables.runningExpiryMs;
      case SYNC_REQUEST_TYPES.appInstalling:
        return tunables.installingExpiryMs;
      case SYNC_REQUEST_TYPES.appInstallingErrors:
        return tunables.installingErrorsExpiryMs;
    }
  }

  #send(peer: string, chunk: SyncChunk): void {
    const { identity, clock } = this.#options;
    const envelope = signBroadcast({
      data: chunk,
      privkeyHex: identity.privkeyHex,
      pubkeyHex: identity.pubkeyHex,
      timestamp: clock.now(),
    });
    this.#options.send(peer, envelope);
    this.#metrics.chunksSent += 1;
    this.#metrics.messagesSent += chunk.messages.length;
  }

  #reject(reason: SyncRejectReason, detail?: string): SyncResponseResult {
    this.#metrics.rejected[reason] += 1;
    return detail === undefined ? { outcome: 'rejected', reason } : { outcome: 'rejected', reason, detail };
  }
}
