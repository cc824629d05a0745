import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../random.js';
import { decodeNodeListDelta, encodeNodeListDelta } from './codecs.js';
import {
  applyBlock,
  type BlockInput,
  type BlockUndo,
  compareQueue,
  DeltaRecorder,
  FluxnodeList,
  paymentAddressFor,
  toNodeEntry,
  toSnapshotNodes,
  undoBlock,
} from './nodelist.js';
import { type ReplayState, v3 } from './test-vectors.js';
import type { FluxnodeSnapshot, ListedNode, NodeListDeltaBody, SnapshotNode } from './types.js';
import { outpointKey, TIER_NAMES } from './types.js';
import { StateValidator, ValidatorInputError } from './validator.js';

const TIMES = { blockTime: (height: number) => 1_600_000_000 + height * 30, genesisTime: 1_500_000_000 };
const HASH_A = 'aa'.repeat(32);
const HASH_B = 'bb'.repeat(32);
const HASH_C = 'cc'.repeat(32);

/** A getfluxnodesnapshot result from the replay's node fields; the validator ignores the rest. */
function snapshotOf(state: ReplayState): FluxnodeSnapshot {
  return {
    height: state.height,
    blockhash: state.blockhash,
    nodes: state.nodes.map((n) => ({
      collateral: `COutPoint(${n.txhash}, ${n.outidx})`,
      txhash: n.txhash,
      outidx: n.outidx,
      ip: n.ip,
      network: 'ipv4',
      added_height: n.added_height,
      confirmed_height: n.confirmed_height,
      last_confirmed_height: n.last_confirmed_height,
      last_paid_height: n.last_paid_height,
      tier: n.tier,
      payment_address: '',
      pubkey: '',
      activesince: '0',
      lastpaid: '0',
      rank: n.rank,
    })),
  };
}

function v3Delta(): NodeListDeltaBody {
  return decodeNodeListDelta(Buffer.from(v3.body_hex, 'hex'));
}

function validatorAt(state: ReplayState): StateValidator {
  const validator = new StateValidator();
  validator.initFromSnapshot(snapshotOf(state));
  return validator;
}

describe('StateValidator on the v3 replay', () => {
  it('turns the before snapshot plus the v3 delta into exactly the after order', () => {
    const validator = validatorAt(v3.replay.before);
    expect(validator.order()).toEqual(v3.replay.before.order);
    expect(validator.applyDelta(v3Delta())).toEqual({ result: 'applied' });
    expect(validator.order()).toEqual(v3.replay.after.order);
    expect(validator.state).toMatchObject({ height: v3.replay.after.height, blockhash: v3.replay.after.blockhash });
    expect(validator.compareWithSnapshot(snapshotOf(v3.replay.after))).toEqual({
      equal: true,
      skipped: false,
      diff: [],
    });
    expect(validator.lastValidationHeight).toBe(v3.replay.after.height);
    expect(validator.counters).toMatchObject({ applied: 1, gaps: 0, continuityFailures: 0, reorgs: 0, resyncs: 0 });
  });

  it('gets the same order from a full §7.3 re-sort of the after nodes', () => {
    for (const tier of TIER_NAMES) {
      const nodes = v3.replay.after.nodes
        .filter((n) => n.tier === tier)
        .map((n) => ({
          key: `${n.txhash}:${n.outidx}`,
          outpoint: { txid: n.txhash, n: Number(n.outidx) },
          confirmedHeight: n.confirmed_height,
          lastPaidHeight: n.last_paid_height,
        }));
      expect(
        nodes
          .reverse()
          .sort(compareQueue)
          .map((n) => n.key),
      ).toEqual(v3.replay.after.order[tier]);
    }
  });

  it('gets the same order when the delta is flagged is_reorg (full re-sort path)', () => {
    const validator = validatorAt(v3.replay.before);
    expect(validator.applyDelta({ ...v3Delta(), flags: 1 }).result).toBe('applied');
    expect(validator.order()).toEqual(v3.replay.after.order);
    expect(validator.counters.reorgs).toBe(1);
  });
});

describe('StateValidator delta handling (spec §8.4)', () => {
  const empty = (fields: Partial<NodeListDeltaBody> = {}): NodeListDeltaBody => ({
    fromHeight: 10,
    toHeight: 11,
    fromHash: HASH_A,
    toHash: HASH_B,
    flags: 0,
    added: [],
    removed: [],
    updated: [],
    ...fields,
  });
  const fresh = () => {
    const validator = new StateValidator();
    validator.initFromSnapshot({ height: 10, blockhash: HASH_A, nodes: [] });
    return validator;
  };

  it('ignores old deltas, and flags gaps and continuity failures for resync', () => {
    const validator = fresh();
    expect(validator.applyDelta(empty({ fromHeight: 9 })).result).toBe('old');
    expect(validator.needsResync).toBe(false);
    expect(validator.applyDelta(empty({ fromHeight: 11, toHeight: 12 })).result).toBe('gap');
    expect(validator.needsResync).toBe(true);
    expect(validator.applyDelta(empty({ fromHash: HASH_C, flags: 1 })).result).toBe('continuity');
    expect(validator.counters).toMatchObject({ applied: 0, gaps: 1, continuityFailures: 1, reorgs: 1, resyncs: 0 });
    expect(validator.state).toMatchObject({ height: 10, blockhash: HASH_A });

    validator.initFromSnapshot({ height: 12, blockhash: HASH_C, nodes: [] });
    expect(validator.needsResync).toBe(false);
    expect(validator.counters.resyncs).toBe(1);
  });

  it('applies an empty delta, moving height and hash (to_height may be below from_height)', () => {
    const validator = fresh();
    expect(validator.applyDelta(empty({ toHeight: 8, flags: 1 })).result).toBe('applied');
    expect(validator.state).toMatchObject({ height: 8, blockhash: HASH_B });
  });

  it('drops updates for unknown keys and adds with unknown tiers, counting them', () => {
    const validator = fresh();
    const entry = toNodeEntry(listed('u'));
    validator.applyDelta(empty({ updated: [entry], added: [{ ...toNodeEntry(listed('t')), tier: 9 }] }));
    expect(validator.order()).toEqual({ CUMULUS: [], NIMBUS: [], STRATUS: [] });
    expect(validator.counters).toMatchObject({ ignoredUpdates: 1, ignoredAdds: 1, applied: 1 });
  });

  it('rejects a malformed delta before changing anything', () => {
    const validator = fresh();
    const bad = empty({ added: [toNodeEntry(listed('a'))], removed: [{ txid: 'XYZ', n: 0 }] });
    expect(() => validator.applyDelta(bad)).toThrow(ValidatorInputError);
    expect(() => validator.applyDelta(bad)).toThrow('delta.removed[0]: txid must be 64 lowercase hex chars');
    expect(validator.state.height).toBe(10);
    expect(validator.order().CUMULUS).toEqual([]);
    expect(() => new StateValidator().applyDelta(empty())).toThrow('applyDelta: call initFromSnapshot first');
  });

  it('says when validation is due', () => {
    const validator = fresh();
    expect(validator.isValidationDue(1)).toBe(false);
    validator.applyDelta(empty());
    expect(validator.isValidationDue(1)).toBe(true);
    expect(validator.isValidationDue()).toBe(false);
  });
});

describe('StateValidator.compareWithSnapshot (spec §8.6)', () => {
  const afterSnapshot = () => snapshotOf(v3.replay.after);

  it('skips, without failing, a snapshot at another height or hash', () => {
    const validator = validatorAt(v3.replay.before);
    const result = validator.compareWithSnapshot(afterSnapshot());
    expect(result.skipped).toBe(true);
    expect(result.equal).toBe(false);
    expect(result.diff[0]).toMatch(/^skipped: snapshot is at 2000101 0{8}a1b2/);
    expect(validator.lastValidationHeight).toBe(v3.replay.before.height);
  });

  it('reports order, key, field and count differences as readable lines', () => {
    const validator = validatorAt(v3.replay.after);
    const snapshot = afterSnapshot();
    const [cumulus, stratus0, stratus1] = snapshot.nodes as [SnapshotNode, SnapshotNode, SnapshotNode];
    const [k0, k1] = v3.replay.after.order.STRATUS as [string, string];
    const reordered: FluxnodeSnapshot = { ...snapshot, nodes: [cumulus, { ...stratus1, ip: '192.0.2.99' }, stratus0] };
    expect(validator.compareWithSnapshot(reordered)).toEqual({
      equal: false,
      skipped: false,
      diff: [
        `STRATUS: ${k1}: ip: validator "198.51.100.7", snapshot "192.0.2.99"`,
        `STRATUS: position 0: validator has ${k0}, snapshot has ${k1}`,
        `STRATUS: position 1: validator has ${k1}, snapshot has ${k0}`,
      ],
    });

    const extra = { ...cumulus, txhash: 'ee'.repeat(32), last_paid_height: 5 };
    const ck = v3.replay.after.order.CUMULUS[0];
    expect(
      validator.compareWithSnapshot({
        ...snapshot,
        nodes: [{ ...cumulus, last_paid_height: 7 }, extra, stratus0, stratus1],
      }).diff,
    ).toEqual([
      'CUMULUS: count: validator 1, snapshot 2',
      `CUMULUS: ${'ee'.repeat(32)}:0 in snapshot, missing from validator`,
      `CUMULUS: ${ck}: last paid height: validator 0, snapshot 7`,
      `CUMULUS: position 1: validator has (nothing), snapshot has ${'ee'.repeat(32)}:0`,
    ]);
    expect(validator.lastValidationHeight).toBe(v3.replay.after.height);
  });

  it('demands status CONFIRMED from delta entries', () => {
    const validator = validatorAt(v3.replay.before);
    const delta = v3Delta();
    validator.applyDelta({ ...delta, added: delta.added.map((e) => ({ ...e, status: 1 })) });
    expect(validator.compareWithSnapshot(afterSnapshot()).diff).toEqual([
      `CUMULUS: ${v3.replay.after.order.CUMULUS[0]}: status: validator "STARTED", snapshot "CONFIRMED"`,
    ]);
  });

  it('drops snapshot nodes with a numeric outidx 0 like contrib, and reports them when comparing', () => {
    const snapshot = afterSnapshot();
    const numeric = {
      ...snapshot,
      nodes: snapshot.nodes.map((n) => (n.txhash.startsWith('7777') ? { ...n, outidx: 0 as unknown as string } : n)),
    };
    const validator = new StateValidator();
    validator.initFromSnapshot(numeric);
    expect(validator.order().STRATUS).toEqual([v3.replay.after.order.STRATUS[1]]);
    expect(validator.compareWithSnapshot(numeric).diff).toEqual([
      `snapshot.nodes[1] dropped (txhash ${JSON.stringify('77'.repeat(32))} (64 chars), outidx 0, tier "STRATUS" (7 chars))`,
    ]);
  });

  it('rejects a snapshot it cannot read, naming the field', () => {
    const snapshot = afterSnapshot();
    const bad = { ...snapshot, nodes: [{ ...snapshot.nodes[0]!, outidx: '1x' }] };
    expect(() => new StateValidator().initFromSnapshot(bad)).toThrow(
      'snapshot.nodes[0].outidx: expected a decimal index',
    );
    expect(() => new StateValidator().initFromSnapshot({ ...snapshot, blockhash: 'zz' })).toThrow(
      /^snapshot\.blockhash/,
    );
  });
});

// ---- seeded lifecycle simulation: model + recorder + codec + validator ----

const EXPIRY_WINDOW = 25;
const NO_CHANGE = { added: [], removed: [], updated: [] };

interface SimOptions {
  seed: number;
  blocks: number;
  updateOfAdded: 'ignore' | 'replace';
  /** false: one delta per connected or disconnected block; true: a reorg's disconnects and connects share one delta. */
  reorgWindows: boolean;
}

interface SimReport {
  deltas: number;
  reorgs: number;
  undoneBlocks: number;
  maxListSize: number;
  events: Record<'added' | 'updated' | 'removed', number>;
  /** Compare failures, with the delta's added entries that disagree with the model (stale Q5 adds). */
  divergences: { where: string; diff: string[]; staleAdds: string[] }[];
}

interface ChainBlock {
  hash: string;
  input: Omit<BlockInput, 'recorder'>;
  undo: BlockUndo;
  before: SnapshotNode[];
  after: SnapshotNode[];
}

function listed(label: string, fields: Partial<ListedNode> = {}): ListedNode {
  const txid = Buffer.from(label.padEnd(32, '.').slice(0, 32)).toString('hex');
  const key = `02${txid}`;
  return {
    outpoint: { txid, n: 0 },
    collateralPubkey: key,
    pubkey: key,
    ip: '203.0.113.1',
    tier: 1,
    addedHeight: 1,
    confirmedHeight: 1,
    lastConfirmedHeight: 1,
    lastPaidHeight: 0,
    paymentAddress: paymentAddressFor(key),
    ...fields,
  };
}

function randomIp(rng: Rng): string {
  const host = rng.chance(0.8) ? `198.51.100.${rng.int(1, 254)}` : `[2001:db8::${rng.int(1, 0xffff).toString(16)}]`;
  return rng.chance(0.5) ? `${host}:${rng.pick([16127, 16137, 16147])}` : host;
}

function simulate(options: SimOptions): SimReport {
  const { seed } = options;
  const rng = createRng(seed);
  const list = new FluxnodeList();
  const recorder = new DeltaRecorder({ updateOfAdded: options.updateOfAdded });
  const validator = new StateValidator();
  const chain: ChainBlock[] = [];
  const genesisHash = rng.bytes(32).toString('hex');
  // A collateral's tier is fixed by its amount, so a reused outpoint keeps its tier.
  const seen: Pick<ListedNode, 'outpoint' | 'tier'>[] = [];
  const report: SimReport = {
    deltas: 0,
    reorgs: 0,
    undoneBlocks: 0,
    maxListSize: 0,
    events: { added: 0, updated: 0, removed: 0 },
    divergences: [],
  };
  let connected = 0;
  let lastDelta = { height: 0, hash: genesisHash };

  const tipHash = () => chain.at(-1)?.hash ?? genesisHash;
  const snapshot = (): FluxnodeSnapshot => ({
    height: chain.length,
    blockhash: tipHash(),
    nodes: toSnapshotNodes(list, TIMES),
  });

  function newNode(height: number, taken: Set<string>): ListedNode {
    const free = ({ outpoint }: Pick<ListedNode, 'outpoint'>) =>
      !list.has(outpointKey(outpoint)) && !taken.has(outpointKey(outpoint));
    const reusable = seen.filter(free);
    // Re-confirming an old collateral, or another output of a known txid, exercises key reuse and n order.
    let collateral = reusable.length > 0 && rng.chance(0.2) ? rng.pick(reusable) : undefined;
    if (!collateral) {
      const txid = seen.length > 0 && rng.chance(0.2) ? rng.pick(seen).outpoint.txid : rng.bytes(32).toString('hex');
      const sibling = { outpoint: { txid, n: rng.int(0, 3) }, tier: rng.pick([1, 2, 3] as const) };
      const fresh = { outpoint: { txid: rng.bytes(32).toString('hex'), n: 0 }, tier: sibling.tier };
      collateral =
        free(sibling) && !seen.some((c) => outpointKey(c.outpoint) === outpointKey(sibling.outpoint)) ? sibling : fresh;
      seen.push(collateral);
    }
    const collateralPubkey = `0${rng.int(2, 3)}${rng.bytes(32).toString('hex')}`;
    return {
      outpoint: collateral.outpoint,
      collateralPubkey,
      pubkey: `02${rng.bytes(32).toString('hex')}`,
      ip: randomIp(rng),
      tier: collateral.tier,
      addedHeight: Math.max(0, height - rng.int(1, 10)),
      confirmedHeight: height,
      lastConfirmedHeight: height,
      lastPaidHeight: 0,
      paymentAddress: paymentAddressFor(collateralPubkey),
    };
  }

  function randomBlock(height: number): Omit<BlockInput, 'recorder'> {
    const taken = new Set<string>();
    const confirms = Array.from({ length: rng.int(0, 2) }, () => {
      const node = newNode(height, taken);
      taken.add(outpointKey(node.outpoint));
      return node;
    });
    const updateConfirms = list
      .all()
      .filter((n) => n.lastConfirmedHeight <= height - 5 && rng.chance(0.1))
      .map((n) =>
        rng.chance(0.3) ? { key: outpointKey(n.outpoint), ip: randomIp(rng) } : { key: outpointKey(n.outpoint) },
      );
    const expiries: string[] = [];
    if (list.size > 0 && rng.chance(0.05)) expiries.push(outpointKey(rng.pick(list.all()).outpoint));
    if (confirms.length > 0 && rng.chance(0.02)) expiries.push(outpointKey(rng.pick(confirms).outpoint));
    return { height, confirms, updateConfirms, expiries, expiryWindow: EXPIRY_WINDOW };
  }

  function connect(input: Omit<BlockInput, 'recorder'>, hash = rng.bytes(32).toString('hex')): void {
    const before = toSnapshotNodes(list, TIMES);
    const { undo, events } = applyBlock(list, { ...input, recorder });
    for (const event of events) report.events[event.change] += 1;
    chain.push({ hash, input, undo, before, after: toSnapshotNodes(list, TIMES) });
    report.maxListSize = Math.max(report.maxListSize, list.size);
    connected += 1;
  }

  function disconnect(): ChainBlock {
    const block = chain.pop()!;
    undoBlock(list, block.undo, { recorder });
    expect(toSnapshotNodes(list, TIMES), `seed ${seed}: undo of block ${block.input.height}`).toEqual(block.before);
    report.undoneBlocks += 1;
    return block;
  }

  function publish(flags: number): void {
    const now = snapshot();
    const body = {
      fromHeight: lastDelta.height,
      toHeight: now.height,
      fromHash: lastDelta.hash,
      toHash: now.blockhash,
      flags,
    };
    const delta = decodeNodeListDelta(encodeNodeListDelta({ ...body, ...recorder.take() }));
    const where = `seed ${seed}: delta ${lastDelta.height} -> ${now.height} flags ${flags}`;
    expect(validator.applyDelta(delta).result, where).toBe('applied');
    const comparison = validator.compareWithSnapshot(now);
    if (!comparison.equal) {
      const staleAdds = delta.added
        .filter((e) => JSON.stringify(e) !== JSON.stringify(toNodeEntry(list.get(outpointKey(e.outpoint))!)))
        .map((e) => outpointKey(e.outpoint));
      report.divergences.push({ where, diff: comparison.diff, staleAdds });
      validator.initFromSnapshot(now);
    }
    report.deltas += 1;
    lastDelta = { height: now.height, hash: now.blockhash };
  }

  function reorg(): void {
    report.reorgs += 1;
    const depth = rng.int(1, Math.min(6, chain.length));
    const oldTipHeight = chain.length;
    const tipBefore = chain.at(-1)!.after;
    const undone: ChainBlock[] = [];
    for (let i = 0; i < depth; i++) {
      undone.unshift(disconnect());
      if (!options.reorgWindows) publish(1);
    }
    if (rng.chance(0.5)) {
      // Redo the same blocks: the list must come back exactly.
      for (const block of undone) {
        connect(block.input, block.hash);
        if (!options.reorgWindows) publish(0);
      }
      expect(toSnapshotNodes(list, TIMES), `seed ${seed}: redo to ${chain.length}`).toEqual(tipBefore);
    }
    // The winning branch has more work: it ends one block above the old tip.
    while (chain.length <= oldTipHeight) {
      connect(randomBlock(chain.length + 1));
      if (!options.reorgWindows) publish(0);
    }
    if (options.reorgWindows) publish(1);
  }

  validator.initFromSnapshot(snapshot());
  expect(recorder.take()).toEqual(NO_CHANGE);
  while (connected < options.blocks) {
    if (chain.length >= 6 && rng.chance(0.1)) {
      reorg();
    } else {
      connect(randomBlock(chain.length + 1));
      publish(0);
    }
  }
  return report;
}

describe('seeded lifecycle simulation: recorded deltas replayed by the validator equal the model snapshot', () => {
  it('per-block deltas with the literal recorder (flags=1 for disconnects) never diverge, and undo restores exactly', () => {
    const report = simulate({ seed: 0x5eed_0001, blocks: 500, updateOfAdded: 'ignore', reorgWindows: false });
    expect(report.divergences).toEqual([]);
    expect(report.reorgs).toBeGreaterThan(20);
    expect(report.events.added).toBeGreaterThan(300);
    expect(report.events.removed).toBeGreaterThan(100);
    expect(report.events.updated).toBeGreaterThan(500);
  });

  it("reorg windows (disconnects + connects in one flags=1 delta) converge with updateOfAdded: 'replace'", () => {
    const report = simulate({ seed: 0x5eed_0002, blocks: 500, updateOfAdded: 'replace', reorgWindows: true });
    expect(report.divergences).toEqual([]);
    expect(report.reorgs).toBeGreaterThan(20);
  });

  it('reorg windows with the literal recorder diverge only through stale Q5 adds', () => {
    const report = simulate({ seed: 0x5eed_0002, blocks: 500, updateOfAdded: 'ignore', reorgWindows: true });
    expect(report.divergences.length).toBeGreaterThan(0);
    for (const divergence of report.divergences) expect(divergence.staleAdds, divergence.where).not.toEqual([]);
  });
});
