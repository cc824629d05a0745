import { DeltaRecorder, type DeltaRecorderOptions } from '../../protocol/fluxd/index.js';
import type { Block } from './block.js';
import { isAncestorOrSelf, pathAfter } from './chain.js';
import { type ChainStates, recordChanges } from './chain-states.js';
import type { NodeState } from './lifecycle.js';

/**
 * One node's daemon: its own active chain over the shared block tree, its own node state and
 * delta records, its own invalid marks. Tip moves follow fluxd's ActivateBestChainStep and are
 * reported as events (`reorg` before the step's `tip`), which the ZMQ publisher turns into frames.
 */

export type ViewEvent = { type: 'reorg'; oldTip: Block; newTip: Block; fork: Block } | { type: 'tip'; tip: Block };

export type ViewListener = (event: ViewEvent) => void;

export type ChainTipStatus = 'active' | 'valid-fork' | 'valid-headers' | 'invalid';

export interface ChainTip {
  height: number;
  hash: string;
  branchlen: number;
  status: ChainTipStatus;
}

export interface ChainViewOptions {
  /** 1-based view number. */
  index: number;
  /** Outpoint key of the fluxnode this view's daemon runs as (`-zelnodeoutpoint`), if any. */
  ownNodeKey?: string;
  genesis: Block;
  /** Node states of the shared tree. */
  states: ChainStates;
  recorder?: DeltaRecorderOptions;
}

export class ChainView {
  readonly index: number;
  readonly ownNodeKey: string | undefined;
  readonly recorder: DeltaRecorder;
  private readonly states: ChainStates;
  /** Active chain by height. */
  private readonly chain: Block[];
  private readonly known = new Set<Block>();
  private readonly knownLeaves = new Set<Block>();
  private readonly invalid = new Set<Block>();
  private readonly listeners: ViewListener[] = [];
  private stalledFlag = false;

  constructor(options: ChainViewOptions) {
    this.index = options.index;
    this.ownNodeKey = options.ownNodeKey;
    this.states = options.states;
    this.recorder = new DeltaRecorder(options.recorder);
    this.chain = [options.genesis];
    this.known.add(options.genesis);
    this.knownLeaves.add(options.genesis);
  }

  /** The node state at the tip: read it, do not keep it (see ChainStates.stateAt). */
  get state(): NodeState {
    return this.states.stateAt(this.tip);
  }

  get tip(): Block {
    return this.chain[this.chain.length - 1]!;
  }

  get height(): number {
    return this.chain.length - 1;
  }

  get stalled(): boolean {
    return this.stalledFlag;
  }

  blockAt(height: number): Block | undefined {
    return this.chain[height];
  }

  onActiveChain(block: Block): boolean {
    return this.chain[block.height] === block;
  }

  knows(block: Block): boolean {
    return this.known.has(block);
  }

  onEvent(listener: ViewListener): void {
    this.listeners.push(listener);
  }

  /** The view hears of `block` (and every ancestor it did not know). */
  learn(block: Block): void {
    const unknown: Block[] = [];
    for (let cursor: Block | null = block; cursor && !this.known.has(cursor); cursor = cursor.parent) {
      unknown.push(cursor);
    }
    for (const added of unknown.reverse()) {
      this.known.add(added);
      if (added.parent) this.knownLeaves.delete(added.parent);
      this.knownLeaves.add(added);
    }
  }

  /** A stalled view keeps learning blocks but its tip does not move (stale-tip fault). */
  setStalled(stalled: boolean): void {
    this.stalledFlag = stalled;
    if (!stalled) this.activateBestChain();
  }

  isInvalid(block: Block): boolean {
    return this.lowestInvalidOnPath(block) !== undefined;
  }

  /** The most-work valid known block; ties keep the current tip, then the first created. */
  bestCandidate(): Block {
    let best = this.tip;
    for (const leaf of this.knownLeaves) {
      const candidate = this.highestValidAncestor(leaf);
      const more = candidate.chainwork > best.chainwork;
      const tieWin = candidate.chainwork === best.chainwork && best !== this.tip && candidate.sequence < best.sequence;
      if (more || tieWin) best = candidate;
    }
    return best;
  }

  /** Moves the tip to the best candidate in ActivateBestChainStep steps. */
  activateBestChain(): void {
    if (this.stalledFlag) return;
    for (let best = this.bestCandidate(); best !== this.tip; best = this.bestCandidate()) this.step(best);
  }

  /** `invalidateblock`: disconnect down to the block's parent, announce the reorg, then activate. */
  invalidate(block: Block): void {
    if (!block.parent) throw new ViewError('cannot invalidate the genesis block');
    this.invalid.add(block);
    if (this.onActiveChain(block)) {
      const oldTip = this.tip;
      while (this.tip !== block.parent) this.disconnectTip();
      this.emit({ type: 'reorg', oldTip, newTip: this.tip, fork: block.parent });
    }
    this.activateBestChain();
  }

  /** `reconsiderblock`: clear the marks on the block, its ancestors and descendants, then activate. */
  reconsider(block: Block): void {
    for (const marked of [...this.invalid]) {
      if (isAncestorOrSelf(marked, block) || isAncestorOrSelf(block, marked)) this.invalid.delete(marked);
    }
    this.activateBestChain();
  }

  /** `getchaintips`: every known leaf plus the active tip, highest first. */
  chainTips(): ChainTip[] {
    const tips = new Set(this.knownLeaves);
    tips.add(this.tip);
    return [...tips]
      .map((block) => {
        const fork = this.forkWithActiveChain(block);
        return {
          height: block.height,
          hash: block.hash,
          branchlen: block.height - fork.height,
          status: this.tipStatus(block, fork),
        };
      })
      .sort((a, b) => b.height - a.height);
  }

  private tipStatus(block: Block, fork: Block): ChainTipStatus {
    if (block === this.tip) return 'active';
    if (this.isInvalid(block)) return 'invalid';
    // Known blocks above the tip that were never connected (a stalled view).
    return fork === this.tip ? 'valid-headers' : 'valid-fork';
  }

  private step(best: Block): void {
    const fork = this.forkWithActiveChain(best);
    const path = pathAfter(fork, best);
    if (fork === this.tip) {
      this.connect(path[0]!);
      this.emit({ type: 'tip', tip: this.tip });
      return;
    }
    const oldTip = this.tip;
    while (this.tip !== fork) this.disconnectTip();
    for (const block of path) {
      this.connect(block);
      if (this.tip.chainwork > oldTip.chainwork) break;
    }
    this.emit({ type: 'reorg', oldTip, newTip: this.tip, fork });
    this.emit({ type: 'tip', tip: this.tip });
  }

  private connect(block: Block): void {
    recordChanges(this.recorder, this.states.connectChanges(block));
    this.chain.push(block);
  }

  private disconnectTip(): void {
    if (this.height === 0) throw new ViewError(`view ${this.index}: cannot disconnect the genesis block`);
    recordChanges(this.recorder, this.states.disconnectChanges(this.tip));
    this.chain.pop();
  }

  private forkWithActiveChain(block: Block): Block {
    let cursor: Block | null = block;
    while (cursor && !this.onActiveChain(cursor)) cursor = cursor.parent;
    if (!cursor) throw new ViewError(`view ${this.index}: block ${block.hash} does not join the active chain`);
    return cursor;
  }

  private highestValidAncestor(leaf: Block): Block {
    const lowest = this.lowestInvalidOnPath(leaf);
    return lowest?.parent ?? leaf;
  }

  /** The lowest invalidated block at or below `block` on its path to genesis, if any. */
  private lowestInvalidOnPath(block: Block): Block | undefined {
    if (this.invalid.size === 0) return undefined;
    let floor = Number.POSITIVE_INFINITY;
    for (const marked of this.invalid) floor = Math.min(floor, marked.height);
    let lowest: Block | undefined;
    for (let cursor: Block | null = block; cursor && cursor.height >= floor; cursor = cursor.parent) {
      if (this.invalid.has(cursor)) lowest = cursor;
    }
    return lowest;
  }

  private emit(event: ViewEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

export class ViewError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ViewError';
  }
}
