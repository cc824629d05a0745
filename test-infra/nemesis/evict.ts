import type { DaemonControl } from '../network/daemon-control.js';
import type { ActiveFault, FaultLog } from './fault-log.js';

/** What evictions need of the stub's control API (DaemonControl has it). */
export type EvictControl = Pick<DaemonControl, 'nodeAction' | 'patchNode' | 'nodeInfo' | 'mine'>;

/** expire: dropped from the list; remove: collateral spent; lapse: stops confirming, expires in time. */
export type EvictionKind = 'expire' | 'remove' | 'lapse';

export class EvictError extends Error {
  override readonly name = 'EvictError';
}

/**
 * Evictions from the deterministic node list, through the daemon stub (node i is registration i,
 * the machine index). List changes happen in blocks, so by default an eviction mines one block to
 * take effect at once; without, it waits for the next block (the ticker's or the test's).
 */
export class EvictNemesis {
  readonly #evicted = new Map<number, { kind: EvictionKind; fault: ActiveFault }>();

  constructor(private readonly deps: { daemon: EvictControl; log: FaultLog }) {}

  evicted(): { node: number; kind: EvictionKind }[] {
    return [...this.#evicted].map(([node, { kind }]) => ({ node, kind }));
  }

  expire(args: { nodes: readonly number[]; mine?: boolean }): Promise<void> {
    return this.#evict({ kind: 'expire', ...args }, (node) => this.deps.daemon.nodeAction({ node, action: 'expire' }));
  }

  remove(args: { nodes: readonly number[]; mine?: boolean }): Promise<void> {
    return this.#evict({ kind: 'remove', ...args }, (node) => this.deps.daemon.nodeAction({ node, action: 'remove' }));
  }

  /** The operator stops sending confirmations: the node drops off the list on the list's own schedule. */
  lapse(args: { nodes: readonly number[] }): Promise<void> {
    return this.#evict({ kind: 'lapse', nodes: args.nodes, mine: false }, (node) =>
      this.deps.daemon.patchNode({ node, keepAlive: false }),
    );
  }

  /**
   * Brings evicted nodes back: confirmations resume, and a node that is off the list on some view
   * rejoins it (in the next block, mined here unless `mine` is false).
   */
  async restore(args: { nodes?: readonly number[]; mine?: boolean } = {}): Promise<void> {
    const nodes = args.nodes ?? [...this.#evicted.keys()];
    let queued = false;
    for (const node of nodes) {
      const entry = this.#evicted.get(node);
      await this.deps.daemon.patchNode({ node, keepAlive: true });
      const info = await this.deps.daemon.nodeInfo(node);
      const rejoins = info.locations.some(({ location }) => location === 'none');
      if (rejoins) await this.deps.daemon.nodeAction({ node, action: 'restore' });
      queued ||= rejoins;
      this.#evicted.delete(node);
      if (entry) this.deps.log.end(entry.fault, { rejoins });
    }
    if (queued && args.mine !== false) await this.deps.daemon.mine({ blocks: 1 });
  }

  stop(): Promise<void> {
    return this.restore();
  }

  async #evict(
    args: { kind: EvictionKind; nodes: readonly number[]; mine?: boolean },
    act: (node: number) => Promise<unknown>,
  ): Promise<void> {
    if (args.nodes.length === 0) throw new EvictError(`${args.kind}: no nodes given`);
    for (const node of args.nodes) {
      if (!Number.isInteger(node) || node < 1) throw new EvictError(`${args.kind}: ${node} is not a node number`);
      const current = this.#evicted.get(node);
      if (current)
        throw new EvictError(`${args.kind}: node ${node} is already evicted (${current.kind}); restore it first`);
    }
    for (const node of args.nodes) {
      this.#evicted.set(node, { kind: args.kind, fault: this.deps.log.start(`evict-${args.kind}`, { node }) });
      await act(node);
    }
    if (args.mine !== false) await this.deps.daemon.mine({ blocks: 1 });
  }
}
