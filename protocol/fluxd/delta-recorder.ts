import { compareOutpoints } from './outpoint.js';
import { type ListedNode, NODE_STATUS, type NodeEntry, type OutPoint, outpointKey } from './types.js';

/** The three sections of one fluxnodelistdelta, each sorted by COutPoint (spec §4.4). */
export interface DeltaSections {
  added: NodeEntry[];
  removed: OutPoint[];
  updated: NodeEntry[];
}

export interface DeltaRecorderOptions {
  /**
   * What RecordUpdated does for an outpoint already in `added`. fluxd ignores it (quirk Q5), so a
   * multi-block window that confirms then pays a node carries the stale add data. 'replace' is a
   * fixed variant for tests that need multi-block windows to converge.
   */
  updateOfAdded?: 'ignore' | 'replace';
}

/** The delta entry of a confirmed-list node; the list holds confirmed nodes only, so status is always 3 (Q10). */
export function toNodeEntry(node: ListedNode): NodeEntry {
  return {
    outpoint: { txid: node.outpoint.txid, n: node.outpoint.n },
    collateralPubkey: node.collateralPubkey,
    pubkey: node.pubkey,
    confirmedHeight: node.confirmedHeight,
    lastPaidHeight: node.lastPaidHeight,
    tier: node.tier,
    status: NODE_STATUS.CONFIRMED,
    ip: node.ip,
  };
}

/** fluxd's FluxNodeDelta accumulator with the netting rules of spec §5.1. */
export class DeltaRecorder {
  private readonly added = new Map<string, NodeEntry>();
  private readonly removed = new Map<string, OutPoint>();
  private readonly updated = new Map<string, NodeEntry>();
  private readonly updateOfAdded: 'ignore' | 'replace';

  constructor(options: DeltaRecorderOptions = {}) {
    this.updateOfAdded = options.updateOfAdded ?? 'ignore';
  }

  /** A removed-then-re-added outpoint nets to an update. */
  recordAdded(entry: NodeEntry): void {
    const key = outpointKey(entry.outpoint);
    if (this.removed.delete(key)) {
      this.updated.set(key, copyEntry(entry));
    } else {
      this.added.set(key, copyEntry(entry));
    }
  }

  /** An added-then-removed outpoint nets to nothing; a removal always drops a pending update. */
  recordRemoved(op: OutPoint): void {
    const key = outpointKey(op);
    if (!this.added.delete(key)) this.removed.set(key, { txid: op.txid, n: op.n });
    this.updated.delete(key);
  }

  recordUpdated(entry: NodeEntry): void {
    const key = outpointKey(entry.outpoint);
    if (this.added.has(key)) {
      if (this.updateOfAdded === 'replace') this.added.set(key, copyEntry(entry));
      return;
    }
    this.updated.set(key, copyEntry(entry));
  }

  get isEmpty(): boolean {
    return this.added.size === 0 && this.removed.size === 0 && this.updated.size === 0;
  }

  /** The net sections in wire order, then an empty recorder (fluxd clears after serializing). */
  take(): DeltaSections {
    const sections: DeltaSections = {
      added: [...this.added.values()].sort(byOutpoint),
      removed: [...this.removed.values()].sort(compareOutpoints),
      updated: [...this.updated.values()].sort(byOutpoint),
    };
    this.clear();
    return sections;
  }

  clear(): void {
    this.added.clear();
    this.removed.clear();
    this.updated.clear();
  }
}

function byOutpoint(a: NodeEntry, b: NodeEntry): number {
  return compareOutpoints(a.outpoint, b.outpoint);
}

function copyEntry(entry: NodeEntry): NodeEntry {
  return { ...entry, outpoint: { txid: entry.outpoint.txid, n: entry.outpoint.n } };
}
