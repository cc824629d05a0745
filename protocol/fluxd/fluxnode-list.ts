import { describeValue, isHashHex } from './hex.js';
import { compareOutpoints } from './outpoint.js';
import {
  type ListedNode,
  type OutPoint,
  outpointKey,
  TIER_NAMES,
  type TierName,
  type TierValue,
  tierName,
} from './types.js';

/** A mutation of the list that cannot be applied (unknown key, duplicate, malformed node). */
export class FluxnodeListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FluxnodeListError';
  }
}

/** The fields the payment-queue order reads. */
export type QueueKeyed = Pick<ListedNode, 'outpoint' | 'confirmedHeight' | 'lastPaidHeight'>;

/**
 * Payment-queue order within a tier (spec §7.3): ascending (H, paid, outpoint) where
 * H = last paid if ever paid else confirmed; at equal H unpaid nodes come first.
 */
export function compareQueue(a: QueueKeyed, b: QueueKeyed): number {
  return (
    queueHeight(a) - queueHeight(b) ||
    Number(a.lastPaidHeight > 0) - Number(b.lastPaidHeight > 0) ||
    compareOutpoints(a.outpoint, b.outpoint)
  );
}

function queueHeight(node: QueueKeyed): number {
  return node.lastPaidHeight > 0 ? node.lastPaidHeight : node.confirmedHeight;
}

export interface NodeChange {
  before: ListedNode;
  after: ListedNode;
}

/**
 * fluxd's confirmed (deterministic) node list: nodes by outpoint key plus, per tier, the queue
 * in payment order. Stored nodes are frozen and replaced on change, so clones share them safely
 * and a returned node never changes under the caller.
 */
export class FluxnodeList {
  private readonly nodes: Map<string, ListedNode>;
  private readonly queues: Record<TierValue, ListedNode[]>;

  constructor() {
    this.nodes = new Map();
    this.queues = { 1: [], 2: [], 3: [] };
  }

  get size(): number {
    return this.nodes.size;
  }

  get(key: string): ListedNode | undefined {
    return this.nodes.get(key);
  }

  has(key: string): boolean {
    return this.nodes.has(key);
  }

  /** The tier's nodes in payment order; element 0 is paid next. */
  tierQueue(tier: TierValue): ListedNode[] {
    return [...this.queues[tier]];
  }

  /** Every node, tiers CUMULUS, NIMBUS, STRATUS, each in payment order. */
  all(): ListedNode[] {
    return [...this.queues[1], ...this.queues[2], ...this.queues[3]];
  }

  clone(): FluxnodeList {
    const copy = new FluxnodeList();
    for (const [key, node] of this.nodes) copy.nodes.set(key, node);
    for (const tier of [1, 2, 3] as const) copy.queues[tier].push(...this.queues[tier]);
    return copy;
  }

  /** The front of each non-empty tier: the payees of the next block. */
  payees(): Partial<Record<TierName, ListedNode>> {
    const fronts: Partial<Record<TierName, ListedNode>> = {};
    TIER_NAMES.forEach((name, index) => {
      const front = this.queues[(index + 1) as TierValue][0];
      if (front) fronts[name] = front;
    });
    return fronts;
  }

  /**
   * INITIAL_CONFIRM: the node joins the list with confirmed = last confirmed = height (default:
   * the node's confirmedHeight) and last paid 0.
   */
  confirm(node: ListedNode, options: { height?: number } = {}): ListedNode {
    const height = options.height ?? node.confirmedHeight;
    assertHeight(height, 'confirm');
    return this.insert({ ...node, confirmedHeight: height, lastConfirmedHeight: height, lastPaidHeight: 0 }, 'confirm');
  }

  /** UPDATE_CONFIRM: last confirmed = height and, if given, a new ip. Queue position is unaffected. */
  updateConfirm(key: string, change: { height: number; ip?: string }): NodeChange {
    assertHeight(change.height, 'updateConfirm');
    const before = this.require(key, 'updateConfirm');
    const after = freezeNode({ ...before, lastConfirmedHeight: change.height, ip: change.ip ?? before.ip });
    this.replace(before, after);
    return { before, after };
  }

  /** Block payment: last paid = height, which sends the node to the back of its tier. */
  pay(key: string, height: number): NodeChange {
    assertHeight(height, 'pay');
    const before = this.require(key, 'pay');
    const after = freezeNode({ ...before, lastPaidHeight: height });
    this.replace(before, after);
    return { before, after };
  }

  /** Expiry, spent collateral or DoS: the node leaves the list. Returns it for a later restore. */
  remove(key: string): ListedNode {
    const node = this.require(key, 'remove');
    this.nodes.delete(key);
    this.dequeue(node);
    return node;
  }

  /** Undo of remove: the node returns exactly as it was. */
  restore(node: ListedNode): ListedNode {
    return this.insert(node, 'restore');
  }

  /** Undo of updateConfirm or pay: the node's earlier version replaces the current one. */
  revert(previous: ListedNode): NodeChange {
    const before = this.require(outpointKey(previous.outpoint), 'revert');
    assertListedNode(previous, 'revert');
    const after = freezeNode(previous);
    if (after.tier !== before.tier) {
      throw new FluxnodeListError(
        `revert: ${outpointKey(previous.outpoint)} is tier ${before.tier}, the earlier version says ${after.tier}`,
      );
    }
    this.replace(before, after);
    return { before, after };
  }

  private insert(node: ListedNode, operation: string): ListedNode {
    assertListedNode(node, operation);
    const stored = freezeNode(node);
    const key = outpointKey(stored.outpoint);
    if (this.nodes.has(key)) throw new FluxnodeListError(`${operation}: ${key} is already in the list`);
    this.nodes.set(key, stored);
    this.enqueue(stored);
    return stored;
  }

  private require(key: string, operation: string): ListedNode {
    const node = this.nodes.get(key);
    if (!node) throw new FluxnodeListError(`${operation}: ${describeValue(key)} is not in the list`);
    return node;
  }

  private replace(before: ListedNode, after: ListedNode): void {
    this.dequeue(before);
    this.nodes.set(outpointKey(after.outpoint), after);
    this.enqueue(after);
  }

  private enqueue(node: ListedNode): void {
    const queue = this.queues[node.tier];
    queue.splice(lowerBound(queue, node), 0, node);
  }

  private dequeue(node: ListedNode): void {
    const queue = this.queues[node.tier];
    const index = lowerBound(queue, node);
    // The key is total and outpoints are unique, so the stored object sits exactly at its bound.
    if (queue[index] !== node) throw new FluxnodeListError(`internal: ${outpointKey(node.outpoint)} not in its queue`);
    queue.splice(index, 1);
  }
}

/** First index whose element does not sort before `node`. */
function lowerBound(queue: readonly ListedNode[], node: ListedNode): number {
  let low = 0;
  let high = queue.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareQueue(queue[mid]!, node) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

function assertHeight(height: number, operation: string): void {
  if (!Number.isInteger(height) || height < 0 || height > 0xffff_ffff) {
    throw new FluxnodeListError(`${operation}: height must be an integer 0..4294967295, got ${describeValue(height)}`);
  }
}

/** Throws a FluxnodeListError naming the node and field unless `node` can join the list. */
export function assertListedNode(node: ListedNode, operation: string): void {
  const { txid, n }: Partial<OutPoint> = node?.outpoint ?? {};
  const where = `${operation}: node ${describeValue(txid)}:${describeValue(n)}`;
  if (!isHashHex(txid)) throw new FluxnodeListError(`${where}: outpoint.txid must be 64 lowercase hex chars`);
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) {
    throw new FluxnodeListError(`${where}: outpoint.n must be an integer 0..4294967295`);
  }
  if (tierName(node.tier) === undefined) {
    throw new FluxnodeListError(`${where}: tier must be 1, 2 or 3, got ${describeValue(node.tier)}`);
  }
  for (const field of ['addedHeight', 'confirmedHeight', 'lastConfirmedHeight', 'lastPaidHeight'] as const) {
    assertHeight(node[field], `${where}: ${field}`);
  }
  for (const field of ['ip', 'collateralPubkey', 'pubkey', 'paymentAddress'] as const) {
    if (typeof node[field] !== 'string') {
      throw new FluxnodeListError(`${where}: ${field} must be a string, got ${describeValue(node[field])}`);
    }
  }
}

function freezeNode(node: ListedNode): ListedNode {
  return Object.freeze({ ...node, outpoint: Object.freeze({ txid: node.outpoint.txid, n: node.outpoint.n }) });
}
