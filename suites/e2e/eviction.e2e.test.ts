/**
 * Eviction (fluxos-node.md §4.1, §9): the daemon stub drops an app host from the deterministic list
 * (expired, or its collateral spent). Every other node's status monitor, on its next pass, finds the
 * host's IP in its cache but not in the list, probes it (`/daemon/getfluxnodestatus`: no longer
 * CONFIRMED) and evicts it: a local `evicted` event, its rows deleted. Placement moves its apps to
 * the next node of the list.
 *
 * The evicted node keeps running but is no member any more: its own confirmation drops, so it drops
 * its peers and stops messaging (§9). It is isolated by that, and left out of the convergence.
 *
 * Bound per node: the list change is seen within a daemon poll of the block, the monitor passes
 * within one nodeStatusIntervalMs, its probe answers within evictionProbeTimeoutMs; plus scheduling
 * slack for a loaded 2-core host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tunables } from '../../reference-node/tunables.js';
import { converged } from '../../test-infra/check/index.js';
import { hostApp } from '../../test-infra/harness/apps.js';
import { type ChaosNetwork, startChaosNetwork, stopChaosNetwork } from '../../test-infra/harness/chaos-network.js';
import { expectConverged, reportConverged } from '../../test-infra/harness/convergence.js';
import { locationIps, readStates, runsApp } from '../../test-infra/harness/locations.js';
import { CHAOS_TUNABLES } from '../../test-infra/harness/tunables.js';
import type { EvictionKind } from '../../test-infra/nemesis/evict.js';
import type { Nemesis } from '../../test-infra/nemesis/nemesis.js';
import type { FluxNetwork } from '../../test-infra/network/create-network.js';

const NODES = 16;
const APP = 'evictweb';
const INSTANCES = 2;
const SCHEDULING_SLACK_MS = 5_000;
/** Generous: a loaded 2-core host runs 32 containers. */
const CONVERGE_WITHIN_MS = 90_000;
const EVENT_TIMEOUT_MS = 60_000;

let network: FluxNetwork;
let nemesis: Nemesis;
let chaos: ChaosNetwork | undefined;
let tunables: Tunables;
let appHash: string;
let hosts: number[];
/** Nodes evicted by earlier tests: no longer members, left out of every comparison. */
const evicted: number[] = [];

beforeAll(async () => {
  chaos = await startChaosNetwork({ name: 'eviction', nodes: NODES, tunables: CHAOS_TUNABLES });
  ({ network, nemesis, tunables } = chaos);
  ({ hash: appHash, hosts } = await hostApp(network, {
    suite: 'eviction',
    app: APP,
    instances: INSTANCES,
    timeoutMs: EVENT_TIMEOUT_MS,
    within: CONVERGE_WITHIN_MS,
  }));
});

afterAll(() => stopChaosNetwork(chaos));

function members(): number[] {
  return network.liveIndexes().filter((node) => !evicted.includes(node));
}

/** Evicts `victim` from the list in one mined block; resolves to the wall time just before it was mined. */
async function evictFromList(victim: number, kind: Exclude<EvictionKind, 'lapse'>): Promise<{ minedAt: number }> {
  if (kind === 'expire') await nemesis.evict.expire({ nodes: [victim], mine: false });
  else await nemesis.evict.remove({ nodes: [victim], mine: false });
  const since = network.history.now();
  const minedAt = Date.now();
  const { blocks } = await network.daemon.mine({ blocks: 1 });
  const height = Math.max(...blocks.map((block) => block.height));
  await network.waitFor({
    event: 'block:processed',
    predicate: (payload) => (payload as { height: number }).height >= height,
    nodes: members(),
    since,
    timeoutMs: EVENT_TIMEOUT_MS,
  });
  return { minedAt };
}

/** The probe of every other node (evicted event, no rows left) and of the victim (no peers left). */
function evictionChecks(args: { victim: number; others: readonly number[] }) {
  const { victim, others } = args;
  const victimIp = network.node(victim).listedIp;
  return [
    async () => {
      const lagging = (await readStates(network, others)).filter(
        ({ state }) =>
          !state.events.some((event) => event.type === 'evicted' && event.ip === victimIp) ||
          state.locations.some((row) => row.ip === victimIp),
      );
      return {
        name: 'victim-evicted',
        ok: lagging.length === 0,
        summary: `${lagging.length} of ${others.length} nodes have not evicted node ${victim}`,
        diff: lagging.map(({ node }) => `node ${node}: no evicted event for ${victimIp}, or rows of it left`),
      };
    },
    async () => {
      const { peers } = await network.node(victim).apiGet<{ peers: { connected: string[] } }>('/flux/stats');
      return {
        name: 'victim-isolated',
        ok: peers.connected.length === 0,
        summary: `node ${victim} is connected to ${peers.connected.length} peers`,
        diff: peers.connected.map((peer) => `node ${victim} still connected to ${peer}`),
      };
    },
  ];
}

/** Each node's eviction came after the block and within the bound; returns the lags. */
async function expectEvictionLags(args: {
  victim: number;
  others: readonly number[];
  minedAt: number;
  boundMs: number;
}): Promise<number[]> {
  const victimIp = network.node(args.victim).listedIp;
  const lags: number[] = [];
  for (const { node, state } of await readStates(network, args.others)) {
    const event = state.events.find((doc) => doc.type === 'evicted' && doc.ip === victimIp);
    if (event?.type !== 'evicted') throw new Error(`node ${node}: the eviction of ${victimIp} is gone again`);
    const lag = event.createdAt - args.minedAt;
    lags.push(lag);
    expect(lag, `node ${node} evicted only after the list changed`).toBeGreaterThanOrEqual(0);
    expect(lag, `node ${node} evicted within a monitor period of the list change`).toBeLessThanOrEqual(
      args.boundMs + SCHEDULING_SLACK_MS,
    );
  }
  return lags;
}

/** Placement moves the app to the next node of the list, which announces it to every other member. */
async function waitAppMoved(args: { victim: number; others: readonly number[]; since: number }): Promise<void> {
  const { victim, others, since } = args;
  const moved = await network.waitFor({
    event: 'app:running',
    predicate: runsApp(appHash),
    nodes: others.filter((node) => !hosts.includes(node)),
    quorum: 1,
    since,
    timeoutMs: EVENT_TIMEOUT_MS,
  });
  const newHost = [...moved.keys()][0]!;
  hosts = [...hosts.filter((node) => node !== victim), newHost];
  await network.waitFor({
    event: 'network:apprunning',
    predicate: (payload) =>
      (payload as { ip: string }).ip === network.node(newHost).listedIp && runsApp(appHash)(payload),
    nodes: others.filter((node) => node !== newHost),
    since,
    timeoutMs: EVENT_TIMEOUT_MS,
  });
}

async function evictsEverywhere(victim: number, kind: Exclude<EvictionKind, 'lapse'>): Promise<void> {
  const victimIp = network.node(victim).listedIp;
  const others = members().filter((node) => node !== victim);
  for (const node of others) {
    expect(await locationIps(network, { node, app: APP }), `node ${node} locates ${APP} on node ${victim}`).toContain(
      victimIp,
    );
  }
  const since = network.history.now();
  const { minedAt } = await evictFromList(victim, kind);

  // The victim itself: no longer CONFIRMED, so it may not send messages and drops its peers.
  await network.waitFor({
    event: 'confirmation:changed',
    predicate: (payload) => (payload as { confirmed: boolean }).confirmed === false,
    nodes: [victim],
    since,
    timeoutMs: EVENT_TIMEOUT_MS,
  });
  evicted.push(victim);

  const boundMs = tunables.daemonPollMs + tunables.nodeStatusIntervalMs + tunables.evictionProbeTimeoutMs;
  const result = await converged({
    label: `eviction (${kind}): node ${victim} evicted everywhere`,
    history: network.history,
    within: boundMs + CONVERGE_WITHIN_MS,
    checks: evictionChecks({ victim, others }),
  });
  reportConverged({ suite: 'eviction', label: `${kind} of node ${victim}`, result });
  const lags = await expectEvictionLags({ victim, others, minedAt, boundMs });
  process.stdout.write(
    `[eviction] ${kind}: evicted ${Math.min(...lags)}..${Math.max(...lags)} ms after the block (bound ${boundMs} ms + ${SCHEDULING_SLACK_MS} ms slack)\n`,
  );

  await waitAppMoved({ victim, others, since });
  const after = await expectConverged(network, {
    within: CONVERGE_WITHIN_MS,
    label: `eviction (${kind}): members converged`,
    nodes: others,
  });
  reportConverged({ suite: 'eviction', label: `${kind}: members converged`, result: after });
  const expected = hosts.map((node) => network.node(node).listedIp).sort();
  for (const node of others) {
    expect(await locationIps(network, { node, app: APP }), `node ${node} locates ${APP} on the new hosts`).toEqual(
      expected,
    );
  }
}

describe('eviction of an app host from the deterministic list', () => {
  it('an expired host is evicted by every other node within a monitor period; its app moves', async () => {
    await evictsEverywhere(hosts[0]!, 'expire');
  });

  it('a host whose collateral is spent is evicted the same way', async () => {
    await evictsEverywhere(hosts[0]!, 'remove');
  });
});
