/**
 * Where a node keeps its app state (fluxos-node.md §2, §4, §6, §10): FluxOS's database and collection
 * names, part of the node contract. A node may prefix its database names (e.g. `n3_`) so several
 * nodes can share one database server in tests; production FluxOS uses none.
 */
export const DATABASE_NAMES = {
  globalApps: 'globalzelapps',
  local: 'zelfluxlocal',
  chain: 'zelcashdata',
} as const;

export const COLLECTION_NAMES = {
  /** globalzelapps: the app-state event log */
  appStateEvents: 'appstateevents',
  /** globalzelapps: the location cache */
  locations: 'zelappslocation',
  /** globalzelapps: app messages whose hash is in a block */
  permanentMessages: 'zelappsmessages',
  /** globalzelapps: gossiped app messages not yet seen in a block */
  temporaryMessages: 'zelappstemporarymessages',
  /** zelfluxlocal: heartbeat and boot bookkeeping */
  startupTracker: 'nodestartuptracker',
  /** zelcashdata: app-message hashes found in blocks */
  appHashes: 'zelappshashes',
} as const;

export function databaseName({ prefix = '', database }: { prefix?: string; database: string }): string {
  return `${prefix}${database}`;
}
