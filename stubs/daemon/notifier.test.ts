import { describe, expect, it } from 'vitest';
import {
  type NodeListDeltaBody,
  type NodeStatusBody,
  StateValidator,
  toSnapshotNodes,
  type ZmqMessage,
} from '../../protocol/fluxd/index.js';
import { createRng } from '../../protocol/random.js';
import { TipNotifier } from './notifier.js';
import { ViewSet } from './views.js';

/** fluxd's notifier rules (§3, §4.5, §5.3, Q6, Q8, Q12) on a view's events, without sockets. */

function setup(options: { fluxnodes?: number; views?: number; premine?: number } = {}) {
  const sim = new ViewSet({
    views: options.views ?? 4,
    seed: 3,
    fluxnodes: options.fluxnodes ?? 12,
    churn: 0,
    genesisTime: 1_700_000_000,
  });
  if (options.premine) sim.mine({ blocks: options.premine });
  let ibd = false;
  const attach = (index: number) => {
    const view = sim.view(index);
    const own = view.ownNodeKey === undefined ? undefined : sim.registry.get(view.ownNodeKey)!.identity.outpoint;
    const notifier = new TipNotifier({
      view,
      ...(own ? { ownOutpoint: own } : {}),
      isInitialBlockDownload: () => ibd,
    });
    const messages: ZmqMessage[] = [];
    view.onEvent((event) => messages.push(...notifier.messagesFor(event)));
    return messages;
  };
  return { sim, attach, setIbd: (value: boolean) => (ibd = value) };
}

const topics = (messages: readonly ZmqMessage[]) => messages.map((message) => message.topic);
const deltas = (messages: readonly ZmqMessage[]) =>
  messages
    .filter((message) => message.topic === 'fluxnodelistdelta')
    .map((message) => message.body as NodeListDeltaBody);

describe('TipNotifier', () => {
  it('primes on the first tip (no delta), then sends delta, status, hashblock, hashblockheight per tip', () => {
    const { sim, attach } = setup();
    const messages = attach(1);
    sim.mine({ blocks: 1 });
    expect(topics(messages)).toEqual(['fluxnodestatus', 'hashblock', 'hashblockheight']);
    sim.mine({ blocks: 1 });
    const second = messages.slice(3);
    expect(topics(second).filter((topic) => topic !== 'fluxnodestatus')).toEqual([
      'fluxnodelistdelta',
      'hashblock',
      'hashblockheight',
    ]);
    expect(second[0]).toMatchObject({
      topic: 'fluxnodelistdelta',
      seq: 0,
      body: {
        fromHeight: 1,
        toHeight: 2,
        fromHash: sim.view(1).blockAt(1)!.hash,
        toHash: sim.view(1).tip.hash,
        flags: 0,
      },
    });
    expect(messages.find((message) => message.topic === 'hashblockheight')?.seq).toBe(0);
  });

  it('sends fluxnodestatus only when a status field changes, never for a view that is not a node', () => {
    const { sim, attach } = setup({ views: 13 });
    const own = attach(1);
    const none = attach(13);
    sim.mine({ blocks: 12 });
    expect(topics(none)).not.toContain('fluxnodestatus');
    const statuses = own.filter((message) => message.topic === 'fluxnodestatus').map((m) => m.body as NodeStatusBody);
    // 12 nodes, 4 per tier: node 1 is paid every 4th block, so its status changes only then.
    expect(statuses.length).toBeGreaterThan(1);
    expect(statuses.length).toBeLessThan(12);
    for (let i = 1; i < statuses.length; i++) {
      const { height: _a, ...before } = statuses[i - 1]!;
      const { height: _b, ...after } = statuses[i]!;
      expect(after).not.toEqual(before);
    }
  });

  it('after invalidateblock sends chainreorg alone, then a flagged delta from the old tip (Q12)', () => {
    const { sim, attach } = setup();
    const messages = attach(2);
    sim.mine({ blocks: 5 });
    const view = sim.view(2);
    const oldTip = view.tip;
    const before = messages.length;
    sim.invalidate(2, view.blockAt(3)!);
    expect(topics(messages.slice(before))).toEqual(['chainreorg']);
    expect(messages.at(-1)?.body).toMatchObject({ oldHeight: 5, newHeight: 2, forkHeight: 2, oldHash: oldTip.hash });
    sim.mine({ blocks: 1, views: [2] });
    expect(deltas(messages).at(-1)).toMatchObject({ fromHeight: 5, toHeight: 3, fromHash: oldTip.hash, flags: 1 });
  });

  it('after two reorgs between tips sends from_height of the last delta with the newest old tip (Q6)', () => {
    const { sim, attach } = setup();
    const messages = attach(1);
    sim.mine({ blocks: 3 });
    sim.setGroups([[1], [2, 3, 4]]);
    sim.mine({ blocks: 3, group: 0 });
    sim.mine({ blocks: 2, group: 1 });
    sim.merge();
    const view = sim.view(1);
    const secondOld = view.blockAt(4)!;
    sim.invalidate(1, view.blockAt(5)!);
    expect(deltas(messages).at(-1)).toMatchObject({ fromHeight: 6, toHeight: 5, fromHash: secondOld.hash, flags: 1 });
  });

  it('keeps a reorg seen before the primed first tip, so the first delta is flagged (Q6)', () => {
    const { sim, attach } = setup({ premine: 3 });
    sim.setGroups([[1], [2, 3, 4]]);
    sim.mine({ blocks: 1, group: 0 });
    sim.mine({ blocks: 2, group: 1 });
    const messages = attach(1);
    const oldTip = sim.view(1).tip;
    sim.merge();
    expect(topics(messages)).toEqual(['chainreorg', 'fluxnodestatus', 'hashblock', 'hashblockheight']);
    sim.mine({ blocks: 1 });
    expect(deltas(messages)).toEqual([expect.objectContaining({ fromHeight: 5, fromHash: oldTip.hash, flags: 1 })]);
  });

  it('in IBD sends chainreorg but no tip batch; afterwards one delta nets everything (Q8)', () => {
    const { sim, attach, setIbd } = setup();
    const messages = attach(1);
    sim.mine({ blocks: 2 });
    setIbd(true);
    const before = messages.length;
    sim.mine({ blocks: 3 });
    sim.reorg({ depth: 1 });
    expect(topics(messages.slice(before))).toEqual(['chainreorg']);
    setIbd(false);
    sim.mine({ blocks: 1 });
    expect(deltas(messages).at(-1)).toMatchObject({ fromHeight: 2, toHeight: 7, flags: 1 });
    expect(deltas(messages).at(-1)?.updated.length).toBeGreaterThan(0);
  });
});

describe('Q5 (RecordUpdated ignored for an added outpoint)', () => {
  /** Follows view 1 with the contrib validator through churn and reorgs; returns how many checks disagreed. */
  function mismatches(updateOfAdded: 'ignore' | 'replace'): { failed: number; checks: number } {
    const sim = new ViewSet({
      views: 2,
      seed: 17,
      fluxnodes: 9,
      churn: 2,
      genesisTime: 1_700_000_000,
      recorder: { updateOfAdded },
    });
    const view = sim.view(1);
    const notifier = new TipNotifier({ view, isInitialBlockDownload: () => false });
    const validator = new StateValidator();
    let following = false;
    view.onEvent((event) => {
      for (const message of notifier.messagesFor(event)) {
        if (following && message.topic === 'fluxnodelistdelta') validator.applyDelta(message.body);
      }
    });
    const snapshot = () => ({
      height: view.height,
      blockhash: view.tip.hash,
      nodes: toSnapshotNodes(view.state.list, { blockTime: (h) => sim.blockTime(h), genesisTime: sim.genesisTime }),
    });
    sim.mine({ blocks: 1 });
    validator.initFromSnapshot(snapshot());
    following = true;
    const rng = createRng(5);
    let failed = 0;
    let checks = 0;
    for (let step = 0; step < 300; step++) {
      if (rng.chance(0.6)) sim.mine({ blocks: 1 });
      else sim.reorg({ depth: rng.int(1, Math.min(6, view.height)) });
      checks += 1;
      if (!validator.compareWithSnapshot(snapshot()).equal) {
        failed += 1;
        validator.initFromSnapshot(snapshot());
      }
    }
    expect(validator.counters.gaps + validator.counters.continuityFailures).toBe(0);
    return { failed, checks };
  }

  it('leaves stale add data in multi-block reorg deltas by default, as fluxd does', () => {
    expect(mismatches('ignore').failed).toBeGreaterThan(0);
  });

  it("converges with the fixed 'replace' netting", () => {
    expect(mismatches('replace')).toEqual({ failed: 0, checks: 300 });
  });
});
