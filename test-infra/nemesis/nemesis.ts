import type { FluxNetwork } from '../network/create-network.js';
import { ClockNemesis } from './clock.js';
import { type DaemonFaultKind, DaemonFaults } from './daemon-faults.js';
import { type EvictionKind, EvictNemesis } from './evict.js';
import { FaultLog } from './fault-log.js';
import { type Grudge, sides } from './grudge.js';
import { IptablesAgent } from './iptables-agent.js';
import { type ApplyReport, oneShotRunner, PartitionNemesis, type RulesetRunner } from './partition.js';
import { ProcessNemesis } from './process-faults.js';
import { ReorgNemesis } from './reorg.js';

/** What the nemesis needs of a run (a FluxNetwork has it). */
export type NemesisNetwork = Pick<FluxNetwork, 'history' | 'daemon' | 'machines' | 'plan' | 'setLive'>;

export interface NemesisOptions {
  network: NemesisNetwork;
  /**
   * How rulesets reach a node: 'agent' (default) keeps one `docker exec` session per node open and
   * feeds it; 'exec' runs a fresh `docker exec iptables-restore` per apply (simpler, ~5× slower).
   */
  iptables?: 'agent' | 'exec';
}

/** Options of a partition: the daemon as an endpoint, and daemon views forked along the sides. */
export interface PartitionOptions {
  includeDaemon?: boolean;
  /** Split the daemon's views along the partition's sides and mine `blocks[i]` on side i; heal merges. */
  fork?: { blocks: readonly number[] };
}

/** A nemesis operation as data (Jepsen's `:f`), for schedules and replays. */
export type NemesisOp =
  | ({ f: 'partition'; grudge: Grudge } & PartitionOptions)
  | { f: 'heal' }
  | { f: 'clock-set'; offsets: Readonly<Record<number, number>> }
  | { f: 'clock-jump'; nodes: readonly number[]; deltaMs: number }
  | { f: 'clock-reset' }
  | { f: 'sigterm'; nodes: readonly number[]; timeoutS?: number }
  | { f: 'restart'; nodes: readonly number[]; timeoutS?: number }
  | { f: 'crash'; nodes: readonly number[] }
  | { f: 'pause'; nodes: readonly number[] }
  | { f: 'powercut'; nodes: readonly number[] | 'all'; downtimeMs?: number; boot?: boolean }
  | { f: 'resume'; nodes: readonly number[] }
  | { f: 'daemon-fault'; kind: DaemonFaultKind; views: readonly number[]; mode?: 'reset' | 'http503' }
  | { f: 'daemon-restore'; views?: readonly number[]; kind?: DaemonFaultKind }
  | { f: 'reorg'; depth: number; views?: readonly number[] }
  | { f: 'evict'; kind: EvictionKind; nodes: readonly number[]; mine?: boolean }
  | { f: 'evict-restore'; nodes?: readonly number[] }
  | { f: 'heal-all' };

export class NemesisError extends Error {
  override readonly name = 'NemesisError';
}

/**
 * The composed nemesis of a run: partitions, clocks, processes, daemon faults, reorgs and
 * evictions, each a part with its own ops and a `stop()` that undoes everything it started. Every
 * fault is recorded in the run history (kind 'nemesis', start/end paired by id). `start(op)` runs
 * an op given as data; `healAll()` (alias `stop()`) undoes every active fault.
 */
export class Nemesis {
  readonly log: FaultLog;
  readonly partitions: PartitionNemesis;
  readonly clock: ClockNemesis;
  readonly process: ProcessNemesis;
  readonly daemon: DaemonFaults;
  readonly reorg: ReorgNemesis;
  readonly evict: EvictNemesis;
  readonly #runners: readonly RulesetRunner[];
  readonly #nodes: readonly number[];
  #forkTiedToPartition = false;

  constructor(private readonly options: NemesisOptions) {
    const { network } = options;
    this.log = new FaultLog(network.history);
    this.#nodes = network.machines.map((machine) => machine.index);
    this.#runners = network.machines.map((machine) =>
      options.iptables === 'exec' ? oneShotRunner(machine) : new IptablesAgent(machine),
    );
    this.process = new ProcessNemesis({
      targets: network.machines,
      log: this.log,
      onDown: (node) => network.setLive(node, false),
      onUp: async (node) => {
        network.setLive(node, true);
        await this.partitions.reapply(node);
      },
    });
    this.partitions = new PartitionNemesis({
      targets: this.#runners,
      addresses: { node: (index) => this.#machine(index).ip, daemon: network.plan.daemon },
      log: this.log,
      // A deferred machine has no container until it joins (see joined()).
      reachable: (node) => this.#machine(node).created && this.process.reachable(node),
    });
    this.clock = new ClockNemesis({ targets: network.machines, log: this.log });
    this.daemon = new DaemonFaults({ daemon: network.daemon, log: this.log });
    this.reorg = new ReorgNemesis({ daemon: network.daemon, log: this.log });
    this.evict = new EvictNemesis({ daemon: network.daemon, log: this.log });
  }

  /**
   * Starts the iptables agents of the started machines now, so the first partition applies as fast
   * as later ones (a deferred machine's agent starts on its first apply).
   */
  async setup(): Promise<void> {
    await Promise.all(
      this.#runners.map((runner) =>
        runner instanceof IptablesAgent && this.#machine(runner.index).created ? runner.warm() : Promise.resolve(),
      ),
    );
  }

  /** A deferred machine was started: it gets the partition in effect, if any, like every other node. */
  async joined(node: number): Promise<void> {
    await this.partitions.reapply(node);
  }

  /** Applies `grudge` (replacing any partition in effect); with `fork`, the daemon's views split along its sides. */
  async partition(grudge: Grudge, options: PartitionOptions = {}): Promise<ApplyReport> {
    const forkSides = options.fork ? sides({ grudge, nodes: this.#nodes }) : undefined;
    if (forkSides && forkSides.length < 2) {
      throw new NemesisError('partition with fork: the grudge leaves every node on one side; nothing to fork');
    }
    if (forkSides && this.reorg.sides) throw new NemesisError('partition with fork: a fork is already in effect');
    const report = await this.partitions.start({
      grudge,
      ...(options.includeDaemon === undefined ? {} : { includeDaemon: options.includeDaemon }),
    });
    if (forkSides && options.fork) {
      await this.reorg.fork({ sides: forkSides, blocks: options.fork.blocks });
      this.#forkTiedToPartition = true;
    }
    return report;
  }

  /** Heals the network partition, then merges the daemon views forked with it. */
  async heal(): Promise<ApplyReport> {
    const report = await this.partitions.stop();
    if (this.#forkTiedToPartition) {
      this.#forkTiedToPartition = false;
      await this.reorg.merge();
    }
    return report;
  }

  /** Runs one op given as data. */
  async start(op: NemesisOp): Promise<unknown> {
    switch (op.f) {
      case 'partition': {
        const { f: _f, grudge, ...options } = op;
        return this.partition(grudge, options);
      }
      case 'heal':
        return this.heal();
      case 'clock-set':
        return this.clock.set({ offsets: op.offsets });
      case 'clock-jump':
        return this.clock.jump({ nodes: op.nodes, deltaMs: op.deltaMs });
      case 'clock-reset':
        return this.clock.resetClocks();
      case 'sigterm':
        return this.process.sigterm(op);
      case 'restart':
        return this.process.restart(op);
      case 'crash':
        return this.process.crash(op);
      case 'pause':
        return this.process.pause(op);
      case 'powercut':
        return this.process.powercut(op);
      case 'resume':
        return this.process.resume(op);
      case 'daemon-fault':
        return this.#daemonFault(op);
      case 'daemon-restore':
        return this.daemon.restore(op);
      case 'reorg':
        return this.reorg.reorg(op);
      case 'evict':
        return this.#evict(op);
      case 'evict-restore':
        return this.evict.restore(op);
      case 'heal-all':
        return this.healAll();
    }
  }

  /**
   * Undoes every active fault, each part even if another fails: partitions healed, processes
   * resumed (unpaused, started, booted), clocks reset, daemon faults restored, forks merged,
   * evicted nodes restored. Recorded as one 'heal-all' fault around the parts' own end records.
   */
  async healAll(): Promise<void> {
    const steps: [string, () => Promise<unknown>][] = [
      ['partitions', () => this.heal()],
      ['processes', () => this.process.stop()],
      ['clocks', async () => this.clock.stop()],
      ['daemon faults', () => this.daemon.stop()],
      ['forks', () => this.reorg.stop()],
      ['evictions', () => this.evict.stop()],
    ];
    const fault = this.log.start('heal-all');
    const errors: string[] = [];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (error) {
        errors.push(`${name}: ${(error as Error).message}`);
      }
    }
    this.log.end(fault, errors.length > 0 ? { errors } : {});
    if (errors.length > 0) throw new NemesisError(`healAll left faults in place:\n  ${errors.join('\n  ')}`);
  }

  stop(): Promise<void> {
    return this.healAll();
  }

  /** Ends the iptables agents' sessions (the containers keep their rules). */
  close(): void {
    for (const runner of this.#runners) if (runner instanceof IptablesAgent) runner.close();
  }

  #daemonFault(op: Extract<NemesisOp, { f: 'daemon-fault' }>): Promise<void> {
    if (op.kind === 'rpc') return this.daemon.rpcFailing({ views: op.views, ...(op.mode ? { mode: op.mode } : {}) });
    if (op.kind === 'zmq') return this.daemon.zmqSilent({ views: op.views });
    if (op.kind === 'stall') return this.daemon.tipStalled({ views: op.views });
    return this.daemon.initialBlockDownload({ views: op.views });
  }

  #evict(op: Extract<NemesisOp, { f: 'evict' }>): Promise<void> {
    if (op.kind === 'lapse') return this.evict.lapse({ nodes: op.nodes });
    const args = { nodes: op.nodes, ...(op.mine === undefined ? {} : { mine: op.mine }) };
    return op.kind === 'expire' ? this.evict.expire(args) : this.evict.remove(args);
  }

  #machine(index: number): NemesisNetwork['machines'][number] {
    const machine = this.options.network.machines.find((candidate) => candidate.index === index);
    if (!machine) throw new NemesisError(`node ${index} is not a machine of this run`);
    return machine;
  }
}
