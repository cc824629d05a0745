import { compareQueue } from './fluxnode-list.js';
import { describeValue, isHashHex } from './hex.js';
import {
  DELTA_FLAG_REORG,
  type FluxnodeSnapshot,
  NODE_STATUS,
  type NodeEntry,
  type NodeListDeltaBody,
  type OutPoint,
  outpointKey,
  TIER_NAMES,
  type TierName,
  tierName,
} from './types.js';

/** What the validator keeps per node: the fields it compares plus the queue key. */
export interface ValidatorNode {
  outpoint: OutPoint;
  /** A TierName, or `UNKNOWN(n)` if an update carried a bad tier. */
  tier: string;
  ip: string;
  confirmedHeight: number;
  lastPaidHeight: number;
  /** A NODE_STATUS name; nodes from a snapshot are always CONFIRMED. */
  status: string;
}

export interface ValidatorState {
  height: number;
  blockhash: string;
  /** Per tier, keyed `"<txhash>:<n>"`, in the validator's idea of payment order. */
  tiers: Record<TierName, ReadonlyMap<string, ValidatorNode>>;
}

export interface ValidatorCounters {
  applied: number;
  gaps: number;
  continuityFailures: number;
  /** Deltas flagged is_reorg, counted even when they then fail continuity. */
  reorgs: number;
  /** initFromSnapshot calls after the first. */
  resyncs: number;
  /** Updated entries for keys the validator does not hold (silently dropped by contrib). */
  ignoredUpdates: number;
  /** Added entries whose tier is not 1, 2 or 3, so they have no queue to join. */
  ignoredAdds: number;
}

/** `gap` and `continuity` mean the delta was dropped and a resync from a snapshot is needed. */
export type DeltaOutcome = 'applied' | 'old' | 'gap' | 'continuity';

export interface SnapshotComparison {
  equal: boolean;
  /** The snapshot is at another height or hash: nothing compared, retry after the next delta (not a failure). */
  skipped: boolean;
  /** One readable line per difference, prefixed with the tier. */
  diff: string[];
}

/** Input the validator cannot work with, named by where it is. */
export class ValidatorInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidatorInputError';
  }
}

const STATUS_NAMES = Object.keys(NODE_STATUS) as (keyof typeof NODE_STATUS)[];
const MAX_POSITION_LINES = 20;

/**
 * The fluxd contrib state validator (spec §8): a client-side copy of the confirmed list built
 * from a snapshot and rolled forward by fluxnodelistdelta bodies, checkable against a later snapshot.
 */
export class StateValidator {
  private tiers: Record<TierName, Map<string, ValidatorNode>> = emptyTiers();
  private height = 0;
  private blockhash = '';
  private initialised = false;
  private validatedAt = 0;
  private resyncNeeded = false;
  private readonly count: ValidatorCounters = {
    applied: 0,
    gaps: 0,
    continuityFailures: 0,
    reorgs: 0,
    resyncs: 0,
    ignoredUpdates: 0,
    ignoredAdds: 0,
  };

  get counters(): Readonly<ValidatorCounters> {
    return { ...this.count };
  }

  get state(): ValidatorState {
    return { height: this.height, blockhash: this.blockhash, tiers: this.tiers };
  }

  /** Set by a gap or continuity failure, cleared by initFromSnapshot. */
  get needsResync(): boolean {
    return this.resyncNeeded;
  }

  get lastValidationHeight(): number {
    return this.validatedAt;
  }

  /** Per tier, the keys in order. */
  order(): Record<TierName, string[]> {
    return mapTiers(this.tiers, (nodes) => [...nodes.keys()]);
  }

  /** Contrib validates once `height − last validation ≥ interval` (default 100). */
  isValidationDue(interval = 100): boolean {
    return this.height - this.validatedAt >= interval;
  }

  /**
   * Replaces the state with a getfluxnodesnapshot result. Like contrib, nodes without a truthy
   * txhash and outidx or with an unknown tier are dropped (so a numeric outidx 0 is lost).
   */
  initFromSnapshot(snapshot: FluxnodeSnapshot): void {
    assertSnapshotHeader(snapshot);
    if (this.initialised) this.count.resyncs += 1;
    this.tiers = readSnapshot(snapshot).tiers;
    this.height = snapshot.height;
    this.blockhash = snapshot.blockhash;
    this.validatedAt = snapshot.height;
    this.initialised = true;
    this.resyncNeeded = false;
  }

  applyDelta(delta: NodeListDeltaBody): { result: DeltaOutcome } {
    if (!this.initialised) throw new ValidatorInputError('applyDelta: call initFromSnapshot first');
    assertDelta(delta);
    if (delta.fromHeight < this.height) return { result: 'old' };
    if (delta.fromHeight > this.height) {
      this.count.gaps += 1;
      this.resyncNeeded = true;
      return { result: 'gap' };
    }
    const isReorg = (delta.flags & DELTA_FLAG_REORG) !== 0;
    if (isReorg) this.count.reorgs += 1;
    if (delta.fromHash !== this.blockhash) {
      this.count.continuityFailures += 1;
      this.resyncNeeded = true;
      return { result: 'continuity' };
    }

    for (const op of delta.removed) {
      const key = outpointKey(op);
      this.holderOf(key)?.delete(key);
    }
    const paid = this.applyUpdated(delta);
    this.applyAdded(delta.added);
    if (isReorg) {
      this.tiers = mapTiers(this.tiers, sortedByQueue);
    } else {
      // A paid node goes behind the nodes added in this block: fluxd's order for one-block deltas.
      for (const { nodes, key, node } of paid) {
        nodes.delete(key);
        nodes.set(key, node);
      }
    }
    this.height = delta.toHeight;
    this.blockhash = delta.toHash;
    this.count.applied += 1;
    return { result: 'applied' };
  }

  /**
   * Compares with a snapshot per tier: counts, keys both ways, the compared fields of common
   * keys, and key order position by position. Skipped when the snapshot is at another tip.
   */
  compareWithSnapshot(snapshot: FluxnodeSnapshot): SnapshotComparison {
    assertSnapshotHeader(snapshot);
    if (snapshot.height !== this.height || snapshot.blockhash !== this.blockhash) {
      return {
        equal: false,
        skipped: true,
        diff: [
          `skipped: snapshot is at ${snapshot.height} ${snapshot.blockhash}, validator at ${this.height} ${this.blockhash}`,
        ],
      };
    }
    const expected = readSnapshot(snapshot);
    const diff = [
      ...expected.dropped,
      ...TIER_NAMES.flatMap((tier) => compareTier(tier, this.tiers[tier], expected.tiers[tier])),
    ];
    if (diff.length === 0) this.validatedAt = this.height;
    return { equal: diff.length === 0, skipped: false, diff };
  }

  private holderOf(key: string): Map<string, ValidatorNode> | undefined {
    return TIER_NAMES.map((tier) => this.tiers[tier]).find((nodes) => nodes.has(key));
  }

  /** Replace in place, keeping position; unknown keys are dropped. Returns this block's paid nodes. */
  private applyUpdated(
    delta: NodeListDeltaBody,
  ): { nodes: Map<string, ValidatorNode>; key: string; node: ValidatorNode }[] {
    const paid: { nodes: Map<string, ValidatorNode>; key: string; node: ValidatorNode }[] = [];
    for (const entry of delta.updated) {
      const node = fromEntry(entry);
      const key = outpointKey(node.outpoint);
      const nodes = this.holderOf(key);
      const old = nodes?.get(key);
      if (!nodes || !old) {
        this.count.ignoredUpdates += 1;
        continue;
      }
      nodes.set(key, node);
      if (node.lastPaidHeight === delta.toHeight && old.lastPaidHeight !== node.lastPaidHeight) {
        paid.push({ nodes, key, node });
      }
    }
    return paid;
  }

  /** Append in the order received (fluxd sends them sorted by outpoint); an existing key is overwritten in place. */
  private applyAdded(added: readonly NodeEntry[]): void {
    for (const entry of added) {
      const tier = tierName(entry.tier);
      if (tier === undefined) {
        this.count.ignoredAdds += 1;
        continue;
      }
      this.tiers[tier].set(outpointKey(entry.outpoint), fromEntry(entry));
    }
  }
}

function compareTier(
  tier: TierName,
  actual: ReadonlyMap<string, ValidatorNode>,
  expected: ReadonlyMap<string, ValidatorNode>,
): string[] {
  const lines: string[] = [];
  if (actual.size !== expected.size) lines.push(`${tier}: count: validator ${actual.size}, snapshot ${expected.size}`);
  for (const key of expected.keys()) {
    if (!actual.has(key)) lines.push(`${tier}: ${key} in snapshot, missing from validator`);
  }
  for (const [key, node] of actual) {
    const want = expected.get(key);
    if (!want) lines.push(`${tier}: ${key} in validator, not in snapshot`);
    else lines.push(...compareFields(`${tier}: ${key}`, node, want));
  }
  lines.push(...compareOrder(tier, [...actual.keys()], [...expected.keys()]));
  return lines;
}

function compareFields(where: string, actual: ValidatorNode, expected: ValidatorNode): string[] {
  const fields: [string, unknown, unknown][] = [
    ['tier', actual.tier, expected.tier],
    ['ip', actual.ip, expected.ip],
    ['confirmed height', actual.confirmedHeight, expected.confirmedHeight],
    ['last paid height', actual.lastPaidHeight, expected.lastPaidHeight],
    ['txhash', actual.outpoint.txid, expected.outpoint.txid],
    ['status', actual.status, expected.status],
  ];
  return fields
    .filter(([, mine, theirs]) => mine !== theirs)
    .map(
      ([name, mine, theirs]) =>
        `${where}: ${name}: validator ${JSON.stringify(mine)}, snapshot ${JSON.stringify(theirs)}`,
    );
}

function compareOrder(tier: TierName, actual: readonly string[], expected: readonly string[]): string[] {
  const lines: string[] = [];
  let mismatches = 0;
  for (let position = 0; position < Math.max(actual.length, expected.length); position++) {
    if (actual[position] === expected[position]) continue;
    mismatches += 1;
    if (mismatches <= MAX_POSITION_LINES) {
      lines.push(
        `${tier}: position ${position}: validator has ${actual[position] ?? '(nothing)'}, snapshot has ${expected[position] ?? '(nothing)'}`,
      );
    }
  }
  if (mismatches > MAX_POSITION_LINES) {
    lines.push(`${tier}: … ${mismatches - MAX_POSITION_LINES} more position mismatches`);
  }
  return lines;
}

/** Per-tier maps in array order, plus a line for each node contrib would drop. */
function readSnapshot(snapshot: FluxnodeSnapshot): {
  tiers: Record<TierName, Map<string, ValidatorNode>>;
  dropped: string[];
} {
  const tiers = emptyTiers();
  const dropped: string[] = [];
  snapshot.nodes.forEach((raw, index) => {
    const where = `snapshot.nodes[${index}]`;
    const node = raw as unknown as Record<string, unknown>;
    const tier = TIER_NAMES.find((name) => name === node.tier);
    if (!node.txhash || !node.outidx || tier === undefined) {
      dropped.push(
        `${where} dropped (txhash ${describeValue(node.txhash)}, outidx ${describeValue(node.outidx)}, tier ${describeValue(node.tier)})`,
      );
      return;
    }
    if (!/^\d+$/.test(String(node.outidx))) {
      throw new ValidatorInputError(`${where}.outidx: expected a decimal index, got ${describeValue(node.outidx)}`);
    }
    const validated = assertOutpoint({ txid: node.txhash, n: Number(node.outidx) }, where);
    tiers[tier].set(outpointKey(validated), {
      outpoint: validated,
      tier,
      ip: String(node.ip),
      confirmedHeight: Number(node.confirmed_height),
      lastPaidHeight: Number(node.last_paid_height),
      status: 'CONFIRMED',
    });
  });
  return { tiers, dropped };
}

function fromEntry(entry: NodeEntry): ValidatorNode {
  return {
    outpoint: { txid: entry.outpoint.txid, n: entry.outpoint.n },
    tier: tierName(entry.tier) ?? `UNKNOWN(${entry.tier})`,
    ip: entry.ip,
    confirmedHeight: entry.confirmedHeight,
    lastPaidHeight: entry.lastPaidHeight,
    status: STATUS_NAMES[entry.status] ?? `UNKNOWN(${entry.status})`,
  };
}

function assertOutpoint(op: { txid: unknown; n: unknown }, where: string): OutPoint {
  if (!isHashHex(op.txid)) {
    throw new ValidatorInputError(`${where}: txid must be 64 lowercase hex chars, got ${describeValue(op.txid)}`);
  }
  if (typeof op.n !== 'number' || !Number.isInteger(op.n) || op.n < 0 || op.n > 0xffff_ffff) {
    throw new ValidatorInputError(`${where}: n must be an integer 0..4294967295, got ${describeValue(op.n)}`);
  }
  return { txid: op.txid, n: op.n };
}

/** Checks what the algorithm reads before any of it is applied, so a bad delta changes nothing. */
function assertDelta(delta: NodeListDeltaBody): void {
  for (const field of ['fromHeight', 'toHeight', 'flags'] as const) {
    if (!Number.isInteger(delta[field]) || delta[field] < 0) {
      throw new ValidatorInputError(
        `delta.${field}: expected a non-negative integer, got ${describeValue(delta[field])}`,
      );
    }
  }
  for (const field of ['fromHash', 'toHash'] as const) {
    if (!isHashHex(delta[field])) {
      throw new ValidatorInputError(
        `delta.${field}: expected 64 lowercase hex chars, got ${describeValue(delta[field])}`,
      );
    }
  }
  delta.removed.forEach((op, index) => {
    assertOutpoint(op, `delta.removed[${index}]`);
  });
  for (const section of ['added', 'updated'] as const) {
    delta[section].forEach((entry, index) => {
      const where = `delta.${section}[${index}]`;
      assertOutpoint(entry.outpoint, `${where}.outpoint`);
      for (const field of ['confirmedHeight', 'lastPaidHeight', 'tier', 'status'] as const) {
        if (!Number.isInteger(entry[field])) {
          throw new ValidatorInputError(`${where}.${field}: expected an integer, got ${describeValue(entry[field])}`);
        }
      }
      if (typeof entry.ip !== 'string') {
        throw new ValidatorInputError(`${where}.ip: expected a string, got ${describeValue(entry.ip)}`);
      }
    });
  }
}

function assertSnapshotHeader(snapshot: FluxnodeSnapshot): void {
  if (!Number.isInteger(snapshot?.height) || snapshot.height < 0) {
    throw new ValidatorInputError(
      `snapshot.height: expected a non-negative integer, got ${describeValue(snapshot?.height)}`,
    );
  }
  if (!isHashHex(snapshot.blockhash)) {
    throw new ValidatorInputError(
      `snapshot.blockhash: expected 64 lowercase hex chars, got ${describeValue(snapshot.blockhash)}`,
    );
  }
  if (!Array.isArray(snapshot.nodes)) {
    throw new ValidatorInputError(`snapshot.nodes: expected an array, got ${describeValue(snapshot.nodes)}`);
  }
}

function sortedByQueue(nodes: ReadonlyMap<string, ValidatorNode>): Map<string, ValidatorNode> {
  return new Map([...nodes].sort(([, a], [, b]) => compareQueue(a, b)));
}

function emptyTiers(): Record<TierName, Map<string, ValidatorNode>> {
  return { CUMULUS: new Map(), NIMBUS: new Map(), STRATUS: new Map() };
}

function mapTiers<T>(
  tiers: Record<TierName, Map<string, ValidatorNode>>,
  fn: (nodes: Map<string, ValidatorNode>) => T,
): Record<TierName, T> {
  return { CUMULUS: fn(tiers.CUMULUS), NIMBUS: fn(tiers.NIMBUS), STRATUS: fn(tiers.STRATUS) };
}
