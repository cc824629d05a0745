/**
 * Wires the app-state store for one node: databases (with the node's prefix), event log, location
 * cache, their indexes, and the sweeper over both collections. The sweeper is returned unstarted.
 */
import type { MongoClient } from 'mongodb';
import { NO_REGRESSIONS, type RegressionName } from '../../protocol/regressions.js';
import type { Clock } from '../clock.js';
import type { Tunables } from '../tunables.js';
import { type NodeDatabases, nodeDatabases } from './collections.js';
import { EventLog } from './event-log.js';
import { ensureEventLogIndexes, ensureLocationIndexes } from './indexes.js';
import { LocationCache } from './location-cache.js';
import { Sweeper } from './sweeper.js';

export interface AppStateStore {
  databases: NodeDatabases;
  eventLog: EventLog;
  locationCache: LocationCache;
  sweeper: Sweeper;
}

export interface OpenAppStateStoreOptions {
  client: MongoClient;
  /** Database-name prefix, e.g. `n3_`, so several nodes can share one server. */
  prefix?: string;
  clock: Clock;
  tunables: Tunables;
  onSweepError?: (error: unknown) => void;
  /** Historic field bugs the event log and cache reproduce (docs/regressions.md). */
  regressions?: ReadonlySet<RegressionName>;
}

export async function openAppStateStore({
  client,
  prefix,
  clock,
  tunables,
  onSweepError,
  regressions = NO_REGRESSIONS,
}: OpenAppStateStoreOptions): Promise<AppStateStore> {
  const databases = nodeDatabases({ client, prefix });
  const eventLog = new EventLog({ db: databases.globalApps, clock, tunables, regressions });
  const locationCache = new LocationCache({ db: databases.globalApps, clock, tunables, regressions });
  await ensureEventLogIndexes(eventLog.collection);
  await ensureLocationIndexes(locationCache.collection);
  const sweeper = new Sweeper({
    collections: [eventLog.collection, locationCache.collection],
    clock,
    intervalMs: tunables.sweeperIntervalMs,
    onError: onSweepError,
  });
  return { databases, eventLog, locationCache, sweeper };
}
