import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createBase58check } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { decodeNodeListDelta, encodeNodeListDelta } from './codecs.js';
import {
  applyBlock,
  compareQueue,
  DeltaRecorder,
  FluxnodeList,
  FluxnodeListError,
  networkOf,
  paymentAddressFor,
  toNodeEntry,
  toSnapshotNodes,
  undoBlock,
} from './nodelist.js';
import { type ReplayNode, v3 } from './test-vectors.js';
import { type ListedNode, type NodeEntry, outpointKey, TIERS, type TierName } from './types.js';

const TIMES = { blockTime: (height: number) => 1_600_000_000 + height * 30, genesisTime: 1_500_000_000 };
const OTHER_KEY = `02${'55'.repeat(32)}`;

/** Keys the vector does not carry are filled in; only the delta's nodes need their real keys. */
function keysFor(txid: string): { collateralPubkey: string; pubkey: string } {
  const entry = [...v3.inputs.added, ...v3.inputs.updated].find((e) => e.txid === txid);
  return entry
    ? { collateralPubkey: entry.collateral_pubkey, pubkey: entry.pubkey }
    : { collateralPubkey: OTHER_KEY, pubkey: OTHER_KEY };
}

function listedFromReplay(node: ReplayNode): ListedNode {
  const keys = keysFor(node.txhash);
  return {
    outpoint: { txid: node.txhash, n: Number(node.outidx) },
    ...keys,
    ip: node.ip,
    tier: TIERS[node.tier],
    addedHeight: node.added_height,
    confirmedHeight: node.confirmed_height,
    lastConfirmedHeight: node.last_confirmed_height,
    lastPaidHeight: node.last_paid_height,
    paymentAddress: paymentAddressFor(keys.collateralPubkey),
  };
}

function listFrom(nodes: readonly ListedNode[]): FluxnodeList {
  const list = new FluxnodeList();
  for (const node of nodes) list.restore(node);
  return list;
}

function replayBefore(): FluxnodeList {
  return listFrom(v3.replay.before.nodes.map(listedFromReplay));
}

/** The v3 block: the new CUMULUS node confirms, the CUMULUS payee expires (E = 640, PoN), STRATUS pays. */
function v3Block(recorder?: DeltaRecorder) {
  const added = v3.inputs.added[0]!;
  const addedNode = v3.replay.after.nodes.find((n) => n.txhash === added.txid)!;
  const confirm = { ...listedFromReplay(addedNode), confirmedHeight: 0, lastConfirmedHeight: 0 };
  return {
    height: v3.inputs.to_height,
    confirms: [confirm],
    updateConfirms: [],
    expiries: [],
    expiryWindow: 640,
    recorder,
  };
}

function orderOf(list: FluxnodeList): Record<TierName, string[]> {
  const keys = (tier: 1 | 2 | 3) => list.tierQueue(tier).map((node) => outpointKey(node.outpoint));
  return { CUMULUS: keys(1), NIMBUS: keys(2), STRATUS: keys(3) };
}

function node(label: string, fields: Partial<ListedNode> = {}): ListedNode {
  const txid = bytesToHex(sha256(new TextEncoder().encode(label)));
  return {
    outpoint: { txid, n: 0 },
    collateralPubkey: OTHER_KEY,
    pubkey: OTHER_KEY,
    ip: '203.0.113.9',
    tier: 1,
    addedHeight: 1,
    confirmedHeight: 10,
    lastConfirmedHeight: 10,
    lastPaidHeight: 0,
    paymentAddress: 't1test',
    ...fields,
  };
}

function keyOf(n: ListedNode): string {
  return outpointKey(n.outpoint);
}

function entry(label: string, fields: Partial<NodeEntry> = {}): NodeEntry {
  return { ...toNodeEntry(node(label)), ...fields };
}

describe('compareQueue (spec §7.3)', () => {
  it('orders the sort_order_check queue b, a, c: outpoints by reversed txid, unpaid before paid at equal H', () => {
    const { queue_nodes, queue_order } = v3.sort_order_check;
    const nodes = queue_nodes.map((q) => ({
      label: q.label,
      outpoint: { txid: q.txid, n: q.n },
      confirmedHeight: q.confirmed_height,
      lastPaidHeight: q.last_paid_height,
    }));
    expect([...nodes].sort(compareQueue).map((q) => q.label)).toEqual(queue_order);
    expect(
      [...nodes]
        .reverse()
        .sort(compareQueue)
        .map((q) => q.label),
    ).toEqual(queue_order);
  });
});

describe('v3 replay through the model', () => {
  it('knows the payees of block 2000101 from the 2000100 list', () => {
    const payees = replayBefore().payees();
    expect(Object.keys(payees)).toEqual(['CUMULUS', 'STRATUS']);
    expect(keyOf(payees.CUMULUS!)).toBe(v3.replay.before.order.CUMULUS[0]);
    expect(keyOf(payees.STRATUS!)).toBe(v3.replay.before.order.STRATUS[0]);
  });

  it('applies the block to give the after order, fields and the byte-exact v3 delta', () => {
    const list = replayBefore();
    const recorder = new DeltaRecorder();
    const { events } = applyBlock(list, v3Block(recorder));

    expect(orderOf(list)).toEqual(v3.replay.after.order);
    const nodes = toSnapshotNodes(list, TIMES);
    expect(
      nodes.map(
        ({
          txhash,
          outidx,
          tier,
          ip,
          added_height,
          confirmed_height,
          last_confirmed_height,
          last_paid_height,
          rank,
        }) => ({
          txhash,
          outidx,
          tier,
          ip,
          added_height,
          confirmed_height,
          last_confirmed_height,
          last_paid_height,
          rank,
        }),
      ),
    ).toEqual(v3.replay.after.nodes);
    // The CUMULUS payee expired in this block, so only its removal is recorded, not a payment.
    expect(events.map((e) => [e.change, keyOf(e.node)])).toEqual([
      ['added', v3.replay.after.order.CUMULUS[0]],
      ['removed', v3.replay.before.order.CUMULUS[0]],
      ['updated', v3.replay.before.order.STRATUS[0]],
    ]);

    const { from_height, to_height, from_hash, to_hash, flags } = v3.inputs;
    const body = encodeNodeListDelta({
      fromHeight: from_height,
      toHeight: to_height,
      fromHash: from_hash,
      toHash: to_hash,
      flags,
      ...recorder.take(),
    });
    expect(body.toString('hex')).toBe(v3.body_hex);
    expect(recorder.isEmpty).toBe(true);
  });

  it('undoes the block back to the before list, recording the undo-type changes', () => {
    const list = replayBefore();
    const before = toSnapshotNodes(list, TIMES);
    const { undo } = applyBlock(list, v3Block());
    const recorder = new DeltaRecorder();
    const { events } = undoBlock(list, undo, { recorder });

    expect(toSnapshotNodes(list, TIMES)).toEqual(before);
    expect(events.map((e) => [e.change, keyOf(e.node)])).toEqual([
      ['added', v3.replay.before.order.CUMULUS[0]],
      ['removed', v3.replay.after.order.CUMULUS[0]],
      ['updated', v3.replay.before.order.STRATUS[0]],
    ]);
    const { added, removed, updated } = recorder.take();
    expect(added.map((e) => outpointKey(e.outpoint))).toEqual([v3.replay.before.order.CUMULUS[0]]);
    expect(removed.map(outpointKey)).toEqual([v3.replay.after.order.CUMULUS[0]]);
    expect(updated.map((e) => [outpointKey(e.outpoint), e.lastPaidHeight])).toEqual([
      [v3.replay.before.order.STRATUS[0], 0],
    ]);
  });
});

describe('DeltaRecorder netting rules (spec §5.1)', () => {
  const x = entry('x', { ip: 'old' });
  const xNew = { ...x, ip: 'new' };

  it('records plain adds, removals and updates in their own sections', () => {
    const recorder = new DeltaRecorder();
    recorder.recordAdded(entry('a'));
    recorder.recordRemoved(entry('r').outpoint);
    recorder.recordUpdated(entry('u'));
    expect(recorder.take()).toEqual({ added: [entry('a')], removed: [entry('r').outpoint], updated: [entry('u')] });
  });

  it('nets add-of-removed to an update carrying the new data', () => {
    const recorder = new DeltaRecorder();
    recorder.recordRemoved(x.outpoint);
    recorder.recordAdded(xNew);
    expect(recorder.take()).toEqual({ added: [], removed: [], updated: [xNew] });
  });

  it('nets remove-of-added to nothing', () => {
    const recorder = new DeltaRecorder();
    recorder.recordAdded(x);
    recorder.recordRemoved(x.outpoint);
    expect(recorder.take()).toEqual({ added: [], removed: [], updated: [] });
  });

  it('ignores an update of an added outpoint, keeping the stale add data (Q5)', () => {
    const recorder = new DeltaRecorder();
    recorder.recordAdded(x);
    recorder.recordUpdated(xNew);
    expect(recorder.take()).toEqual({ added: [x], removed: [], updated: [] });
  });

  it("replaces the add data instead when built with updateOfAdded: 'replace'", () => {
    const recorder = new DeltaRecorder({ updateOfAdded: 'replace' });
    recorder.recordAdded(x);
    recorder.recordUpdated(xNew);
    expect(recorder.take()).toEqual({ added: [xNew], removed: [], updated: [] });
  });

  it('lets a removal erase a pending update', () => {
    const recorder = new DeltaRecorder();
    recorder.recordUpdated(x);
    recorder.recordRemoved(x.outpoint);
    expect(recorder.take()).toEqual({ added: [], removed: [x.outpoint], updated: [] });
  });

  it('keeps the newest data of repeated updates', () => {
    const recorder = new DeltaRecorder();
    recorder.recordUpdated(x);
    recorder.recordUpdated(xNew);
    expect(recorder.take().updated).toEqual([xNew]);
  });

  it('sorts each section by reversed txid then n, and is empty after take', () => {
    const { a, b } = v3.sort_order_check;
    const recorder = new DeltaRecorder();
    for (const op of [{ ...a, n: 1 }, a, b]) recorder.recordRemoved(op);
    expect(recorder.take().removed).toEqual([b, a, { ...a, n: 1 }]);
    expect(recorder.isEmpty).toBe(true);
    expect(recorder.take()).toEqual({ added: [], removed: [], updated: [] });
  });

  it('clear drops everything recorded', () => {
    const recorder = new DeltaRecorder();
    recorder.recordAdded(x);
    recorder.clear();
    expect(recorder.take()).toEqual({ added: [], removed: [], updated: [] });
  });
});

describe('applyBlock lifecycle (spec §5.2, §7.2, §7.3)', () => {
  const block = (height: number, fields: Partial<Parameters<typeof applyBlock>[1]> = {}) => ({
    height,
    confirms: [],
    updateConfirms: [],
    expiries: [],
    expiryWindow: 100,
    ...fields,
  });

  it('puts the paid node behind nodes confirmed in the same block', () => {
    const list = listFrom([node('p', { confirmedHeight: 5 }), node('q', { confirmedHeight: 6 })]);
    applyBlock(list, block(20, { confirms: [node('new1'), node('new2')] }));
    const queue = list.tierQueue(1);
    expect(queue.map((n) => n.lastPaidHeight)).toEqual([0, 0, 0, 20]);
    expect(keyOf(queue[3]!)).toBe(keyOf(node('p')));
    expect(queue.slice(1, 3).map((n) => n.confirmedHeight)).toEqual([20, 20]);
  });

  it('confirms with confirmed = last confirmed = h and last paid 0', () => {
    const list = new FluxnodeList();
    applyBlock(
      list,
      block(30, { confirms: [node('c', { confirmedHeight: 3, lastConfirmedHeight: 4, lastPaidHeight: 9 })] }),
    );
    expect(list.get(keyOf(node('c')))).toMatchObject({
      confirmedHeight: 30,
      lastConfirmedHeight: 30,
      lastPaidHeight: 0,
    });
  });

  it('expires nodes with last confirmed < h − E unless update-confirmed in the block', () => {
    const list = listFrom([
      node('stale', { tier: 2, lastConfirmedHeight: 10 }),
      node('kept', { tier: 2, lastConfirmedHeight: 10 }),
      node('edge', { tier: 2, lastConfirmedHeight: 11 }),
      node('nimbusFront', { tier: 2, confirmedHeight: 1, lastConfirmedHeight: 55 }),
      node('stratusFront', { tier: 3, confirmedHeight: 1, lastConfirmedHeight: 50 }),
    ]);
    const recorder = new DeltaRecorder();
    const { events } = applyBlock(
      list,
      block(61, {
        expiryWindow: 50,
        updateConfirms: [{ key: keyOf(node('kept')), ip: '198.51.100.1:16137' }],
        recorder,
      }),
    );
    expect(list.has(keyOf(node('stale')))).toBe(false);
    expect(list.get(keyOf(node('kept')))).toMatchObject({ lastConfirmedHeight: 61, ip: '198.51.100.1:16137' });
    expect(list.has(keyOf(node('edge')))).toBe(true);
    expect(events.map((e) => [e.change, keyOf(e.node)])).toEqual([
      ['updated', keyOf(node('kept'))],
      ['removed', keyOf(node('stale'))],
      ['updated', keyOf(node('nimbusFront'))],
      ['updated', keyOf(node('stratusFront'))],
    ]);
    const sections = recorder.take();
    expect(sections.removed).toEqual([node('stale').outpoint]);
    expect(sections.updated).toHaveLength(3);
  });

  it('removes explicitly listed nodes and skips the payment of a removed payee', () => {
    const list = listFrom([node('payee', { confirmedHeight: 1 }), node('next', { confirmedHeight: 2 })]);
    const { events } = applyBlock(list, block(12, { expiries: [keyOf(node('payee'))] }));
    expect(events.map((e) => [e.change, keyOf(e.node)])).toEqual([['removed', keyOf(node('payee'))]]);
    expect(list.get(keyOf(node('next')))?.lastPaidHeight).toBe(0);
  });

  it('pays nothing in an empty tier and pays each non-empty tier once', () => {
    const list = listFrom([
      node('c1', { tier: 1 }),
      node('c2', { tier: 1, confirmedHeight: 11 }),
      node('s1', { tier: 3 }),
    ]);
    const { events } = applyBlock(list, block(12));
    expect(events.map((e) => [e.change, keyOf(e.node), e.node.lastPaidHeight])).toEqual([
      ['updated', keyOf(node('c1')), 12],
      ['updated', keyOf(node('s1')), 12],
    ]);
  });

  it('undo after confirm-and-spend in one block nets the flash node to nothing and restores the list', () => {
    const list = listFrom([node('old')]);
    const before = toSnapshotNodes(list, TIMES);
    const recorder = new DeltaRecorder();
    const { undo } = applyBlock(
      list,
      block(20, { confirms: [node('flash')], expiries: [keyOf(node('flash'))], recorder }),
    );
    expect(list.has(keyOf(node('flash')))).toBe(false);
    undoBlock(list, undo, { recorder });
    expect(toSnapshotNodes(list, TIMES)).toEqual(before);
    // The payee's payment and its undo still net to an update carrying the original data.
    expect(recorder.take()).toEqual({ added: [], removed: [], updated: [toNodeEntry(node('old'))] });
  });

  it.each([
    ['a duplicate confirm', block(20, { confirms: [node('a')] }), /confirms\[0\] .* is already confirmed/],
    [
      'an unknown update-confirm',
      block(20, { updateConfirms: [{ key: 'nope:0' }] }),
      /updateConfirms\[0\] "nope:0".* not in the list/,
    ],
    ['an unknown expiry', block(20, { expiries: ['nope:1'] }), /expiries\[0\] "nope:1".* not in the list/],
    [
      'a confirm-and-update',
      block(20, { confirms: [node('z')], updateConfirms: [{ key: keyOf(node('z')) }] }),
      /confirmed in this block/,
    ],
    ['a bad height', block(0), /height must be an integer 1\.\.4294967295/],
    ['a bad tier', block(20, { confirms: [node('t', { tier: 4 as 1 })] }), /tier must be 1, 2 or 3/],
    [
      'a bad txid',
      block(20, { confirms: [node('t', { outpoint: { txid: 'AB', n: 0 } })] }),
      /outpoint\.txid must be 64/,
    ],
    [
      'a bad second confirm',
      block(20, { confirms: [node('fine'), node('t', { ip: 7 as unknown as string })] }),
      /confirms\[1\]: node .*: ip must be a string, got 7/,
    ],
  ])('rejects %s with a FluxnodeListError and leaves the list untouched', (_name, input, message) => {
    const list = listFrom([node('a'), node('b', { tier: 2 })]);
    const before = toSnapshotNodes(list, TIMES);
    expect(() => applyBlock(list, input)).toThrow(FluxnodeListError);
    expect(() => applyBlock(list, input)).toThrow(message);
    expect(toSnapshotNodes(list, TIMES)).toEqual(before);
  });

  it('refuses to undo a block out of order', () => {
    const list = new FluxnodeList();
    const first = applyBlock(list, block(1, { confirms: [node('one')] }));
    applyBlock(list, block(2, { expiries: [keyOf(node('one'))] }));
    expect(() => undoBlock(list, first.undo)).toThrow(/undo the later blocks first/);
  });
});

describe('FluxnodeList', () => {
  it('clones independently and never hands out a node that later changes', () => {
    const list = listFrom([node('a'), node('b', { confirmedHeight: 11 })]);
    const held = list.get(keyOf(node('a')))!;
    const copy = list.clone();
    list.pay(keyOf(node('a')), 50);
    list.remove(keyOf(node('b')));
    expect(held.lastPaidHeight).toBe(0);
    expect(Object.isFrozen(held)).toBe(true);
    expect(copy.size).toBe(2);
    expect(copy.tierQueue(1).map(keyOf)).toEqual([keyOf(node('a')), keyOf(node('b'))]);
    expect(list.tierQueue(1).map(keyOf)).toEqual([keyOf(node('a'))]);
  });

  it('reverts a payment back to the queue front', () => {
    const list = listFrom([node('a'), node('b', { confirmedHeight: 11 })]);
    const { before } = list.pay(keyOf(node('a')), 50);
    expect(list.payees().CUMULUS?.outpoint).toEqual(node('b').outpoint);
    list.revert(before);
    expect(list.payees().CUMULUS).toEqual(before);
    expect(list.tierQueue(1).map(keyOf)).toEqual([keyOf(node('a')), keyOf(node('b'))]);
  });

  it('names the key in errors for unknown and duplicate nodes', () => {
    const list = listFrom([node('a')]);
    expect(() => list.remove('missing:0')).toThrow('remove: "missing:0" (9 chars) is not in the list');
    expect(() => list.restore(node('a'))).toThrow(`restore: ${keyOf(node('a'))} is already in the list`);
    expect(() => list.pay(keyOf(node('a')), -1)).toThrow(/pay: height must be an integer/);
  });
});

describe('toSnapshotNodes (spec §6.1)', () => {
  it('formats NodeObjs with fluxd key order, string fields, genesis lastpaid and per-tier ranks', () => {
    const list = listFrom([
      node('c', { tier: 1, addedHeight: 7, lastPaidHeight: 40, ip: '[2001:db8::1]:16137' }),
      node('s', { tier: 3, addedHeight: 8 }),
      node('s2', { tier: 3, confirmedHeight: 12, outpoint: { txid: 'ab'.repeat(32), n: 7 } }),
    ]);
    const [c, s, s2] = toSnapshotNodes(list, TIMES);
    expect(Object.keys(c!)).toEqual([
      'collateral',
      'txhash',
      'outidx',
      'ip',
      'network',
      'added_height',
      'confirmed_height',
      'last_confirmed_height',
      'last_paid_height',
      'tier',
      'payment_address',
      'pubkey',
      'activesince',
      'lastpaid',
      'amount',
      'rank',
    ]);
    expect(c).toMatchObject({
      outidx: '0',
      network: 'ipv6',
      tier: 'CUMULUS',
      activesince: String(TIMES.blockTime(7)),
      lastpaid: String(TIMES.blockTime(40)),
      amount: '1000.00',
      rank: 0,
    });
    expect(s).toMatchObject({ tier: 'STRATUS', lastpaid: String(TIMES.genesisTime), amount: '40000.00', rank: 0 });
    expect(s2).toMatchObject({ collateral: `COutPoint(${'ab'.repeat(32)}, 7)`, outidx: '7', rank: 1, network: 'ipv4' });
  });

  it('gives the NIMBUS amount and derives network from the ip host', () => {
    const [n] = toSnapshotNodes(listFrom([node('n', { tier: 2 })]), TIMES);
    expect(n?.amount).toBe('12500.00');
    expect(
      ['1.2.3.4:16127', '1.2.3.4', '[2001:db8::1]:16137', '2001:db8::1', 'abc.onion:16127', 'example.com', ''].map(
        networkOf,
      ),
    ).toEqual(['ipv4', 'ipv4', 'ipv6', 'ipv6', 'onion', '', '']);
  });
});

describe('paymentAddressFor', () => {
  it('is base58check of t1 version bytes and hash160 of the key', () => {
    // Known hash160 of the secp256k1 generator's compressed key (the classic Bitcoin test key).
    const address = paymentAddressFor('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
    expect(address).toMatch(/^t1[1-9A-HJ-NP-Za-km-z]{33}$/);
    expect(bytesToHex(createBase58check(sha256).decode(address))).toBe('1cb8751e76e8199196d454941c45d1b3a323f1433bd6');
  });

  it('rejects non-hex keys', () => {
    expect(() => paymentAddressFor('02XY')).toThrow(/collateral pubkey must be lowercase hex/);
  });
});

describe('delta round trip', () => {
  it('decodes what the recorder produced', () => {
    const recorder = new DeltaRecorder();
    recorder.recordAdded(toNodeEntry(node('rt', { tier: 3 })));
    const body = {
      fromHeight: 1,
      toHeight: 2,
      fromHash: '11'.repeat(32),
      toHash: '22'.repeat(32),
      flags: 0,
      ...recorder.take(),
    };
    expect(decodeNodeListDelta(encodeNodeListDelta(body))).toEqual(body);
  });
});
