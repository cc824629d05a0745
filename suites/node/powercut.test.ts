/**
 * Powercut and boot context (fluxos-node.md §10) on running reference nodes: node 2 loses power
 * (closed without announcing anything) and boots again with a new machine boot id. After a short
 * downtime the boot reconcile finds its own cache rows and resumes its apps; after a long one (its
 * last heartbeat older than runningExpiryMs) step 2 removes every app. Both are read back from
 * `orchestrator:started.bootContext`, the boot decision and the app events; the peer that stayed up
 * degrades while alone and resyncs when node 2 is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../test-infra/observe/history.js';
import { type Cluster, startCluster } from './node-cluster.js';

const APPS = [
  { name: 'cutall', instances: 2 },
  { name: 'cutboth', instances: 2 },
];
const APP_NAMES = APPS.map((app) => app.name).sort();

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({
    listed: 2,
    seed: 31,
    prefix: 'pc',
    timeScale: 0.01,
    // One peer both ways makes the threshold, one completion per type makes readiness; the
    // responder throttle is short so a node booting again may ask the same peer at once.
    tunables: {
      appSyncPeerThreshold: 2,
      appSyncDegradedThreshold: 1,
      syncPeerCount: 1,
      minSyncCompletions: 1,
      syncPeerMinUptimeMs: 0,
      syncFlagClearMs: 30_000,
      syncThrottleMs: 100,
      apprunningIntervalMs: 600_000,
      peerPingIntervalMs: 2_000,
      bootDaemonWaitMs: 20_000,
      bootDbReadyWaitMs: 20_000,
    },
    apps: APPS,
    waitMs: 20_000,
  });
});

afterAll(async () => {
  await cluster?.close();
});

const toReady = (p: unknown) => (p as { to: string }).to === 'READY';
const announcesAll = (n: number) => (p: unknown) => {
  const { ip, apps } = p as { ip: string; apps: { name: string }[] };
  return (
    ip === cluster.ipOf(n) &&
    apps
      .map((app) => app.name)
      .sort()
      .join() === APP_NAMES.join()
  );
};

function eventsOf(n: number, since: number): Extract<HistoryEntry, { kind: 'event' }>[] {
  return cluster.history
    .entries()
    .filter((entry): entry is Extract<HistoryEntry, { kind: 'event' }> => entry.kind === 'event')
    .filter((entry) => entry.node === n && entry.t >= since);
}

async function localApps(n: number) {
  return cluster
    .db(n, 'zelfluxlocal')
    .collection('localapps')
    .find({}, { projection: { _id: 0 } })
    .sort({ name: 1 })
    .toArray();
}

describe('powercut: boot context, then resume or remove', () => {
  it('both nodes boot, run their apps and reach READY', async () => {
    await cluster.start(1);
    await cluster.start(2);
    await cluster.wait({ nodes: [1, 2], event: 'orchestrator:stateChanged', predicate: toReady });
    await cluster.wait({ nodes: [1], event: 'network:apprunning', predicate: announcesAll(2) });
    await cluster.wait({ nodes: [2], event: 'network:apprunning', predicate: announcesAll(1) });
    expect((await localApps(2)).map((app) => app.name)).toEqual(APP_NAMES);
  });

  it('after a short powercut node 2 resumes its apps; node 1 degrades meanwhile and resyncs', async () => {
    const installed = await localApps(2);
    const expiry = cluster.node(2).config.tunables.runningExpiryMs;
    const cutAt = cluster.history.now();
    await cluster.powercut(2);
    const since = cluster.history.now();
    await cluster.start(2);

    const started = await cluster.wait({ nodes: [2], event: 'orchestrator:started', since });
    const { bootContext } = started.get(2)!.payload as { bootContext: { downtimeMs: number } };
    expect(started.get(2)!.payload).toMatchObject({
      state: 'INITIALIZING',
      bootContext: {
        machineRebooted: true,
        cleanShutdown: false,
        firstBoot: false,
        currentBootId: cluster.bootIdOf(2),
      },
    });
    expect(bootContext.downtimeMs).toBeGreaterThanOrEqual(0);
    expect(bootContext.downtimeMs).toBeLessThan(expiry);

    await cluster.wait({ nodes: [2], event: 'boot:settled', since });
    expect(cluster.stats(2).boot.decision).toEqual({
      kind: 'decided',
      step: 6,
      apps: APP_NAMES.map((name) => ({ name, action: 'resume', reason: 'cache-row', broadcast: false })),
    });
    // The resumed apps are announced once boot has settled, not before (field bug 12 fixed).
    const announced = await cluster.wait({ nodes: [2], event: 'app:running', since, predicate: announcesAll(2) });
    const settledAt = eventsOf(2, since).find((entry) => entry.name === 'boot:settled')!.t;
    expect(announced.get(2)!.t).toBeGreaterThan(settledAt);
    await cluster.wait({ nodes: [1], event: 'network:apprunning', since, predicate: announcesAll(2) });
    await cluster.wait({ nodes: [1, 2], event: 'orchestrator:stateChanged', since, predicate: toReady });

    const names = eventsOf(2, since).map((entry) => entry.name);
    expect(names).not.toContain('app:removed');
    expect(names).not.toContain('app:installed');
    expect(await localApps(2)).toEqual(installed);

    const transitions = eventsOf(1, cutAt)
      .filter((entry) => entry.name === 'orchestrator:stateChanged' || entry.name.startsWith('spawner:'))
      .map((entry) => (entry.name === 'orchestrator:stateChanged' ? entry.payload : entry.name));
    expect(transitions).toEqual([
      { from: 'READY', to: 'DEGRADED' },
      'spawner:paused',
      { from: 'DEGRADED', to: 'RESYNCING' },
      { from: 'RESYNCING', to: 'READY' },
      'spawner:resumed',
    ]);
  });

  it('after a long powercut node 2 removes its apps before settling, then places them again', async () => {
    const expiry = cluster.node(2).config.tunables.runningExpiryMs;
    await cluster.powercut(2);
    // The machine stays off for twice the running expiry: its last heartbeat is that old.
    const tracker = cluster.db(2, 'zelfluxlocal').collection<{ _id: string; lastAlive: number }>('nodestartuptracker');
    const heartbeat = await tracker.findOne({ _id: 'heartbeat' });
    await tracker.replaceOne({ _id: 'heartbeat' }, { ...heartbeat!, lastAlive: heartbeat!.lastAlive - 2 * expiry });
    const since = cluster.history.now();
    await cluster.start(2);

    const started = await cluster.wait({ nodes: [2], event: 'orchestrator:started', since });
    const { bootContext } = started.get(2)!.payload as { bootContext: { downtimeMs: number } };
    expect(started.get(2)!.payload).toMatchObject({
      bootContext: {
        machineRebooted: true,
        cleanShutdown: false,
        firstBoot: false,
        currentBootId: cluster.bootIdOf(2),
      },
    });
    expect(bootContext.downtimeMs).toBeGreaterThan(2 * expiry);

    await cluster.wait({ nodes: [2], event: 'boot:settled', since });
    expect(cluster.stats(2).boot.decision).toEqual({
      kind: 'decided',
      step: 2,
      apps: APP_NAMES.map((name) => ({ name, action: 'remove', reason: 'downtime-exceeded', broadcast: true })),
    });
    const settledAt = eventsOf(2, since).find((entry) => entry.name === 'boot:settled')!.t;
    const removed = eventsOf(2, since).filter((entry) => entry.name === 'app:removed' && entry.t < settledAt);
    expect(removed.map((entry) => (entry.payload as { name: string }).name).sort()).toEqual(APP_NAMES);

    // Placement still puts both apps here: once settled, the spawner installs them afresh.
    await cluster.wait({ nodes: [2], event: 'app:running', since, predicate: announcesAll(2) });
    const installed = eventsOf(2, since).filter((entry) => entry.name === 'app:installed');
    expect(installed.map((entry) => (entry.payload as { name: string }).name).sort()).toEqual(APP_NAMES);
    expect(installed.every((entry) => entry.t > settledAt)).toBe(true);
    await cluster.wait({ nodes: [1, 2], event: 'orchestrator:stateChanged', since, predicate: toReady });
  });

  it('published only catalogue-conformant SSE payloads', () => {
    expect(cluster.malformed()).toEqual([]);
  });
});
