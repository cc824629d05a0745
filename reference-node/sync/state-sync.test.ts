import { describe, expect, it } from 'vitest';
import keys from '../../fixtures/keys.json' with { type: 'json' };
import type { FluxEventName } from '../../protocol/events.js';
import { decodeSyncRequest, verifySyncRequest } from '../../protocol/gossip/sync-request.js';
import type { AppMessageStore } from '../apps/message-store.js';
import { manualClock } from '../clock.js';
import { createLogger } from '../log.js';
import type { EventBus } from '../sse/event-bus.js';
import type { EventLog } from '../store/event-log.js';
import type { LocationCache } from '../store/location-cache.js';
import { DEFAULT_TUNABLES } from '../tunables.js';
import { StateSync, type SyncPeers } from './state-sync.js';

const T = 1_700_000_000_000;
const [A, B] = [keys.nodes[0]!, keys.nodes[1]!];
const IP = { A: '127.0.0.1:1001', B: '127.0.0.1:1002' };
const LISTED = new Map([
  [IP.A, A.pubkey],
  [IP.B, B.pubkey],
]);

/** Empty stores: what is served and stored is not the point here, the request/complete flow is. */
const emptyStores = {
  eventLog: { eventsSince: async () => [], storeBatch: async () => [] } as unknown as EventLog,
  cache: { storeBatch: async () => ({}) } as unknown as LocationCache,
  messages: {
    temporarySince: async () => [],
    storeTemporary: async () => ({ stored: true }),
  } as unknown as AppMessageStore,
};

function node({
  key,
  ip,
  peers,
  completions,
  published,
  onCompletion,
}: {
  key: { privkey: string; pubkey: string };
  ip: string;
  peers: () => SyncPeers;
  completions: string[];
  published: { name: FluxEventName; payload: unknown }[];
  onCompletion?: () => void;
}): StateSync {
  return new StateSync({
    identity: { ip, privkeyHex: key.privkey, pubkeyHex: key.pubkey },
    clock: manualClock(T),
    tunables: { ...DEFAULT_TUNABLES, syncPeerCount: 1, syncPeerMinUptimeMs: 0 },
    directory: {
      isListed: (at, pubkey) => LISTED.get(at) === pubkey,
      hasListedKey: (pubkey) => [...LISTED.values()].includes(pubkey),
    },
    ...emptyStores,
    peers,
    bus: {
      publish: (name: FluxEventName, payload: unknown) => published.push({ name, payload }),
    } as unknown as EventBus,
    logger: createLogger({ level: 'silent' }),
    onReadinessCompletion: (syncType) => {
      completions.push(syncType);
      onCompletion?.();
    },
  });
}

describe('state sync requester (#requestSyncs, §8)', () => {
  it('with fewer eligible peers than syncPeerCount, asks nobody', () => {
    const sent: unknown[] = [];
    const b = node({
      key: B,
      ip: IP.B,
      peers: () => ({ syncCandidates: () => [], sendTo: (...args) => sent.push(args) > 0 }),
      completions: [],
      published: [],
    });
    expect(b.requestSyncs()).toEqual([]);
    expect(sent).toEqual([]);
    expect(b.metrics.tooFewPeers).toBe(1);
  });

  it('asks the chosen peer for 0x20..0x23 with signed requests; its done chunks count completions', async () => {
    const published: { name: FluxEventName; payload: unknown }[] = [];
    const completions: string[] = [];
    const frames: Uint8Array[] = [];
    const handled: Promise<unknown>[] = [];
    let a: StateSync | undefined;
    let b: StateSync | undefined;
    let allThree!: () => void;
    const threeCompletions = new Promise<void>((resolve) => {
      allThree = resolve;
    });
    a = node({
      key: A,
      ip: IP.A,
      peers: () => ({
        syncCandidates: () => [],
        sendTo: (peer, frame) => {
          expect(peer).toBe(IP.B);
          const parsed = JSON.parse(frame as string);
          b!.handleResponseFrame({ peer: IP.A, peerPubkey: A.pubkey, envelope: parsed.envelope });
          return true;
        },
      }),
      completions: [],
      published: [],
    });
    b = node({
      key: B,
      ip: IP.B,
      peers: () => ({
        syncCandidates: () => [IP.A],
        sendTo: (peer, frame) => {
          expect(peer).toBe(IP.A);
          frames.push(frame as Uint8Array);
          handled.push(a!.responder.handleFrame({ bytes: frame as Uint8Array, peer: IP.B }));
          return true;
        },
      }),
      completions,
      published,
      onCompletion: () => {
        if (completions.length === 3) allThree();
      },
    });
    expect(b.requestSyncs()).toEqual([IP.A]);
    const requests = frames.map((frame) => decodeSyncRequest(frame));
    expect(requests.map((request) => [request.type, request.sinceTs, request.requestTs, request.pubKey])).toEqual(
      [0x20, 0x21, 0x22, 0x23].map((type) => [type, 0, T, B.pubkey]),
    );
    expect(requests.every(verifySyncRequest)).toBe(true);
    expect(published[0]).toEqual({ name: 'ephemeralSync:requested', payload: { peerCount: 1, peers: [IP.A] } });
    await Promise.all(handled);
    await threeCompletions;
    expect(completions.sort()).toEqual(['apperrors', 'appinstalling', 'apprunning']);
    expect(b.metrics.receiver.chunksApplied).toBe(4);
    expect(a.metrics.responder.served).toBe(4);
  });
});
