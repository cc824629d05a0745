import { outpointKey, type TierValue } from '../../protocol/fluxd/index.js';
import { createRng, type Rng } from '../../protocol/random.js';
import type { Block } from './block.js';
import { RpcJournal } from './journal.js';
import type { NodeIdentity } from './lifecycle.js';
import type { SettableStatus } from './mempool.js';
import type { ManifestNode } from './registry.js';
import type { RpcContext } from './rpc-methods.js';
import type { RpcFailureMode } from './rpc-server.js';
import { SnapshotCache } from './snapshot-cache.js';
import { type MineTarget, ViewSet, type ViewSetOptions } from './views.js';

/**
 * The daemon stub without sockets: the simulated network (ViewSet), per-view faults, and every
 * operation the control API and the ticker perform. Node references accept an outpoint key
 * (`txid:n`) or a 1-based registration number (node i is view i's own node).
 */

export type CoreOptions = ViewSetOptions;

export interface ViewFaults {
  rpc: RpcFailureMode;
  /** Frames are built (seq advances) but never sent, as if lost on the wire. */
  zmqSilent: boolean;
  /** Initial block download: RPC node-list calls answer -10, no tip batches. */
  ibd: boolean;
}

export type NodeAction = 'start' | 'confirm' | 'expire' | 'remove' | 'restore';

export interface AddNodeInput extends ManifestNode {
  /** Blocks from START to INITIAL_CONFIRM; null = never confirms. Default 1. */
  confirmDelay?: number | null;
  /** Queue its START now (default true). */
  start?: boolean;
}

export interface NodePatch {
  tier?: TierValue;
  status?: SettableStatus;
  keepAlive?: boolean;
  ip?: string;
}

/** Thrown for control input that names something that does not exist or cannot be done. */
export class ControlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ControlError';
  }
}

export class DaemonCore {
  readonly journal = new RpcJournal();
  private readonly options: CoreOptions;
  private readonly onReset: (sim: ViewSet) => void;
  private simulation: ViewSet;
  private cache: SnapshotCache;
  private viewFaults: ViewFaults[];
  private reorgRng: Rng;

  constructor(options: CoreOptions, hooks: { onReset: (sim: ViewSet) => void }) {
    this.options = options;
    this.onReset = hooks.onReset;
    this.simulation = new ViewSet(options);
    this.cache = this.newCache();
    this.viewFaults = this.newFaults();
    this.reorgRng = createRng(options.seed + 1);
  }

  get sim(): ViewSet {
    return this.simulation;
  }

  get snapshots(): SnapshotCache {
    return this.cache;
  }

  faults(view: number): ViewFaults {
    this.sim.view(view);
    return this.viewFaults[view - 1]!;
  }

  /** Back to genesis with the same options: a daemon restart (seq counters and first-tip rule too). */
  reset(): void {
    this.simulation = new ViewSet(this.options);
    this.cache = this.newCache();
    this.viewFaults = this.newFaults();
    this.reorgRng = createRng(this.options.seed + 1);
    this.onReset(this.simulation);
  }

  rpcContext(view: number): RpcContext {
    return {
      sim: this.sim,
      view: this.sim.view(view),
      snapshots: this.cache,
      isInitialBlockDownload: this.faults(view).ibd,
      stop: () => Object.assign(this.faults(view), { rpc: 'reset', zmqSilent: true }),
    };
  }

  mine(options: { blocks: number } & MineTarget): Block[] {
    return this.sim.mine(options);
  }

  /** The ticker's reorg: a competing branch 1–6 blocks deep (bounded by the height), then merge. */
  randomReorg(): Block[] {
    const height = this.sim.view(1).height;
    if (height < 1) return [];
    return this.sim.reorg({ depth: this.reorgRng.int(1, Math.min(6, height)) });
  }

  queueAppMessage(input: { hash: string; valueSat?: bigint; address?: string }): void {
    this.sim.queue({
      kind: 'app-message',
      hash: input.hash,
      valueSat: input.valueSat ?? 100_000_000n,
      address: input.address ?? this.sim.appAddress,
    });
  }

  block(view: number, hash: string): Block {
    const block = this.sim.tree.get(hash);
    if (!block || !this.sim.view(view).knows(block)) throw new ControlError(`view ${view} knows no block ${hash}`);
    return block;
  }

  addNode(input: AddNodeInput): { key: string; identity: NodeIdentity } {
    const { registry } = this.sim;
    const identity = registry.identityFromManifest(input, registry.size);
    const key = outpointKey(identity.outpoint);
    if (registry.get(key)) throw new ControlError(`node ${key} is already registered`);
    registry.register(identity, { confirmDelay: input.confirmDelay === undefined ? 1 : input.confirmDelay });
    if (input.start !== false) this.sim.queue({ kind: 'start', identity });
    return { key, identity };
  }

  nodeAction(ref: string, action: NodeAction): string {
    const key = this.nodeKey(ref);
    if (action === 'start') this.sim.queue({ kind: 'start', identity: this.sim.registry.get(key)!.identity });
    else if (action === 'remove') this.sim.queue({ kind: 'spend', key });
    else this.sim.queue({ kind: action, key });
    return key;
  }

  patchNode(ref: string, patch: NodePatch): string {
    const key = this.nodeKey(ref);
    const operator = this.sim.registry.get(key)!;
    if (patch.keepAlive !== undefined) operator.keepAlive = patch.keepAlive;
    if (patch.tier !== undefined) {
      this.sim.queue({ kind: 'retier', key, identity: this.sim.registry.retier(key, patch.tier) });
    }
    if (patch.status !== undefined) this.sim.queue({ kind: 'set-status', key, status: patch.status });
    if (patch.ip !== undefined) this.sim.queue({ kind: 'update-confirm', key, ip: patch.ip });
    return key;
  }

  /** `txid:n`, or a 1-based registration number. */
  nodeKey(ref: string): string {
    const { registry } = this.sim;
    const key = /^\d+$/.test(ref) ? registry.keyAt(Number(ref) - 1) : ref;
    if (key === undefined || !registry.get(key)) {
      throw new ControlError(
        `node ${JSON.stringify(ref)}: not a registered outpoint key (txid:n) nor a node number 1..${registry.size}`,
      );
    }
    return key;
  }

  stateJson(): Record<string, unknown> {
    const { sim } = this;
    return {
      views: sim.views.map((view) => ({
        view: view.index,
        height: view.height,
        tip: view.tip.hash,
        stalled: view.stalled,
        ...this.viewFaults[view.index - 1],
        ownNode: view.ownNodeKey ?? null,
        listed: view.state.list.size,
        started: view.state.started.size,
        dos: view.state.dos.size,
      })),
      groups: sim.groupList,
      blocks: sim.tree.size,
      mempool: sim.mempool.size,
      registeredNodes: sim.registry.size,
      churn: sim.churn,
    };
  }

  private newCache(): SnapshotCache {
    return new SnapshotCache({
      blockTime: (height) => this.simulation.blockTime(height),
      genesisTime: this.options.genesisTime,
    });
  }

  private newFaults(): ViewFaults[] {
    return this.simulation.views.map(() => ({ rpc: 'none', zmqSilent: false, ibd: false }));
  }
}
