import type { HashHex } from '../../protocol/fluxd/index.js';
import type { Block } from './block.js';

/**
 * The block tree every view shares: blocks by hash, their children, and tree walks. Which block
 * is active is a per-view matter (view.ts); the tree only stores what was ever mined.
 */
export class ChainTree {
  readonly genesis: Block;
  private readonly blocks = new Map<HashHex, Block>();
  private readonly children = new Map<HashHex, Block[]>();
  /** txid → every block (on any branch) that holds it. */
  private readonly txIndex = new Map<HashHex, Block[]>();
  private sequence = 0;

  constructor(genesis: Block) {
    this.genesis = genesis;
    this.blocks.set(genesis.hash, genesis);
    this.indexTxs(genesis);
    this.sequence = genesis.sequence + 1;
  }

  get size(): number {
    return this.blocks.size;
  }

  /** The next creation sequence number ("first seen" order). */
  takeSequence(): number {
    return this.sequence++;
  }

  add(block: Block): void {
    if (!block.parent || this.blocks.get(block.parentHash) !== block.parent) {
      throw new Error(`chain: parent ${block.parentHash} of block ${block.hash} is not in the tree`);
    }
    if (this.blocks.has(block.hash)) throw new Error(`chain: block ${block.hash} is already in the tree`);
    this.blocks.set(block.hash, block);
    const siblings = this.children.get(block.parentHash);
    if (siblings) siblings.push(block);
    else this.children.set(block.parentHash, [block]);
    this.indexTxs(block);
  }

  blocksWithTx(txid: HashHex): readonly Block[] {
    return this.txIndex.get(txid) ?? [];
  }

  get(hash: HashHex): Block | undefined {
    return this.blocks.get(hash);
  }

  private indexTxs(block: Block): void {
    for (const tx of block.txs) {
      const holders = this.txIndex.get(tx.txid);
      if (holders) holders.push(block);
      else this.txIndex.set(tx.txid, [block]);
    }
  }

  /** Blocks without children, in creation order. */
  leaves(): Block[] {
    return [...this.blocks.values()].filter((block) => !this.children.has(block.hash));
  }
}

/** The ancestor (or the block itself) at `height`, walking parent links. */
export function ancestorAt(block: Block, height: number): Block | undefined {
  if (height < 0 || height > block.height) return undefined;
  let cursor: Block | null = block;
  while (cursor && cursor.height > height) cursor = cursor.parent;
  return cursor ?? undefined;
}

export function isAncestorOrSelf(ancestor: Block, block: Block): boolean {
  return ancestorAt(block, ancestor.height) === ancestor;
}

/** The last common block of two branches. */
export function findFork(a: Block, b: Block): Block {
  let left: Block | null = a;
  let right: Block | null = b;
  while (left && right && left !== right) {
    if (left.height > right.height) left = left.parent;
    else if (right.height > left.height) right = right.parent;
    else {
      left = left.parent;
      right = right.parent;
    }
  }
  if (!left || left !== right) throw new Error(`chain: blocks ${a.hash} and ${b.hash} share no ancestor`);
  return left;
}

/** Blocks after `fork` up to and including `tip`, ascending. `fork` must be an ancestor of `tip`. */
export function pathAfter(fork: Block, tip: Block): Block[] {
  const path: Block[] = [];
  for (let cursor: Block | null = tip; cursor && cursor !== fork; cursor = cursor.parent) path.push(cursor);
  return path.reverse();
}
