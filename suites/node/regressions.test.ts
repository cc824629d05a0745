/**
 * Every regression toggle of the store and the derived view: the same input gives the fixed result
 * with the toggle off and the historic wrong result (fluxos-node.md §13) with it on, against a real
 * MongoDB-wire server. Orchestrator toggles are covered in reference-node/orchestrator.
 */
import { describe, expect, it } from 'vitest';
import type { SignedEventDoc } from '../../protocol/appstate/documents.js';
import { deriveLocations } from '../../protocol/appstate/location-view.js';
import { verifyBroadcast } from '../../protocol/gossip/envelope.js';
import type { RegressionName } from '../../protocol/regressions.js';
import type { ManualClock } from '../../reference-node/clock.js';
import { IMPLEMENTED_REGRESSIONS } from '../../reference-node/regressions.js';
import type { AppStateStore } from '../../reference-node/store/app-state-store.js';
import { DEFAULT_TUNABLES } from '../../reference-node/tunables.js';
import { useLocalDatabase } from '../../test-infra/local/use-local-database.js';
import { gossip, MIN, removal, sigterm, storeFactory, synced, T, v1, v2, X } from './appstate-fixtures.js';

const database = useLocalDatabase();
const freshStore = storeFactory({ client: database.client, prefix: 'rg' });

interface Ctx {
  store: AppStateStore;
  clock: ManualClock;
  regressions: ReadonlySet<RegressionName>;
}

interface ToggleCase {
  name: RegressionName;
  input: string;
  run(ctx: Ctx): Promise<unknown>;
  fixed: unknown;
  wrong: unknown;
}

async function rowsOfX(store: AppStateStore) {
  return (await store.locationCache.all())
    .filter((row) => row.ip === X)
    .map(({ name, hash, broadcastedAt, expireAt }) => ({ name, hash, broadcastedAt, expireAt }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function eventOfX(store: AppStateStore, type: string, dedupKey: string): Promise<SignedEventDoc | null> {
  return (await store.eventLog.collection.findOne({ ip: X, type, dedupKey } as never, {
    projection: { _id: 0 },
  })) as SignedEventDoc | null;
}

const RUNNING = DEFAULT_TUNABLES.runningExpiryMs;
const GRACE = DEFAULT_TUNABLES.sigtermExpiryMs;

const CASES: ToggleCase[] = [
  {
    name: 'break-on-current-app',
    input: "X's v1 for a (T) overtakes its v2 [a, b] (T - 1 min)",
    run: async ({ store }) => {
      await store.locationCache.storeAppRunning(v1(X, T, 'a'));
      const result = await store.locationCache.storeAppRunning(v2(X, T - MIN, ['a', 'b']));
      return {
        stored: result.stored,
        rebroadcast: result.rebroadcast,
        apps: (await rowsOfX(store)).map((r) => r.name),
      };
    },
    fixed: { stored: true, rebroadcast: true, apps: ['a', 'b'] },
    wrong: { stored: false, rebroadcast: false, apps: ['a'] },
  },
  {
    name: 'sigterm-rewrites-broadcastedat',
    input: 'announcement at T, sigterm at T + 2 min, the same announcement delivered again',
    run: async ({ store, clock }) => {
      const announcement = v2(X, T, ['a']);
      await store.locationCache.storeAppRunning(announcement);
      clock.advance(2 * MIN);
      await store.locationCache.applySigterm(sigterm(X, T + 2 * MIN));
      const afterSigterm = await rowsOfX(store);
      const again = await store.locationCache.storeAppRunning(announcement);
      return { afterSigterm, againStored: again.stored, final: await rowsOfX(store) };
    },
    fixed: {
      afterSigterm: [{ name: 'a', hash: 'h-a', broadcastedAt: T, expireAt: T + 2 * MIN + GRACE }],
      againStored: false,
      final: [{ name: 'a', hash: 'h-a', broadcastedAt: T, expireAt: T + 2 * MIN + GRACE }],
    },
    wrong: {
      afterSigterm: [
        { name: 'a', hash: 'h-a', broadcastedAt: T + 2 * MIN + GRACE - RUNNING, expireAt: T + 2 * MIN + GRACE },
      ],
      againStored: true,
      final: [{ name: 'a', hash: 'h-a', broadcastedAt: T, expireAt: T + RUNNING }],
    },
  },
  {
    name: 'gossip-accepts-125min',
    input: 'a gossiped apprunning 30 min old',
    run: async ({ store, clock }) => {
      clock.advance(30 * MIN);
      const event = await gossip(store, v2(X, T, ['a']));
      const cache = await store.locationCache.storeAppRunning(v2(X, T, ['a']));
      return { event, cache: cache.stored };
    },
    fixed: { event: { stored: false, reason: 'too-old' }, cache: false },
    wrong: { event: { stored: true }, cache: true },
  },
  {
    name: 'eviction-sigterm-grace',
    input: 'X announced a at T, evicted at T + 1 min; view at T + 2 min',
    run: async ({ store, clock, regressions }) => {
      await gossip(store, v2(X, T, ['a']));
      clock.advance(MIN);
      await store.eventLog.storeEvicted({ ip: X });
      clock.advance(MIN);
      const events = await store.eventLog.all();
      const evicted = events.find((doc) => doc.type === 'evicted');
      const view = deriveLocations({ events, now: clock.now(), tunables: DEFAULT_TUNABLES, regressions });
      return { evictedExpiresIn: (evicted?.expireAt ?? 0) - (T + MIN), view: view.map((l) => l.name) };
    },
    fixed: { evictedExpiresIn: DEFAULT_TUNABLES.evictedExpiryMs, view: [] },
    wrong: { evictedExpiresIn: GRACE, view: ['a'] },
  },
  {
    name: 'sigterm-ttl-7min',
    input: 'a gossiped sigterm at T',
    run: async ({ store }) => {
      await gossip(store, sigterm(X, T));
      return (await eventOfX(store, 'sigterm', 'sigterm'))?.expireAt;
    },
    fixed: T + RUNNING,
    wrong: T + GRACE,
  },
  {
    name: 'sync-no-side-effects',
    input: 'rows a, b of X; a synced removal of a, then a synced sigterm',
    run: async ({ store, clock }) => {
      await store.locationCache.storeAppRunning(v2(X, T, ['a', 'b']));
      clock.advance(MIN);
      const batch = [synced(removal(X, T + MIN, 'a')), synced(sigterm(X, T + MIN))];
      await store.eventLog.storeBatch(batch);
      const result = await store.locationCache.storeBatch(batch);
      return { removed: result.removed, shortened: result.shortened, rows: await rowsOfX(store) };
    },
    fixed: {
      removed: 1,
      shortened: 2,
      rows: [{ name: 'b', hash: 'h-b', broadcastedAt: T, expireAt: T + MIN + GRACE }],
    },
    wrong: {
      removed: 0,
      shortened: 0,
      rows: [
        { name: 'a', hash: 'h-a', broadcastedAt: T, expireAt: T + RUNNING },
        { name: 'b', hash: 'h-b', broadcastedAt: T, expireAt: T + RUNNING },
      ],
    },
  },
  {
    name: 'strip-type-version',
    input: 'a gossiped sigterm, re-verified as a sync receiver rebuilds it ({...envelope, data})',
    run: async ({ store }) => {
      await gossip(store, sigterm(X, T));
      const doc = await eventOfX(store, 'sigterm', 'sigterm');
      if (!doc) return 'missing';
      const { type, version } = doc.data as { type?: string; version?: number };
      return { type, version, verifies: verifyBroadcast({ ...doc.envelope, data: doc.data }) };
    },
    fixed: { type: 'fluxnodesigterm', version: 1, verifies: true },
    wrong: { type: undefined, version: undefined, verifies: false },
  },
  {
    name: 'empty-v2-stored',
    input: 'a gossiped empty v2 from an IP with no apprunning event',
    run: async ({ store }) => ({
      event: await gossip(store, v2(X, T, [])),
      cache: (await store.locationCache.storeAppRunning(v2(X, T, []))).stored,
    }),
    fixed: { event: { stored: false, reason: 'empty-without-prior' }, cache: false },
    wrong: { event: { stored: true }, cache: false },
  },
  {
    name: 'sync-unconditional-set',
    input: "X's T2 announcement by gossip, then its older T1 by sync",
    run: async ({ store, clock }) => {
      clock.advance(2 * MIN);
      await gossip(store, v2(X, T + MIN, ['a'], '-2'));
      await store.locationCache.storeAppRunning(v2(X, T + MIN, ['a'], '-2'));
      const older = [synced(v2(X, T, ['a'], '-1'))];
      const events = await store.eventLog.storeBatch(older);
      await store.locationCache.storeBatch(older);
      const doc = await eventOfX(store, 'apprunning', 'v2');
      return { events, logged: doc?.broadcastedAt, hashes: (await rowsOfX(store)).map((r) => r.hash) };
    },
    fixed: { events: [{ stored: false, reason: 'not-newer' }], logged: T + MIN, hashes: ['h-a-2'] },
    wrong: { events: [{ stored: true }], logged: T, hashes: ['h-a-1'] },
  },
  {
    name: 'gte-guards',
    input: 'announcement at T, sigterm at T + 3 min, a late duplicate of the announcement at T + 4 min',
    run: async ({ store, clock }) => {
      const announcement = v2(X, T, ['a']);
      await gossip(store, announcement);
      await store.locationCache.storeAppRunning(announcement);
      clock.advance(3 * MIN);
      await store.locationCache.applySigterm(sigterm(X, T + 3 * MIN));
      clock.advance(MIN);
      const event = await gossip(store, announcement);
      const cache = await store.locationCache.storeAppRunning(announcement);
      return { event, cache, expireAt: (await rowsOfX(store))[0]?.expireAt };
    },
    fixed: {
      event: { stored: false, reason: 'not-newer' },
      cache: { stored: false, rebroadcast: false, reason: 'not-newer' },
      expireAt: T + 3 * MIN + GRACE,
    },
    wrong: { event: { stored: true }, cache: { stored: true, rebroadcast: true }, expireAt: T + RUNNING },
  },
];

describe('regression toggles of the store and the view', () => {
  it('covers every store/view toggle the node implements', () => {
    const storeOwned = Object.entries(IMPLEMENTED_REGRESSIONS)
      .filter(([, where]) => /store\/|location-view/.test(where))
      .map(([name]) => name)
      .sort();
    expect(CASES.map((c) => c.name).sort()).toEqual(storeOwned);
  });

  for (const toggle of CASES) {
    it(`${toggle.name}: ${toggle.input}`, async () => {
      const off = await freshStore();
      const fixed = await toggle.run({ ...off, regressions: new Set() });
      const regressions = new Set([toggle.name]);
      const on = await freshStore({ regressions });
      const wrong = await toggle.run({ ...on, regressions });
      expect(fixed).toEqual(toggle.fixed);
      expect(wrong).toEqual(toggle.wrong);
    });
  }
});
