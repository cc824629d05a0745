/**
 * FluxOS's database and collection names. A prefix (e.g. `n3_`) lets several nodes share one
 * database server in tests; production FluxOS uses none.
 */
import type { Db, MongoClient } from 'mongodb';

export const DATABASE_NAMES = {
  globalApps: 'globalzelapps',
  local: 'zelfluxlocal',
  chain: 'zelcashdata',
} as const;

export const COLLECTION_NAMES = {
  /** globalzelapps */
  appStateEvents: 'appstateevents',
  /** globalzelapps */
  locations: 'zelappslocation',
  /** globalzelapps: app messages whose hash is in a block */
  permanentMessages: 'zelappsmessages',
  /** globalzelapps: gossiped app messages not yet seen in a block */
  temporaryMessages: 'zelappstemporarymessages',
  /** zelfluxlocal */
  startupTracker: 'nodestartuptracker',
  /** zelcashdata */
  appHashes: 'zelappshashes',
} as const;

export interface NodeDatabases {
  globalApps: Db;
  local: Db;
  chain: Db;
}

export function nodeDatabases({ client, prefix = '' }: { client: MongoClient; prefix?: string }): NodeDatabases {
  return {
    globalApps: client.db(`${prefix}${DATABASE_NAMES.globalApps}`),
    local: client.db(`${prefix}${DATABASE_NAMES.local}`),
    chain: client.db(`${prefix}${DATABASE_NAMES.chain}`),
  };
}
