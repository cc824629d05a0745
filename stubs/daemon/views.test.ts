import { describe, expect, it } from 'vitest';
import { toSnapshotNodes } from '../../protocol/fluxd/index.js';
import type { Block } from './block.js';
import { merkleRoot } from './block.js';
import { internalBytes, NULL_HASH, sha256d } from './serialize.js';
import type { ChainView, ViewEvent } from './view.js';
import { ViewSet, type ViewSetOptions } from './views.js';

/** The chain simulator without sockets: block tree, views, reorg steps, determinism. */

const BASE: ViewSetOptions = { views: 4, seed: 11, fluxnodes: 12, churn: 0, genesisTime: 1_700_000_000 };

function record(view: ChainView): string[] {
  const events: string[] = [];
  view.onEvent((event: ViewEvent) => {
    events.push(
      event.type === 'tip'
        ? `tip ${event.tip.height}`
        : `reorg old=${event.oldTip.height} new=${event.newTip.height} fork=${event.fork.height}`,
    );
  });
  return events;
}

function snapshotOf(view: ChainView, sim: ViewSet): unknown {
  return toSnapshotNodes(view.state.list, { blockTime: (h) => sim.blockTime(h), genesisTime: sim.genesisTime });
}

/** Reverse of the display hex, as it is hashed. */
function digestHex(bytes: Buffer): string {
  return Buffer.from(sha256d(bytes)).reverse().toString('hex');
}

describe('blocks', () => {
  it('hash their header, and their merkle root is over real txids', () => {
    const sim = new ViewSet({ ...BASE, churn: 2 });
    sim.queue({ kind: 'app-message', hash: 'ab'.repeat(32), valueSat: 1n, address: sim.appAddress });
    const [block] = sim.mine({ blocks: 1 }) as [Block];
    expect(digestHex(block.header)).toBe(block.hash);
    expect(block.header.subarray(4, 36).equals(internalBytes(block.parentHash))).toBe(true);
    expect(block.txs.length).toBeGreaterThan(1);
    for (const tx of block.txs) expect(digestHex(tx.raw)).toBe(tx.txid);
    expect(block.merkleroot).toBe(merkleRoot(block.txs.map((tx) => tx.txid)));
    expect(sim.tree.genesis.parentHash).toBe(NULL_HASH);
    expect(block.chainwork).toBeGreaterThan(sim.tree.genesis.chainwork);
  });

  it('carry a queued app message as an OP_RETURN of the hash text in the next block of every branch', () => {
    const sim = new ViewSet(BASE);
    sim.mine({ blocks: 2 });
    sim.setGroups([
      [1, 2],
      [3, 4],
    ]);
    const hash = 'cd'.repeat(32);
    sim.queue({ kind: 'app-message', hash, valueSat: 5n, address: sim.appAddress });
    const [left, right] = sim.mine({ blocks: 1 }) as [Block, Block];
    const again = sim.mine({ blocks: 1 });
    for (const block of [left, right]) {
      const tx = block.txs.find((candidate) => candidate.appMessageHash === hash);
      expect(tx?.vout[1]?.script.toString('hex')).toBe(`6a40${Buffer.from(hash, 'ascii').toString('hex')}`);
    }
    expect(again.flatMap((block) => block.txs).some((tx) => tx.appMessageHash === hash)).toBe(false);
  });

  it('re-mine an app message on the winning branch when its block is reorged away', () => {
    const sim = new ViewSet(BASE);
    sim.mine({ blocks: 3 });
    const hash = 'ef'.repeat(32);
    sim.queue({ kind: 'app-message', hash, valueSat: 5n, address: sim.appAddress });
    const [withMessage] = sim.mine({ blocks: 1 }) as [Block];
    const branch = sim.reorg({ depth: 1 });
    expect(sim.view(1).onActiveChain(withMessage)).toBe(false);
    expect(branch[0]?.txs.some((tx) => tx.appMessageHash === hash)).toBe(true);
  });
});

describe('determinism', () => {
  function script(options: ViewSetOptions): string[] {
    const sim = new ViewSet(options);
    sim.queue({ kind: 'app-message', hash: '12'.repeat(32), valueSat: 9n, address: sim.appAddress });
    sim.mine({ blocks: 20 });
    sim.setGroups([[1], [2, 3, 4]]);
    sim.mine({ blocks: 3 });
    sim.merge();
    sim.reorg({ depth: 4 });
    return [...sim.views.map((view) => view.tip.hash), ...sim.tree.leaves().map((leaf) => leaf.hash)];
  }

  it('does not depend on who read which state in between (state is path-independent)', () => {
    const run = (read: boolean) => {
      const sim = new ViewSet({ ...BASE, churn: 6 });
      // Reading a view's state moves the shared cursors; the blocks mined must not care.
      const peek = () => {
        if (read) for (const view of sim.views) expect(view.state.list.size).toBeGreaterThan(0);
      };
      for (let round = 0; round < 6; round++) {
        sim.setGroups([[1, 2], [3]]);
        sim.mine({ blocks: 3, group: 0 });
        peek();
        sim.mine({ blocks: 2 + (round % 3), group: 1 });
        peek();
        sim.merge();
        peek();
      }
      sim.mine({ blocks: 5 });
      return sim.tree.leaves().map((leaf) => leaf.hash);
    };
    expect(run(true)).toEqual(run(false));
  });

  it('gives the same hashes for the same seed and calls, other hashes for another seed', () => {
    const options = { ...BASE, churn: 3 };
    expect(script(options)).toEqual(script(options));
    expect(script({ ...options, seed: 12 })[0]).not.toBe(script(options)[0]);
  });
});

describe('ActivateBestChain steps', () => {
  it('reorgs a losing view in one step up to the first heavier tip, then one block per step', () => {
    const sim = new ViewSet(BASE);
    sim.mine({ blocks: 5 });
    const events = record(sim.view(1));
    sim.setGroups([
      [1, 2],
      [3, 4],
    ]);
    sim.mine({ blocks: 2, group: 0 });
    sim.mine({ blocks: 5, group: 1 });
    sim.merge();
    expect(events).toEqual(['tip 6', 'tip 7', 'reorg old=7 new=8 fork=5', 'tip 8', 'tip 9', 'tip 10']);
    expect(new Set(sim.views.map((view) => view.tip.hash)).size).toBe(1);
  });

  it('keeps equal-work branches apart (first seen wins) until one gets heavier', () => {
    const sim = new ViewSet(BASE);
    sim.setGroups([
      [1, 2],
      [3, 4],
    ]);
    sim.mine({ blocks: 2 });
    sim.merge();
    expect(sim.view(1).tip).not.toBe(sim.view(3).tip);
    sim.mine({ blocks: 1, views: [3] });
    expect(sim.view(1).tip).toBe(sim.view(3).tip);
  });

  it('gives every view the same node list at the same block, however it got there', () => {
    const sim = new ViewSet({ ...BASE, churn: 4 });
    sim.mine({ blocks: 30 });
    sim.setGroups([[1, 2], [3]]);
    sim.mine({ blocks: 4 });
    sim.merge();
    sim.reorg({ depth: 3 });
    const tip = sim.view(1).tip;
    for (const view of sim.views) {
      expect(view.tip).toBe(tip);
      expect(snapshotOf(view, sim)).toEqual(snapshotOf(sim.view(1), sim));
    }
  });
});

describe('invalidateblock / reconsiderblock', () => {
  it('announces a reorg to the parent without a tip, then the next block is a tip', () => {
    const sim = new ViewSet(BASE);
    sim.mine({ blocks: 4 });
    const view = sim.view(1);
    const events = record(view);
    const invalid = view.tip;
    sim.invalidate(1, invalid);
    expect(events).toEqual(['reorg old=4 new=3 fork=3']);
    expect(view.height).toBe(3);
    sim.mine({ blocks: 1, views: [1] });
    expect(events.at(-1)).toBe('tip 4');
    expect(view.tip).not.toBe(invalid);
    expect(view.chainTips().find((tip) => tip.hash === invalid.hash)?.status).toBe('invalid');
  });

  it('switches to a heavier known branch right away (a second chainreorg, quirk Q6)', () => {
    const sim = new ViewSet(BASE);
    sim.mine({ blocks: 3 });
    sim.setGroups([[1], [2, 3, 4]]);
    sim.mine({ blocks: 3, group: 0 });
    sim.mine({ blocks: 2, group: 1 });
    sim.merge();
    const view = sim.view(1);
    expect(view.height).toBe(6);
    const events = record(view);
    sim.invalidate(1, view.blockAt(5)!);
    expect(events).toEqual(['reorg old=6 new=4 fork=4', 'reorg old=4 new=5 fork=3', 'tip 5']);
  });

  it('returns to the invalidated branch on reconsider when it is heavier', () => {
    const sim = new ViewSet(BASE);
    sim.mine({ blocks: 4 });
    const view = sim.view(1);
    const old = view.tip;
    sim.invalidate(1, view.blockAt(3)!);
    const events = record(view);
    sim.reconsider(1, view.blockAt(2)!);
    expect(events).toEqual(['tip 3', 'tip 4']);
    expect(view.tip).toBe(old);
  });
});

describe('views', () => {
  it('a stalled view learns blocks but keeps its tip until released', () => {
    const sim = new ViewSet(BASE);
    sim.mine({ blocks: 2 });
    sim.view(2).setStalled(true);
    sim.mine({ blocks: 3 });
    expect(sim.view(2).height).toBe(2);
    expect(sim.view(2).bestCandidate().height).toBe(5);
    expect(sim.view(2).chainTips()[0]).toMatchObject({ height: 5, status: 'valid-headers', branchlen: 3 });
    const events = record(sim.view(2));
    sim.view(2).setStalled(false);
    expect(events).toEqual(['tip 3', 'tip 4', 'tip 5']);
  });

  it('reports a stale branch in getchaintips with its branch length', () => {
    const sim = new ViewSet(BASE);
    sim.mine({ blocks: 3 });
    sim.reorg({ depth: 2 });
    const tips = sim.view(1).chainTips();
    expect(tips).toEqual([
      { height: 4, hash: sim.view(1).tip.hash, branchlen: 0, status: 'active' },
      expect.objectContaining({ height: 3, branchlen: 2, status: 'valid-fork' }),
    ]);
  });

  it('rejects bad groups and unknown views with errors naming them', () => {
    const sim = new ViewSet(BASE);
    expect(() => sim.setGroups([[1, 2], [2]])).toThrow(/view 2 is already in another group/);
    expect(() => sim.setGroups([[9]])).toThrow(/view 9 does not exist/);
    expect(() => sim.mine({ blocks: 1, group: 3 })).toThrow(/group 3 does not exist/);
    expect(() => sim.reorg({ depth: 1 })).toThrow(/reorg depth must be an integer 1\.\.0/);
  });
});
