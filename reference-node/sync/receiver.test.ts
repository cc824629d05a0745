import { describe, expect, it } from 'vitest';
import keys from '../../fixtures/keys.json' with { type: 'json' };
import type { FluxEventName } from '../../protocol/events.js';
import { type SignedBroadcast, signBroadcast } from '../../protocol/gossip/envelope.js';
import type { SyncChunk, SyncChunkType } from '../../protocol/gossip/sync-chunk.js';
import { manualClock } from '../clock.js';
import { DEFAULT_TUNABLES } from '../tunables.js';
import { type AppliedChunk, type ChunkResult, type SyncChunkApplier, SyncReceiver } from './receiver.js';

const T = 1_700_000_000_000;
const PEERS = [
  { peer: '198.18.0.2:16127', key: keys.nodes[1]! },
  { peer: '198.18.0.3:16127', key: keys.nodes[2]! },
  { peer: '198.18.0.4:16127', key: keys.nodes[3]! },
];
const [P1, P2, P3] = PEERS as [(typeof PEERS)[0], (typeof PEERS)[0], (typeof PEERS)[0]];

function chunkFrom(
  from: (typeof PEERS)[0],
  { type = 'fluxapprunningsync', messages = [1, 2], done = false }: Partial<SyncChunk> & { type?: SyncChunkType } = {},
): SignedBroadcast {
  return signBroadcast({
    data: { type, messages, done },
    privkeyHex: from.key.privkey,
    pubkeyHex: from.key.pubkey,
    timestamp: T,
  });
}

function setup({ applier }: { applier?: SyncChunkApplier } = {}) {
  const clock = manualClock(T);
  const published: { name: FluxEventName; payload: unknown }[] = [];
  const completed: string[] = [];
  const applied: { peer: string; messages: readonly unknown[] }[] = [];
  const defaultApplier: SyncChunkApplier = async ({ messages, peer }) => {
    applied.push({ peer, messages });
    return { verified: messages.length, stored: 1, rejected: 0 };
  };
  const receiver = new SyncReceiver({
    clock,
    tunables: { ...DEFAULT_TUNABLES, syncChunkReceiveMaxMessages: 3 },
    appliers: { fluxapprunningsync: applier ?? defaultApplier },
    bus: { publish: (name, payload) => published.push({ name, payload }) },
    onPeerComplete: (syncType) => completed.push(syncType),
  });
  const send = (from: (typeof PEERS)[0], chunk?: Partial<SyncChunk>, envelope = chunkFrom(from, chunk)) =>
    receiver.handleChunk({ peer: from.peer, peerPubkey: from.key.pubkey, envelope });
  return { clock, receiver, published, completed, applied, send };
}

const reasonOf = (result: ChunkResult) => (result.outcome === 'rejected' ? result.reason : 'applied');

describe('sync receiver (§7)', () => {
  it('takes chunks only from peers it asked, until syncFlagClearMs after asking', async () => {
    const { receiver, clock, send, applied } = setup();
    expect(reasonOf(await send(P1))).toBe('not-sync-peer');
    receiver.markSyncPeers([P1.peer]);
    expect(reasonOf(await send(P1))).toBe('applied');
    clock.advance(DEFAULT_TUNABLES.syncFlagClearMs);
    expect(reasonOf(await send(P1))).toBe('applied');
    clock.advance(1);
    expect(reasonOf(await send(P1))).toBe('not-sync-peer');
    expect(applied).toHaveLength(2);
  });

  it.each([
    ['too-large', { messages: [1, 2, 3, 4] }],
    [
      'malformed',
      {
        envelope: signBroadcast({
          data: { type: 'x' },
          privkeyHex: P1.key.privkey,
          pubkeyHex: P1.key.pubkey,
          timestamp: T,
        }),
      },
    ],
    ['wrong-signer', { envelope: chunkFrom(P2) }],
    ['bad-signature', { envelope: { ...chunkFrom(P1), timestamp: T + 1 } }],
  ])('rejects a %s chunk before applying anything', async (reason, variant) => {
    const { receiver, send, applied } = setup();
    receiver.markSyncPeers([P1.peer]);
    const { envelope, ...chunk } = variant as { envelope?: SignedBroadcast } & Partial<SyncChunk>;
    expect(reasonOf(await send(P1, chunk, envelope))).toBe(reason);
    expect(applied).toEqual([]);
    expect(receiver.metrics.rejected[reason as keyof typeof receiver.metrics.rejected]).toBe(1);
  });

  it('accepts exactly syncChunkReceiveMaxMessages', async () => {
    const { receiver, send } = setup();
    receiver.markSyncPeers([P1.peer]);
    expect(reasonOf(await send(P1, { messages: [1, 2, 3] }))).toBe('applied');
  });

  it('applies one chunk at a time, in arrival order, across peers', async () => {
    const releases: (() => void)[] = [];
    let active = 0;
    let maxActive = 0;
    const order: string[] = [];
    const applier: SyncChunkApplier = async ({ peer, messages }) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((resolve) => releases.push(resolve));
      order.push(`${peer}:${messages.join(',')}`);
      active -= 1;
      return { verified: 0, stored: 0, rejected: 0 };
    };
    const { receiver, send } = setup({ applier });
    receiver.markSyncPeers([P1.peer, P2.peer]);
    const results = [send(P1, { messages: [1] }), send(P2, { messages: [2] }), send(P1, { messages: [3] })];
    for (let i = 0; i < 3; i += 1) {
      await waitForLength(releases, i + 1);
      releases[i]!();
    }
    await Promise.all(results);
    expect(order).toEqual([`${P1.peer}:1`, `${P2.peer}:2`, `${P1.peer}:3`]);
    expect(maxActive).toBe(1);
  });

  it('publishes sync:chunkVerified per chunk and counts a done once per peer and type', async () => {
    const { receiver, send, published, completed } = setup();
    receiver.markSyncPeers([P1.peer]);
    await send(P1, { messages: [1, 2] });
    await send(P1, { messages: [], done: true });
    await send(P1, { messages: [], done: true });
    expect(published).toEqual([
      { name: 'sync:chunkVerified', payload: { syncType: 'apprunning', peer: P1.peer, verified: 2, stored: 1 } },
      { name: 'sync:chunkVerified', payload: { syncType: 'apprunning', peer: P1.peer, verified: 0, stored: 1 } },
      { name: 'ephemeralSync:peerComplete', payload: { syncType: 'apprunning', completions: 1, required: 3 } },
      { name: 'sync:chunkVerified', payload: { syncType: 'apprunning', peer: P1.peer, verified: 0, stored: 1 } },
    ]);
    expect(completed).toEqual(['apprunning']);
    expect(receiver.completions('apprunning')).toBe(1);
  });

  it('publishes ephemeralSync:allComplete once, when 3 peers completed each readiness type', async () => {
    const { receiver, send, published } = setup();
    receiver.markSyncPeers(PEERS.map(({ peer }) => peer));
    const types: SyncChunkType[] = [
      'fluxtemporarymessagesync',
      'fluxapprunningsync',
      'fluxappinstallingsync',
      'fluxappinstallingerrorsync',
    ];
    for (const type of types) {
      for (const from of [P1, P2, P3]) {
        expect(reasonOf(await send(from, { type, messages: [], done: true }))).toBe('applied');
      }
    }
    const all = published.filter(({ name }) => name === 'ephemeralSync:allComplete');
    expect(all).toEqual([
      { name: 'ephemeralSync:allComplete', payload: { apprunning: 3, appinstalling: 3, apperrors: 3 } },
    ]);
    expect(published.at(-1)?.name).toBe('ephemeralSync:allComplete');
    expect(receiver.completions('temporarymessages')).toBe(3);
  });

  it('types without an applier are accepted and counted, their messages ignored', async () => {
    const { receiver, send, applied } = setup();
    receiver.markSyncPeers([P1.peer]);
    const result = await send(P1, { type: 'fluxappinstallingsync', messages: [1], done: true });
    const expected: AppliedChunk = { verified: 0, stored: 0, rejected: 0 };
    expect(result).toEqual({ outcome: 'applied', syncType: 'appinstalling', applied: expected, done: true });
    expect(applied).toEqual([]);
  });

  it('resetSyncState (DEGRADED) forgets marks and completions', async () => {
    const { receiver, send } = setup();
    receiver.markSyncPeers([P1.peer]);
    await send(P1, { messages: [], done: true });
    receiver.resetSyncState();
    expect(receiver.completions('apprunning')).toBe(0);
    expect(reasonOf(await send(P1, { done: true }))).toBe('not-sync-peer');
    receiver.markSyncPeers([P1.peer]);
    await send(P1, { messages: [], done: true });
    expect(receiver.completions('apprunning')).toBe(1);
  });
});

/** Resolves once `list` holds `length` items; each check yields to pending callbacks, bounded. */
async function waitForLength(list: readonly unknown[], length: number): Promise<void> {
  for (let turn = 0; turn < 1000; turn += 1) {
    if (list.length >= length) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`expected ${length} pending applies, saw ${list.length}`);
}
