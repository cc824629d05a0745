import type { DaemonControl, ViewTip } from '../network/daemon-control.js';
import type { ActiveFault, FaultLog } from './fault-log.js';

/** What reorgs need of the stub's control API (DaemonControl has it). */
export type ReorgControl = Pick<DaemonControl, 'group' | 'mine' | 'merge' | 'reorg'>;

export class ReorgError extends Error {
  override readonly name = 'ReorgError';
}

/**
 * Chain splits in the daemon stub. `fork` ties view groups to the sides of a partition (view i is
 * node i's daemon) and mines a competing branch on each; `merge` heals: every view hears every
 * block and the heaviest valid branch wins, so the losing side sees a reorg. `reorg` is the short
 * form: one competing branch `depth` deep, won at once.
 */
export class ReorgNemesis {
  #fork: { sides: number[][]; fault: ActiveFault } | undefined;

  constructor(private readonly deps: { daemon: ReorgControl; log: FaultLog }) {}

  /** The sides of the fork in effect, if any. */
  get sides(): readonly (readonly number[])[] | undefined {
    return this.#fork?.sides;
  }

  /** Splits the views into `sides` and mines `blocks[i]` blocks on side i (the most blocks wins the merge). */
  async fork(args: { sides: readonly (readonly number[])[]; blocks: readonly number[] }): Promise<void> {
    if (this.#fork) throw new ReorgError('fork: a fork is already in effect; merge it first');
    if (args.sides.length < 2) throw new ReorgError(`fork: needs at least 2 sides, got ${args.sides.length}`);
    if (args.blocks.length !== args.sides.length) {
      throw new ReorgError(`fork: blocks has ${args.blocks.length} entries for ${args.sides.length} sides`);
    }
    const bad = args.blocks.find((count) => !Number.isInteger(count) || count < 0 || count > 10_000);
    if (bad !== undefined) throw new ReorgError(`fork: block counts must be integers 0..10000, got ${bad}`);
    const sides = args.sides.map((side) => [...side]);
    const fault = this.deps.log.start('fork', { sides, blocks: [...args.blocks] });
    this.#fork = { sides, fault };
    await this.deps.daemon.group({ groups: sides });
    for (const [group, blocks] of args.blocks.entries()) {
      if (blocks > 0) await this.deps.daemon.mine({ blocks, group });
    }
  }

  /** More blocks on one side of the fork in effect (0-based side index). */
  async mineSide(args: { side: number; blocks: number }): Promise<void> {
    if (!this.#fork) throw new ReorgError('mineSide: no fork in effect');
    if (!Number.isInteger(args.side) || args.side < 0 || args.side >= this.#fork.sides.length) {
      throw new ReorgError(`mineSide: side must be 0..${this.#fork.sides.length - 1}, got ${args.side}`);
    }
    this.deps.log.info('fork', { id: this.#fork.fault.id, side: args.side, blocks: args.blocks });
    await this.deps.daemon.mine({ blocks: args.blocks, group: args.side });
  }

  /** Heals the fork: the heaviest branch wins everywhere. */
  async merge(): Promise<ViewTip[]> {
    const fork = this.#fork;
    const { tips } = await this.deps.daemon.merge();
    this.#fork = undefined;
    if (fork) this.deps.log.end(fork.fault, { tips });
    return tips;
  }

  /** A competing branch `depth` blocks deep from the first listed view's tip (view 1 by default), won at once. */
  async reorg(args: {
    depth: number;
    views?: readonly number[];
  }): Promise<{ branch: { height: number; hash: string }[] }> {
    if (!Number.isInteger(args.depth) || args.depth < 1) {
      throw new ReorgError(`reorg: depth must be an integer >= 1, got ${args.depth}`);
    }
    const detail = { depth: args.depth, ...(args.views ? { views: [...args.views] } : {}) };
    return this.deps.log.instant('reorg', detail, () =>
      this.deps.daemon.reorg({ depth: args.depth, ...(args.views ? { views: [...args.views] } : {}) }),
    );
  }

  async stop(): Promise<void> {
    if (this.#fork) await this.merge();
  }
}
