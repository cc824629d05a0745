/**
 * One node's clock skewed beyond the gossip windows (FluxOS: 120 s future tolerance, 5-minute
 * validity; at time scale 0.01 1.2 s and 3 s), ahead and then behind, on a 16-node network under
 * libfaketime. While skewed its announcements are rejected by its peers (`future` or `stale` in
 * their /flux/stats) and it rejects theirs, the others still converge among themselves; once its
 * clock is reset its next announcements are accepted and all 16 converge. The skewed node must
 * report the skewed time itself: in its API's Date header and in the broadcastedAt it announces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { converged, diverged, heldOnlyBy, recordDivergence, sometimes } from '../../test-infra/check/index.js';
import { type ChaosNetwork, startChaosNetwork, stopChaosNetwork } from '../../test-infra/harness/chaos-network.js';
import { expectConverged, reportConverged } from '../../test-infra/harness/convergence.js';
import { probeStates, readStates } from '../../test-infra/harness/locations.js';
import { type NodeStatsView, statOf } from '../../test-infra/harness/node-stats.js';
import type { Nemesis } from '../../test-infra/nemesis/nemesis.js';
import type { FluxNetwork } from '../../test-infra/network/create-network.js';

const NODES = 16;
/** Beyond the scaled validity (3 s) and future tolerance (1.2 s), within the 75 s the peer handshake allows. */
const SKEW_MS = 10_000;
const APPRUNNING_INTERVAL_MS = 10_000;
const CONVERGE_WITHIN_MS = 90_000;
const EVENT_TIMEOUT_MS = 60_000;
/** Slack around the API's clock reading and the announced time: the request and the broadcast take a little. */
const DATE_HEADER_TOLERANCE_MS = 1_000;

let network: FluxNetwork;
let nemesis: Nemesis;
let chaos: ChaosNetwork | undefined;
let skewed: number;

beforeAll(async () => {
  chaos = await startChaosNetwork({
    name: 'clock-skew',
    nodes: NODES,
    clockFaults: true,
    tunables: { apprunningIntervalMs: APPRUNNING_INTERVAL_MS },
  });
  ({ network, nemesis } = chaos);
  // The skewed node must announce: one that hosts a fixture app.
  const announced = await network.waitFor({ event: 'app:running', quorum: 1, timeoutMs: EVENT_TIMEOUT_MS });
  skewed = [...announced.keys()][0]!;
  await expectConverged(network, { within: CONVERGE_WITHIN_MS, label: 'clock-skew: baseline' });
});

afterAll(() => stopChaosNetwork(chaos));

/** The node's wall clock minus ours, from its API's Date header (whole seconds, so up to 1 s low). */
async function apiClockOffset(node: number): Promise<number> {
  const before = Date.now();
  const response = await fetch(`${network.node(node).apiUrl}/flux/info`, { signal: AbortSignal.timeout(10_000) });
  await response.body?.cancel();
  const date = response.headers.get('date');
  if (!date) throw new Error(`node ${node}: /flux/info answered without a Date header`);
  return Date.parse(date) - (before + Date.now()) / 2;
}

/**
 * Waits until the node's API reports a clock `offsetMs` from ours. Node's HTTP server renews its
 * Date header once a second, so a new offset shows within a second or two.
 */
async function expectApiClock(node: number, offsetMs: number): Promise<void> {
  await converged({
    history: network.history,
    within: EVENT_TIMEOUT_MS,
    label: `node ${node}: API clock ${offsetMs} ms`,
    checks: [
      async () => {
        const measured = await apiClockOffset(node);
        const ok =
          measured > offsetMs - 1_000 - DATE_HEADER_TOLERANCE_MS && measured < offsetMs + DATE_HEADER_TOLERANCE_MS;
        return {
          name: `api-clock:${node}`,
          ok,
          summary: `node ${node}'s Date header is ${Math.round(measured)} ms from ours (expected ${offsetMs})`,
          diff: ok ? [] : [`node ${node}: clock offset ${Math.round(measured)} ms, expected ${offsetMs} ms`],
        };
      },
    ],
  });
}

/** The skewed node's own latest apprunning, as it stored it. */
async function ownAnnouncementAt(node: number): Promise<number | undefined> {
  const [read] = await readStates(network, [node]);
  const ip = network.node(node).listedIp;
  const own = read!.state.events.find((doc) => doc.type === 'apprunning' && doc.ip === ip && doc.dedupKey === 'v2');
  return own?.type === 'apprunning' ? own.broadcastedAt : undefined;
}

interface SkewCase {
  direction: 'ahead' | 'behind';
  offsetMs: number;
  /** The verdict peers give the skewed node's broadcasts, and the one it gives theirs. */
  peersVerdict: 'future' | 'stale';
  ownVerdict: 'future' | 'stale';
}

async function skewAndReset(skew: SkewCase): Promise<void> {
  const nodes = network.liveIndexes();
  const others = nodes.filter((node) => node !== skewed);
  const ip = network.node(skewed).listedIp;
  const counter = (verdict: string) => (stats: NodeStatsView) => stats.gossip[verdict] ?? 0;
  const peersBefore = await statOf(network, { nodes: others, read: counter(skew.peersVerdict) });
  const ownBefore = (await statOf(network, { nodes: [skewed], read: counter(skew.ownVerdict) })).get(skewed)!;
  const start = network.history.now();
  const skewWall = Date.now();
  const states = probeStates(network);
  nemesis.clock.set({ offsets: { [skewed]: skew.offsetMs } });

  await expectApiClock(skewed, skew.offsetMs);
  // The skew lasts until it showed: rejections (counters only, no event) on both ends, and an own
  // announcement the skewed node alone holds. Behind, that takes its second broadcast: the first
  // reads no newer than its last one before the skew, so even its own store keeps the older one.
  await converged({
    history: network.history,
    within: EVENT_TIMEOUT_MS,
    label: `clock ${skew.direction}: broadcasts rejected`,
    checks: [
      async () => {
        const peersNow = await statOf(network, { nodes: others, read: counter(skew.peersVerdict) });
        const ownNow = (await statOf(network, { nodes: [skewed], read: counter(skew.ownVerdict) })).get(skewed)!;
        const alone = heldOnlyBy(await states(), {
          name: 'skewed:only',
          holders: [skewed],
          lacking: others,
          sinceWall: 0,
          ip,
        });
        recordDivergence(network.history, alone);
        const rejecting = others.filter((node) => peersNow.get(node)! > peersBefore.get(node)!);
        const ok = rejecting.length * 2 >= others.length && ownNow > ownBefore && !alone.ok;
        return {
          name: `${skew.direction}:rejections`,
          ok,
          summary: `${rejecting.length} of ${others.length} peers counted node ${skewed}'s broadcasts ${skew.peersVerdict}; it counted ${ownNow - ownBefore} of theirs ${skew.ownVerdict}; ${alone.summary}`,
          diff: ok ? [] : [`peers rejecting: ${rejecting.join(', ') || 'none'}`, ...alone.diff],
        };
      },
    ],
  });
  sometimes(network.history, {
    name: `node ${skewed}'s own announcement was held by it alone`,
    during: { start },
    predicate: diverged('skewed:only'),
  });
  const own = await ownAnnouncementAt(skewed);
  if (own === undefined) throw new Error(`node ${skewed} holds no announcement of its own`);
  if (skew.direction === 'ahead') {
    expect(own, `node ${skewed} announces with its clock ahead`).toBeGreaterThanOrEqual(
      skewWall + skew.offsetMs - DATE_HEADER_TOLERANCE_MS,
    );
  } else {
    expect(own, `node ${skewed} announces with its clock behind`).toBeLessThanOrEqual(
      Date.now() + skew.offsetMs + DATE_HEADER_TOLERANCE_MS,
    );
  }
  const amongOthers = await expectConverged(network, {
    within: CONVERGE_WITHIN_MS,
    label: `clock ${skew.direction}: the others`,
    nodes: others,
  });
  reportConverged({ suite: 'clock-skew', label: `${skew.direction}: the other 15 while skewed`, result: amongOthers });

  nemesis.clock.resetClocks();
  await expectApiClock(skewed, 0);
  const result = await expectConverged(network, {
    within: CONVERGE_WITHIN_MS,
    label: `clock ${skew.direction}: reset`,
  });
  reportConverged({ suite: 'clock-skew', label: `${skew.direction}: all 16 after the reset`, result });
}

describe(`one node's clock skewed beyond the gossip windows`, () => {
  it('ahead: its broadcasts are future for its peers until the clock is reset', async () => {
    await skewAndReset({ direction: 'ahead', offsetMs: SKEW_MS, peersVerdict: 'future', ownVerdict: 'stale' });
  });

  it('behind: its broadcasts are stale for its peers until the clock is reset', async () => {
    await skewAndReset({ direction: 'behind', offsetMs: -SKEW_MS, peersVerdict: 'stale', ownVerdict: 'future' });
  });
});
