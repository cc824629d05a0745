/**
 * The nemesis parts' bookkeeping with fake machines: what runs where, what is recorded, and the
 * errors bad input gets. The Docker test proves the faults themselves.
 */
import { describe, expect, it } from 'vitest';
import { History } from '../observe/history.js';
import { ClockNemesis } from './clock.js';
import { FaultLog } from './fault-log.js';
import { GrudgeError, halves, oneWay } from './grudge.js';
import { PartitionError, PartitionNemesis, type RulesetRunner } from './partition.js';
import { ProcessNemesis, type ProcessTarget } from './process-faults.js';

const addresses = { node: (index: number) => `198.18.50.${10 + index}`, daemon: '198.18.50.2' };

function recordsOf(history: History): string[] {
  return history
    .entries()
    .filter((entry) => entry.kind === 'nemesis')
    .map((entry) => (entry.kind === 'nemesis' ? `${entry.op}:${entry.phase}` : ''));
}

function fakeRunners(args: { nodes: number[]; failing?: number }): {
  runners: RulesetRunner[];
  applied: Map<number, string[]>;
} {
  const applied = new Map<number, string[]>();
  const runners = args.nodes.map((index) => ({
    index,
    run: async (ruleset: string) => {
      applied.set(index, [...(applied.get(index) ?? []), ruleset]);
      return index === args.failing
        ? { exitCode: 2, output: 'iptables-restore: line 9 failed' }
        : { exitCode: 0, output: '' };
    },
  }));
  return { runners, applied };
}

const drops = (ruleset: string | undefined) => (ruleset ?? '').split('\n').filter((line) => line.endsWith('-j DROP'));

describe('PartitionNemesis', () => {
  it('gives every target a ruleset, skips unreachable ones, and reapplies on request', async () => {
    const history = new History();
    const { runners, applied } = fakeRunners({ nodes: [1, 2, 3] });
    const reachable = new Set([1, 2]);
    const partitions = new PartitionNemesis({
      targets: runners,
      addresses,
      log: new FaultLog(history),
      reachable: (node) => reachable.has(node),
    });
    const report = await partitions.start({ grudge: oneWay({ from: 1, to: 3 }) });
    expect(report.skipped).toEqual([3]);
    expect([...applied.keys()]).toEqual([1, 2]);
    expect(drops(applied.get(1)?.[0])).toEqual([]);

    reachable.add(3);
    await partitions.reapply(3);
    expect(drops(applied.get(3)?.[0])).toEqual(['-A FLUXNET -s 198.18.50.11/32 -j DROP']);
    await partitions.stop();
    expect(applied.get(3)).toHaveLength(2);
    expect(drops(applied.get(3)?.[1])).toEqual([]);
    expect(recordsOf(history)).toEqual(['partition:start', 'partition:info', 'partition:info', 'partition:end']);
  });

  it('a new grudge ends the previous partition record and starts another', async () => {
    const history = new History();
    const partitions = new PartitionNemesis({
      targets: fakeRunners({ nodes: [1, 2] }).runners,
      addresses,
      log: new FaultLog(history),
    });
    await partitions.start({ grudge: halves({ nodes: [1, 2] }) });
    await partitions.start({ grudge: oneWay({ from: 2, to: 1 }) });
    expect(recordsOf(history)).toEqual([
      'partition:start',
      'partition:info',
      'partition:end',
      'partition:start',
      'partition:info',
    ]);
  });

  it('refuses a grudge naming a node that is not a target, before anything runs', async () => {
    const { runners, applied } = fakeRunners({ nodes: [1, 2] });
    const partitions = new PartitionNemesis({ targets: runners, addresses, log: new FaultLog(new History()) });
    await expect(partitions.start({ grudge: oneWay({ from: 1, to: 7 }) })).rejects.toThrow(GrudgeError);
    expect(applied.size).toBe(0);
  });

  it('names each node whose iptables-restore failed, with its output', async () => {
    const partitions = new PartitionNemesis({
      targets: fakeRunners({ nodes: [1, 2], failing: 2 }).runners,
      addresses,
      log: new FaultLog(new History()),
    });
    const failure = partitions.start({ grudge: halves({ nodes: [1, 2] }) });
    await expect(failure).rejects.toThrow(PartitionError);
    await expect(failure).rejects.toThrow(/node 2: exit 2: iptables-restore: line 9 failed/);
  });
});

describe('ClockNemesis', () => {
  it('records a fault per node from first skew to reset, jumps as info', () => {
    const history = new History();
    const written = new Map<number, number>();
    const targets = [1, 2].map((index) => ({ index, setClockOffset: (ms: number) => written.set(index, ms) }));
    const clock = new ClockNemesis({ targets, log: new FaultLog(history) });
    clock.set({ offsets: { 1: 5_000 } });
    clock.jump({ nodes: [1, 2], deltaMs: -2_000 });
    expect(Object.fromEntries(written)).toEqual({ 1: 3_000, 2: -2_000 });
    clock.resetClocks();
    expect(Object.fromEntries(written)).toEqual({ 1: 0, 2: 0 });
    expect(recordsOf(history)).toEqual(['clock:start', 'clock:info', 'clock:start', 'clock:end', 'clock:end']);
  });

  it('seeded random skew is reproducible and bounded', () => {
    const targets = [1, 2, 3].map((index) => ({ index, setClockOffset: () => undefined }));
    const first = new ClockNemesis({ targets, log: new FaultLog(new History()) }).randomSkew({
      nodes: [1, 2, 3],
      maxMs: 1_000,
      seed: 9,
    });
    const again = new ClockNemesis({ targets, log: new FaultLog(new History()) }).randomSkew({
      nodes: [1, 2, 3],
      maxMs: 1_000,
      seed: 9,
    });
    expect(again).toEqual(first);
    for (const offset of Object.values(first)) expect(Math.abs(offset)).toBeLessThanOrEqual(1_000);
  });

  it('names an unknown node and a non-finite offset', () => {
    const clock = new ClockNemesis({
      targets: [{ index: 1, setClockOffset: () => undefined }],
      log: new FaultLog(new History()),
    });
    expect(() => clock.set({ offsets: { 4: 1 } })).toThrow(/clock: node 4 is not a target/);
    expect(() => clock.jump({ nodes: [1], deltaMs: Number.NaN })).toThrow(/node 1: offset must be a finite/);
  });
});

describe('ProcessNemesis', () => {
  function fakeMachines(): { targets: ProcessTarget[]; calls: string[] } {
    const calls: string[] = [];
    const targets = [1, 2, 3].map((index) => {
      const call = (name: string) => async () => {
        calls.push(`${name}${index}`);
      };
      return {
        index,
        sigterm: call('sigterm'),
        startNode: call('start'),
        crash: call('crash'),
        powercut: call('powercut'),
        boot: call('boot'),
        pause: call('pause'),
        unpause: call('unpause'),
      };
    });
    return { targets, calls };
  }

  it('undoes each fault its own way and tells the rest of the nemesis', async () => {
    const history = new History();
    const { targets, calls } = fakeMachines();
    const events: string[] = [];
    const processes = new ProcessNemesis({
      targets,
      log: new FaultLog(history),
      onDown: (node) => events.push(`down${node}`),
      onUp: async (node) => {
        events.push(`up${node}`);
      },
    });
    await processes.pause({ nodes: [1] });
    await processes.crash({ nodes: [2] });
    await processes.powercut({ nodes: [3], boot: false });
    expect([1, 2, 3].map((node) => processes.state(node))).toEqual(['paused', 'stopped', 'off']);
    expect(processes.reachable(1)).toBe(false);
    await processes.stop();
    expect(calls.sort()).toEqual(['boot3', 'crash2', 'pause1', 'powercut3', 'start2', 'unpause1']);
    expect(events.sort()).toEqual(['down1', 'down2', 'down3', 'up1', 'up2', 'up3']);
    expect([1, 2, 3].map((node) => processes.state(node))).toEqual(['up', 'up', 'up']);
    expect(recordsOf(history).sort()).toEqual(
      ['crash:end', 'crash:start', 'pause:end', 'pause:start', 'powercut:end', 'powercut:start'].sort(),
    );
  });

  it('a site-wide power cut takes every machine down and boots them all', async () => {
    const { targets, calls } = fakeMachines();
    const processes = new ProcessNemesis({ targets, log: new FaultLog(new History()) });
    await processes.powercut({ nodes: 'all' });
    expect(calls.sort()).toEqual(['boot1', 'boot2', 'boot3', 'powercut1', 'powercut2', 'powercut3']);
    expect(processes.faulted()).toEqual([]);
  });

  it('refuses a second fault on a faulted node, an unknown node, and a node listed twice', async () => {
    const processes = new ProcessNemesis({ targets: fakeMachines().targets, log: new FaultLog(new History()) });
    await processes.pause({ nodes: [1] });
    await expect(processes.crash({ nodes: [1] })).rejects.toThrow(/crash: node 1 is already paused \(pause\)/);
    await expect(processes.crash({ nodes: [9] })).rejects.toThrow(/process: node 9 is not a target/);
    await expect(processes.crash({ nodes: [2, 2] })).rejects.toThrow(/list a node twice/);
  });
});
