import { createRng } from '../../protocol/random.js';
import type { ActiveFault, FaultLog } from './fault-log.js';

/** What clock faults need of a machine (Machine has it: a libfaketime offset file). */
export interface ClockTarget {
  readonly index: number;
  setClockOffset(offsetMs: number): void;
}

export class ClockFaultError extends Error {
  override readonly name = 'ClockFaultError';
}

/**
 * Wall-clock skew per node through libfaketime: the node container runs with
 * FAKETIME_TIMESTAMP_FILE (relative offset `+Ns`; only on networks created with `clockFaults: true`), FAKETIME_NO_CACHE=1 (the file is read on every
 * time call, so changes apply at once to running processes) and FAKETIME_DONT_FAKE_MONOTONIC=1
 * (timers and timeouts stay real). A node's clock fault starts when its offset leaves 0 and ends
 * when it returns to 0; jumps in between are `info` records.
 */
export class ClockNemesis {
  readonly #offsets = new Map<number, number>();
  readonly #faults = new Map<number, ActiveFault>();

  constructor(private readonly deps: { targets: readonly ClockTarget[]; log: FaultLog }) {}

  /** Current offsets of the skewed nodes, in ms. */
  offsets(): ReadonlyMap<number, number> {
    return new Map(this.#offsets);
  }

  /** Sets absolute offsets (ms, + ahead / − behind) for the given nodes. */
  set(args: { offsets: Readonly<Record<number, number>> }): void {
    const entries = Object.entries(args.offsets).map(([node, offsetMs]) => [Number(node), offsetMs] as const);
    for (const [node, offsetMs] of entries) this.#check(node, offsetMs);
    for (const [node, offsetMs] of entries) this.#apply(node, offsetMs, 'set');
  }

  /** Moves the given nodes' clocks by `deltaMs` from where they are now: a time jump. */
  jump(args: { nodes: readonly number[]; deltaMs: number }): void {
    for (const node of args.nodes) this.#check(node, args.deltaMs);
    for (const node of args.nodes) this.#apply(node, (this.#offsets.get(node) ?? 0) + args.deltaMs, 'jump');
  }

  /** Seeded offsets, uniform in ±maxMs (whole ms), for the given nodes. */
  randomSkew(args: { nodes: readonly number[]; maxMs: number; seed: number }): Record<number, number> {
    if (!Number.isSafeInteger(args.maxMs) || args.maxMs < 0) {
      throw new ClockFaultError(`clock randomSkew: maxMs must be a non-negative integer, got ${args.maxMs}`);
    }
    const rng = createRng(args.seed);
    const offsets = Object.fromEntries(args.nodes.map((node) => [node, rng.int(-args.maxMs, args.maxMs)]));
    this.set({ offsets });
    return offsets;
  }

  /** Every clock back to real time. */
  resetClocks(): void {
    for (const node of [...this.#offsets.keys()]) this.#apply(node, 0, 'reset');
  }

  stop(): void {
    this.resetClocks();
  }

  #apply(node: number, offsetMs: number, how: 'set' | 'jump' | 'reset'): void {
    this.#target(node).setClockOffset(offsetMs);
    const fault = this.#faults.get(node);
    if (offsetMs === 0) {
      this.#offsets.delete(node);
      this.#faults.delete(node);
      if (fault) this.deps.log.end(fault, { offsetMs: 0 });
      return;
    }
    this.#offsets.set(node, offsetMs);
    if (fault) this.deps.log.info('clock', { id: fault.id, node, offsetMs, how });
    else this.#faults.set(node, this.deps.log.start('clock', { node, offsetMs, how }));
  }

  #check(node: number, ms: number): void {
    this.#target(node);
    if (!Number.isFinite(ms)) throw new ClockFaultError(`clock: node ${node}: offset must be a finite number of ms`);
  }

  #target(node: number): ClockTarget {
    const target = this.deps.targets.find((candidate) => candidate.index === node);
    if (!target) throw new ClockFaultError(`clock: node ${node} is not a target`);
    return target;
  }
}
