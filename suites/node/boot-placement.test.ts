/**
 * A boot that settles before the deterministic list has loaded (fluxos-node.md §10 step 2 decides
 * from the downtime alone, at once) must still place the node's apps once the list arrives. Seen in
 * the Docker powercut suite: on a loaded host the daemon answered after the boot had settled, the
 * spawner found itself unlisted (empty list) and never looked again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from './node-cluster.js';

const APP = 'placedlate';
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({
    listed: 2,
    seed: 41,
    prefix: 'bp',
    timeScale: 0.01,
    tunables: {
      appSyncPeerThreshold: 1,
      appSyncDegradedThreshold: 1,
      syncPeerCount: 1,
      minSyncCompletions: 1,
      syncPeerMinUptimeMs: 0,
      apprunningIntervalMs: 600_000,
      bootDaemonWaitMs: 20_000,
      bootDbReadyWaitMs: 20_000,
    },
    apps: [{ name: APP, instances: 2 }],
    waitMs: 20_000,
  });
});

afterAll(async () => {
  await cluster?.close();
});

const runsApp = (payload: unknown) => (payload as { apps: { name: string }[] }).apps.some((app) => app.name === APP);

describe('placement after a boot that settled before the node list loaded', () => {
  it('installs the app again once the daemon answers', async () => {
    await cluster.start(1);
    await cluster.start(2);
    await cluster.wait({ nodes: [2], event: 'app:running', predicate: runsApp });

    await cluster.powercut(2);
    // Dark for twice the running expiry: boot step 2 removes every app without waiting for a gate.
    const expiry = cluster.node(1).config.tunables.runningExpiryMs;
    const tracker = cluster.db(2, 'zelfluxlocal').collection<{ _id: string; lastAlive: number }>('nodestartuptracker');
    const heartbeat = await tracker.findOne({ _id: 'heartbeat' });
    await tracker.replaceOne({ _id: 'heartbeat' }, { ...heartbeat!, lastAlive: heartbeat!.lastAlive - 2 * expiry });
    const faults = cluster.stub.core.faults(2);
    faults.rpc = 'http503';
    const since = cluster.history.now();
    await cluster.start(2);
    await cluster.wait({ nodes: [2], event: 'boot:settled', since });
    expect(cluster.stats(2).boot.decision?.step).toBe(2);
    expect(cluster.stats(2).nodeList.ready, 'the list has not loaded yet').toBe(false);
    await cluster.wait({ nodes: [2], event: 'app:removed', since });

    faults.rpc = 'none';
    const installed = await cluster.wait({
      nodes: [2],
      event: 'app:installed',
      predicate: (payload) => (payload as { name: string }).name === APP,
      since,
    });
    expect(installed.get(2)).toBeDefined();
    await cluster.wait({ nodes: [1], event: 'network:apprunning', predicate: runsApp, since });
  });
});
