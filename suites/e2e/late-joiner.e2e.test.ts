/**
 * A late joiner (issue 6): machine 16 is deferred while the other 15 live through every kind of
 * activity: apps registered and hosted, a partition into halves and its heal, an app host evicted
 * from the list and restored, an app host's sigterm. Then machine 16 boots for the first time and must
 * reach, through state sync (fluxos-node.md §7, §4.2), the event log and location cache the others
 * hold: including events broadcast before it existed, which no gossip can bring it.
 *
 * Apps announce every 10 s so a host's rows refresh within the bounds. (Sync peers need no minimum
 * connection age in harness networks: a joiner asks once, at its peer threshold, over new connections.)
 *
 * The evicted node, once restored, converges only when the traces of its time outside expire
 * (runningExpiryMs; shown in the history as samples): what was broadcast once while it was cut off
 * (a removal as its app moved back) reaches it only if its single resync came late enough, and the
 * eviction it receives by that resync is re-stamped on arrival (§4.2, §14), so its copy outlives the
 * others'. The joiner starts after those expired, so it is not measured against that window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeApp } from '../../reference-node/apps/placement.js';
import type { Tunables } from '../../reference-node/tunables.js';
import {
  type CheckResult,
  converged,
  diverged,
  heldOnlyBy,
  recordDivergence,
  sampleOnEvents,
  sometimes,
} from '../../test-infra/check/index.js';
import { registerApp } from '../../test-infra/harness/apps.js';
import { type ChaosNetwork, startChaosNetwork, stopChaosNetwork } from '../../test-infra/harness/chaos-network.js';
import { convergenceProbe, expectConverged, reportConverged } from '../../test-infra/harness/convergence.js';
import { probeStates, readStates, runsApp } from '../../test-infra/harness/locations.js';
import { CHAOS_TUNABLES } from '../../test-infra/harness/tunables.js';
import { halves, sides } from '../../test-infra/nemesis/grudge.js';
import type { Nemesis } from '../../test-infra/nemesis/nemesis.js';
import type { FluxNetwork } from '../../test-infra/network/create-network.js';

const NODES = 16;
const JOINER = 16;
const APP = 'lateweb';
const INSTANCES = 3;
const TUNABLES = {
  ...CHAOS_TUNABLES,
  apprunningIntervalMs: 10_000,
} satisfies Partial<Tunables>;
/** Generous: a loaded 2-core host runs 32 containers. */
const CONVERGE_WITHIN_MS = 90_000;
const EVENT_TIMEOUT_MS = 60_000;

let network: FluxNetwork;
let nemesis: Nemesis;
let chaos: ChaosNetwork | undefined;
let tunables: Tunables;
/** Hosts of the app among the running machines, in placement order. */
let hosts: number[];
let appHash: string;
let sigtermed: number;
let victim: number;

beforeAll(async () => {
  chaos = await startChaosNetwork({
    name: 'late-joiner',
    nodes: NODES,
    deferred: [JOINER],
    tunables: TUNABLES,
    warmPartitions: true,
  });
  ({ network, nemesis, tunables } = chaos);
});

afterAll(() => stopChaosNetwork(chaos));

const ipOf = (node: number) => network.node(node).listedIp;

async function convergedNow(label: string, options: { withinMs?: number } = {}): Promise<void> {
  const result = await expectConverged(network, {
    within: options.withinMs ?? CONVERGE_WITHIN_MS,
    label: `late-joiner: ${label}`,
  });
  reportConverged({ suite: 'late-joiner', label, result });
}

describe('a late joiner after apps, a partition, an eviction and a sigterm', () => {
  it('activity: an app is registered and runs on its hosts', async () => {
    const registered = network.history.now();
    appHash = (await registerApp(network, { name: APP, instances: INSTANCES })).hash;
    // Placement counts the listed joiner too; it runs its share only once it boots.
    const placed = placeApp({
      appName: APP,
      instances: INSTANCES,
      ips: network.machines.map((machine) => machine.listedIp),
    });
    hosts = placed
      .map((ip) => network.machines.find((machine) => machine.listedIp === ip)!.index)
      .filter((node) => node !== JOINER);
    await network.waitFor({
      event: 'app:running',
      predicate: runsApp(appHash),
      nodes: hosts,
      since: registered,
      timeoutMs: EVENT_TIMEOUT_MS,
    });
    await convergedNow('app hosted');
  });

  it('activity: a partition into halves diverges the logs, then heals', async () => {
    const nodes = network.liveIndexes();
    const grudge = halves({ nodes });
    const [sideA, sideB] = sides({ grudge, nodes }) as [number[], number[]];
    const sinceWall = Date.now();
    const start = network.history.now();
    const states = probeStates(network);
    await nemesis.partition(grudge);
    // The partition lasts until one half holds a broadcast the other lacks (sampled and recorded).
    const split = await converged({
      label: 'late-joiner: the halves split',
      history: network.history,
      within: EVENT_TIMEOUT_MS,
      checks: [
        async () => {
          const read = await states();
          const samples = [
            heldOnlyBy(read, { name: 'late:a-only', holders: sideA, lacking: sideB, sinceWall }),
            heldOnlyBy(read, { name: 'late:b-only', holders: sideB, lacking: sideA, sinceWall }),
          ];
          for (const sample of samples) recordDivergence(network.history, sample);
          const apart = samples.filter((sample) => !sample.ok);
          return {
            name: 'halves-split',
            ok: apart.length > 0,
            summary: apart.length > 0 ? apart.map((sample) => sample.summary).join('; ') : 'no one-sided event yet',
            diff: [],
          };
        },
      ],
    });
    reportConverged({ suite: 'late-joiner', label: 'halves split', result: split });
    sometimes(network.history, {
      name: 'the halves held events the other half lacked',
      during: { start },
      predicate: (entry) => diverged('late:a-only')(entry) || diverged('late:b-only')(entry),
    });
    await nemesis.heal();
    await convergedNow('partition healed');
  });

  it('activity: an app host is evicted from the list everywhere, then restored and back in', async () => {
    victim = hosts[1]!;
    const others = network.liveIndexes().filter((node) => node !== victim);
    await nemesis.evict.expire({ nodes: [victim] });
    const evicted = await converged({
      label: `late-joiner: node ${victim} evicted everywhere`,
      history: network.history,
      within: CONVERGE_WITHIN_MS,
      checks: [
        async () => {
          const lagging = (await readStates(network, others)).filter(
            ({ state }) => !state.events.some((event) => event.type === 'evicted' && event.ip === ipOf(victim)),
          );
          return {
            name: 'victim-evicted',
            ok: lagging.length === 0,
            summary: `${lagging.length} of ${others.length} nodes have not evicted node ${victim}`,
            diff: lagging.map(({ node }) => `node ${node}: no evicted event for ${ipOf(victim)}`),
          };
        },
      ],
    });
    reportConverged({ suite: 'late-joiner', label: `node ${victim} evicted`, result: evicted });

    // Cut off, the victim misses the others' broadcasts: sampled until it has converged again.
    const start = network.history.now();
    const probe = convergenceProbe(network);
    const sampler = sampleOnEvents({
      history: network.history,
      probe: async () => {
        const results = await probe();
        return (Array.isArray(results) ? results : [results]).map((result: CheckResult) => ({
          ...result,
          name: `evicted:${result.name}`,
        }));
      },
    });
    const restored = network.history.now();
    await nemesis.evict.restore({ nodes: [victim] });
    await network.waitFor({
      event: 'confirmation:changed',
      predicate: (payload) => (payload as { confirmed: boolean }).confirmed,
      nodes: [victim],
      since: restored,
      timeoutMs: EVENT_TIMEOUT_MS,
    });
    await network.waitFor({
      event: 'network:apprunning',
      predicate: (payload) => (payload as { ip: string }).ip === ipOf(victim),
      nodes: others,
      since: restored,
      timeoutMs: EVENT_TIMEOUT_MS,
    });
    const result = await expectConverged(network, {
      within: tunables.runningExpiryMs + CONVERGE_WITHIN_MS,
      label: `late-joiner: node ${victim} restored`,
    });
    reportConverged({ suite: 'late-joiner', label: `node ${victim} restored`, result });
    await sampler.stop();
    sometimes(network.history, {
      name: `node ${victim} diverged while evicted`,
      during: { start },
      predicate: (entry) => diverged('evicted:event-log-converged')(entry),
    });
  });

  it('activity: an app host shuts down with a sigterm', async () => {
    sigtermed = hosts[0]!;
    const others = network.liveIndexes().filter((node) => node !== sigtermed);
    const since = network.history.now();
    await nemesis.process.sigterm({ nodes: [sigtermed] });
    await network.waitFor({
      event: 'network:sigterm',
      predicate: (payload) => (payload as { ip: string }).ip === ipOf(sigtermed),
      nodes: others,
      since,
      timeoutMs: EVENT_TIMEOUT_MS,
    });
    await convergedNow(`node ${sigtermed} shut down`);
  });

  it('the late joiner reaches the same event log and location cache through state sync', async () => {
    const joined = network.history.now();
    const joinedWall = Date.now();
    await network.startDeferred(JOINER);
    await nemesis.joined(JOINER);
    await network.waitFor({
      event: 'sync:chunkVerified',
      predicate: (payload) => (payload as { syncType: string; stored: number }).stored > 0,
      nodes: [JOINER],
      since: joined,
      timeoutMs: EVENT_TIMEOUT_MS,
    });
    // An eviction still alive is re-stamped on the joiner too: should the check straddle the
    // originals' expiry, the copies differ until the joiner's own expires (evictedExpiryMs).
    await convergedNow('late joiner in', { withinMs: tunables.evictedExpiryMs + CONVERGE_WITHIN_MS });

    const [joiner] = await readStates(network, [JOINER]);
    const events = joiner!.state.events;
    const sigterm = events.find((event) => event.type === 'sigterm' && event.ip === ipOf(sigtermed));
    expect(sigterm, `the joiner holds node ${sigtermed}'s sigterm`).toBeDefined();
    expect(
      sigterm?.type === 'sigterm' && sigterm.broadcastedAt < joinedWall,
      'broadcast before the joiner existed: only state sync can have brought it',
    ).toBe(true);
    // Within the sigterm grace its rows may still be listed (as on every other node), but the synced
    // sigterm must have cut them to end with the grace.
    const graceEnd = (sigterm?.type === 'sigterm' ? sigterm.broadcastedAt : 0) + tunables.sigtermExpiryMs;
    const rows = joiner!.state.locations.filter((row) => row.ip === ipOf(sigtermed));
    expect(
      rows.filter((row) => row.expireAt > graceEnd),
      `the joiner lists node ${sigtermed} past its sigterm grace (ends ${graceEnd})`,
    ).toEqual([]);
  });
});
