/**
 * Powercut reboots (fluxos-node.md §10): a machine loses power (node and database killed, nothing
 * announced) and boots with a new boot id. The node reads its boot context from the last heartbeat
 * (`orchestrator:started.bootContext`) and decides: not a clean shutdown and down no longer than the
 * running expiry → the gates, then the reconcile resumes every app its own cache rows still list;
 * down longer → remove every app at once (step 2). Then a site-wide cut of all 16 machines.
 *
 * The long downtime is real (runningExpiryMs + a margin, 80 s at the default scale): a shorter
 * runningExpiryMs would also shorten the lifetime of the short-cut host's own rows, which its reconcile
 * needs. Each downtime is the fault's own duration, a timer of the nemesis schedule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecidedBoot } from '../../reference-node/boot/sequence.js';
import type { Tunables } from '../../reference-node/tunables.js';
import { converged } from '../../test-infra/check/index.js';
import { hostApp } from '../../test-infra/harness/apps.js';
import { type ChaosNetwork, startChaosNetwork, stopChaosNetwork } from '../../test-infra/harness/chaos-network.js';
import { expectConverged, reportConverged } from '../../test-infra/harness/convergence.js';
import { locationIps, readStates, runsApp } from '../../test-infra/harness/locations.js';
import { CHAOS_TUNABLES } from '../../test-infra/harness/tunables.js';
import type { Nemesis } from '../../test-infra/nemesis/nemesis.js';
import type { FluxNetwork } from '../../test-infra/network/create-network.js';
import type { HistoryEntry } from '../../test-infra/observe/history.js';

const NODES = 16;
const APP = 'cutweb';
const INSTANCES = 2;
const TUNABLES = {
  ...CHAOS_TUNABLES,
  // A fresh broadcast every 10 s keeps each host's own rows far from expiry when a cut lands.
  apprunningIntervalMs: 10_000,
} satisfies Partial<Tunables>;
const SHORT_DOWNTIME_MS = 2_000;
/** Past the running expiry by more than a heartbeat period and the boot's own jitter. */
const LONG_DOWNTIME_MARGIN_MS = 5_000;
/** Generous: a loaded 2-core host runs 32 containers. */
const CONVERGE_WITHIN_MS = 90_000;
const EVENT_TIMEOUT_MS = 60_000;
/** A site-wide boot restarts 32 containers at once. */
const SITE_BOOT_TIMEOUT_MS = 240_000;

let network: FluxNetwork;
let nemesis: Nemesis;
let chaos: ChaosNetwork | undefined;
let tunables: Tunables;
let hosts: number[];
let appHash: string;

interface BootContext {
  machineRebooted: boolean;
  downtimeMs: number | null;
  cleanShutdown: boolean;
  currentBootId: string;
  firstBoot: boolean;
}

interface RunningPayload {
  ip: string;
  apps: { name: string; hash: string; runningSince?: number | string }[];
}

beforeAll(async () => {
  chaos = await startChaosNetwork({ name: 'powercut', nodes: NODES, tunables: TUNABLES });
  ({ network, nemesis, tunables } = chaos);
  ({ hash: appHash, hosts } = await hostApp(network, {
    suite: 'powercut',
    app: APP,
    instances: INSTANCES,
    timeoutMs: EVENT_TIMEOUT_MS,
    within: CONVERGE_WITHIN_MS,
  }));
});

afterAll(() => stopChaosNetwork(chaos));

type EventEntry = Extract<HistoryEntry, { kind: 'event' }>;

function eventsOf(args: { node: number; name: string; since: number }): EventEntry[] {
  return network.history
    .entries()
    .filter(
      (entry): entry is EventEntry =>
        entry.kind === 'event' && entry.node === args.node && entry.name === args.name && entry.t >= args.since,
    );
}

async function bootContextOf(node: number, since: number): Promise<BootContext> {
  const started = await network.waitFor({
    event: 'orchestrator:started',
    nodes: [node],
    since,
    timeoutMs: EVENT_TIMEOUT_MS,
  });
  return (started.get(node)!.payload as { bootContext: BootContext }).bootContext;
}

async function bootDecisionOf(node: number, since: number): Promise<DecidedBoot> {
  await network.waitFor({ event: 'boot:settled', nodes: [node], since, timeoutMs: EVENT_TIMEOUT_MS });
  const stats = await network.node(node).apiGet<{ boot: { decision: DecidedBoot | null } }>('/flux/stats');
  if (!stats.boot.decision) throw new Error(`node ${node} settled its boot without a decision`);
  return stats.boot.decision;
}

/** Every other node heard `node` announce the app after `since`; resolves to that announcement. */
async function announcedEverywhere(node: number, since: number): Promise<RunningPayload> {
  const ip = network.node(node).listedIp;
  const heard = await network.waitFor({
    event: 'network:apprunning',
    predicate: (payload) => (payload as RunningPayload).ip === ip && runsApp(appHash)(payload),
    nodes: network.liveIndexes().filter((other) => other !== node),
    since,
    timeoutMs: EVENT_TIMEOUT_MS,
  });
  return [...heard.values()][0]!.payload as RunningPayload;
}

function runningSinceOf(payload: RunningPayload): number {
  return Number(payload.apps.find((app) => app.hash === appHash)?.runningSince);
}

async function expectListedEverywhere(node: number): Promise<void> {
  const ip = network.node(node).listedIp;
  for (const other of network.liveIndexes()) {
    expect(
      await locationIps(network, { node: other, app: APP }),
      `node ${other} locates ${APP} on node ${node}`,
    ).toContain(ip);
  }
}

describe('powercut of an app host', () => {
  it('after a short downtime it boots rebooted, resumes its apps and is listed everywhere', async () => {
    const host = hosts[0]!;
    const ip = network.node(host).listedIp;
    // The cut lands right after the host's own broadcast: its rows have their whole lifetime ahead.
    const before = network.history.now();
    const own = await network.waitFor({
      event: 'app:running',
      predicate: (payload) => (payload as RunningPayload).ip === ip && runsApp(appHash)(payload),
      nodes: [host],
      since: before,
      timeoutMs: tunables.apprunningIntervalMs + EVENT_TIMEOUT_MS,
    });
    const runningSince = runningSinceOf(own.get(host)!.payload as RunningPayload);
    const cut = network.history.now();
    await nemesis.process.powercut({ nodes: [host], downtimeMs: SHORT_DOWNTIME_MS });

    const context = await bootContextOf(host, cut);
    expect(context).toMatchObject({ machineRebooted: true, firstBoot: false, cleanShutdown: false });
    expect(context.downtimeMs).toBeGreaterThanOrEqual(SHORT_DOWNTIME_MS);
    expect(context.downtimeMs).toBeLessThanOrEqual(tunables.runningExpiryMs);
    const decision = await bootDecisionOf(host, cut);
    expect(decision.step, 'decided by the reconcile (step 6)').toBe(6);
    expect(decision.apps).toContainEqual(expect.objectContaining({ name: APP, action: 'resume' }));
    expect(eventsOf({ node: host, name: 'app:removed', since: cut }), 'nothing was removed').toEqual([]);

    const announced = await announcedEverywhere(host, cut);
    expect(runningSinceOf(announced), 'resumed, not reinstalled: runningSince survives the cut').toBe(runningSince);
    const result = await expectConverged(network, { within: CONVERGE_WITHIN_MS, label: 'powercut: short downtime' });
    reportConverged({ suite: 'powercut', label: `short downtime (${context.downtimeMs} ms)`, result });
    await expectListedEverywhere(host);
  });

  it('after a downtime past the running expiry its rows expire everywhere; it boots, removes its apps and is listed again once reinstalled', async () => {
    const host = hosts[1]!;
    const ip = network.node(host).listedIp;
    const others = network.liveIndexes().filter((node) => node !== host);
    const cut = network.history.now();
    const cutWall = Date.now();
    const down = nemesis.process.powercut({
      nodes: [host],
      downtimeMs: tunables.runningExpiryMs + LONG_DOWNTIME_MARGIN_MS,
    });
    try {
      // While it is dark, its rows reach their expiry on every other node: nobody lists it any more.
      const expired = await converged({
        label: 'powercut: dark host expired everywhere',
        history: network.history,
        within: tunables.runningExpiryMs + LONG_DOWNTIME_MARGIN_MS,
        tickMs: tunables.sweeperIntervalMs,
        checks: [
          async () => {
            const listing = (await readStates(network, others)).filter(({ state }) =>
              state.locations.some((row) => row.ip === ip),
            );
            return {
              name: 'dark-host-unlisted',
              ok: listing.length === 0,
              summary: `${listing.length} of ${others.length} nodes still list node ${host}`,
              diff: listing.map(({ node }) => `node ${node}: rows of ${ip}`),
            };
          },
        ],
      });
      reportConverged({ suite: 'powercut', label: 'dark host expired', result: expired });
      expect(nemesis.process.state(host), 'its rows expired while it was still dark').toBe('off');
    } finally {
      await down;
    }

    const context = await bootContextOf(host, cut);
    expect(context).toMatchObject({ machineRebooted: true, firstBoot: false, cleanShutdown: false });
    expect(context.downtimeMs).toBeGreaterThan(tunables.runningExpiryMs);
    const decision = await bootDecisionOf(host, cut);
    expect(decision.step, 'decided at once from the downtime (step 2)').toBe(2);
    expect(decision.apps).toContainEqual({ name: APP, action: 'remove', reason: 'downtime-exceeded', broadcast: true });
    const removed = eventsOf({ node: host, name: 'app:removed', since: cut }).map(
      (entry) => (entry.payload as { name: string }).name,
    );
    expect(removed).toContain(APP);
    // Its `fluxappremoved` goes out before any peer is connected (step 2 waits for no gate) and reaches
    // nobody; its rows had expired everywhere already, so nothing depends on it.

    // Placement still puts the app here (the list did not change): the spawner installs it afresh.
    const announced = await announcedEverywhere(host, cut);
    expect(runningSinceOf(announced), 'reinstalled: runningSince after the cut').toBeGreaterThan(cutWall);
    const result = await expectConverged(network, { within: CONVERGE_WITHIN_MS, label: 'powercut: long downtime' });
    reportConverged({ suite: 'powercut', label: `long downtime (${context.downtimeMs} ms)`, result });
    await expectListedEverywhere(host);
  });

  it('a site-wide powercut of all 16 machines: every node boots again and the network converges', async () => {
    const cut = network.history.now();
    await nemesis.process.powercut({ nodes: 'all', downtimeMs: SHORT_DOWNTIME_MS });
    expect(network.liveIndexes()).toHaveLength(NODES);

    const started = await network.waitFor({
      event: 'orchestrator:started',
      since: cut,
      timeoutMs: SITE_BOOT_TIMEOUT_MS,
    });
    for (const [node, entry] of started) {
      const { bootContext } = entry.payload as { bootContext: BootContext };
      expect(bootContext, `node ${node} boot context`).toMatchObject({
        machineRebooted: true,
        firstBoot: false,
        cleanShutdown: false,
      });
    }
    await network.waitFor({ event: 'boot:settled', since: cut, timeoutMs: SITE_BOOT_TIMEOUT_MS });
    const decisions = await Promise.all(
      network.liveIndexes().map(async (node) => `${node}:step${(await bootDecisionOf(node, cut)).step}`),
    );
    process.stdout.write(`[powercut] site-wide boot decisions: ${decisions.join(' ')}\n`);
    // Convergence must include what the hosts said after the cut, not only rows from before it.
    for (const host of hosts) await announcedEverywhere(host, cut);
    const result = await expectConverged(network, { within: CONVERGE_WITHIN_MS, label: 'powercut: site-wide' });
    reportConverged({ suite: 'powercut', label: 'site-wide', result });
    for (const host of hosts) await expectListedEverywhere(host);
  });
});
