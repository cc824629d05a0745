/**
 * Eviction by the node status monitor against a real store: an unlisted, unconfirmed IP gets an
 * evicted event and loses its cache rows, and the derived view suppresses it at once.
 */
import { describe, expect, it } from 'vitest';
import { deriveLocations } from '../../protocol/appstate/location-view.js';
import { NodeStatusMonitor } from '../../reference-node/status-monitor/monitor.js';
import { DEFAULT_TUNABLES } from '../../reference-node/tunables.js';
import { useLocalDatabase } from '../../test-infra/local/use-local-database.js';
import { gossip, MIN, storeFactory, T, v2, X, Y } from './appstate-fixtures.js';

const database = useLocalDatabase();
const freshStore = storeFactory({ client: database.client, prefix: 'sm' });

describe('node status monitor on a real store', () => {
  it('evicts the unlisted, unconfirmed IP; leaves the listed one alone', async () => {
    const { store, clock } = await freshStore();
    for (const payload of [v2(X, T, ['a']), v2(Y, T, ['b'])]) {
      await gossip(store, payload);
      await store.locationCache.storeAppRunning(payload);
    }
    clock.advance(MIN);
    const monitor = new NodeStatusMonitor({
      tunables: DEFAULT_TUNABLES,
      isListedIp: (ip) => ip === X,
      cache: store.locationCache,
      eventLog: store.eventLog,
      probe: async () => ({ reachable: true, status: 'expired' }),
      onError: (error) => {
        throw error;
      },
    });
    expect(await monitor.runOnce()).toEqual({ probed: [Y], evicted: [Y] });
    expect((await store.locationCache.all()).map((row) => row.ip)).toEqual([X]);
    const events = await store.eventLog.all();
    expect(events.find((doc) => doc.type === 'evicted')).toMatchObject({
      ip: Y,
      createdAt: T + MIN,
      expireAt: T + MIN + DEFAULT_TUNABLES.evictedExpiryMs,
    });
    const view = deriveLocations({ events, now: clock.now(), tunables: DEFAULT_TUNABLES });
    expect(view.map((location) => location.ip)).toEqual([X]);
  });
});
