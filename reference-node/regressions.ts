/**
 * `FLUXNET_REGRESSIONS=<name>,<name>`: which historic field bugs (protocol/regressions.ts) this node
 * reproduces. Off by default. A name the catalogue lacks is an error: a toggle that silently did
 * nothing would make a scenario pass for the wrong reason. Every catalogued toggle has a code path
 * here (IMPLEMENTED_REGRESSIONS is typed to list them all).
 */
import { isRegressionName, REGRESSION_NAMES, type RegressionName } from '../protocol/regressions.js';

export { NO_REGRESSIONS, type RegressionName } from '../protocol/regressions.js';

/** Where each toggle the node implements lives (docs/regressions.md has the full table). */
export const IMPLEMENTED_REGRESSIONS: Readonly<Record<RegressionName, string>> = {
  'break-on-current-app': 'store/location-cache.ts',
  'sigterm-rewrites-broadcastedat': 'store/location-cache.ts',
  'gossip-accepts-125min': 'store/event-log.ts, store/location-cache.ts',
  'eviction-sigterm-grace': 'store/event-log.ts, protocol/appstate/location-view.ts',
  'sigterm-ttl-7min': 'store/event-log.ts',
  'sync-no-side-effects': 'store/location-cache.ts',
  'strip-type-version': 'store/event-log.ts',
  'sigterm-gated-on-cache': 'gossip/handlers.ts, gossip/announcer.ts',
  'empty-v2-stored': 'store/event-log.ts',
  'sync-unconditional-set': 'store/event-log.ts, store/location-cache.ts',
  'first-broadcast-races-boot': 'apps/announcements.ts',
  'single-peer-hash-sync': 'hash-sync/hash-sync.ts',
  'hash-request-over-500': 'hash-sync/hash-sync.ts',
  'hash-sync-failure-terminal': 'orchestrator/state-machine.ts',
  'app-message-gossip-dropped': 'gossip/handlers.ts',
  'sync-before-node-list': 'orchestrator/state-machine.ts',
  'gte-guards': 'store/event-log.ts, store/location-cache.ts',
  'dead-peer-close': 'peers/manager.ts',
  'overlapping-polls': 'timers.ts (daemon/node-list.ts, confirmation/poller.ts)',
};

/** A bad FLUXNET_REGRESSIONS value; names the offending entry and what is accepted. */
export class RegressionsError extends Error {
  readonly entry: string;
  constructor({ entry, detail }: { entry: string; detail: string }) {
    super(`FLUXNET_REGRESSIONS: ${JSON.stringify(entry)}: ${detail}`);
    this.name = 'RegressionsError';
    this.entry = entry;
  }
}

function checkEntry(entry: string): RegressionName {
  if (!isRegressionName(entry)) {
    throw new RegressionsError({ entry, detail: `unknown regression; known: ${REGRESSION_NAMES.join(', ')}` });
  }
  return entry;
}

/** Comma-separated names (blank entries and surrounding spaces ignored); undefined or '' = none. */
export function parseRegressions(raw: string | undefined): ReadonlySet<RegressionName> {
  const entries = (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return new Set(entries.map(checkEntry));
}

export function loadRegressions(env: Record<string, string | undefined>): ReadonlySet<RegressionName> {
  return parseRegressions(env.FLUXNET_REGRESSIONS);
}
