import { setTimeout as delay } from 'node:timers/promises';
import type { ActiveFault, FaultLog } from './fault-log.js';

/** What process faults need of a machine (Machine has all of it). */
export interface ProcessTarget {
  readonly index: number;
  sigterm(options: { timeoutS?: number }): Promise<void>;
  startNode(): Promise<void>;
  crash(): Promise<void>;
  powercut(options: { downtimeMs?: number; boot?: boolean }): Promise<void>;
  boot(): Promise<void>;
  pause(): Promise<void>;
  unpause(): Promise<void>;
}

/** up; paused (frozen); stopped (node process gone, database up); off (node and database killed). */
export type ProcessState = 'up' | 'paused' | 'stopped' | 'off';

export class ProcessFaultError extends Error {
  override readonly name = 'ProcessFaultError';
}

interface NodeFault {
  state: Exclude<ProcessState, 'up'>;
  fault: ActiveFault;
}

/**
 * Process faults as nemesis ops over Machine. A fault on a node lasts until `resume` (or `stop`)
 * brings it back: unpause, start the node again, or boot the powered-off machine. A node is in at
 * most one process fault at a time. `onDown`/`onUp` tell the rest of the nemesis (liveness,
 * partitions, which must be re-applied in a restarted container's fresh network namespace).
 */
export class ProcessNemesis {
  readonly #faults = new Map<number, NodeFault>();

  constructor(
    private readonly deps: {
      targets: readonly ProcessTarget[];
      log: FaultLog;
      onDown?: (node: number) => void;
      onUp?: (node: number) => Promise<void>;
    },
  ) {}

  state(node: number): ProcessState {
    this.#target(node);
    return this.#faults.get(node)?.state ?? 'up';
  }

  /** Whether the node's container can run a command now (not paused, not stopped). */
  reachable(node: number): boolean {
    return !this.#faults.has(node);
  }

  /** Nodes in a process fault. */
  faulted(): number[] {
    return [...this.#faults.keys()].sort((a, b) => a - b);
  }

  /** Graceful stop: SIGTERM, SIGKILL after `timeoutS`. The node stays down until resumed. */
  sigterm(args: { nodes: readonly number[]; timeoutS?: number }): Promise<void> {
    return this.#begin(
      { op: 'sigterm', nodes: args.nodes, state: 'stopped', detail: { timeoutS: args.timeoutS ?? 15 } },
      (target) => target.sigterm(args.timeoutS === undefined ? {} : { timeoutS: args.timeoutS }),
    );
  }

  /** kill -9 of the node process only; its database keeps running. */
  crash(args: { nodes: readonly number[] }): Promise<void> {
    return this.#begin({ op: 'crash', nodes: args.nodes, state: 'stopped', detail: {} }, (target) => target.crash());
  }

  /** Grey failure: the node container is frozen (cgroup freezer); sockets stay open, nothing answers. */
  pause(args: { nodes: readonly number[] }): Promise<void> {
    return this.#begin({ op: 'pause', nodes: args.nodes, state: 'paused', detail: {} }, (target) => target.pause());
  }

  /**
   * Power cut: node and database SIGKILLed together on every listed machine at once ('all' is a
   * site-wide cut). With `boot` (default) the machines stay dark for `downtimeMs`, the fault's own
   * duration, then boot with new boot ids; without, they stay off until resumed.
   */
  async powercut(args: { nodes: readonly number[] | 'all'; downtimeMs?: number; boot?: boolean }): Promise<void> {
    const siteWide = args.nodes === 'all';
    const nodes = args.nodes === 'all' ? this.deps.targets.map((target) => target.index) : args.nodes;
    await this.#begin(
      { op: 'powercut', nodes, state: 'off', detail: { siteWide, downtimeMs: args.downtimeMs ?? 0 } },
      (target) => target.powercut({ boot: false }),
    );
    if (args.boot === false) return;
    if (args.downtimeMs) await delay(args.downtimeMs);
    await this.resume({ nodes });
  }

  /** Graceful restart: SIGTERM, then start again. Over when it returns. */
  async restart(args: { nodes: readonly number[]; timeoutS?: number }): Promise<void> {
    await this.sigterm(args);
    await this.resume({ nodes: args.nodes });
  }

  /** Undoes the process fault of each listed node that has one. */
  async resume(args: { nodes: readonly number[] }): Promise<void> {
    for (const node of args.nodes) this.#target(node);
    const results = await Promise.allSettled(args.nodes.map((node) => this.#resumeOne(node)));
    const failures = results.flatMap((result, i) =>
      result.status === 'rejected' ? [`node ${args.nodes[i]}: ${(result.reason as Error)?.message}`] : [],
    );
    if (failures.length > 0) throw new ProcessFaultError(`resume failed:\n  ${failures.join('\n  ')}`);
  }

  /** Every faulted node back up. */
  stop(): Promise<void> {
    return this.resume({ nodes: this.faulted() });
  }

  async #resumeOne(node: number): Promise<void> {
    const current = this.#faults.get(node);
    if (!current) return;
    const target = this.#target(node);
    if (current.state === 'paused') await target.unpause();
    else if (current.state === 'stopped') await target.startNode();
    else await target.boot();
    this.#faults.delete(node);
    await this.deps.onUp?.(node);
    this.deps.log.end(current.fault);
  }

  async #begin(
    args: { op: string; nodes: readonly number[]; state: NodeFault['state']; detail: Record<string, unknown> },
    act: (target: ProcessTarget) => Promise<void>,
  ): Promise<void> {
    if (new Set(args.nodes).size !== args.nodes.length) {
      throw new ProcessFaultError(`${args.op}: nodes ${args.nodes.join(',')} list a node twice`);
    }
    for (const node of args.nodes) {
      this.#target(node);
      const current = this.#faults.get(node);
      if (current) {
        throw new ProcessFaultError(
          `${args.op}: node ${node} is already ${current.state} (${current.fault.op}); resume it first`,
        );
      }
    }
    const results = await Promise.allSettled(
      args.nodes.map(async (node) => {
        const fault = this.deps.log.start(args.op, { node, ...args.detail });
        this.#faults.set(node, { state: args.state, fault });
        this.deps.onDown?.(node);
        await act(this.#target(node));
      }),
    );
    const failures = results.flatMap((result, i) =>
      result.status === 'rejected' ? [`node ${args.nodes[i]}: ${(result.reason as Error)?.message}`] : [],
    );
    if (failures.length > 0) throw new ProcessFaultError(`${args.op} failed:\n  ${failures.join('\n  ')}`);
  }

  #target(node: number): ProcessTarget {
    const target = this.deps.targets.find((candidate) => candidate.index === node);
    if (!target) throw new ProcessFaultError(`process: node ${node} is not a target`);
    return target;
  }
}
