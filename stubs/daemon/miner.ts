import { Buffer } from 'node:buffer';
import { type ListedNode, outpointKey, type TierValue } from '../../protocol/fluxd/index.js';
import type { Rng } from '../../protocol/random.js';
import { assembleBlock, BLOCK_SPACING_SECONDS, type Block } from './block.js';
import { type BlockEvents, CHAIN_RULES, emptyEvents, type NodeState } from './lifecycle.js';
import type { AncestryTest, Mempool, MempoolEntry, PendingOp, SettableStatus } from './mempool.js';
import type { NodeRegistry } from './registry.js';
import { addressScript } from './scripts.js';
import { hashId } from './serialize.js';
import { appMessageTx, COIN, coinbaseTx, collateralSpendTx, fluxnodeTx, type Tx, type TxOut } from './transactions.js';

/**
 * Builds the next block on a parent from the node state at that parent: pending mempool
 * entries valid there, automatic confirms and keep-alives, random churn, and the coinbase
 * paying each tier's payee. Reads the state, never changes it.
 */

export interface MinerDeps {
  registry: NodeRegistry;
  mempool: Mempool;
  isAncestor: AncestryTest;
  /** Drives churn; the same seed and call order give the same blocks. */
  rng: Rng;
  genesisTime: number;
  /** Output script of the block reward. */
  minerScript: Buffer;
}

export interface BuildInput {
  parent: Block;
  state: NodeState;
  sequence: number;
  /** Who mined it (e.g. `g1`, `v3`): part of the coinbase and nonce. */
  minerTag: string;
  /** Expected random lifecycle events in this block. */
  churn: number;
}

export interface BuiltBlock {
  block: Block;
  mined: MempoolEntry[];
}

const MINER_REWARD = 9n * COIN;
const PAYEE_REWARD: Record<TierValue, bigint> = { 1: COIN, 2: (7n * COIN) / 4n, 3: (9n * COIN) / 2n };
const COLLATERAL_SAT: Record<TierValue, bigint> = { 1: 1000n * COIN, 2: 12500n * COIN, 3: 40000n * COIN };
/** An ip change needs this many blocks since the last confirm (§7.2). */
const IP_CHANGE_MIN_BLOCKS = 5;

type ChurnKind = 'join' | 'stuck-start' | 'ip-change' | 'leave' | 'lapse' | 'rejoin';
/** Arrivals (join, rejoin) balance departures (leave, lapse), so the list size drifts but does not trend. */
const CHURN_WEIGHTS: readonly [ChurnKind, number][] = [
  ['join', 15],
  ['stuck-start', 5],
  ['ip-change', 20],
  ['leave', 15],
  ['lapse', 15],
  ['rejoin', 15],
];

/** Per-block scratch: what goes into the block, and which nodes already have an event. */
interface Plan {
  height: number;
  state: NodeState;
  events: BlockEvents;
  touched: Set<string>;
  spends: string[];
  appMessages: Extract<PendingOp, { kind: 'app-message' }>[];
  mined: MempoolEntry[];
}

export class Miner {
  private readonly deps: MinerDeps;
  private ipCounter = 0;

  constructor(deps: MinerDeps) {
    this.deps = deps;
  }

  blockTime(height: number): number {
    return this.deps.genesisTime + height * BLOCK_SPACING_SECONDS;
  }

  build(input: BuildInput): BuiltBlock {
    const height = input.parent.height + 1;
    const plan: Plan = {
      height,
      state: input.state,
      events: emptyEvents(),
      touched: new Set(),
      spends: [],
      appMessages: [],
      mined: [],
    };
    for (const entry of this.deps.mempool.pendingOn(input.parent, this.deps.isAncestor)) {
      if (this.takeOp(plan, entry.op)) plan.mined.push(entry);
    }
    this.autoConfirms(plan);
    this.keepAlives(plan);
    this.churn(plan, input.churn);
    const tag = Buffer.concat([Buffer.from(input.minerTag, 'utf8'), u32(input.sequence)]);
    const txs = [this.coinbase(plan, tag), ...this.planTxs(plan)];
    const block = assembleBlock({
      parent: input.parent,
      time: this.blockTime(height),
      txs,
      events: plan.events,
      sequence: input.sequence,
      minerTag: tag,
    });
    return { block, mined: plan.mined };
  }

  /** Puts a mempool op into the block if it is valid at the parent; false = it waits. */
  private takeOp(plan: Plan, op: PendingOp): boolean {
    if (op.kind === 'app-message') {
      plan.appMessages.push(op);
      return true;
    }
    const key = op.kind === 'start' ? outpointKey(op.identity.outpoint) : op.key;
    if (plan.touched.has(key)) return false;
    const location = plan.state.locate(key);
    const { events } = plan;
    switch (op.kind) {
      case 'start':
        if (location !== 'none') return false;
        events.starts.push(op.identity);
        break;
      case 'confirm': {
        const started = plan.state.started.get(key);
        if (!started) return false;
        events.confirms.push({ key, ip: started.identity.ip });
        break;
      }
      case 'update-confirm':
        if (location !== 'listed') return false;
        events.updateConfirms.push(op.ip === undefined ? { key } : { key, ip: op.ip });
        break;
      case 'spend':
      case 'expire':
        if (location === 'none') return false;
        events.removals.push(key);
        if (op.kind === 'spend') plan.spends.push(key);
        break;
      case 'restore': {
        const identity = this.deps.registry.get(key)?.identity;
        if (location !== 'none' || !identity) return false;
        events.restores.push(identity);
        break;
      }
      case 'dos':
        if (location !== 'listed' && location !== 'started') return false;
        events.dos.push(key);
        break;
      case 'retier':
        if (location === 'started' || location === 'dos') return false;
        if (location === 'listed') events.removals.push(key);
        events.starts.push(op.identity);
        break;
      case 'set-status':
        if (!this.takeStatus(plan, key, op.status)) return false;
        break;
    }
    plan.touched.add(key);
    return true;
  }

  /** The one-block step that brings a node to `status` from where it is on this branch. */
  private takeStatus(plan: Plan, key: string, status: SettableStatus): boolean {
    const { events, state } = plan;
    const location = state.locate(key);
    const identity = this.deps.registry.get(key)?.identity;
    if (status === 'CONFIRMED') {
      if (location === 'started') events.confirms.push({ key, ip: state.started.get(key)!.identity.ip });
      else if (location === 'none' && identity) events.restores.push(identity);
      else return false;
    } else if (status === 'STARTED') {
      if (location === 'dos' || location === 'started' || !identity) return false;
      if (location === 'listed') events.removals.push(key);
      events.starts.push(identity);
    } else if (status === 'DOS') {
      if (location !== 'listed' && location !== 'started') return false;
      events.dos.push(key);
    } else {
      if (location === 'none') return false;
      events.removals.push(key);
    }
    return true;
  }

  /** Started nodes whose operator confirms after a delay. */
  private autoConfirms(plan: Plan): void {
    // Sorted: the tracker's Map order depends on the path that reached this state, the block must not.
    const keys = [...plan.state.started.keys()].sort();
    for (const key of keys) {
      const started = plan.state.started.get(key)!;
      const delay = this.deps.registry.get(key)?.confirmDelay;
      if (delay === null || delay === undefined || plan.touched.has(key)) continue;
      if (plan.height - started.addedHeight < delay) continue;
      plan.events.confirms.push({ key, ip: started.identity.ip });
      plan.touched.add(key);
    }
  }

  /** Nodes due a keep-alive confirm (scanned every block, so the due test reads no strings). */
  private keepAlives(plan: Plan): void {
    const due: ListedNode[] = [];
    for (const tier of [1, 2, 3] as const) {
      for (const node of plan.state.list.tierQueue(tier)) {
        if (plan.height - node.lastConfirmedHeight >= keepAliveInterval(node.outpoint.txid)) due.push(node);
      }
    }
    for (const node of due) {
      const key = outpointKey(node.outpoint);
      if (!this.deps.registry.get(key)?.keepAlive || plan.touched.has(key)) continue;
      plan.events.updateConfirms.push({ key });
      plan.touched.add(key);
    }
  }

  private churn(plan: Plan, rate: number): void {
    if (rate <= 0) return;
    const { rng } = this.deps;
    const count = Math.floor(rate) + (rng.next() < rate - Math.floor(rate) ? 1 : 0);
    for (let i = 0; i < count; i++) this.churnOnce(plan, pickWeighted(rng, CHURN_WEIGHTS));
  }

  private churnOnce(plan: Plan, kind: ChurnKind): void {
    const { registry, rng } = this.deps;
    if (kind === 'join' || kind === 'stuck-start') {
      const identity = registry.generateIdentity(rng.int(1, 3) as TierValue);
      registry.register(identity, { confirmDelay: kind === 'join' ? rng.int(1, 5) : null });
      plan.events.starts.push(identity);
      plan.touched.add(outpointKey(identity.outpoint));
      return;
    }
    if (kind === 'rejoin') {
      this.rejoin(plan);
      return;
    }
    const node = this.randomListed(plan);
    if (!node) return;
    const key = outpointKey(node.outpoint);
    if (kind === 'lapse') {
      const operator = registry.get(key);
      if (operator) operator.keepAlive = false;
      return;
    }
    if (kind === 'leave') {
      plan.events.removals.push(key);
      plan.spends.push(key);
    } else {
      if (plan.height - node.lastConfirmedHeight < IP_CHANGE_MIN_BLOCKS) return;
      plan.events.updateConfirms.push({ key, ip: this.freshIp() });
    }
    plan.touched.add(key);
  }

  /** A registered node that is nowhere on this branch comes back (and keeps itself alive). */
  private rejoin(plan: Plan): void {
    const { registry, rng } = this.deps;
    for (let attempt = 0; attempt < 8 && registry.size > 0; attempt++) {
      const key = registry.keyAt(rng.int(0, registry.size - 1))!;
      const operator = registry.get(key)!;
      if (plan.touched.has(key) || plan.state.locate(key) !== 'none') continue;
      operator.keepAlive = true;
      plan.events.restores.push(operator.identity);
      plan.touched.add(key);
      return;
    }
  }

  private randomListed(plan: Plan): ListedNode | undefined {
    const { rng } = this.deps;
    const queue = plan.state.list.tierQueue(rng.int(1, 3) as TierValue);
    for (let attempt = 0; attempt < 4 && queue.length > 0; attempt++) {
      const node = rng.pick(queue);
      if (!plan.touched.has(outpointKey(node.outpoint))) return node;
    }
    return undefined;
  }

  /** Ips for moved nodes: 198.19.200.0/21, clear of generated node addresses for up to 51k nodes. */
  private freshIp(): string {
    const host = this.ipCounter++ % 2048;
    return `198.19.${200 + (host >>> 8)}.${host & 0xff}:16127`;
  }

  private coinbase(plan: Plan, tag: Buffer): Tx {
    const outputs: TxOut[] = [{ valueSat: MINER_REWARD, script: this.deps.minerScript }];
    for (const payee of Object.values(plan.state.list.payees())) {
      outputs.push({ valueSat: PAYEE_REWARD[payee.tier], script: addressScript(payee.paymentAddress) });
    }
    return coinbaseTx({ height: plan.height, minerTag: tag, outputs });
  }

  private planTxs(plan: Plan): Tx[] {
    const { events, state } = plan;
    const sigTime = this.blockTime(plan.height);
    const starts = events.starts.map((identity) =>
      fluxnodeTx({ type: 'START', ...identity, collateral: identity.outpoint, updateType: 0, sigTime }),
    );
    const confirms = [
      ...events.confirms.map(({ key, ip }) => ({ key, ip, updateType: 0 })),
      ...events.updateConfirms.map(({ key, ip }) => ({ key, ip: ip ?? state.list.get(key)!.ip, updateType: 1 })),
    ].map(({ key, ip, updateType }) => {
      const identity = this.deps.registry.get(key)?.identity;
      const collateral = identity?.outpoint ?? state.list.get(key)!.outpoint;
      return fluxnodeTx({
        type: 'CONFIRM',
        collateral,
        collateralPubkey: '',
        pubkey: '',
        ip,
        updateType,
        sigTime,
      });
    });
    const spends = plan.spends.map((key) => {
      const identity = this.deps.registry.get(key)!.identity;
      return collateralSpendTx({
        collateral: identity.outpoint,
        valueSat: COLLATERAL_SAT[identity.tier],
        payTo: addressScript(identity.paymentAddress),
      });
    });
    const apps = plan.appMessages.map((op) =>
      appMessageTx({
        hash: op.hash,
        valueSat: op.valueSat,
        payTo: addressScript(op.address),
        funding: { txid: hashId(Buffer.from(`fluxnet-app-funding:${op.hash}`)), n: 0 },
      }),
    );
    return [...starts, ...confirms, ...spends, ...apps];
  }
}

const KEEP_ALIVE_SPAN = CHAIN_RULES.expiryWindow - CHAIN_RULES.updateInterval - 1;

/**
 * Blocks between a node's confirms: spread over (update interval, expiry window) by its txid,
 * so keep-alives do not all land in one block.
 */
function keepAliveInterval(txid: string): number {
  const spread = (txid.charCodeAt(0) * 961 + txid.charCodeAt(1) * 31 + txid.charCodeAt(2)) % KEEP_ALIVE_SPAN;
  return CHAIN_RULES.updateInterval + 1 + spread;
}

function pickWeighted<T>(rng: Rng, weights: readonly [T, number][]): T {
  const total = weights.reduce((sum, [, weight]) => sum + weight, 0);
  let draw = rng.int(0, total - 1);
  for (const [value, weight] of weights) {
    if (draw < weight) return value;
    draw -= weight;
  }
  return weights[weights.length - 1]![0];
}

function u32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32LE(value >>> 0);
  return buf;
}
