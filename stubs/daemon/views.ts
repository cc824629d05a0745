import type { DeltaRecorderOptions } from '../../protocol/fluxd/index.js';
import { createRng } from '../../protocol/random.js';
import type { Block } from './block.js';
import { ChainTree, isAncestorOrSelf } from './chain.js';
import { ChainStates } from './chain-states.js';
import { createGenesis } from './genesis.js';
import { Mempool, type PendingOp } from './mempool.js';
import { Miner } from './miner.js';
import type { ManifestNode, NodeRegistry } from './registry.js';
import { ChainView } from './view.js';

/**
 * The simulated network's daemons: one ChainView per node over one block tree. Groups model a
 * partition (each group mines its own branch); merge heals it, so every view moves to the
 * heaviest known tip and the losers reorg.
 */

export interface ViewSetOptions {
  views: number;
  seed: number;
  fluxnodes: number;
  manifest?: readonly ManifestNode[];
  /** Expected random lifecycle events per mined block. */
  churn: number;
  genesisTime: number;
  recorder?: DeltaRecorderOptions;
  /** Called for every block mined, on any branch. */
  onMined?: (block: Block) => void;
}

export interface MineTarget {
  /** Mine on these views' tips (each block reaches its miner's group). */
  views?: number[];
  /** Mine on one group only: 0-based index into the groups array. */
  group?: number;
}

/** Blocks a reorg must outlive before the mempool forgets it mined an entry. */
const SETTLED_DEPTH = 100;

export class ViewSetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ViewSetError';
  }
}

interface MiningGroup {
  miner: ChainView;
  members: ChainView[];
}

export class ViewSet {
  readonly tree: ChainTree;
  readonly registry: NodeRegistry;
  readonly mempool = new Mempool();
  readonly views: ChainView[];
  readonly appAddress: string;
  readonly genesisTime: number;
  readonly churn: number;
  private readonly miner: Miner;
  private groups: number[][] | null = null;
  private readonly states: ChainStates;
  private readonly onMined: (block: Block) => void;

  constructor(options: ViewSetOptions) {
    const genesis = createGenesis(options);
    this.tree = new ChainTree(genesis.block);
    this.states = new ChainStates({ genesis: genesis.block, state: genesis.state });
    this.registry = genesis.registry;
    this.appAddress = genesis.appAddress;
    this.genesisTime = options.genesisTime;
    this.churn = options.churn;
    this.onMined = options.onMined ?? (() => {});
    this.views = Array.from(
      { length: options.views },
      (_, i) =>
        new ChainView({
          index: i + 1,
          genesis: genesis.block,
          states: this.states,
          ...(genesis.initialNodes[i] === undefined ? {} : { ownNodeKey: genesis.initialNodes[i] }),
          ...(options.recorder ? { recorder: options.recorder } : {}),
        }),
    );
    this.miner = new Miner({
      registry: this.registry,
      mempool: this.mempool,
      isAncestor: (ancestor, tip) => this.isAncestor(ancestor, tip),
      rng: createRng(options.seed),
      genesisTime: options.genesisTime,
      minerScript: genesis.minerScript,
    });
  }

  get groupList(): readonly (readonly number[])[] | null {
    return this.groups;
  }

  view(index: number): ChainView {
    const view = Number.isInteger(index) ? this.views[index - 1] : undefined;
    if (!view) throw new ViewSetError(`view ${String(index)} does not exist (views are 1..${this.views.length})`);
    return view;
  }

  blockTime(height: number): number {
    return this.miner.blockTime(height);
  }

  queue(op: PendingOp): void {
    this.mempool.add(op);
  }

  /** Mines `blocks` rounds; each round mines one block per target group, in group order. */
  mine(options: { blocks: number } & MineTarget): Block[] {
    const targets = this.miningGroups(options);
    const mined: Block[] = [];
    for (let round = 0; round < options.blocks; round++) {
      for (const target of targets) {
        const block = this.mineOn(target.miner.bestCandidate(), `v${target.miner.index}`);
        this.announce(block, target.members);
        mined.push(block);
      }
    }
    this.pruneMempool();
    return mined;
  }

  /** Partition: each group only hears its own blocks; views left out form one more group. */
  setGroups(groups: number[][]): void {
    const seen = new Set<number>();
    groups.forEach((group, g) => {
      if (group.length === 0) throw new ViewSetError(`groups[${g}] is empty`);
      for (const index of group) {
        this.view(index);
        if (seen.has(index)) throw new ViewSetError(`groups[${g}]: view ${index} is already in another group`);
        seen.add(index);
      }
    });
    const rest = this.views.map((view) => view.index).filter((index) => !seen.has(index));
    this.groups = rest.length > 0 ? [...groups.map((group) => [...group]), rest] : groups.map((group) => [...group]);
  }

  /** Heal: every view hears every block and moves to the heaviest valid tip it knows. */
  merge(): void {
    this.groups = null;
    const leaves = this.tree.leaves();
    for (const view of this.views) for (const leaf of leaves) view.learn(leaf);
    for (const view of this.views) view.activateBestChain();
  }

  /**
   * A competing branch of depth+1 blocks from (tip − depth) of the first listed view (default
   * view 1). With `views`, only those views hear it; without, everything merges.
   */
  reorg(options: { depth: number; views?: number[] }): Block[] {
    const base = this.view(options.views?.[0] ?? 1);
    const { depth } = options;
    if (!Number.isInteger(depth) || depth < 1 || depth > base.height) {
      throw new ViewSetError(
        `reorg depth must be an integer 1..${base.height} (view ${base.index}'s height), got ${depth}`,
      );
    }
    let parent = base.blockAt(base.height - depth)!;
    const branch: Block[] = [];
    for (let i = 0; i <= depth; i++) {
      parent = this.mineOn(parent, `r${base.index}`);
      branch.push(parent);
    }
    if (options.views)
      this.announce(
        parent,
        options.views.map((index) => this.view(index)),
      );
    else this.merge();
    this.pruneMempool();
    return branch;
  }

  invalidate(viewIndex: number, block: Block): void {
    this.view(viewIndex).invalidate(block);
  }

  reconsider(viewIndex: number, block: Block): void {
    this.view(viewIndex).reconsider(block);
  }

  /** `ancestor` is on the chain ending at `tip`; O(1) when some view has `tip` active. */
  isAncestor(ancestor: Block, tip: Block): boolean {
    const view = this.views.find((candidate) => candidate.onActiveChain(tip));
    return view ? view.onActiveChain(ancestor) && ancestor.height <= tip.height : isAncestorOrSelf(ancestor, tip);
  }

  private mineOn(parent: Block, minerTag: string): Block {
    const { block, mined } = this.miner.build({
      parent,
      state: this.states.stateAt(parent),
      sequence: this.tree.takeSequence(),
      minerTag,
      churn: this.churn,
    });
    this.tree.add(block);
    this.mempool.markMined(mined, block);
    this.onMined(block);
    return block;
  }

  private announce(block: Block, members: readonly ChainView[]): void {
    for (const member of members) member.learn(block);
    for (const member of members) member.activateBestChain();
  }

  private miningGroups(target: MineTarget): MiningGroup[] {
    const groups = this.groups ?? [this.views.map((view) => view.index)];
    if (target.views) {
      return target.views.map((index) => {
        const miner = this.view(index);
        const group = groups.find((members) => members.includes(index))!;
        return { miner, members: group.map((member) => this.view(member)) };
      });
    }
    const chosen =
      target.group === undefined
        ? groups
        : [groups[target.group] ?? fail(`group ${target.group} does not exist (groups are 0..${groups.length - 1})`)];
    return chosen.map((group) => {
      const members = group.map((index) => this.view(index));
      return { miner: members.find((view) => !view.stalled) ?? members[0]!, members };
    });
  }

  private pruneMempool(): void {
    this.mempool.prune((block) =>
      this.views.every((view) => view.onActiveChain(block) && view.height - block.height >= SETTLED_DEPTH),
    );
  }
}

function fail(message: string): never {
  throw new ViewSetError(message);
}
