import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerApp } from '../../test-infra/harness/apps.js';
import { expectConverged } from '../../test-infra/harness/convergence.js';
import { statOf } from '../../test-infra/harness/node-stats.js';
import { runSeed } from '../../test-infra/harness/seed.js';
import { RELAXED_GOSSIP_WINDOWS } from '../../test-infra/harness/tunables.js';
import { createNetwork, type FluxNetwork } from '../../test-infra/network/create-network.js';

const NODES = 16;
/**
 * Below the scaled apprunning interval (36 s): a divergence that only the next periodic broadcast
 * would heal fails the suite instead of passing late.
 */
const CONVERGE_WITHIN_MS = 20_000;
let network: FluxNetwork;

beforeAll(async () => {
  // With the scaled 3 s windows, broadcasts relayed while 32 containers start were dropped as stale on
  // 15 of 16 nodes, and the boot's apprunning diverged until the next periodic broadcast.
  network = await createNetwork({ name: 'boot', nodes: NODES, seed: runSeed(), tunables: RELAXED_GOSSIP_WINDOWS });
});

afterAll(async () => {
  await network?.teardown();
});

describe('a 16-node network boots', () => {
  it('all 16 nodes reach READY', async () => {
    await network.waitFor({
      event: 'orchestrator:stateChanged',
      predicate: (payload) => (payload as { to: string }).to === 'READY',
      timeoutMs: 120_000,
    });
  });

  it('every node peers with at least the configured minimum', async () => {
    const reached = await network.waitFor({ event: 'peers:thresholdReached', timeoutMs: 60_000 });
    for (const entry of reached.values()) {
      const { count, threshold } = entry.payload as { count: number; threshold: number };
      expect(count).toBeGreaterThanOrEqual(threshold);
    }
  });

  it('all 16 agree on the daemon tip', async () => {
    const { blocks } = await network.daemon.mine({ blocks: 2 });
    const height = Math.max(...blocks.map((block) => block.height));
    await network.waitFor({
      event: 'block:processed',
      predicate: (payload) => (payload as { height: number }).height >= height,
      timeoutMs: 60_000,
    });
  });

  it("every node's zelappslocation is identical after one app is registered and started", async () => {
    const message = await registerApp(network, { name: 'bootweb', instances: 2 });
    const hosts = await network.waitFor({
      event: 'app:running',
      predicate: (payload) => (payload as { apps: { hash: string }[] }).apps.some((app) => app.hash === message.hash),
      quorum: 2,
      timeoutMs: 60_000,
    });
    const hostIps = [...hosts.keys()].map((index) => network.node(index).listedIp).sort();
    await expectConverged(network, { within: CONVERGE_WITHIN_MS, label: 'boot: app registered' });
    for (const index of network.liveIndexes()) {
      const rows = await network.node(index).apiGet<{ ip: string; hash: string }[]>('/apps/location/bootweb');
      expect(rows.map((row) => row.ip).sort(), `node ${index}`).toEqual(hostIps);
      expect(new Set(rows.map((row) => row.hash))).toEqual(new Set([message.hash]));
    }
  });

  it('no broadcast is dropped for its age while the network boots', async () => {
    const stale = await statOf(network, { nodes: network.liveIndexes(), read: (stats) => stats.gossip.stale ?? 0 });
    const dropped = [...stale].filter(([, count]) => count > 0).map(([node, count]) => `node ${node}: ${count}`);
    expect(dropped, 'broadcasts dropped as stale').toEqual([]);
  });
});
