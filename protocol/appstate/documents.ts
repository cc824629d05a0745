/**
 * Document shapes of the app-state store (fluxos-node.md §2, §4) and the identity of an event.
 * Every time is an epoch-ms number. FluxOS keeps `expireAt` as a BSON date for its TTL index; here
 * expiry is the sweeper's job on the node's clock, and numbers survive every MongoDB-wire server we
 * run (NX-27017 turns a `$set` of a top-level date into a string).
 */
import type { EnvelopeMeta } from '../gossip/envelope.js';
import type { AppRemoved, AppRunning, IpChanged, NodeSigterm } from '../gossip/messages.js';

export type AppStateEventType = 'apprunning' | 'sigterm' | 'appremoved' | 'ipchanged' | 'evicted';
export type SignedEventType = Exclude<AppStateEventType, 'evicted'>;
export const APP_STATE_EVENT_TYPES: readonly AppStateEventType[] = [
  'apprunning',
  'sigterm',
  'appremoved',
  'ipchanged',
  'evicted',
];

export interface SignedEventPayloads {
  apprunning: AppRunning;
  sigterm: NodeSigterm;
  appremoved: AppRemoved;
  ipchanged: IpChanged;
}
export type SignedEventPayload = SignedEventPayloads[SignedEventType];

interface SignedEventDocBase<T extends SignedEventType> {
  /** The IP the payload speaks for (ipchanged: oldIP). */
  ip: string;
  type: T;
  dedupKey: string;
  broadcastedAt: number;
  expireAt: number;
  /** Written on gossip/local paths only; the sync path keeps whatever was there (§2). */
  receivedAt?: number;
  /** The full signed payload, type and version included, so it re-verifies after sync (bug 8). */
  data: SignedEventPayloads[T];
  envelope: EnvelopeMeta;
}

export type SignedEventDoc = { [T in SignedEventType]: SignedEventDocBase<T> }[SignedEventType];

/** Local-only eviction marker (§4.1), never signed or gossiped, synced unsigned. */
export interface EvictedEventDoc {
  ip: string;
  type: 'evicted';
  dedupKey: 'evicted';
  createdAt: number;
  expireAt: number;
  receivedAt?: number;
}

export type AppStateEventDoc = SignedEventDoc | EvictedEventDoc;

/** One `zelappslocation` row, unique per (name, ip). */
export interface LocationRow {
  name: string;
  hash: string;
  ip: string;
  broadcastedAt: number;
  expireAt: number;
  runningSince: number | string;
  osUptime?: number;
  staticIp?: boolean;
}

/** A location as the derived view reports it (§3 Output). */
export type AppLocation = Omit<LocationRow, 'expireAt'>;

const GOSSIP_TO_EVENT_TYPE: Record<SignedEventPayload['type'], SignedEventType> = {
  fluxapprunning: 'apprunning',
  fluxnodesigterm: 'sigterm',
  fluxappremoved: 'appremoved',
  fluxipchanged: 'ipchanged',
};

export interface EventIdentity {
  ip: string;
  type: SignedEventType;
  dedupKey: string;
}

/** The unique key `{ip, type, dedupKey}` a signed payload is stored under (§2 table). */
export function eventIdentity(payload: SignedEventPayload): EventIdentity {
  switch (payload.type) {
    case 'fluxapprunning':
      return {
        ip: payload.ip,
        type: 'apprunning',
        dedupKey: payload.version === 2 ? 'v2' : `v1:${payload.name}`,
      };
    case 'fluxnodesigterm':
      return { ip: payload.ip, type: 'sigterm', dedupKey: 'sigterm' };
    case 'fluxappremoved':
      return { ip: payload.ip, type: 'appremoved', dedupKey: `appremoved:${payload.appName}` };
    case 'fluxipchanged':
      return { ip: payload.oldIP, type: 'ipchanged', dedupKey: 'ipchanged' };
  }
}

export function eventTypeOfPayload(payload: SignedEventPayload): SignedEventType {
  return GOSSIP_TO_EVENT_TYPE[payload.type];
}

/** When a shutdown-like event happened: signed time, or local creation time for evictions (§3). */
export function eventAt(doc: AppStateEventDoc): number {
  return doc.type === 'evicted' ? doc.createdAt : doc.broadcastedAt;
}

/** runningSince as both the cache and the view fill it: app's, else the message's, else broadcastedAt. */
export function resolveRunningSince({
  app,
  message,
  broadcastedAt,
}: {
  app?: number | string;
  message?: number | string;
  broadcastedAt: number;
}): number | string {
  return app ?? message ?? broadcastedAt;
}

/** Drops undefined fields: the driver would store them as null, and rows must match the view's shape. */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
