import { isIPv4, isIPv6 } from 'node:net';
import type { FluxnodeList } from './fluxnode-list.js';
import type { ListedNode, OutPoint, SnapshotNode, TierValue } from './types.js';
import { TIER_NAMES } from './types.js';

export interface SnapshotTimes {
  /** Block time of a height on the current chain. */
  blockTime: (height: number) => number;
  /** What `lastpaid` shows for a never-paid node (Q4). */
  genesisTime: number;
}

/** V2 collateral amounts (spec §7.1), formatted as fluxd prints them. */
const COLLATERAL_AMOUNT: Readonly<Record<TierValue, string>> = { 1: '1000.00', 2: '12500.00', 3: '40000.00' };

/**
 * The `nodes` array of getfluxnodesnapshot / viewdeterministicfluxnodelist (spec §6.1): tiers in
 * order CUMULUS, NIMBUS, STRATUS, each in payment order, rank restarting at 0 per tier.
 */
export function toSnapshotNodes(list: FluxnodeList, times: SnapshotTimes): SnapshotNode[] {
  return ([1, 2, 3] as const).flatMap((tier) =>
    list.tierQueue(tier).map((node, rank) => toSnapshotNode(node, rank, times)),
  );
}

/** One NodeObj, keys in fluxd's order. */
export function toSnapshotNode(node: ListedNode, rank: number, times: SnapshotTimes): SnapshotNode {
  return {
    collateral: formatCollateral(node.outpoint),
    txhash: node.outpoint.txid,
    outidx: String(node.outpoint.n),
    ip: node.ip,
    network: networkOf(node.ip),
    added_height: node.addedHeight,
    confirmed_height: node.confirmedHeight,
    last_confirmed_height: node.lastConfirmedHeight,
    last_paid_height: node.lastPaidHeight,
    tier: TIER_NAMES[node.tier - 1]!,
    payment_address: node.paymentAddress,
    pubkey: node.pubkey,
    activesince: String(times.blockTime(node.addedHeight)),
    lastpaid: String(node.lastPaidHeight > 0 ? times.blockTime(node.lastPaidHeight) : times.genesisTime),
    amount: collateralAmount(node.tier),
    rank,
  };
}

/** `COutPoint(<display txid>, <n>)`, as in the `collateral` field. */
export function formatCollateral(op: OutPoint): string {
  return `COutPoint(${op.txid}, ${op.n})`;
}

export function collateralAmount(tier: TierValue): string {
  return COLLATERAL_AMOUNT[tier];
}

/**
 * The `network` field from the ip's host: "ipv4", "ipv6", "onion", or "" for anything else.
 * Accepts `host`, `host:port`, `[v6]` and `[v6]:port`.
 */
export function networkOf(ip: string): string {
  const host = hostOf(ip);
  if (isIPv4(host)) return 'ipv4';
  if (isIPv6(host)) return 'ipv6';
  if (host.toLowerCase().endsWith('.onion')) return 'onion';
  return '';
}

function hostOf(ip: string): string {
  const bracketed = /^\[([^\]]*)\](?::\d+)?$/.exec(ip);
  if (bracketed) return bracketed[1]!;
  const colon = ip.indexOf(':');
  // More than one colon without brackets is a bare IPv6 address, not host:port.
  if (colon >= 0 && colon === ip.lastIndexOf(':')) return ip.slice(0, colon);
  return ip;
}
