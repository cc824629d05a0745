/**
 * Core fluxd data types shared by codecs, the node-list model, the state validator,
 * the daemon stub and the reference node. Hashes are always lowercase display-order hex
 * (what RPC prints and what ZMQ bodies carry byte for byte).
 */

export type HashHex = string;

export const TIERS = { CUMULUS: 1, NIMBUS: 2, STRATUS: 3 } as const;
export type TierName = keyof typeof TIERS;
export type TierValue = (typeof TIERS)[TierName];
export const TIER_NAMES: readonly TierName[] = ['CUMULUS', 'NIMBUS', 'STRATUS'];

export function tierName(value: number): TierName | undefined {
  return TIER_NAMES[value - 1];
}

/** fluxnodestatus location values (§4.5). 0 and 4 are never produced by fluxd. */
export const NODE_STATUS = {
  ERROR: 0,
  STARTED: 1,
  DOS_PROTECTION: 2,
  CONFIRMED: 3,
  MISS_CONFIRMED: 4,
  EXPIRED: 5,
} as const;
export type NodeStatusValue = (typeof NODE_STATUS)[keyof typeof NODE_STATUS];

export interface OutPoint {
  txid: HashHex;
  n: number;
}

/** `"<txhash>:<n>"`, the state validator's key. */
export function outpointKey(op: OutPoint): string {
  return `${op.txid}:${op.n}`;
}

/** One entry of the added/updated sections of a fluxnodelistdelta (§4.4). */
export interface NodeEntry {
  outpoint: OutPoint;
  collateralPubkey: string; // hex, '' for an empty/invalid key
  pubkey: string; // hex
  confirmedHeight: number;
  lastPaidHeight: number;
  tier: number;
  status: number;
  ip: string;
}

export interface HashBlockHeightBody {
  hash: HashHex;
  height: number;
}

export interface ChainReorgBody {
  oldHash: HashHex;
  oldHeight: number;
  newHash: HashHex;
  newHeight: number;
  forkHash: HashHex;
  forkHeight: number;
}

export interface NodeListDeltaBody {
  fromHeight: number;
  toHeight: number;
  fromHash: HashHex;
  toHash: HashHex;
  flags: number; // bit0 = is_reorg
  added: NodeEntry[];
  removed: OutPoint[];
  updated: NodeEntry[];
}

export const DELTA_FLAG_REORG = 0x01;

export interface NodeStatusBody {
  height: number;
  status: number;
  tier: number;
  confirmedHeight: number;
  lastConfirmedHeight: number;
  lastPaidHeight: number;
  outpoint: OutPoint;
  ip: string;
}

export const ZMQ_TOPICS = [
  'hashblock',
  'hashtx',
  'rawblock',
  'rawtx',
  'checkedblock',
  'hashblockheight',
  'chainreorg',
  'fluxnodelistdelta',
  'fluxnodestatus',
] as const;
export type ZmqTopic = (typeof ZMQ_TOPICS)[number];

export interface HashBlockBody {
  hash: HashHex;
}

/** Topics this project does not decode: their bodies are carried as raw bytes. */
export type RawZmqTopic = 'hashtx' | 'rawblock' | 'rawtx' | 'checkedblock';

/** One 3-frame ZMQ message `[topic][body][seq]` (spec §2); `seq` is the per-topic u32 counter. */
export type ZmqMessage =
  | { topic: 'hashblock'; seq: number; body: HashBlockBody }
  | { topic: 'hashblockheight'; seq: number; body: HashBlockHeightBody }
  | { topic: 'chainreorg'; seq: number; body: ChainReorgBody }
  | { topic: 'fluxnodelistdelta'; seq: number; body: NodeListDeltaBody }
  | { topic: 'fluxnodestatus'; seq: number; body: NodeStatusBody }
  | { topic: RawZmqTopic; seq: number; body: Uint8Array };

/** A full confirmed-list node as the daemon holds it (superset of NodeEntry). */
export interface ListedNode {
  outpoint: OutPoint;
  collateralPubkey: string;
  pubkey: string;
  ip: string;
  tier: TierValue;
  addedHeight: number;
  confirmedHeight: number;
  lastConfirmedHeight: number;
  lastPaidHeight: number;
  /** P2SH redeem-script nodes are paid to P2SH; we model P2PKH only unless set. */
  paymentAddress: string;
}

/** NodeObj of getfluxnodesnapshot / viewdeterministicfluxnodelist (§6.1), keys in fluxd's order. */
export interface SnapshotNode {
  collateral: string;
  txhash: HashHex;
  outidx: string;
  ip: string;
  network: string;
  added_height: number;
  confirmed_height: number;
  last_confirmed_height: number;
  last_paid_height: number;
  tier: string;
  payment_address: string;
  pubkey: string;
  activesince: string;
  lastpaid: string;
  amount?: string;
  rank: number;
}

export interface FluxnodeSnapshot {
  height: number;
  blockhash: HashHex;
  nodes: SnapshotNode[];
}
