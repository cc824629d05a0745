import { outpointKey } from '../../protocol/fluxd/index.js';
import type { Block } from './block.js';
import type { NodeIdentity } from './lifecycle.js';

/**
 * Pending app messages and node-lifecycle operations. Like a real mempool, an entry is mined in
 * the next block of every branch whose ancestry lacks it (so a reorg re-mines it on the new
 * branch) and waits while it is not valid on a branch. A newer node operation replaces an
 * older unmined-or-mined one for the same node: the operator's latest intent wins.
 */

export type PendingOp =
  | { kind: 'app-message'; hash: string; valueSat: bigint; address: string }
  | { kind: 'start'; identity: NodeIdentity }
  | { kind: 'confirm'; key: string }
  | { kind: 'update-confirm'; key: string; ip?: string }
  | { kind: 'spend'; key: string }
  | { kind: 'expire'; key: string }
  | { kind: 'restore'; key: string }
  | { kind: 'dos'; key: string }
  /** Collateral moved to another tier's amount: removed now, STARTed again with the new identity. */
  | { kind: 'retier'; key: string; identity: NodeIdentity }
  /** Move the node to a status by whatever fluxd step gets it there on this branch. */
  | { kind: 'set-status'; key: string; status: SettableStatus };

export type SettableStatus = 'CONFIRMED' | 'STARTED' | 'DOS' | 'EXPIRED';

export interface MempoolEntry {
  id: number;
  op: PendingOp;
  /** Blocks (on any branch) that mined this entry. */
  minedIn: Block[];
}

export type AncestryTest = (ancestor: Block, tip: Block) => boolean;

export class Mempool {
  private entries: MempoolEntry[] = [];
  private nextId = 0;

  get size(): number {
    return this.entries.length;
  }

  add(op: PendingOp): MempoolEntry {
    const key = nodeKeyOf(op);
    if (key !== undefined) this.entries = this.entries.filter((entry) => nodeKeyOf(entry.op) !== key);
    const entry: MempoolEntry = { id: this.nextId++, op, minedIn: [] };
    this.entries.push(entry);
    return entry;
  }

  /** Entries not yet mined in the chain ending at `parent`, in queue order. */
  pendingOn(parent: Block, isAncestor: AncestryTest): MempoolEntry[] {
    return this.entries.filter((entry) => !entry.minedIn.some((block) => isAncestor(block, parent)));
  }

  markMined(entries: readonly MempoolEntry[], block: Block): void {
    for (const entry of entries) entry.minedIn.push(block);
  }

  /** Drops entries mined in a block no reorg will undo any more (`settled`). */
  prune(settled: (block: Block) => boolean): void {
    this.entries = this.entries.filter((entry) => !entry.minedIn.some(settled));
  }
}

export function nodeKeyOf(op: PendingOp): string | undefined {
  if (op.kind === 'app-message') return undefined;
  if (op.kind === 'start') return outpointKey(op.identity.outpoint);
  return op.key;
}
