import {
  type FluxnodeList,
  type ListedNode,
  type SnapshotNode,
  type SnapshotTimes,
  toSnapshotNode,
} from '../../protocol/fluxd/index.js';
import type { Block } from './block.js';
import type { ChainView } from './view.js';

/**
 * getfluxnodesnapshot / viewdeterministicfluxnodelist output per block. The list at a block is
 * the same for every view that reached it, so one cache serves all views. Printing 10,000 nodes
 * dominates the call, so each node's JSON (all but its rank, which shifts every block) is kept
 * per node version: list nodes are immutable and replaced on change, so a new tip re-prints
 * only the nodes that changed.
 */

export interface SnapshotEntry {
  /** The `nodes` array as JSON text. */
  json: string;
  /** The NodeObjs themselves (built on first use: only filtered lists need them). */
  nodes(): SnapshotNode[];
}

const CAPACITY = 8;
const RANK_TAIL = '"rank":0}';

export class SnapshotCache {
  private readonly entries = new Map<Block, SnapshotEntry>();
  private readonly fragments = new WeakMap<ListedNode, string>();
  private readonly times: SnapshotTimes;

  constructor(times: SnapshotTimes) {
    this.times = times;
  }

  /** The nodes of the view's list at its current tip. */
  forView(view: ChainView): SnapshotEntry {
    const tip = view.tip;
    const cached = this.entries.get(tip);
    if (cached) return cached;
    const entry = this.build(view.state.list);
    this.entries.set(tip, entry);
    if (this.entries.size > CAPACITY) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  private build(list: FluxnodeList): SnapshotEntry {
    const queues = ([1, 2, 3] as const).map((tier) => list.tierQueue(tier));
    const parts = queues.flatMap((queue) => queue.map((node, rank) => `${this.fragment(node)}${rank}}`));
    let nodes: SnapshotNode[] | undefined;
    return {
      json: `[${parts.join(',')}]`,
      nodes: () => {
        nodes ??= queues.flatMap((queue) => queue.map((node, rank) => toSnapshotNode(node, rank, this.times)));
        return nodes;
      },
    };
  }

  /** The node's JSON up to and including `"rank":`. */
  private fragment(node: ListedNode): string {
    let fragment = this.fragments.get(node);
    if (fragment === undefined) {
      const json = JSON.stringify(toSnapshotNode(node, 0, this.times));
      if (!json.endsWith(RANK_TAIL)) throw new Error(`snapshot cache: NodeObj JSON does not end with rank: ${json}`);
      fragment = json.slice(0, -2);
      this.fragments.set(node, fragment);
    }
    return fragment;
  }
}
