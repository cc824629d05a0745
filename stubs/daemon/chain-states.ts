import { type BlockEvent, type DeltaRecorder, toNodeEntry } from '../../protocol/fluxd/index.js';
import type { Block } from './block.js';
import { findFork, pathAfter } from './chain.js';
import type { NodeState, StateUndo } from './lifecycle.js';

/**
 * The node state at any block, shared by every view. The state at a block does not depend on
 * the path that reached it, so views need not hold copies: a few cursors (a working state at
 * some block) walk the tree by connecting and disconnecting blocks, and each block's undo data
 * and list changes are kept after its first connect. Views replay those changes into their own
 * DeltaRecorder, so connecting a block costs one apply however many views follow it.
 */

interface BlockRecord {
  undo: StateUndo;
  connectChanges: readonly BlockEvent[];
  disconnectChanges?: readonly BlockEvent[];
}

interface Cursor {
  block: Block;
  state: NodeState;
}

/** Cursors beyond the first let partitioned groups keep their own branch without walking to and fro. */
const MAX_CURSORS = 4;

export class ChainStates {
  private readonly records = new Map<Block, BlockRecord>();
  private readonly cursors: Cursor[];

  constructor(options: { genesis: Block; state: NodeState }) {
    this.cursors = [{ block: options.genesis, state: options.state }];
  }

  /** The state at `block`. Valid until the next call: read it, do not keep it. */
  stateAt(block: Block): NodeState {
    const cursor = this.cursorFor(block);
    this.move(cursor, block);
    return cursor.state;
  }

  /** The list changes connecting `block` records (connecting it once if no one has yet). */
  connectChanges(block: Block): readonly BlockEvent[] {
    if (!this.records.has(block)) this.stateAt(block);
    return this.records.get(block)!.connectChanges;
  }

  /** The list changes disconnecting `block` records. */
  disconnectChanges(block: Block): readonly BlockEvent[] {
    const known = this.records.get(block)?.disconnectChanges;
    if (known) return known;
    const cursor = this.cursorFor(block);
    this.move(cursor, block);
    this.disconnectTip(cursor);
    return this.records.get(block)!.disconnectChanges!;
  }

  /** The cheapest cursor to bring to `block`; a far target gets a cursor of its own while there is room. */
  private cursorFor(block: Block): Cursor {
    const exact = this.cursors.find((cursor) => cursor.block === block);
    if (exact) return exact;
    let best = this.cursors[0]!;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const cursor of this.cursors) {
      const distance = distanceBetween(cursor.block, block, bestDistance);
      if (distance < bestDistance) {
        best = cursor;
        bestDistance = distance;
      }
    }
    if (bestDistance <= 1 || this.cursors.length >= MAX_CURSORS) return best;
    const copy: Cursor = { block: best.block, state: best.state.clone() };
    this.cursors.push(copy);
    return copy;
  }

  private move(cursor: Cursor, target: Block): void {
    if (cursor.block === target) return;
    const fork = findFork(cursor.block, target);
    while (cursor.block !== fork) this.disconnectTip(cursor);
    for (const block of pathAfter(fork, target)) this.connectNext(cursor, block);
  }

  private connectNext(cursor: Cursor, block: Block): void {
    const { undo, changes } = cursor.state.connect({ height: block.height, events: block.events });
    if (!this.records.has(block)) this.records.set(block, { undo, connectChanges: changes });
    cursor.block = block;
  }

  private disconnectTip(cursor: Cursor): void {
    const block = cursor.block;
    const record = this.records.get(block);
    if (!record || !block.parent) throw new Error(`chain states: cannot disconnect block ${block.hash}`);
    const changes = cursor.state.disconnect(record.undo);
    record.disconnectChanges ??= changes;
    cursor.block = block.parent;
  }
}

/** Feeds list changes to a recorder the way fluxd's cache flush records them. */
export function recordChanges(recorder: DeltaRecorder, changes: readonly BlockEvent[]): void {
  for (const { change, node } of changes) {
    if (change === 'added') recorder.recordAdded(toNodeEntry(node));
    else if (change === 'updated') recorder.recordUpdated(toNodeEntry(node));
    else recorder.recordRemoved(node.outpoint);
  }
}

/** Blocks to disconnect plus blocks to connect from `a` to `b`; Infinity once past `limit`. */
function distanceBetween(a: Block, b: Block, limit: number): number {
  let left: Block | null = a;
  let right: Block | null = b;
  let steps = 0;
  while (left && right && left !== right) {
    if (steps++ >= limit) return Number.POSITIVE_INFINITY;
    if (left.height >= right.height) left = left.parent;
    else right = right.parent;
  }
  return left === right ? steps : Number.POSITIVE_INFINITY;
}
