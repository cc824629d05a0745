/**
 * Signed app-state payloads for the node suites: three listed nodes X, Y, Z with the fixture keys,
 * payload builders, and the two store entry points (gossip, sync) fed with properly signed envelopes.
 */
import type { MongoClient } from 'mongodb';
import keys from '../../fixtures/keys.json' with { type: 'json' };
import type { SignedEventPayload } from '../../protocol/appstate/documents.js';
import { type EnvelopeMeta, type SignedBroadcast, signBroadcast } from '../../protocol/gossip/envelope.js';
import type { AppRemoved, AppRunningV1, AppRunningV2, IpChanged, NodeSigterm } from '../../protocol/gossip/messages.js';
import type { RegressionName } from '../../protocol/regressions.js';
import { type ManualClock, manualClock } from '../../reference-node/clock.js';
import { type AppStateStore, openAppStateStore } from '../../reference-node/store/app-state-store.js';
import type { StoreEventResult, SyncedEvent } from '../../reference-node/store/event-log.js';
import { DEFAULT_TUNABLES, type Tunables } from '../../reference-node/tunables.js';

export const MIN = 60_000;
export const T = 1_700_000_000_000;
export const X = '198.18.0.1:16127';
export const Y = '198.18.0.2:16127';
export const Z = '198.18.0.3:16127';

export const KEY_BY_IP: Record<string, { privkey: string; pubkey: string }> = {
  [X]: keys.nodes[0]!,
  [Y]: keys.nodes[1]!,
  [Z]: keys.nodes[2]!,
};

const EVENT_TYPE = {
  fluxapprunning: 'apprunning',
  fluxnodesigterm: 'sigterm',
  fluxappremoved: 'appremoved',
  fluxipchanged: 'ipchanged',
} as const;

export function v2(ip: string, at: number, names: readonly string[], hashSuffix = ''): AppRunningV2 {
  return {
    type: 'fluxapprunning',
    version: 2,
    apps: names.map((name) => ({ name, hash: `h-${name}${hashSuffix}`, runningSince: at - 1000 })),
    ip,
    broadcastedAt: at,
    osUptime: 500,
    staticIp: false,
  };
}

export function v1(ip: string, at: number, name: string): AppRunningV1 {
  return { type: 'fluxapprunning', version: 1, name, hash: `h-${name}`, ip, broadcastedAt: at };
}

export function sigterm(ip: string, at: number): NodeSigterm {
  return { type: 'fluxnodesigterm', version: 1, ip, broadcastedAt: at };
}

export function removal(ip: string, at: number, appName: string): AppRemoved {
  return { type: 'fluxappremoved', version: 1, ip, appName, broadcastedAt: at };
}

export function ipChange(oldIP: string, newIP: string, at: number): IpChanged {
  return { type: 'fluxipchanged', version: 1, oldIP, newIP, broadcastedAt: at };
}

/** The envelope the listed node the payload speaks for would send (signed with its fixture key). */
export function signedBy<D extends SignedEventPayload>(data: D, timestamp = data.broadcastedAt): SignedBroadcast<D> {
  const ip = data.type === 'fluxipchanged' ? data.oldIP : data.ip;
  const key = KEY_BY_IP[ip];
  if (!key) throw new Error(`no fixture key for ${ip}`);
  return signBroadcast({ data, privkeyHex: key.privkey, pubkeyHex: key.pubkey, timestamp });
}

export function envelopeFor(data: SignedEventPayload, timestamp = data.broadcastedAt): EnvelopeMeta {
  const { data: _data, ...meta } = signedBy(data, timestamp);
  return meta;
}

export function gossip(store: AppStateStore, payload: SignedEventPayload): Promise<StoreEventResult> {
  return store.eventLog.storeGossipEvent({
    type: EVENT_TYPE[payload.type],
    payload,
    envelope: envelopeFor(payload),
    source: 'gossip',
  });
}

export function synced(payload: SignedEventPayload): SyncedEvent {
  return { type: EVENT_TYPE[payload.type], data: payload, envelope: envelopeFor(payload) } as SyncedEvent;
}

/** Opens stores under fresh database prefixes, each on its own manual clock. */
export function storeFactory({ client, prefix }: { client: () => MongoClient; prefix: string }) {
  let count = 0;
  return async ({
    start = T,
    regressions,
    tunables = DEFAULT_TUNABLES,
  }: {
    start?: number;
    regressions?: ReadonlySet<RegressionName>;
    tunables?: Tunables;
  } = {}): Promise<{ store: AppStateStore; clock: ManualClock; prefix: string }> => {
    count += 1;
    const clock = manualClock(start);
    const dbPrefix = `${prefix}${count}_`;
    const store = await openAppStateStore({
      client: client(),
      prefix: dbPrefix,
      clock,
      tunables,
      ...(regressions ? { regressions } : {}),
    });
    return { store, clock, prefix: dbPrefix };
  };
}
