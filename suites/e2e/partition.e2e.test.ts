/**
 * Partitions of a running 16-node network: the halves each register and run an app while cut
 * apart, and one node is isolated across its peers' apprunning broadcasts. Each fault must matter
 * (sampled divergence, a "sometimes" assertion) and the network must converge after the heal.
 * Nodes announce every APPRUNNING_INTERVAL_MS so that the next broadcast after a heal, which is
 * how FluxOS repairs a missed apprunning, comes within the bound.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStateEventDoc } from '../../protocol/appstate/documents.js';
import { diverged, heldOnlyBy, sampleOnEvents, sometimes } from '../../test-infra/check/index.js';
import { registerApp } from '../../test-infra/harness/apps.js';
import { type ChaosNetwork, startChaosNetwork, stopChaosNetwork } from '../../test-infra/harness/chaos-network.js';
import { expectConverged, reportConverged } from '../../test-infra/harness/convergence.js';
import { locationIps, probeStates, readStates, runsApp } from '../../test-infra/harness/locations.js';
import { RELAXED_GOSSIP_WINDOWS } from '../../test-infra/harness/tunables.js';
import { halves, isolate, sides } from '../../test-infra/nemesis/grudge.js';
import type { Nemesis } from '../../test-infra/nemesis/nemesis.js';
import type { FluxNetwork } from '../../test-infra/network/create-network.js';

const NODES = 16;
const APPRUNNING_INTERVAL_MS = 15_000;
/**
 * A hash still missing after a sync is asked for again at the next block (FluxOS waits 100, then
 * 500, ... blocks): after the heal one mined block brings the other side's registration.
 */
const HASH_RETRY_EVERY_BLOCK = [0, 1, 1, 1, 1, 1, 1];
/** Generous: a loaded 2-core host runs 32 containers. */
const CONVERGE_WITHIN_MS = 90_000;
const EVENT_TIMEOUT_MS = 60_000;

let network: FluxNetwork;
let nemesis: Nemesis;
let chaos: ChaosNetwork | undefined;

beforeAll(async () => {
  chaos = await startChaosNetwork({
    name: 'partition',
    nodes: NODES,
    tunables: {
      ...RELAXED_GOSSIP_WINDOWS,
      apprunningIntervalMs: APPRUNNING_INTERVAL_MS,
      hashRetryBackoffBlocks: HASH_RETRY_EVERY_BLOCK,
    },
    warmPartitions: true,
  });
  ({ network, nemesis } = chaos);
  await expectConverged(network, { within: CONVERGE_WITHIN_MS, label: 'partition: baseline' });
});

afterAll(() => stopChaosNetwork(chaos));

function latestRunning(events: readonly AppStateEventDoc[], ip: string): number | undefined {
  const doc = events.find((event) => event.type === 'apprunning' && event.ip === ip && event.dedupKey === 'v2');
  return doc?.type === 'apprunning' ? doc.broadcastedAt : undefined;
}

describe('partitions of a 16-node network', () => {
  it('halves that register and run an app each diverge, then converge after the heal', async () => {
    const nodes = network.liveIndexes();
    const grudge = halves({ nodes });
    const [sideA, sideB] = sides({ grudge, nodes }) as [number[], number[]];
    const sinceWall = Date.now();
    const start = network.history.now();
    const states = probeStates(network);
    const sampler = sampleOnEvents({
      history: network.history,
      probe: async () => {
        const read = await states();
        return [
          heldOnlyBy(read, { name: 'halves:a-only', holders: sideA, lacking: sideB, sinceWall }),
          heldOnlyBy(read, { name: 'halves:b-only', holders: sideB, lacking: sideA, sinceWall }),
        ];
      },
    });
    await nemesis.partition(grudge);

    // instances = 16: every node of the registering side can run it; the other side never hears the body.
    const appA = await registerApp(network, { name: 'halfa', instances: NODES, viaNode: sideA[0], nodes: sideA });
    const appB = await registerApp(network, { name: 'halfb', instances: NODES, viaNode: sideB[0], nodes: sideB });
    const running = network.history.now();
    await network.waitFor({
      event: 'app:running',
      predicate: runsApp(appA.hash),
      nodes: sideA,
      since: start,
      timeoutMs: EVENT_TIMEOUT_MS,
    });
    await network.waitFor({
      event: 'app:running',
      predicate: runsApp(appB.hash),
      nodes: sideB,
      since: start,
      timeoutMs: EVENT_TIMEOUT_MS,
    });
    // The partition lasts until every node has heard one more broadcast round of its own side.
    await network.waitFor({ event: 'network:apprunning', since: running, timeoutMs: EVENT_TIMEOUT_MS });

    for (const node of sideA) {
      expect(await locationIps(network, { node, app: 'halfa' }), `node ${node} (side A) locates halfa`).not.toEqual([]);
      expect(await locationIps(network, { node, app: 'halfb' }), `node ${node} (side A) cannot know halfb`).toEqual([]);
    }
    for (const node of sideB) {
      expect(await locationIps(network, { node, app: 'halfb' }), `node ${node} (side B) locates halfb`).not.toEqual([]);
      expect(await locationIps(network, { node, app: 'halfa' }), `node ${node} (side B) cannot know halfa`).toEqual([]);
    }
    await sampler.stop();
    sometimes(network.history, {
      name: 'side A held events side B lacked',
      during: { start },
      predicate: diverged('halves:a-only'),
    });
    sometimes(network.history, {
      name: 'side B held events side A lacked',
      during: { start },
      predicate: diverged('halves:b-only'),
    });

    // The fault mattered for hash sync too: every node ran one that left the other side's hash missing.
    await network.waitFor({
      event: 'hashSync:complete',
      predicate: (payload) => (payload as { missing: number }).missing > 0,
      since: start,
      timeoutMs: EVENT_TIMEOUT_MS,
    });

    await nemesis.heal();
    const result = await expectConverged(network, { within: CONVERGE_WITHIN_MS, label: 'partition halves: heal' });
    reportConverged({ suite: 'partition', label: 'halves healed', result });
    // The block-driven hash retry (§6) fetches each side's registration from the other side.
    await network.daemon.mine({ blocks: 1 });
    const hashes = await expectConverged(network, {
      within: CONVERGE_WITHIN_MS,
      referencedHashes: [appA.hash, appB.hash],
      checks: ['hashes'],
      label: 'partition halves: hashes after heal',
    });
    reportConverged({ suite: 'partition', label: 'halves healed: hash sync', result: hashes });
    const ipsOf = (side: number[]) => side.map((node) => network.node(node).listedIp);
    for (const node of nodes) {
      expect(await locationIps(network, { node, app: 'halfa' }), `node ${node} locates halfa on side A`).toEqual(
        expect.arrayContaining(ipsOf(sideA)),
      );
      expect(await locationIps(network, { node, app: 'halfb' }), `node ${node} locates halfb on side B`).toEqual(
        expect.arrayContaining(ipsOf(sideB)),
      );
    }
  });

  it('a node isolated across an apprunning broadcast misses it, then converges after the heal', async () => {
    const nodes = network.liveIndexes();
    const isolated = nodes[nodes.length - 1]!;
    const others = nodes.filter((node) => node !== isolated);
    const announcer = [...network.history.entries()]
      .reverse()
      .find((entry) => entry.kind === 'event' && entry.name === 'app:running' && entry.node !== isolated);
    if (announcer?.kind !== 'event') throw new Error('no node other than the isolated one has announced apps yet');
    const host = announcer.node;
    const hostIp = network.node(host).listedIp;
    const listeners = others.filter((node) => node !== host);
    const sinceWall = Date.now();
    const start = network.history.now();
    const states = probeStates(network);
    const sampler = sampleOnEvents({
      history: network.history,
      probe: async () =>
        heldOnlyBy(await states(), { name: 'isolated:lacks', holders: others, lacking: [isolated], sinceWall }),
    });
    await nemesis.partition(isolate({ nodes, node: isolated }));
    const cut = network.history.now();

    // The isolation lasts until the host's next broadcast has reached every other node.
    await network.waitFor({
      event: 'network:apprunning',
      predicate: (payload) => (payload as { ip: string }).ip === hostIp,
      nodes: listeners,
      since: cut,
      timeoutMs: EVENT_TIMEOUT_MS,
    });
    const [isolatedState, listenerState] = await readStates(network, [isolated, listeners[0]!]);
    const missed = latestRunning(isolatedState!.state.events, hostIp) ?? 0;
    const heard = latestRunning(listenerState!.state.events, hostIp) ?? 0;
    expect(heard, `node ${listeners[0]} heard node ${host}'s broadcast after the cut`).toBeGreaterThan(missed);
    await sampler.stop();
    sometimes(network.history, {
      name: `node ${isolated} lacked what the others held`,
      during: { start },
      predicate: diverged('isolated:lacks'),
    });

    await nemesis.heal();
    const result = await expectConverged(network, { within: CONVERGE_WITHIN_MS, label: 'isolated node: heal' });
    reportConverged({ suite: 'partition', label: `node ${isolated} healed`, result });
    const [after] = await readStates(network, [isolated]);
    expect(
      latestRunning(after!.state.events, hostIp),
      `node ${isolated} caught up with node ${host}`,
    ).toBeGreaterThanOrEqual(heard);
  });
});
