/** Reads the derived location view (fluxos-node.md §3) from the event log at the node's current time. */

import type { AppLocation } from '../protocol/appstate/documents.js';
import { deriveLocations } from '../protocol/appstate/location-view.js';
import type { RegressionName } from '../protocol/regressions.js';
import type { Clock } from './clock.js';
import type { EventLog } from './store/event-log.js';
import type { Tunables } from './tunables.js';

export interface ViewReaderOptions {
  eventLog: EventLog;
  clock: Clock;
  tunables: Pick<Tunables, 'sigtermExpiryMs'>;
  regressions: ReadonlySet<RegressionName>;
}

export type ViewReader = (filter?: { appName?: string; ip?: string }) => Promise<AppLocation[]>;

export function createViewReader({ eventLog, clock, tunables, regressions }: ViewReaderOptions): ViewReader {
  return async (filter = {}) =>
    deriveLocations({ events: await eventLog.all(), now: clock.now(), tunables, regressions, ...filter });
}
