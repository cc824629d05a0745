/**
 * The materialized location cache `globalzelapps.zelappslocation` (fluxos-node.md §4): one row per
 * (name, ip), what the spawner, `/apps/location` and boot reconcile read.
 *
 * Per-app upserts are strict-newer (`$gt`) like the event log: read the row, and if the incoming
 * announcement is newer, replace-with-upsert with `broadcastedAt < incoming` in the filter; a
 * concurrent newer writer makes the upsert collide on the unique (name, ip) index: "not newer".
 */
import type { Collection, Db, Filter } from 'mongodb';
import type { AppRunning } from '../../protocol/gossip/messages.js';
import type { Clock } from '../clock.js';
import type { Tunables } from '../tunables.js';
import { COLLECTION_NAMES } from './collections.js';
import { type LocationRow, resolveRunningSince, withoutUndefined } from '../../protocol/appstate/documents.js';
import type { SyncedEvent } from './event-log.js';
import { isDuplicateKeyError } from './mongo-errors.js';

export type CacheRejectReason = 'too-old' | 'too-many-apps' | 'empty-without-rows' | 'not-newer';

export interface StoreAppRunningResult {
  /** At least one row was written or (empty v2) deleted. */
  stored: boolean;
  /** stored, and the announcement is young enough to relay (§5.4: relayMaxAgeMs). */
  rebroadcast: boolean;
  reason?: CacheRejectReason;
}

export interface CacheUpdateResult {
  /** The message was accepted (young enough); relaying also needs the envelope's age (§5.4). */
  stored: boolean;
  /** Rows deleted or moved. */
  affected: number;
}

export interface CacheBatchResult {
  upserted: number;
  pruned: number;
  shortened: number;
  removed: number;
  evicted: number;
}

export type LocationCacheTunables = Pick<
  Tunables,
  'gossipValidityMs' | 'runningExpiryMs' | 'sigtermExpiryMs' | 'removedMaxAgeMs' | 'relayMaxAgeMs' | 'maxAppsPerNode'
>;

export interface LocationCacheOptions {
  /** The `globalzelapps` database (with the node's prefix). */
  db: Db;
  clock: Clock;
  tunables: LocationCacheTunables;
}

const NO_ID = { projection: { _id: 0 } } as const;

/** The rows an announcement carries, one per app. */
function rowsOf(payload: AppRunning, expireAt: number): LocationRow[] {
  const common = {
    ip: payload.ip,
    broadcastedAt: payload.broadcastedAt,
    expireAt,
    osUptime: payload.osUptime,
    staticIp: payload.staticIp,
  };
  if (payload.version === 2) {
    return payload.apps.map((app) =>
      withoutUndefined({
        ...common,
        name: app.name,
        hash: app.hash,
        runningSince: resolveRunningSince({ app: app.runningSince, broadcastedAt: payload.broadcastedAt }),
      }),
    );
  }
  return [
    withoutUndefined({
      ...common,
      name: payload.name,
      hash: payload.hash,
      runningSince: resolveRunningSince({ message: payload.runningSince, broadcastedAt: payload.broadcastedAt }),
    }),
  ];
}

export class LocationCache {
  readonly collection: Collection<LocationRow>;
  private readonly clock: Clock;
  private readonly tunables: LocationCacheTunables;

  constructor({ db, clock, tunables }: LocationCacheOptions) {
    this.collection = db.collection<LocationRow>(COLLECTION_NAMES.locations);
    this.clock = clock;
    this.tunables = tunables;
  }

  /**
   * Gossip apprunning (§4.1 step 2). Apps whose row is already as new are skipped and the loop goes
   * on (bug 1 was a `break`). An empty v2 deletes the IP's rows not newer than it; a non-empty v2
   * never prunes apps it does not list.
   */
  async storeAppRunning(payload: AppRunning): Promise<StoreAppRunningResult> {
    const now = this.clock.now();
    if (payload.version === 2 && payload.apps.length > this.tunables.maxAppsPerNode) {
      return { stored: false, rebroadcast: false, reason: 'too-many-apps' };
    }
    if (payload.broadcastedAt + this.tunables.gossipValidityMs < now) {
      return { stored: false, rebroadcast: false, reason: 'too-old' };
    }
    const stored =
      payload.version === 2 && payload.apps.length === 0
        ? await this.applyEmptyAnnouncement(payload.ip, payload.broadcastedAt)
        : await this.upsertAnnouncement(payload);
    if (stored === undefined) return { stored: false, rebroadcast: false, reason: 'empty-without-rows' };
    if (!stored) return { stored: false, rebroadcast: false, reason: 'not-newer' };
    return { stored: true, rebroadcast: now - payload.broadcastedAt <= this.tunables.relayMaxAgeMs };
  }

  /** Sigterm (§4.1): the IP's rows expire SIGTERM_EXPIRY after the sigterm; broadcastedAt stays (bug 2). */
  async applySigterm({ ip, broadcastedAt }: { ip: string; broadcastedAt: number }): Promise<number> {
    const result = await this.collection.updateMany(
      { ip },
      { $set: { expireAt: broadcastedAt + this.tunables.sigtermExpiryMs } },
    );
    return result.modifiedCount;
  }

  /** appremoved (§4.1): unguarded delete of (ip, appName), if the message is at most removedMaxAgeMs old. */
  async removeApp({
    ip,
    appName,
    broadcastedAt,
  }: {
    ip: string;
    appName: string;
    broadcastedAt?: number;
  }): Promise<CacheUpdateResult> {
    if (broadcastedAt !== undefined && this.isTooOldForRemoval(broadcastedAt)) return { stored: false, affected: 0 };
    const result = await this.collection.deleteMany({ ip, name: appName });
    return { stored: true, affected: result.deletedCount };
  }

  /**
   * ipchanged (§4.1): the old IP's rows move to the new IP with broadcastedAt = changedAt. Where the
   * new IP already has a row for the app, the newer of the two stays (the view's "latest wins").
   */
  async remapIp({
    oldIP,
    newIP,
    changedAt,
  }: {
    oldIP: string;
    newIP: string;
    changedAt: number;
  }): Promise<CacheUpdateResult> {
    if (this.isTooOldForRemoval(changedAt)) return { stored: false, affected: 0 };
    const rows = await this.collection.find({ ip: oldIP }).toArray();
    for (const row of rows) await this.moveRow({ row, newIP, changedAt });
    return { stored: true, affected: rows.length };
  }

  async deleteByIp(ip: string): Promise<number> {
    return (await this.collection.deleteMany({ ip })).deletedCount;
  }

  /**
   * Sync path (§4.2 steps 2-3), for events the caller verified: upsert announcements up to
   * runningExpiryMs old, prune each IP to its newest v2 of the batch, then apply sigterms, removals
   * and evictions, unguarded (§14: they also hit rows newer than themselves). ipchanged is not remapped.
   */
  async storeBatch(events: readonly SyncedEvent[]): Promise<CacheBatchResult> {
    const result: CacheBatchResult = { upserted: 0, pruned: 0, shortened: 0, removed: 0, evicted: 0 };
    const now = this.clock.now();
    const newestV2ByIp = new Map<string, AppRunning & { version: 2 }>();
    for (const event of events) {
      if (event.type === 'evicted' || event.data.type !== 'fluxapprunning') continue;
      const payload = event.data;
      if (payload.broadcastedAt + this.tunables.runningExpiryMs < now) continue;
      if (payload.version === 2) {
        if (payload.apps.length > this.tunables.maxAppsPerNode) continue;
        const newest = newestV2ByIp.get(payload.ip);
        if (!newest || payload.broadcastedAt > newest.broadcastedAt) newestV2ByIp.set(payload.ip, payload);
      }
      result.upserted += await this.upsertRows(rowsOf(payload, this.expiryOf(payload.broadcastedAt)));
    }
    for (const [ip, v2] of newestV2ByIp) {
      const names = v2.apps.map((app) => app.name);
      const pruned = await this.collection.deleteMany({
        ip,
        name: { $nin: names },
        broadcastedAt: { $lte: v2.broadcastedAt },
      });
      result.pruned += pruned.deletedCount;
    }
    await this.applySyncedShutdowns(events, result);
    return result;
  }

  /** Unexpired rows, optionally for one app (case-insensitive exact) and/or one IP, sorted by name then IP. */
  async rows({ appName, ip }: { appName?: string; ip?: string } = {}): Promise<LocationRow[]> {
    const filter: Filter<LocationRow> = { expireAt: { $gt: this.clock.now() }, ...(ip ? { ip } : {}) };
    const rows = await this.collection.find(filter, NO_ID).toArray();
    const wanted = appName?.toLowerCase();
    return rows
      .filter((row) => wanted === undefined || row.name.toLowerCase() === wanted)
      .sort((a, b) => a.name.localeCompare(b.name) || a.ip.localeCompare(b.ip));
  }

  /** Every row, expired-but-unswept included. */
  async all(): Promise<LocationRow[]> {
    return this.collection.find({}, NO_ID).toArray();
  }

  private expiryOf(broadcastedAt: number): number {
    return broadcastedAt + this.tunables.runningExpiryMs;
  }

  private isTooOldForRemoval(broadcastedAt: number): boolean {
    return this.clock.now() - broadcastedAt > this.tunables.removedMaxAgeMs;
  }

  /** undefined when the IP has no rows (the empty v2 is rejected), else whether rows were deleted. */
  private async applyEmptyAnnouncement(ip: string, broadcastedAt: number): Promise<boolean | undefined> {
    if ((await this.collection.countDocuments({ ip }, { limit: 1 })) === 0) return undefined;
    const result = await this.collection.deleteMany({ ip, broadcastedAt: { $lte: broadcastedAt } });
    return result.deletedCount > 0;
  }

  private async upsertAnnouncement(payload: AppRunning): Promise<boolean> {
    return (await this.upsertRows(rowsOf(payload, this.expiryOf(payload.broadcastedAt)))) > 0;
  }

  /** Strict-newer upsert of each row; returns how many were written. */
  private async upsertRows(rows: readonly LocationRow[]): Promise<number> {
    let written = 0;
    for (const row of rows) {
      if (await this.upsertIfNewer(row)) written += 1;
    }
    return written;
  }

  private async upsertIfNewer(row: LocationRow): Promise<boolean> {
    const key = { name: row.name, ip: row.ip };
    const current = await this.collection.findOne(key, NO_ID);
    if (current && current.broadcastedAt >= row.broadcastedAt) return false;
    try {
      const result = await this.collection.replaceOne({ ...key, broadcastedAt: { $lt: row.broadcastedAt } }, row, {
        upsert: true,
      });
      return result.matchedCount + result.upsertedCount > 0;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  private async moveRow({
    row,
    newIP,
    changedAt,
  }: {
    row: LocationRow;
    newIP: string;
    changedAt: number;
  }): Promise<void> {
    const oldKey = { name: row.name, ip: row.ip };
    const existing = await this.collection.findOne({ name: row.name, ip: newIP }, NO_ID);
    if (existing && existing.broadcastedAt >= changedAt) {
      await this.collection.deleteOne(oldKey);
      return;
    }
    if (existing) await this.collection.deleteOne({ name: row.name, ip: newIP });
    await this.collection.updateOne(oldKey, { $set: { ip: newIP, broadcastedAt: changedAt } });
  }

  private async applySyncedShutdowns(events: readonly SyncedEvent[], result: CacheBatchResult): Promise<void> {
    for (const event of events) {
      if (event.type === 'sigterm' && event.data.type === 'fluxnodesigterm') {
        result.shortened += await this.applySigterm(event.data);
      }
    }
    for (const event of events) {
      if (event.type === 'appremoved' && event.data.type === 'fluxappremoved') {
        result.removed += (
          await this.collection.deleteMany({ ip: event.data.ip, name: event.data.appName })
        ).deletedCount;
      }
    }
    for (const event of events) {
      if (event.type === 'evicted') result.evicted += await this.deleteByIp(event.ip);
    }
  }
}
