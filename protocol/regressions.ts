/**
 * Catalogue of regression toggles: one per numbered FluxOS field bug (fluxos-node.md §13) that the
 * reference node can reproduce. A toggle switches the node back to the historic WRONG behaviour so a
 * scenario can prove it catches the bug. Shared by the node (which implements them) and the harness
 * (scenarios name the toggle they catch); docs/regressions.md explains each one.
 */

export interface RegressionInfo {
  /** Field-bug number in fluxos-node.md §13. */
  bug: string;
  /** The historic behaviour the toggle brings back. */
  wrong: string;
}

export const REGRESSIONS = {
  'break-on-current-app': {
    bug: '1',
    wrong: 'gossip apprunning: the cache loop stops at the first app whose row is as new; later apps skipped, no relay',
  },
  'sigterm-rewrites-broadcastedat': {
    bug: '2',
    wrong: 'sigterm rewrites the cache rows broadcastedAt to sigterm + 420 s - 125 min, so newer apprunning passes',
  },
  'gossip-accepts-125min': {
    bug: '3',
    wrong: 'gossip apprunning is accepted up to 125 min old (event log and cache), not 5 min',
  },
  'eviction-sigterm-grace': {
    bug: '5',
    wrong: 'an eviction gets the 7-min sigterm grace in the view and a 7-min TTL in the event log',
  },
  'sigterm-ttl-7min': {
    bug: '6',
    wrong: 'a sigterm event expires 7 min after it was sent instead of 125 min',
  },
  'sync-no-side-effects': {
    bug: '7',
    wrong: 'synced sigterm/appremoved/evicted are stored but never touch the cache',
  },
  'strip-type-version': {
    bug: '8',
    wrong:
      'sigterm/appremoved/ipchanged events are stored without data.type/version, so they fail re-verification after sync',
  },
  'sigterm-gated-on-cache': {
    bug: '9',
    wrong:
      'a gossiped sigterm is stored/relayed only if the cache (not the view) has rows for the IP; own sigterm not stored',
  },
  'empty-v2-stored': {
    bug: '10',
    wrong: 'the event log stores an empty v2 apprunning even when the IP has no earlier apprunning event',
  },
  'sync-unconditional-set': {
    bug: '11',
    wrong: 'the sync path overwrites events and cache rows unconditionally, older over newer',
  },
  'first-broadcast-races-boot': {
    bug: '12',
    wrong:
      'the first apprunning goes out at the peer threshold without waiting for boot reconcile (may announce 0 apps)',
  },
  'single-peer-hash-sync': {
    bug: '13',
    wrong: 'hash sync asks one peer, waits a fixed 30 s, gives up on zero progress',
  },
  'hash-request-over-500': {
    bug: '14',
    wrong: 'fluxapprequest carries every missing hash in one request; responders reject more than 500',
  },
  'hash-sync-failure-terminal': {
    bug: '15',
    wrong: 'a hash-sync failure is never retried',
  },
  'app-message-gossip-dropped': {
    bug: '16',
    wrong: 'app registration/update gossip fails verification (empty module exports), so it is dropped',
  },
  'sync-before-node-list': {
    bug: '17',
    wrong: 'state syncs are requested at the peer threshold before the node list is loaded',
  },
  'gte-guards': {
    bug: '18',
    wrong: 'guards use $gte: an equal-timestamp duplicate replaces the stored event/row and counts as stored (relayed)',
  },
  'dead-peer-close': {
    bug: '19l',
    wrong: 'a dead peer is closed with a close handshake (ws.close) instead of terminated',
  },
  'overlapping-polls': {
    bug: '19m',
    wrong: 'periodic polls use setInterval and overlap on a slow daemon',
  },
} as const satisfies Record<string, RegressionInfo>;

export type RegressionName = keyof typeof REGRESSIONS;

export const REGRESSION_NAMES = Object.keys(REGRESSIONS) as RegressionName[];

export function isRegressionName(name: string): name is RegressionName {
  return Object.hasOwn(REGRESSIONS, name);
}

/** No toggle on: the fixed behaviour everywhere. */
export const NO_REGRESSIONS: ReadonlySet<RegressionName> = new Set();
