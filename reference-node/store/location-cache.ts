/**
 * The materialized location cache `globalzelapps.zelappslocation` (fluxos-node.md §4): one row per
 * (name, ip), what the spawner, `/apps/location` and boot reconcile read.
 *
 * Per-app upserts are strict-newer (`$gt`) like the event log: read the row, and if the incoming
 * announcement is newer, replace-with-upsert with `broadcastedAt < incoming` in the filter; a
 * concurrent newer writer makes the upsert collide on the unique (name, ip) index: "not newer".
 */
import type { Collection, Db, Filter } from 'mongodb';
import { type LocationRow, resolveRunningSince, withoutUndefined } from '../../protocol/appstate/documents.js';
import type { AppRunning } from '../../protocol/gossip/messages.js';
import { NO_REGRESSIONS, type RegressionName } from '../../protocol/regressions.js';
import type { Clock } from '../clock.js';
import type { Tunables } from '../tunables.js';
import { COLLECTION_NAMES } from './collections.js';
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
  /**
   * Historic field bugs to reproduce (docs/regressions.md): break-on-current-app,
   * sigterm-rewrites-broadcastedat, gossip-accepts-125min, sync-no-side-effects,
   * sync-unconditional-set, gte-guards.
   */
  regressions?: ReadonlySet<RegressionName>;
}

/** How a batch of rows is written: strict-newer, or (bug 11) whatever arrives. */
type UpsertMode = 'guarded' | 'unconditional';

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
  private readonly regressions: ReadonlySet<RegressionName>;

  constructor({ db, clock, tunables, regressions = NO_REGRESSIONS }: LocationCacheOptions) {
    this.collection = db.collection<LocationRow>(COLLECTION_NAMES.locations);
    this.clock = clock;
    this.tunables = tunables;
    this.regressions = regressions;
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
    // Bug 3: v8.12.1's cache took gossip as old as the sync window.
    const maxAgeMs = this.regressions.has('gossip-accepts-125min')
      ? this.tunables.runningExpiryMs
      : this.tunables.gossipValidityMs;
    if (payload.broadcastedAt + maxAgeMs < now) {
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
    const expireAt = broadcastedAt + this.tunables.sigtermExpiryMs;
    // Bug 2: v8.12.1 back-dated the signed time so that broadcastedAt + 125 min = expireAt.
    const update = this.regressions.has('sigterm-rewrites-broadcastedat')
      ? { expireAt, broadcastedAt: expireAt - this.tunables.runningExpiryMs }
      : { expireAt };
    const result = await this.collection.updateMany({ ip }, { $set: update });
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
      result.upserted += await this.upsertRows(rowsOf(payload, this.expiryOf(payload.broadcastedAt)), this.syncMode());
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
    // Bug 7: the historic receiver stored synced shutdowns and removals but never applied them.
    if (!this.regressions.has('sync-no-side-effects')) await this.applySyncedShutdowns(events, result);
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
    const rows = rowsOf(payload, this.expiryOf(payload.broadcastedAt));
    if (this.regressions.has('break-on-current-app')) return this.upsertUntilCurrent(rows);
    return (await this.upsertRows(rows, 'guarded')) > 0;
  }

  /**
   * Bug 1 (v8.12.1): the loop `break`s at the first app whose row is already as new; the apps after it
   * are never written and the announcement counts as not stored, so it is not relayed either.
   */
  private async upsertUntilCurrent(rows: readonly LocationRow[]): Promise<boolean> {
    for (const row of rows) {
      if (!(await this.upsertIfNewer(row))) return false;
    }
    return rows.length > 0;
  }

  private syncMode(): UpsertMode {
    return this.regressions.has('sync-unconditional-set') ? 'unconditional' : 'guarded';
  }

  /** Upserts each row (strict-newer unless told otherwise); returns how many were written. */
  private async upsertRows(rows: readonly LocationRow[], mode: UpsertMode): Promise<number> {
    let written = 0;
    for (const row of rows) {
      if (mode === 'unconditional') {
        await this.collection.replaceOne({ name: row.name, ip: row.ip }, row, { upsert: true });
        written += 1;
      } else if (await this.upsertIfNewer(row)) {
        written += 1;
      }
    }
    return written;
  }

  private async upsertIfNewer(row: LocationRow): Promise<boolean> {
    const key = { name: row.name, ip: row.ip };
    // Bug 18: a $gte guard also let an equal timestamp replace the row (and count as stored).
    const equalReplaces = this.regressions.has('gte-guards');
    const current = await this.collection.findOne(key, NO_ID);
    if (current) {
      if (current.broadcastedAt > row.broadcastedAt) return false;
      if (current.broadcastedAt === row.broadcastedAt && !equalReplaces) return false;
    }
    const older = equalReplaces ? { $lte: row.broadcastedAt } : { $lt: row.broadcastedAt };
    try {
      const result = await this.collection.replaceOne({ ...key, broadcastedAt: older }, row, {
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
