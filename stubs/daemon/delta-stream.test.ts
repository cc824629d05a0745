import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChainReorgBody,
  DELTA_FLAG_REORG,
  type FluxnodeSnapshot,
  type NodeListDeltaBody,
  StateValidator,
  type ZmqMessage,
} from '../../protocol/fluxd/index.js';
import { createRng } from '../../protocol/random.js';
import { type DaemonStubHandle, startDaemonStub } from './daemon-stub.js';
import { callRpc, type RpcCallOptions } from './rpc-client.js';
import { ZmqCollector } from './zmq-collector.js';

/**
 * The stub's reason to exist: a client following one view's fluxnodelistdelta stream from a
 * snapshot (the fluxd contrib validator) stays equal to getfluxnodesnapshot after every block,
 * through random lifecycle churn, partitions that heal into reorgs, competing branches and
 * invalidateblock, with no gap and no continuity failure.
 */

const WAIT_MS = 10_000;
const MIN_BLOCKS = 1000;
const MIN_REORGS = 20;

describe('fluxnodelistdelta stream against snapshots', () => {
  let stub: DaemonStubHandle;
  let collector: ZmqCollector;
  let rpc: RpcCallOptions;

  beforeAll(async () => {
    stub = await startDaemonStub({
      views: 4,
      fluxnodes: 40,
      churn: 1.5,
      seed: 4242,
      controlPort: null,
      // Multi-block reorg deltas that confirm then pay a node would otherwise carry stale add data (Q5).
      deltaUpdateOfAdded: 'replace',
    });
    rpc = { url: stub.views[0]!.rpcUrl, user: 'fluxrpc', password: 'fluxrpc' };
    collector = ZmqCollector.connect(stub.views[0]!.zmqEndpoint);
    await stub.waitForSubscriber(1);
  });

  afterAll(async () => {
    collector?.close();
    await stub?.stop();
  });

  it('keeps the validator equal to the snapshot after every block, through churn and >= 20 reorgs', async () => {
    const view1 = stub.chain.view(1);
    let tipEvents = 0;
    view1.onEvent((event) => {
      if (event.type === 'tip') tipEvents += 1;
    });
    const validator = new StateValidator();
    const outcomes: string[] = [];
    let following = false;
    collector.onMessage((message) => {
      if (following && message.topic === 'fluxnodelistdelta') outcomes.push(validator.applyDelta(message.body).result);
    });

    // The first tip after start sends no delta (§5.3.2): bootstrap from the snapshot after it.
    stub.mine({ blocks: 1 });
    await collector.waitForCount('hashblockheight', 1, WAIT_MS);
    validator.initFromSnapshot(await callRpc<FluxnodeSnapshot>(rpc, 'getfluxnodesnapshot'));
    following = true;

    let checkedTips = 1;
    let comparisons = 0;
    const checkpoint = async (): Promise<void> => {
      if (tipEvents === checkedTips) return;
      checkedTips = tipEvents;
      await collector.waitForCount('hashblockheight', tipEvents, WAIT_MS);
      const snapshot = await callRpc<FluxnodeSnapshot>(rpc, 'getfluxnodesnapshot');
      const comparison = validator.compareWithSnapshot(snapshot);
      expect(comparison.skipped, comparison.diff.join('\n')).toBe(false);
      expect(comparison.diff, `at height ${snapshot.height}`).toEqual([]);
      comparisons += 1;
    };

    const rng = createRng(99);
    const reorgsOnView1 = () => collector.count('chainreorg');
    let mined = 1;
    while (mined < MIN_BLOCKS || reorgsOnView1() < MIN_REORGS) {
      const roll = rng.next();
      if (roll < 0.55) {
        mined += stub.mine({ blocks: 1 }).length;
        await checkpoint();
      } else if (roll < 0.8) {
        mined += await partitionAndHeal();
      } else if (roll < 0.92) {
        mined += stub.chain.reorg({ depth: rng.int(1, Math.min(6, view1.height)) }).length;
        await checkpoint();
      } else {
        mined += await invalidateTipAndMineOver();
      }
    }

    async function partitionAndHeal(): Promise<number> {
      stub.chain.setGroups([
        [1, 2],
        [3, 4],
      ]);
      const lengths = [rng.int(1, 6), rng.int(1, 6)];
      // Equal work keeps each side on its own tip; make one side heavier so the merge reorgs the other.
      if (lengths[0] === lengths[1]) lengths[rng.int(0, 1)]! += 1;
      let count = 0;
      for (let round = 0; round < Math.max(...lengths); round++) {
        for (const group of [0, 1]) {
          if (round >= lengths[group]!) continue;
          count += stub.mine({ blocks: 1, group }).length;
          await checkpoint();
        }
      }
      stub.chain.merge();
      await checkpoint();
      return count;
    }

    /** invalidateblock on view 1's tip (chainreorg, no delta, Q12), mine past it, reconsider. */
    async function invalidateTipAndMineOver(): Promise<number> {
      const tip = view1.tip.hash;
      await callRpc(rpc, 'invalidateblock', [tip]);
      await checkpoint();
      let count = 0;
      for (let i = 0; i < 2; i++) {
        count += stub.mine({ blocks: 1 }).length;
        await checkpoint();
      }
      await callRpc(rpc, 'reconsiderblock', [tip]);
      await checkpoint();
      return count;
    }

    await checkpoint();
    expect(collector.errors).toEqual([]);
    expect(validator.counters.gaps).toBe(0);
    expect(validator.counters.continuityFailures).toBe(0);
    expect(validator.counters.reorgs).toBeGreaterThanOrEqual(MIN_REORGS);
    expect(outcomes.every((outcome) => outcome === 'applied')).toBe(true);
    // One comparison per action that moved view 1's tip (a merge may move it several blocks at once).
    expect(comparisons).toBeGreaterThanOrEqual(MIN_BLOCKS / 2);
    expect(mined).toBeGreaterThanOrEqual(MIN_BLOCKS);
    expectSeqNumbering(collector.messages);
    expectReorgOrdering(collector.messages);
  });
});

/** Each topic counts 0, 1, 2, … in arrival order (§2, Q1). */
function expectSeqNumbering(messages: readonly ZmqMessage[]): void {
  const next = new Map<string, number>();
  for (const message of messages) {
    expect(message.seq, `${message.topic} seq`).toBe(next.get(message.topic) ?? 0);
    next.set(message.topic, message.seq + 1);
  }
}

/**
 * chainreorg comes right before the flagged delta whose from_hash is the reorg's old tip; every
 * flagged delta has one; unflagged deltas chain hash to hash; heights always chain (§3, §5.3).
 */
function expectReorgOrdering(messages: readonly ZmqMessage[]): void {
  let previous: NodeListDeltaBody | undefined;
  let reorgs = 0;
  messages.forEach((message, index) => {
    if (message.topic === 'chainreorg') {
      reorgs += 1;
      const reorg: ChainReorgBody = message.body;
      const depth = reorg.oldHeight - reorg.forkHeight;
      expect(depth, 'reorg depth').toBeGreaterThanOrEqual(1);
      expect(depth, 'reorg depth').toBeLessThanOrEqual(6);
      const following = messages[index + 1];
      expect(following?.topic, `message after chainreorg #${message.seq}`).toBe('fluxnodelistdelta');
      const delta = following!.body as NodeListDeltaBody;
      expect(delta.flags).toBe(DELTA_FLAG_REORG);
      expect(delta.fromHash).toBe(reorg.oldHash);
      // A natural reorg's delta ends at the step's tip; after invalidateblock (new == fork) the next block's.
      if (reorg.newHash !== reorg.forkHash) expect(delta.toHash).toBe(reorg.newHash);
    }
    if (message.topic !== 'fluxnodelistdelta') return;
    const delta = message.body;
    if (delta.flags & DELTA_FLAG_REORG) expect(messages[index - 1]?.topic).toBe('chainreorg');
    if (previous) {
      expect(delta.fromHeight).toBe(previous.toHeight);
      if (!(delta.flags & DELTA_FLAG_REORG)) expect(delta.fromHash).toBe(previous.toHash);
    }
    previous = delta;
  });
  expect(reorgs).toBeGreaterThanOrEqual(MIN_REORGS);
}
