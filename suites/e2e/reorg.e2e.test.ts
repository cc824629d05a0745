/**
 * Reorgs of depth 1 and 6 across a partition, on one shared 16-node network. The halves' daemon
 * views mine competing branches; an app registration is mined on the losing side's branch only.
 * After the heal the heavier branch wins: the losing nodes' explorers roll back the hash rows above
 * the fork, the orphaned registration is mined again on the winning branch, and every node must
 * resolve every hash referenced on the winning chain with event logs and locations converged.
 *
 * The registration's body is gossiped to every node before the split: this suite is about the
 * explorer's reorg handling and where a hash sits on the chain, not about fetching a body that
 * only one side heard (partition.e2e.test.ts covers a side that never heard one).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diverged, HASHES_CHECK, hashesConverged, recordDivergence, sometimes } from '../../test-infra/check/index.js';
import { mineRegistration, postRegistration } from '../../test-infra/harness/apps.js';
import { chainAppHashes } from '../../test-infra/harness/chain-hashes.js';
import { type ChaosNetwork, startChaosNetwork, stopChaosNetwork } from '../../test-infra/harness/chaos-network.js';
import { expectConverged, reportConverged } from '../../test-infra/harness/convergence.js';
import { readStates } from '../../test-infra/harness/locations.js';
import { statOf } from '../../test-infra/harness/node-stats.js';
import { RELAXED_GOSSIP_WINDOWS } from '../../test-infra/harness/tunables.js';
import { halves, sides } from '../../test-infra/nemesis/grudge.js';
import type { Nemesis } from '../../test-infra/nemesis/nemesis.js';
import type { FluxNetwork } from '../../test-infra/network/create-network.js';

const NODES = 16;
const CONVERGE_WITHIN_MS = 90_000;
const EVENT_TIMEOUT_MS = 60_000;

let network: FluxNetwork;
let nemesis: Nemesis;
let chaos: ChaosNetwork | undefined;

beforeAll(async () => {
  chaos = await startChaosNetwork({
    name: 'reorg',
    nodes: NODES,
    // The winners hold the registration as a temporary message through the split: it must outlive it (FluxOS: 1 h).
    tunables: { ...RELAXED_GOSSIP_WINDOWS, apprunningIntervalMs: 15_000, temporaryMessageExpiryMs: 600_000 },
    warmPartitions: true,
  });
  ({ network, nemesis } = chaos);
  await expectConverged(network, { within: CONVERGE_WITHIN_MS, label: 'reorg: baseline' });
});

afterAll(() => stopChaosNetwork(chaos));

const isHash = (hash: string) => (payload: unknown) => (payload as { hash?: string }).hash === hash;
const atLeast = (height: number) => (payload: unknown) => (payload as { height: number }).height >= height;

async function viewHeight(view: number): Promise<number> {
  const state = await network.daemon.state();
  const found = state.views.find((candidate) => candidate.view === view);
  if (!found) throw new Error(`daemon state has no view ${view}`);
  return found.height;
}

/** Heights of every `zelappshashes` row of `hash`, per node. */
async function hashRowHeights(nodes: readonly number[], hash: string): Promise<Map<number, number[]>> {
  const states = await readStates(network, nodes);
  return new Map(
    states.map(({ node, state }) => [node, state.hashes.filter((row) => row.hash === hash).map((row) => row.height)]),
  );
}

async function reorgAcrossPartition({ depth, name }: { depth: number; name: string }): Promise<void> {
  const nodes = network.liveIndexes();
  const grudge = halves({ nodes });
  const [winners, losers] = sides({ grudge, nodes }) as [number[], number[]];
  const message = await postRegistration(network, { name, instances: 2, viaNode: losers[0] });
  const rollbacksBefore = await statOf(network, { nodes, read: (stats) => stats.explorer.rollbacks });
  const start = network.history.now();

  // Side 0 (winners) mines its depth+1 blocks first, so the registration queued next is mined on the losers' branch only.
  await nemesis.partition(grudge, { fork: { blocks: [depth + 1, 0] } });
  await mineRegistration(network, { message, nodes: losers, mineGroup: 1 });
  if (depth > 1) await nemesis.reorg.mineSide({ side: 1, blocks: depth - 1 });
  const winnerTip = await viewHeight(winners[0]!);
  const loserTip = await viewHeight(losers[0]!);
  expect(winnerTip, 'the winning branch is one block heavier').toBe(loserTip + 1);
  await network.waitFor({
    event: 'block:processed',
    predicate: atLeast(loserTip),
    nodes: losers,
    since: start,
    timeoutMs: EVENT_TIMEOUT_MS,
  });
  await network.waitFor({
    event: 'block:processed',
    predicate: atLeast(winnerTip),
    nodes: winners,
    since: start,
    timeoutMs: EVENT_TIMEOUT_MS,
  });

  const split = await readStates(network, nodes);
  recordDivergence(network.history, hashesConverged(split, { referencedHashes: [message.hash] }));
  sometimes(network.history, {
    name: `depth ${depth}: the hash was resolved on the losing branch only`,
    during: { start },
    predicate: diverged(HASHES_CHECK),
  });
  const onLosingBranch = await hashRowHeights(losers, message.hash);
  for (const node of losers)
    expect(onLosingBranch.get(node), `node ${node} found the hash on its branch`).toEqual([winnerTip - depth]);

  const healed = network.history.now();
  await nemesis.heal();
  // The losers rescan the winning branch up to its tip; the winners' tip did not move.
  await network.waitFor({
    event: 'block:processed',
    predicate: atLeast(winnerTip),
    nodes: losers,
    since: healed,
    timeoutMs: EVENT_TIMEOUT_MS,
  });
  const rolledBack = await hashRowHeights(losers, message.hash);
  for (const node of losers) expect(rolledBack.get(node), `node ${node} dropped the orphaned hash row`).toEqual([]);
  const rollbacksAfter = await statOf(network, { nodes, read: (stats) => stats.explorer.rollbacks });
  for (const node of losers) {
    expect(rollbacksAfter.get(node)!, `node ${node} (losing side) rolled back`).toBeGreaterThan(
      rollbacksBefore.get(node)!,
    );
  }
  for (const node of winners) {
    expect(rollbacksAfter.get(node), `node ${node} (winning side) kept its chain`).toBe(rollbacksBefore.get(node));
  }

  // The orphaned registration is still in the mempool of the winning branch: the next block mines it again.
  const remining = network.history.now();
  await network.daemon.mine({ blocks: 1 });
  const chain = await chainAppHashes(network, { view: winners[0]! });
  expect(
    chain.hashes.find((entry) => entry.hash === message.hash)?.height,
    'the registration is mined again at the tip',
  ).toBe(chain.tip);
  await network.waitFor({
    event: 'app:specStored',
    predicate: isHash(message.hash),
    since: remining,
    timeoutMs: EVENT_TIMEOUT_MS,
  });
  const result = await expectConverged(network, {
    within: CONVERGE_WITHIN_MS,
    label: `reorg depth ${depth}: heal`,
    referencedHashes: chain.hashes.map((entry) => entry.hash),
  });
  reportConverged({ suite: 'reorg', label: `depth ${depth} healed`, result });
  const settled = await hashRowHeights(nodes, message.hash);
  for (const node of nodes)
    expect(settled.get(node), `node ${node} holds the hash at its winning-chain height`).toEqual([chain.tip]);
}

describe('reorgs across a partition', () => {
  it('depth 1: the losing half rolls back one block and the orphaned hash converges on the winning chain', async () => {
    await reorgAcrossPartition({ depth: 1, name: 'reorgone' });
  });

  it('depth 6: the losing half rolls back six blocks and the orphaned hash converges on the winning chain', async () => {
    await reorgAcrossPartition({ depth: 6, name: 'reorgsix' });
  });
});
