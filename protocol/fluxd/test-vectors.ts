/**
 * Test support: fixtures/protocol/vectors.json (spec §10), typed once for every protocol test.
 * Not part of the kernel's runtime (excluded from the build).
 */
import rawVectors from '../../fixtures/protocol/vectors.json' with { type: 'json' };
import type { NodeEntry, OutPoint, TierName } from './types.js';

export interface RawEntry {
  txid: string;
  n: number;
  collateral_pubkey: string;
  pubkey: string;
  confirmed_height: number;
  last_paid_height: number;
  tier: number;
  status: number;
  ip: string;
}

export interface ReplayNode {
  txhash: string;
  outidx: string;
  tier: TierName;
  ip: string;
  added_height: number;
  confirmed_height: number;
  last_confirmed_height: number;
  last_paid_height: number;
  rank: number;
}

export interface ReplayState {
  height: number;
  blockhash: string;
  order: Record<TierName, string[]>;
  nodes: ReplayNode[];
}

export interface Vector {
  name: string;
  topic: string;
  seq: number;
  inputs: Record<string, unknown>;
  body_len: number;
  body_hex: string;
  topic_hex: string;
  seq_hex: string;
}

export interface V3Vector extends Vector {
  inputs: {
    from_height: number;
    to_height: number;
    from_hash: string;
    to_hash: string;
    flags: number;
    added: RawEntry[];
    removed: OutPoint[];
    updated: RawEntry[];
  };
  replay: { before: ReplayState; after: ReplayState };
  sort_order_check: {
    a: OutPoint;
    b: OutPoint;
    fluxd_order: string[];
    queue_nodes: { label: string; txid: string; n: number; confirmed_height: number; last_paid_height: number }[];
    queue_order: string[];
  };
}

export const vectors = rawVectors as unknown as readonly Vector[];

export function vector(name: string): Vector {
  const found = vectors.find((v) => v.name === name);
  if (found === undefined) throw new Error(`vector ${name} missing from vectors.json`);
  return found;
}

/** The v3 delta vector with its replay and sort-order checks. */
export const v3 = vector('v3-fluxnodelistdelta') as V3Vector;

export function toEntry(raw: RawEntry): NodeEntry {
  return {
    outpoint: { txid: raw.txid, n: raw.n },
    collateralPubkey: raw.collateral_pubkey,
    pubkey: raw.pubkey,
    confirmedHeight: raw.confirmed_height,
    lastPaidHeight: raw.last_paid_height,
    tier: raw.tier,
    status: raw.status,
    ip: raw.ip,
  };
}
