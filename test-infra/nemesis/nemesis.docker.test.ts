/**
 * The nemesis against real containers, without the node under test: 16 machines (node image
 * running the probe server, plus each machine's database) on a run network, and the daemon stub
 * in this process on loopback. Every fault is observed from inside the run network: a partition
 * must stop packets (new and established flows), a one-way cut must be one-way, a pause must
 * freeze, a skewed clock must read skewed in running processes, a crash and a power cut must be
 * undone by healAll with the partition rules re-applied to the restarted container.
 *
 * Negative probes ("this does not arrive") wait a bounded window (NEGATIVE_MS) that is part of the
 * observation itself; positive probes wait for the event with a generous timeout.
 */

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { median } from '../../protocol/stats.js';
import { type DaemonStubHandle, startDaemonStub } from '../../stubs/daemon/daemon-stub.js';
import { DaemonControl } from '../network/daemon-control.js';
import { docker } from '../network/docker-client.js';
import { RUN_LABEL } from '../network/labels.js';
import type { HistoryEntry } from '../observe/history.js';
import { complete, halves, isolate, oneWay, randomHalves } from './grudge.js';
import { Nemesis } from './nemesis.js';
import { applyGrudge, oneShotRunner } from './partition.js';
import { type ProbeNetwork, startProbeNetwork } from './probe-network.js';
import { PROBE_TCP_ECHO_PORT } from './probe-server.js';

const NODES = 16;
const NEGATIVE_MS = 1_000;
const POSITIVE_MS = 15_000;
const CLOCK_TOLERANCE_MS = 5_000;

let net: ProbeNetwork;
let stub: DaemonStubHandle;
let daemon: DaemonControl;
let nemesis: Nemesis;
const live = new Set<number>();
const log = (line: string) => process.stdout.write(`[nemesis.docker] ${line}\n`);

beforeAll(async () => {
  net = await startProbeNetwork({ nodes: NODES, log });
  stub = await startDaemonStub({ views: NODES, fluxnodes: NODES, seed: 3 });
  daemon = new DaemonControl({ baseUrl: stub.controlUrl!.replace(/\/$/, ''), history: net.history });
  for (const machine of net.machines) live.add(machine.index);
  nemesis = new Nemesis({
    network: {
      history: net.history,
      daemon,
      machines: net.machines,
      plan: net.plan,
      setLive: (index, isLive) => (isLive ? live.add(index) : live.delete(index)),
    },
  });
  await nemesis.setup();
});

afterEach(async () => {
  await nemesis?.healAll();
});

afterAll(async () => {
  nemesis?.close();
  await stub?.stop();
  await net?.teardown();
  if (net) {
    const filters = JSON.stringify({ label: [`${RUN_LABEL}=${net.runId}`] });
    expect(await docker().listContainers({ all: true, filters })).toEqual([]);
    expect(await docker().listNetworks({ filters })).toEqual([]);
  }
});

const ip = (node: number) => net.plan.node(node);
const echo = (args: { from: number; to: number; timeoutMs: number }) =>
  net.probe(args.from).tcp({ host: ip(args.to), port: PROBE_TCP_ECHO_PORT, timeoutMs: args.timeoutMs });
const reachesOwnDb = (node: number) =>
  net.probe(node).tcp({ host: net.plan.db(node), port: 27017, timeoutMs: POSITIVE_MS });

function nemesisEntries(since: number): Extract<HistoryEntry, { kind: 'nemesis' }>[] {
  return net.history.entries().filter((entry) => entry.kind === 'nemesis' && entry.t >= since) as Extract<
    HistoryEntry,
    { kind: 'nemesis' }
  >[];
}

/** Every fault started since `since` has exactly one end. */
function expectEveryFaultEnded(since: number): void {
  const phases = new Map<string, string[]>();
  for (const entry of nemesisEntries(since)) {
    if (entry.phase === 'info') continue;
    const id = (entry.detail as { id: string }).id;
    phases.set(id, [...(phases.get(id) ?? []), entry.phase]);
  }
  expect(phases.size).toBeGreaterThan(0);
  for (const [id, seen] of phases) expect({ id, seen }).toEqual({ id, seen: ['start', 'end'] });
}

describe('partitions', () => {
  it('a partitioned pair exchanges nothing, new or established, yet reaches a third node and its own database', async () => {
    const since = net.history.now();
    expect(await net.probe(1).openLink({ id: 'one-two', host: ip(2), timeoutMs: POSITIVE_MS })).toEqual({ ok: true });
    expect(await net.probe(1).pingLink({ id: 'one-two', timeoutMs: POSITIVE_MS })).toEqual({ ok: true });

    await nemesis.partition(
      complete({
        components: [
          [1, 3],
          [2, 3],
        ],
      }),
    );
    const [oneToTwo, twoToOne, established] = await Promise.all([
      echo({ from: 1, to: 2, timeoutMs: NEGATIVE_MS }),
      echo({ from: 2, to: 1, timeoutMs: NEGATIVE_MS }),
      net.probe(1).pingLink({ id: 'one-two', timeoutMs: NEGATIVE_MS }),
    ]);
    // Dropped, not refused: the SYN and the established flow's segments vanish.
    expect(oneToTwo).toEqual({ ok: false, error: 'timeout' });
    expect(twoToOne).toEqual({ ok: false, error: 'timeout' });
    expect(established).toEqual({ ok: false, error: 'timeout' });
    const reach = await Promise.all([
      echo({ from: 1, to: 3, timeoutMs: POSITIVE_MS }),
      echo({ from: 2, to: 3, timeoutMs: POSITIVE_MS }),
      echo({ from: 3, to: 1, timeoutMs: POSITIVE_MS }),
      echo({ from: 3, to: 2, timeoutMs: POSITIVE_MS }),
      reachesOwnDb(1),
      reachesOwnDb(2),
    ]);
    expect(reach).toEqual(Array(6).fill({ ok: true }));

    await nemesis.heal();
    expect(await echo({ from: 1, to: 2, timeoutMs: POSITIVE_MS })).toEqual({ ok: true });
    expect(await echo({ from: 2, to: 1, timeoutMs: POSITIVE_MS })).toEqual({ ok: true });
    // The established connection survived the cut: TCP retransmits into the healed network.
    expect(await net.probe(1).pingLink({ id: 'one-two', timeoutMs: POSITIVE_MS })).toEqual({ ok: true });

    const records = nemesisEntries(since).filter((entry) => entry.op === 'partition');
    expect(records.map((entry) => entry.phase)).toEqual(['start', 'info', 'end']);
    expect((records[0]!.detail as { grudge: unknown }).grudge).toEqual({ '1': [2], '2': [1] });
  });

  it('a one-way cut is one-way: 4 hears 5, 5 does not hear 4', async () => {
    await nemesis.partition(oneWay({ from: 4, to: 5 }));
    await net.probe(4).sendUdp({ host: ip(5), token: 'four-to-five' });
    await net.probe(5).sendUdp({ host: ip(4), token: 'five-to-four' });
    await net.probe(6).sendUdp({ host: ip(5), token: 'six-to-five' });
    expect(await net.probe(4).heardUdp({ token: 'five-to-four', timeoutMs: POSITIVE_MS })).toEqual({
      ok: true,
      from: ip(5),
    });
    expect(await net.probe(5).heardUdp({ token: 'six-to-five', timeoutMs: POSITIVE_MS })).toMatchObject({ ok: true });
    expect(await net.probe(5).heardUdp({ token: 'four-to-five', timeoutMs: NEGATIVE_MS })).toEqual({
      ok: false,
      from: null,
    });
    // TCP needs both directions, so its handshake fails either way round.
    const [fourToFive, fiveToFour] = await Promise.all([
      echo({ from: 4, to: 5, timeoutMs: NEGATIVE_MS }),
      echo({ from: 5, to: 4, timeoutMs: NEGATIVE_MS }),
    ]);
    expect([fourToFive.ok, fiveToFour.ok]).toEqual([false, false]);

    await nemesis.heal();
    await net.probe(4).sendUdp({ host: ip(5), token: 'four-to-five-healed' });
    expect(await net.probe(5).heardUdp({ token: 'four-to-five-healed', timeoutMs: POSITIVE_MS })).toEqual({
      ok: true,
      from: ip(4),
    });
  });

  // Wall time is printed, not asserted (a noisy 2-core machine); the one timing claim is a ratio in
  // one run: the resident agent beats a docker exec per apply.
  it(`applies a ${NODES}-node grudge through resident agents faster than one exec each, and every node holds its rules`, async () => {
    const nodes = net.machines.map((machine) => machine.index);
    const agentMs: number[] = [];
    for (let seed = 1; seed <= 9; seed++) agentMs.push((await nemesis.partition(randomHalves({ nodes, seed }))).ms);
    const healMs = (await nemesis.heal()).ms;
    const execMs: number[] = [];
    const addresses = { node: ip, daemon: net.plan.daemon };
    const oneShot = net.machines.map(oneShotRunner);
    for (let seed = 1; seed <= 3; seed++) {
      execMs.push((await applyGrudge({ targets: oneShot, grudge: randomHalves({ nodes, seed }), addresses })).ms);
    }
    log(
      `apply ${NODES} nodes, resident agent: median ${median(agentMs).toFixed(0)} ms ` +
        `(runs ${agentMs.map((ms) => ms.toFixed(0)).join(', ')}); heal ${healMs.toFixed(0)} ms; ` +
        `docker exec per apply: median ${median(execMs).toFixed(0)} ms (runs ${execMs.map((ms) => ms.toFixed(0)).join(', ')})`,
    );
    expect(median(agentMs)).toBeLessThan(median(execMs));

    const grudge = halves({ nodes });
    await nemesis.partition(grudge);
    const listed = await Promise.all(net.machines.map((machine) => machine.exec(['iptables', '-S', 'FLUXNET'])));
    for (const [i, result] of listed.entries()) {
      const drops = result.output.split('\n').filter((line) => line.endsWith('-j DROP'));
      expect({ node: i + 1, drops: drops.length }).toEqual({ node: i + 1, drops: grudge.get(i + 1)!.size });
    }
  });
});

describe('processes', () => {
  it('a paused container stops answering and resumes; a partition set meanwhile reaches it on unpause', async () => {
    await nemesis.process.pause({ nodes: [6] });
    expect(nemesis.process.state(6)).toBe('paused');
    expect(await net.probe(6).health({ timeoutMs: NEGATIVE_MS })).toBe(false);
    const report = await nemesis.partition(isolate({ nodes: [6, 7], node: 6 }));
    expect(report.skipped).toEqual([6]);

    await nemesis.process.resume({ nodes: [6] });
    expect(await net.probe(6).health({ timeoutMs: POSITIVE_MS })).toBe(true);
    expect(await echo({ from: 6, to: 7, timeoutMs: NEGATIVE_MS })).toEqual({ ok: false, error: 'timeout' });
    expect(await echo({ from: 6, to: 8, timeoutMs: POSITIVE_MS })).toEqual({ ok: true });
  });

  it('a crashed node restarts into the partition still in effect; healAll boots a powered-off machine', async () => {
    const since = net.history.now();
    const bootBefore = net.machines[10]!.bootId;
    await nemesis.partition(isolate({ nodes: [10, 12], node: 10 }));
    await nemesis.process.crash({ nodes: [10] });
    await nemesis.process.powercut({ nodes: [11], boot: false });
    expect([nemesis.process.state(10), nemesis.process.state(11), live.has(10), live.has(11)]).toEqual([
      'stopped',
      'off',
      false,
      false,
    ]);
    expect(await net.probe(11).health({ timeoutMs: NEGATIVE_MS })).toBe(false);

    await nemesis.process.resume({ nodes: [10] });
    expect(await net.probe(10).health({ timeoutMs: POSITIVE_MS })).toBe(true);
    // A restarted container has a fresh network namespace: the rules are there only if re-applied.
    expect(await echo({ from: 10, to: 12, timeoutMs: NEGATIVE_MS })).toEqual({ ok: false, error: 'timeout' });

    await nemesis.healAll();
    expect([live.has(10), live.has(11)]).toEqual([true, true]);
    expect(await net.probe(11).health({ timeoutMs: POSITIVE_MS })).toBe(true);
    expect(net.machines[10]!.bootId).not.toBe(bootBefore);
    expect(await echo({ from: 10, to: 12, timeoutMs: POSITIVE_MS })).toEqual({ ok: true });
    expectEveryFaultEnded(since);
  });
});

describe('clocks', () => {
  const execNow = async (node: number, cmd: string[]) =>
    Number((await net.machines[node - 1]!.exec(cmd)).output.trim());

  it('a skewed node reads the skewed time, in new and running processes, and it changes at run time', async () => {
    nemesis.clock.set({ offsets: { 8: 3_600_000 } });
    const dateSeconds = await execNow(8, ['date', '+%s']);
    expect(Math.abs(dateSeconds * 1000 - (Date.now() + 3_600_000))).toBeLessThan(CLOCK_TOLERANCE_MS);
    const nodeMs = await execNow(8, ['node', '-e', 'console.log(Date.now())']);
    expect(Math.abs(nodeMs - (Date.now() + 3_600_000))).toBeLessThan(CLOCK_TOLERANCE_MS);
    expect(Math.abs((await net.probe(8).now()) - (Date.now() + 3_600_000))).toBeLessThan(CLOCK_TOLERANCE_MS);
    expect(Math.abs((await net.probe(9).now()) - Date.now())).toBeLessThan(CLOCK_TOLERANCE_MS);

    nemesis.clock.jump({ nodes: [8], deltaMs: -7_200_000 });
    expect(nemesis.clock.offsets()).toEqual(new Map([[8, -3_600_000]]));
    expect(Math.abs((await net.probe(8).now()) - (Date.now() - 3_600_000))).toBeLessThan(CLOCK_TOLERANCE_MS);

    nemesis.clock.resetClocks();
    expect(Math.abs((await net.probe(8).now()) - Date.now())).toBeLessThan(CLOCK_TOLERANCE_MS);
  });
});

describe('healAll', () => {
  it('undoes every kind of active fault and records it', async () => {
    const since = net.history.now();
    const nodes = net.machines.map((machine) => machine.index);
    await nemesis.partition(halves({ nodes }), { fork: { blocks: [2, 1] } });
    await nemesis.process.pause({ nodes: [13] });
    nemesis.clock.set({ offsets: { 14: -60_000 } });
    await nemesis.daemon.rpcFailing({ views: [15] });
    await nemesis.daemon.zmqSilent({ views: [16] });
    await nemesis.evict.expire({ nodes: [3] });
    expect((await daemon.state()).groups).not.toBeNull();

    await nemesis.healAll();
    const state = await daemon.state();
    expect(state.groups).toBeNull();
    expect(new Set(state.views.map((view) => view.tip)).size).toBe(1);
    expect(state.views.filter((view) => view.rpc !== 'none' || view.zmqSilent)).toEqual([]);
    expect((await daemon.nodeInfo(3)).locations.every((entry) => entry.location === 'listed')).toBe(true);
    expect(nemesis.clock.offsets().size).toBe(0);
    expect(await net.probe(13).health({ timeoutMs: POSITIVE_MS })).toBe(true);
    expect(await echo({ from: 1, to: 16, timeoutMs: POSITIVE_MS })).toEqual({ ok: true });
    expectEveryFaultEnded(since);
    expect(
      nemesisEntries(since)
        .filter((entry) => entry.op === 'heal-all')
        .map((entry) => entry.phase),
    ).toEqual(['start', 'end']);
  });
});
