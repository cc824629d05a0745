/**
 * Field bug 12 (`first-broadcast-races-boot`) on the real store: node X powers off for 10 minutes and
 * boots with its apps stopped; the peer threshold comes before boot reconcile. Same inputs twice:
 * fixed, nothing is announced before `boot:settled` and reconcile resumes both apps; with the toggle,
 * the first broadcast goes at once with 0 apps, deletes X's own rows (peers would too) and reconcile
 * then finds no row and removes both apps.
 */
import { describe, expect, it } from 'vitest';
import type { SignedBroadcast } from '../../protocol/gossip/envelope.js';
import { NO_REGRESSIONS, type RegressionName } from '../../protocol/regressions.js';
import { AppAnnouncements } from '../../reference-node/apps/announcements.js';
import { AppMessageStore } from '../../reference-node/apps/message-store.js';
import { Spawner } from '../../reference-node/apps/spawner.js';
import { type BootDecision, decideBootActions } from '../../reference-node/boot/decide.js';
import { Announcer } from '../../reference-node/gossip/announcer.js';
import { createLogger } from '../../reference-node/log.js';
import { EventBus } from '../../reference-node/sse/event-bus.js';
import { DEFAULT_TUNABLES } from '../../reference-node/tunables.js';
import { useLocalDatabase } from '../../test-infra/local/use-local-database.js';
import { KEY_BY_IP, MIN, storeFactory, T, X } from './appstate-fixtures.js';

const database = useLocalDatabase();
const freshStore = storeFactory({ client: database.client, prefix: 'fb' });

/** Returns what X broadcast before boot settled and what boot reconcile decided. */
async function powercutBoot(regressions: ReadonlySet<RegressionName>) {
  const { store, clock } = await freshStore();
  const logger = createLogger({ level: 'silent' });
  const bus = new EventBus({ enabled: false, epoch: 't', bufferSize: 10, validate: true });
  const broadcasts: SignedBroadcast[] = [];
  const key = KEY_BY_IP[X]!;
  const announcer = new Announcer({
    identity: { ip: X, privkeyHex: key.privkey, pubkeyHex: key.pubkey },
    clock,
    eventLog: store.eventLog,
    cache: store.locationCache,
    bus,
    broadcast: (envelope) => broadcasts.push(envelope),
    regressions,
  });
  const messages = new AppMessageStore({
    globalDb: store.databases.globalApps,
    chainDb: store.databases.chain,
    clock,
    tunables: DEFAULT_TUNABLES,
    bus,
    logger,
  });
  const spawner = new Spawner({
    ownIp: X,
    localDb: store.databases.local,
    clock,
    listedIps: () => [X],
    messages,
    fixtureSpecs: [],
    announcer,
    bus,
    logger,
  });
  await spawner.start();
  const local = store.databases.local.collection('localapps');
  for (const name of ['alpha', 'beta']) {
    await local.insertOne({ name, hash: `h-${name}`, installedAt: T - MIN, runningSince: T - MIN });
  }
  // Before the powercut X announced both apps: its own rows and event.
  await spawner.announce();
  const before = broadcasts.length;

  clock.advance(10 * MIN);
  await spawner.markAllStopped();
  let announced!: () => void;
  const sent = new Promise<void>((resolve) => {
    announced = resolve;
  });
  const announcements = new AppAnnouncements({
    tunables: DEFAULT_TUNABLES,
    regressions,
    canSendMessages: () => true,
    announce: async (request) => {
      await spawner.announce(request);
      announced();
    },
    onError: (error) => {
      throw error;
    },
  });
  announcements.peersReady();
  if (regressions.has('first-broadcast-races-boot')) await sent;

  const rows = await store.locationCache.rows({ ip: X });
  const decision: BootDecision = decideBootActions({
    context: {
      machineRebooted: true,
      downtimeMs: 10 * MIN,
      cleanShutdown: false,
      currentBootId: 'b2',
      firstBoot: false,
    },
    ownApps: (await spawner.installed()).map((app) => app.name),
    daemonReady: true,
    confirmation: { confirmed: true, dos: false },
    dbReady: true,
    cacheRowsForMe: rows.map(({ name, expireAt }) => ({ name, expireAt })),
    now: clock.now(),
    tunables: DEFAULT_TUNABLES,
  });
  await spawner.stop();
  return { sentBeforeSettled: broadcasts.slice(before), rows, decision };
}

describe('field bug 12: the first apprunning after a powercut and boot reconcile', () => {
  it('fixed: nothing announced before boot:settled, own rows kept, both apps resumed', async () => {
    const { sentBeforeSettled, rows, decision } = await powercutBoot(NO_REGRESSIONS);
    expect(sentBeforeSettled).toEqual([]);
    expect(rows.map((row) => row.name).sort()).toEqual(['alpha', 'beta']);
    expect(decision).toMatchObject({
      step: 6,
      apps: [
        { name: 'alpha', action: 'resume' },
        { name: 'beta', action: 'resume' },
      ],
    });
  });

  it('first-broadcast-races-boot: 0 apps announced at the threshold, own rows deleted, both apps removed', async () => {
    const { sentBeforeSettled, rows, decision } = await powercutBoot(new Set(['first-broadcast-races-boot']));
    expect(sentBeforeSettled.map((envelope) => envelope.data)).toMatchObject([
      { type: 'fluxapprunning', version: 2, apps: [], ip: X },
    ]);
    expect(rows).toEqual([]);
    expect(decision).toMatchObject({
      step: 6,
      apps: [
        { name: 'alpha', action: 'remove', reason: 'no-cache-row' },
        { name: 'beta', action: 'remove', reason: 'no-cache-row' },
      ],
    });
  });
});
