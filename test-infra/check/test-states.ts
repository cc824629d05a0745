/**
 * Builders of hand-made node states for the checkers' tests: documents in the contract shapes
 * (fluxos-node.md §2, §4, §6) with readable defaults.
 */
import type { AppStateEventDoc, LocationRow } from '../../protocol/appstate/documents.js';
import type { AppHashState, NodeState, PerNodeState } from './node-state.js';

export const MIN = 60_000;
export const RUNNING_EXPIRY_MS = 125 * MIN;
export const SIGTERM_EXPIRY_MS = 7 * MIN;
export const T = 1_700_000_000_000;

export function envelope(signature = 'sig'): { version: 1; timestamp: number; pubKey: string; signature: string } {
  return { version: 1, timestamp: T, pubKey: '02ab', signature };
}

export function appRunning(input: {
  ip: string;
  at: number;
  apps: readonly string[];
  receivedAt?: number;
  signature?: string;
}): AppStateEventDoc {
  const { ip, at } = input;
  return {
    ip,
    type: 'apprunning',
    dedupKey: 'v2',
    broadcastedAt: at,
    expireAt: at + RUNNING_EXPIRY_MS,
    ...(input.receivedAt === undefined ? {} : { receivedAt: input.receivedAt }),
    data: {
      type: 'fluxapprunning',
      version: 2,
      apps: input.apps.map((name) => ({ name, hash: `h-${name}`, runningSince: at - MIN })),
      ip,
      broadcastedAt: at,
      osUptime: 1000,
      staticIp: false,
    },
    envelope: envelope(input.signature),
  };
}

export function sigterm(input: { ip: string; at: number }): AppStateEventDoc {
  const { ip, at } = input;
  return {
    ip,
    type: 'sigterm',
    dedupKey: 'sigterm',
    broadcastedAt: at,
    expireAt: at + RUNNING_EXPIRY_MS,
    data: { type: 'fluxnodesigterm', version: 1, ip, broadcastedAt: at },
    envelope: envelope(),
  };
}

export function appRemoved(input: { ip: string; at: number; appName: string }): AppStateEventDoc {
  const { ip, at, appName } = input;
  return {
    ip,
    type: 'appremoved',
    dedupKey: `appremoved:${appName}`,
    broadcastedAt: at,
    expireAt: at + RUNNING_EXPIRY_MS,
    data: { type: 'fluxappremoved', version: 1, ip, appName, broadcastedAt: at },
    envelope: envelope(),
  };
}

export function ipChanged(input: { oldIP: string; newIP: string; at: number }): AppStateEventDoc {
  const { oldIP, newIP, at } = input;
  return {
    ip: oldIP,
    type: 'ipchanged',
    dedupKey: 'ipchanged',
    broadcastedAt: at,
    expireAt: at + RUNNING_EXPIRY_MS,
    data: { type: 'fluxipchanged', version: 1, oldIP, newIP, broadcastedAt: at },
    envelope: envelope(),
  };
}

export function evicted(input: { ip: string; createdAt: number }): AppStateEventDoc {
  const { ip, createdAt } = input;
  return { ip, type: 'evicted', dedupKey: 'evicted', createdAt, expireAt: createdAt + RUNNING_EXPIRY_MS };
}

/** A cache row as the gossip path writes it for an apprunning announcement. */
export function locationRow(input: { name: string; ip: string; at: number; expireAt?: number }): LocationRow {
  const { name, ip, at } = input;
  return {
    name,
    hash: `h-${name}`,
    ip,
    broadcastedAt: at,
    expireAt: input.expireAt ?? at + RUNNING_EXPIRY_MS,
    runningSince: at - MIN,
    osUptime: 1000,
    staticIp: false,
  };
}

export function hashRow(input: Partial<AppHashState> & { hash: string }): AppHashState {
  return { height: 10, message: true, messageNotFound: false, ...input };
}

export function nodeState(input: Partial<NodeState> = {}): NodeState {
  return {
    events: [],
    locations: [],
    hashes: [],
    permanentMessages: [],
    readAt: T,
    unswept: { events: 0, locations: 0 },
    ...input,
  };
}

export function perNode(node: number, input: Partial<NodeState> = {}): PerNodeState {
  return { node, state: nodeState(input) };
}
