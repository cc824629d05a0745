import {
  applyBlock,
  type BlockEvent,
  type BlockUndo,
  FluxnodeList,
  type ListedNode,
  NODE_STATUS,
  type NodeStatusValue,
  type OutPoint,
  outpointKey,
  type TierValue,
  undoBlock,
} from '../../protocol/fluxd/index.js';

/**
 * A view's fluxnode state at its tip: fluxd's confirmed list plus the start and DoS trackers
 * (which never show in deltas, §5.2). Blocks carry their events; connecting a block applies
 * exactly those events plus what follows from the state itself (expiry, payments, DoS timers),
 * so every view reaching a block by any path holds the same state there.
 */

/** A node as its operator defines it: collateral, keys, ip and tier. */
export interface NodeIdentity {
  outpoint: OutPoint;
  collateralPubkey: string;
  pubkey: string;
  ip: string;
  tier: TierValue;
  paymentAddress: string;
}

export interface StartedNode {
  identity: NodeIdentity;
  addedHeight: number;
}

/** Node-list changes mined in one block. At most one event per node per block. */
export interface BlockEvents {
  /** START txs: the node enters the start tracker. */
  starts: NodeIdentity[];
  /** INITIAL_CONFIRM of a started node, with the ip its confirm tx carries. */
  confirms: { key: string; ip: string }[];
  /** Control `restore`: a node joins the list directly, as if started and confirmed in this block. */
  restores: NodeIdentity[];
  /** UPDATE_CONFIRM (keep-alive), optionally with a new ip. */
  updateConfirms: { key: string; ip?: string }[];
  /** Spent collateral or a forced expiry: the node leaves the list or whichever tracker holds it. */
  removals: string[];
  /** Control `status DOS`: the node moves to the DoS tracker. */
  dos: string[];
}

export function emptyEvents(): BlockEvents {
  return { starts: [], confirms: [], restores: [], updateConfirms: [], removals: [], dos: [] };
}

/** Chain rules of the simulated era: today's PoN column of spec §7.2. */
export const CHAIN_RULES = {
  expiryWindow: 640,
  /** UPDATE_CONFIRM needs h − lastConfirmed above this. */
  updateInterval: 500,
  /** A start not confirmed this many blocks after START moves to the DoS tracker. */
  dosAfter: 240,
  /** A DoS'd node is released this many blocks after its START. */
  dosRelease: 720,
} as const;

export interface StateUndo {
  list: BlockUndo;
  startedAdded: string[];
  startedRemoved: StartedNode[];
  dosAdded: string[];
  dosRemoved: StartedNode[];
}

export type NodeLocation = 'listed' | 'started' | 'dos' | 'none';

export class NodeState {
  readonly list: FluxnodeList;
  readonly started: Map<string, StartedNode>;
  readonly dos: Map<string, StartedNode>;

  constructor(parts: { list?: FluxnodeList; started?: Map<string, StartedNode>; dos?: Map<string, StartedNode> } = {}) {
    this.list = parts.list ?? new FluxnodeList();
    this.started = parts.started ?? new Map();
    this.dos = parts.dos ?? new Map();
  }

  clone(): NodeState {
    return new NodeState({ list: this.list.clone(), started: new Map(this.started), dos: new Map(this.dos) });
  }

  locate(key: string): NodeLocation {
    if (this.list.has(key)) return 'listed';
    if (this.started.has(key)) return 'started';
    if (this.dos.has(key)) return 'dos';
    return 'none';
  }

  /**
   * Applies a block's events at `height`. Returns the undo that reverts it exactly and the list
   * changes in fluxd's record order (what a DeltaRecorder must hear).
   */
  connect(input: { height: number; events: BlockEvents }): { undo: StateUndo; changes: BlockEvent[] } {
    const { height, events } = input;
    const undo: StateUndo = {
      list: emptyListUndo(height),
      startedAdded: [],
      startedRemoved: [],
      dosAdded: [],
      dosRemoved: [],
    };
    const confirms = [
      ...events.confirms.map(({ key, ip }) =>
        this.takeStarted(key, undo, (started) => listedFrom(started, ip, height)),
      ),
      ...events.restores.map((identity) => listedFrom({ identity, addedHeight: height }, identity.ip, height)),
    ];
    const expiries: string[] = [];
    for (const key of [...events.removals, ...events.dos]) {
      if (this.list.has(key)) expiries.push(key);
      else if (this.started.has(key)) this.takeStarted(key, undo, () => undefined);
      else if (this.dos.has(key)) this.takeDos(key, undo);
    }
    const applied = applyBlock(this.list, {
      height,
      confirms,
      updateConfirms: events.updateConfirms,
      expiries,
      expiryWindow: CHAIN_RULES.expiryWindow,
    });
    undo.list = applied.undo;
    for (const key of events.dos) {
      const identity = identityOf(key, undo);
      if (identity) this.addDos(key, { identity, addedHeight: height }, undo);
    }
    this.runDosTimers(height, undo);
    for (const identity of events.starts) this.addStarted({ identity, addedHeight: height }, undo);
    return { undo, changes: applied.events };
  }

  /** Reverts a connect; returns the list changes of the undo in fluxd's record order. */
  disconnect(undo: StateUndo): BlockEvent[] {
    for (const key of undo.startedAdded) this.started.delete(key);
    for (const key of undo.dosAdded) this.dos.delete(key);
    for (const node of undo.dosRemoved) this.dos.set(keyOf(node), node);
    for (const node of undo.startedRemoved) this.started.set(keyOf(node), node);
    return undoBlock(this.list, undo.list).events;
  }

  /** fluxnodestatus location of a node (§4.5). */
  statusOf(key: string): NodeStatusValue {
    const location = this.locate(key);
    if (location === 'listed') return NODE_STATUS.CONFIRMED;
    if (location === 'started') return NODE_STATUS.STARTED;
    if (location === 'dos') return NODE_STATUS.DOS_PROTECTION;
    return NODE_STATUS.EXPIRED;
  }

  private takeStarted<T>(key: string, undo: StateUndo, build: (node: StartedNode) => T): T {
    const node = this.started.get(key);
    if (!node) throw new Error(`node state: ${key} is not in the start tracker`);
    this.started.delete(key);
    undo.startedRemoved.push(node);
    return build(node);
  }

  private takeDos(key: string, undo: StateUndo): void {
    const node = this.dos.get(key);
    if (!node) return;
    this.dos.delete(key);
    undo.dosRemoved.push(node);
  }

  private addStarted(node: StartedNode, undo: StateUndo): void {
    this.started.set(keyOf(node), node);
    undo.startedAdded.push(keyOf(node));
  }

  private addDos(key: string, node: StartedNode, undo: StateUndo): void {
    this.dos.set(key, node);
    undo.dosAdded.push(key);
  }

  /** Unconfirmed starts time out into the DoS tracker; DoS'd nodes are released later (§7.2). */
  private runDosTimers(height: number, undo: StateUndo): void {
    for (const [key, node] of this.started) {
      if (height - node.addedHeight >= CHAIN_RULES.dosAfter) {
        this.takeStarted(key, undo, () => undefined);
        this.addDos(key, node, undo);
      }
    }
    for (const [key, node] of this.dos) {
      if (height - node.addedHeight >= CHAIN_RULES.dosRelease) this.takeDos(key, undo);
    }
  }
}

function emptyListUndo(height: number): BlockUndo {
  return { height, confirmed: [], updateConfirmed: [], removed: [], paid: [] };
}

function listedFrom(started: StartedNode, ip: string, height: number): ListedNode {
  const { identity } = started;
  return {
    outpoint: identity.outpoint,
    collateralPubkey: identity.collateralPubkey,
    pubkey: identity.pubkey,
    ip,
    tier: identity.tier,
    addedHeight: started.addedHeight,
    confirmedHeight: height,
    lastConfirmedHeight: height,
    lastPaidHeight: 0,
    paymentAddress: identity.paymentAddress,
  };
}

/** The identity of a node this block just took out of the list or the start tracker. */
function identityOf(key: string, undo: StateUndo): NodeIdentity | undefined {
  const listed = undo.list.removed.find((node) => outpointKey(node.outpoint) === key);
  if (listed) return identityFromListed(listed);
  return undo.startedRemoved.find((node) => keyOf(node) === key)?.identity;
}

function identityFromListed(node: ListedNode): NodeIdentity {
  return {
    outpoint: node.outpoint,
    collateralPubkey: node.collateralPubkey,
    pubkey: node.pubkey,
    ip: node.ip,
    tier: node.tier,
    paymentAddress: node.paymentAddress,
  };
}

function keyOf(node: StartedNode): string {
  return outpointKey(node.identity.outpoint);
}
