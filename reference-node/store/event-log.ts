/**
 * The app-state event log `globalzelapps.appstateevents` (fluxos-node.md §2): one document per
 * `{ip, type, dedupKey}`, replaced only by a strictly newer `broadcastedAt`.
 *
 * FerretDB v1 has no update pipelines, so FluxOS's single `$cond` pipeline upsert becomes: read the
 * current document; if the incoming one is strictly newer, replace-with-upsert with the guard in the
 * filter (`broadcastedAt < incoming`, or no broadcastedAt). Should a concurrent writer win in between,
 * the upsert misses the filter, tries to insert, and the unique index refuses it: that is "not newer".
 * Whole documents are replaced rather than `$set`: NX-27017 (a stand-in server) stores booleans set
 * with `$set` on an existing document as 0/1.
 */
import type { Collection, Db, Filter } from 'mongodb';
import {
  type AppStateEventDoc,
  type AppStateEventType,
  type EventIdentity,
  type EvictedEventDoc,
  eventAt,
  eventIdentity,
  eventTypeOfPayload,
  type SignedEventDoc,
  type SignedEventPayload,
  type SignedEventType,
} from '../../protocol/appstate/documents.js';
import type { EnvelopeMeta } from '../../protocol/gossip/envelope.js';
import { NO_REGRESSIONS, type RegressionName } from '../../protocol/regressions.js';
import type { Clock } from '../clock.js';
import type { Tunables } from '../tunables.js';
import { COLLECTION_NAMES } from './collections.js';
import { isDuplicateKeyError } from './mongo-errors.js';

export type EventRejectReason = 'too-old' | 'empty-without-prior' | 'not-newer' | 'type-mismatch';

export interface StoreEventResult {
  stored: boolean;
  reason?: EventRejectReason;
}

export interface StoreGossipEventInput {
  type: SignedEventType;
  payload: SignedEventPayload;
  /** The broadcast's envelope; its `data` (if present) is not stored twice. */
  envelope: EnvelopeMeta;
  /** Both paths store identically (receivedAt included); the sync path is storeBatch. */
  source: 'gossip' | 'local';
}

/** One event as a sync responder serves it; signed events are verified by the caller before storing. */
export type SyncedEvent =
  | { type: 'evicted'; ip: string }
  | { type: SignedEventType; data: SignedEventPayload; envelope: EnvelopeMeta };

export type EventLogTunables = Pick<
  Tunables,
  'gossipValidityMs' | 'runningExpiryMs' | 'evictedExpiryMs' | 'sigtermExpiryMs'
>;

export interface EventLogOptions {
  /** The `globalzelapps` database (with the node's prefix). */
  db: Db;
  clock: Clock;
  tunables: EventLogTunables;
  /**
   * Historic field bugs to reproduce (docs/regressions.md): gossip-accepts-125min, empty-v2-stored,
   * sigterm-ttl-7min, strip-type-version, eviction-sigterm-grace, sync-unconditional-set, gte-guards.
   */
  regressions?: ReadonlySet<RegressionName>;
}

const NO_ID = { projection: { _id: 0 } } as const;

function envelopeMeta({ version, timestamp, pubKey, signature }: EnvelopeMeta): EnvelopeMeta {
  return { version, timestamp, pubKey, signature };
}

function isEmptyV2(payload: SignedEventPayload): boolean {
  return payload.type === 'fluxapprunning' && payload.version === 2 && payload.apps.length === 0;
}

/** Bug 8: the payload as the historic store kept it, `type` and `version` dropped (apprunning kept whole). */
function strippedData(payload: SignedEventPayload): SignedEventPayload {
  if (payload.type === 'fluxapprunning') return payload;
  const { type: _type, version: _version, ...rest } = payload;
  return rest as unknown as SignedEventPayload;
}

export class EventLog {
  readonly collection: Collection<AppStateEventDoc>;
  private readonly clock: Clock;
  private readonly tunables: EventLogTunables;
  private readonly regressions: ReadonlySet<RegressionName>;

  constructor({ db, clock, tunables, regressions = NO_REGRESSIONS }: EventLogOptions) {
    this.collection = db.collection<AppStateEventDoc>(COLLECTION_NAMES.appStateEvents);
    this.clock = clock;
    this.tunables = tunables;
    this.regressions = regressions;
  }

  /** Gossip and own messages (§2 store rules); receivedAt is written even when nothing is replaced. */
  async storeGossipEvent({ type, payload, envelope }: StoreGossipEventInput): Promise<StoreEventResult> {
    const now = this.clock.now();
    // Bug 3: the gossip path once took apprunning as old as the sync path does.
    const maxAgeMs = this.regressions.has('gossip-accepts-125min')
      ? this.tunables.runningExpiryMs
      : this.tunables.gossipValidityMs;
    const rejected = await this.checkStoreRules({ type, payload, maxAgeMs, now });
    if (rejected) return rejected;
    const identity = eventIdentity(payload);
    const receivedAt = now;
    const replaced = await this.guardedUpsert(identity, { ...this.signedDoc(identity, payload, envelope), receivedAt });
    if (replaced) return { stored: true };
    await this.collection.updateOne(identity as Filter<AppStateEventDoc>, { $set: { receivedAt } });
    return { stored: false, reason: 'not-newer' };
  }

  /** Local eviction (§4.1): unconditional, createdAt = now, 125-min lifetime (bug 5). */
  async storeEvicted({ ip }: { ip: string }): Promise<void> {
    const now = this.clock.now();
    await this.writeEvicted({ ip, now, receivedAt: now });
  }

  /**
   * Sync path (§4.2): same guard, events up to runningExpiryMs old, no receivedAt written. A synced
   * eviction is re-stamped with the local time (§14). Results are in input order.
   */
  async storeBatch(events: readonly SyncedEvent[]): Promise<StoreEventResult[]> {
    const results: StoreEventResult[] = [];
    for (const event of events) results.push(await this.storeSynced(event));
    return results;
  }

  /**
   * What a sync responder serves: events at or after sinceMs (evictions by createdAt), unexpired,
   * oldest first.
   */
  async eventsSince({
    sinceMs,
    types,
  }: {
    sinceMs: number;
    types?: readonly AppStateEventType[];
  }): Promise<AppStateEventDoc[]> {
    const filter: Filter<AppStateEventDoc> = {
      expireAt: { $gt: this.clock.now() },
      $or: [{ broadcastedAt: { $gte: sinceMs } }, { createdAt: { $gte: sinceMs } }],
      ...(types ? { type: { $in: [...types] } } : {}),
    } as Filter<AppStateEventDoc>;
    const docs = await this.collection.find(filter, NO_ID).toArray();
    return docs.sort((a, b) => eventAt(a) - eventAt(b));
  }

  /** Every stored document, expired-but-unswept included. */
  async all(): Promise<AppStateEventDoc[]> {
    return this.collection.find({}, NO_ID).toArray();
  }

  private async storeSynced(event: SyncedEvent): Promise<StoreEventResult> {
    const now = this.clock.now();
    if (event.type === 'evicted') {
      await this.writeEvicted({ ip: event.ip, now });
      return { stored: true };
    }
    const rejected = await this.checkStoreRules({
      type: event.type,
      payload: event.data,
      maxAgeMs: this.tunables.runningExpiryMs,
      now,
    });
    if (rejected) return rejected;
    const identity = eventIdentity(event.data);
    const doc = this.signedDoc(identity, event.data, event.envelope);
    if (this.regressions.has('sync-unconditional-set')) {
      await this.unconditionalReplace(identity, doc);
      return { stored: true };
    }
    const replaced = await this.guardedUpsert(identity, doc, { keepReceivedAt: true });
    return replaced ? { stored: true } : { stored: false, reason: 'not-newer' };
  }

  /** §2 table: apprunning age limit and the empty-v2 rule; the other types are gated by their handlers. */
  private async checkStoreRules({
    type,
    payload,
    maxAgeMs,
    now,
  }: {
    type: SignedEventType;
    payload: SignedEventPayload;
    maxAgeMs: number;
    now: number;
  }): Promise<StoreEventResult | undefined> {
    if (eventTypeOfPayload(payload) !== type) return { stored: false, reason: 'type-mismatch' };
    if (payload.type !== 'fluxapprunning') return undefined;
    if (payload.broadcastedAt + maxAgeMs < now) return { stored: false, reason: 'too-old' };
    if (isEmptyV2(payload) && !this.regressions.has('empty-v2-stored') && !(await this.hasAppRunning(payload.ip))) {
      return { stored: false, reason: 'empty-without-prior' };
    }
    return undefined;
  }

  private signedDoc(identity: EventIdentity, payload: SignedEventPayload, envelope: EnvelopeMeta): SignedEventDoc {
    return {
      ...identity,
      broadcastedAt: payload.broadcastedAt,
      expireAt: payload.broadcastedAt + this.lifetimeOf(identity.type),
      data: this.regressions.has('strip-type-version') ? strippedData(payload) : payload,
      envelope: envelopeMeta(envelope),
    } as SignedEventDoc;
  }

  /** Every signed event lives 125 min; bug 6 gave the sigterm event the 7-min grace as its TTL. */
  private lifetimeOf(type: SignedEventType): number {
    return type === 'sigterm' && this.regressions.has('sigterm-ttl-7min')
      ? this.tunables.sigtermExpiryMs
      : this.tunables.runningExpiryMs;
  }

  private async hasAppRunning(ip: string): Promise<boolean> {
    return (await this.collection.countDocuments({ ip, type: 'apprunning' }, { limit: 1 })) > 0;
  }

  /**
   * Strict-newer replace; true when the incoming document was written. `keepReceivedAt` (sync path)
   * carries over the receivedAt of the document being replaced.
   */
  private async guardedUpsert(
    identity: EventIdentity,
    doc: SignedEventDoc,
    { keepReceivedAt = false }: { keepReceivedAt?: boolean } = {},
  ): Promise<boolean> {
    const incoming = doc.broadcastedAt;
    // Bug 18: a $gte guard also let an equal timestamp replace (and count as stored).
    const equalReplaces = this.regressions.has('gte-guards');
    const current = await this.collection.findOne(identity as Filter<AppStateEventDoc>, NO_ID);
    if (current && 'broadcastedAt' in current) {
      if (current.broadcastedAt > incoming || (current.broadcastedAt === incoming && !equalReplaces)) return false;
    }
    const older = equalReplaces ? { $lte: incoming } : { $lt: incoming };
    // Explicit $and: NX-27017 drops the fields beside a top-level $or in update filters.
    const filter = {
      $and: [identity, { $or: [{ broadcastedAt: older }, { broadcastedAt: { $exists: false } }] }],
    } as Filter<AppStateEventDoc>;
    const receivedAt = keepReceivedAt ? current?.receivedAt : undefined;
    const replacement = receivedAt === undefined ? doc : { ...doc, receivedAt };
    try {
      const result = await this.collection.replaceOne(filter, replacement, { upsert: true });
      return result.matchedCount + result.upsertedCount > 0;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /** Bug 11: the historic sync path wrote whatever it was served, older over newer. */
  private async unconditionalReplace(identity: EventIdentity, doc: SignedEventDoc): Promise<void> {
    const current = await this.collection.findOne(identity as Filter<AppStateEventDoc>, NO_ID);
    const replacement = current?.receivedAt === undefined ? doc : { ...doc, receivedAt: current.receivedAt };
    await this.collection.replaceOne(identity as Filter<AppStateEventDoc>, replacement, { upsert: true });
  }

  private async writeEvicted({ ip, now, receivedAt }: { ip: string; now: number; receivedAt?: number }): Promise<void> {
    // Bug 5: the eviction once lived only as long as the sigterm grace.
    const lifetimeMs = this.regressions.has('eviction-sigterm-grace')
      ? this.tunables.sigtermExpiryMs
      : this.tunables.evictedExpiryMs;
    const doc: Omit<EvictedEventDoc, 'ip' | 'type' | 'dedupKey'> = {
      createdAt: now,
      expireAt: now + lifetimeMs,
      ...(receivedAt ? { receivedAt } : {}),
    };
    await this.collection.updateOne({ ip, type: 'evicted', dedupKey: 'evicted' }, { $set: doc }, { upsert: true });
  }
}
