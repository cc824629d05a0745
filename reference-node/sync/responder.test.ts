import { describe, expect, it } from 'vitest';
import keys from '../../fixtures/keys.json' with { type: 'json' };
import { type SignedBroadcast, verifyBroadcast } from '../../protocol/gossip/envelope.js';
import type { SyncChunk } from '../../protocol/gossip/sync-chunk.js';
import {
  encodeSyncRequest,
  SYNC_REQUEST_TYPES,
  type SyncRequest,
  type SyncRequestType,
  signSyncRequest,
} from '../../protocol/gossip/sync-request.js';
import { manualClock } from '../clock.js';
import { DEFAULT_TUNABLES } from '../tunables.js';
import { SyncResponder, type SyncResponseResult, type SyncSources } from './responder.js';

const T = 1_700_000_000_000;
const MIN = 60_000;
const [responderKey, requesterKey, outsiderKey] = [keys.nodes[0]!, keys.nodes[1]!, keys.nodes[8]!];
const PEER = '198.18.0.2:16127';
const listed = new Set([responderKey.pubkey, requesterKey.pubkey]);

function request(
  type: SyncRequestType = SYNC_REQUEST_TYPES.appRunning,
  { requestTs = T, sinceTs = 0, key = requesterKey } = {},
): SyncRequest {
  return signSyncRequest({ type, sinceTs, requestTs, privkeyHex: key.privkey, pubkeyHex: key.pubkey });
}

function setup({ items = 5, chunkMax = 2 }: { items?: number; chunkMax?: number } = {}) {
  const clock = manualClock(T);
  const reads: { type: SyncRequestType; sinceMs: number }[] = [];
  const sent: { peer: string; envelope: SignedBroadcast<SyncChunk> }[] = [];
  const sourceFor =
    (type: SyncRequestType) =>
    async ({ sinceMs }: { sinceMs: number }) => {
      reads.push({ type, sinceMs });
      return Array.from({ length: items }, (_, index) => ({ n: index }));
    };
  const sources: SyncSources = {
    [SYNC_REQUEST_TYPES.temporaryMessages]: sourceFor(SYNC_REQUEST_TYPES.temporaryMessages),
    [SYNC_REQUEST_TYPES.appRunning]: sourceFor(SYNC_REQUEST_TYPES.appRunning),
    [SYNC_REQUEST_TYPES.appInstallingErrors]: sourceFor(SYNC_REQUEST_TYPES.appInstallingErrors),
  };
  const responder = new SyncResponder({
    clock,
    tunables: { ...DEFAULT_TUNABLES, syncChunkMaxMessages: chunkMax },
    directory: { hasListedKey: (pubkey) => listed.has(pubkey) },
    sources,
    identity: { privkeyHex: responderKey.privkey, pubkeyHex: responderKey.pubkey },
    send: (peer, envelope) => sent.push({ peer, envelope }),
  });
  return { clock, reads, sent, responder };
}

describe('sync responder (§7)', () => {
  it('streams the window in signed chunks of at most syncChunkMaxMessages, the last one done', async () => {
    const { responder, sent, reads } = setup({ items: 5, chunkMax: 2 });
    const result = await responder.handle({ request: request(), peer: PEER });
    expect(result).toEqual({ outcome: 'served', type: 0x21, chunks: 3, messages: 5 });
    expect(sent.map(({ envelope }) => [envelope.data.messages.length, envelope.data.done])).toEqual([
      [2, false],
      [2, false],
      [1, true],
    ]);
    expect(sent.every(({ peer, envelope }) => peer === PEER && verifyBroadcast(envelope))).toBe(true);
    expect(sent.every(({ envelope }) => envelope.pubKey === responderKey.pubkey)).toBe(true);
    expect(sent[0]!.envelope.data.type).toBe('fluxapprunningsync');
    expect(reads).toEqual([{ type: 0x21, sinceMs: T - 125 * MIN }]);
  });

  it('serves an empty window, or a type without a source, as one empty done chunk', async () => {
    const { responder, sent } = setup({ items: 0 });
    await responder.handle({ request: request(), peer: PEER });
    await responder.handle({ request: request(SYNC_REQUEST_TYPES.appInstalling), peer: PEER });
    expect(sent.map(({ envelope }) => envelope.data)).toEqual([
      { type: 'fluxapprunningsync', messages: [], done: true },
      { type: 'fluxappinstallingsync', messages: [], done: true },
    ]);
  });

  it.each([
    [SYNC_REQUEST_TYPES.temporaryMessages, 0, T - 60 * MIN],
    [SYNC_REQUEST_TYPES.appRunning, 0, T - 125 * MIN],
    [SYNC_REQUEST_TYPES.appRunning, T - 10 * MIN, T - 10 * MIN],
    [SYNC_REQUEST_TYPES.appInstallingErrors, 0, T - 24 * 60 * MIN],
  ])('type %s since %s reads from %s (the later of sinceTs and the window)', async (type, sinceTs, from) => {
    const { responder, reads } = setup();
    await responder.handle({ request: request(type, { sinceTs }), peer: PEER });
    expect(reads).toEqual([{ type, sinceMs: from }]);
  });

  const rejections: { row: string; request: () => SyncRequest; reason: string }[] = [
    { row: 'requestTs 121 s old', request: () => request(0x21, { requestTs: T - 121_000 }), reason: 'stale-request' },
    { row: 'requestTs 121 s ahead', request: () => request(0x21, { requestTs: T + 121_000 }), reason: 'stale-request' },
    { row: 'pubkey not listed', request: () => request(0x21, { key: outsiderKey }), reason: 'unlisted' },
    {
      row: 'signature by another key',
      request: () => ({ ...request(), signature: request(0x21, { key: responderKey }).signature }),
      reason: 'bad-signature',
    },
    { row: 'signed fields altered', request: () => ({ ...request(), sinceTs: 5 }), reason: 'bad-signature' },
  ];
  for (const { row, request: make, reason } of rejections) {
    it(`rejects ${row} as ${reason}, without reading anything`, async () => {
      const { responder, reads, sent } = setup();
      expect(await responder.handle({ request: make(), peer: PEER })).toEqual({ outcome: 'rejected', reason });
      expect(reads).toEqual([]);
      expect(sent).toEqual([]);
      expect(responder.metrics.rejected[reason as keyof typeof responder.metrics.rejected]).toBe(1);
    });
  }

  it('accepts requestTs exactly 120 s off', async () => {
    const { responder } = setup();
    const result = await responder.handle({ request: request(0x21, { requestTs: T - 120_000 }), peer: PEER });
    expect(result.outcome).toBe('served');
  });

  it('throttles per peer and type for 5 min, the slot consumed even by a request that then fails', async () => {
    const { responder, clock, reads } = setup();
    const results: SyncResponseResult[] = [];
    results.push(await responder.handle({ request: request(0x21, { key: outsiderKey }), peer: PEER }));
    results.push(await responder.handle({ request: request(), peer: PEER }));
    results.push(await responder.handle({ request: request(0x20), peer: PEER }));
    results.push(await responder.handle({ request: request(), peer: '198.18.0.3:16127' }));
    clock.advance(5 * MIN - 1);
    results.push(await responder.handle({ request: request(0x21, { requestTs: clock.now() }), peer: PEER }));
    clock.advance(1);
    results.push(await responder.handle({ request: request(0x21, { requestTs: clock.now() }), peer: PEER }));
    expect(results.map((result) => (result.outcome === 'served' ? 'served' : result.reason))).toEqual([
      'unlisted',
      'throttled',
      'served',
      'served',
      'throttled',
      'served',
    ]);
    expect(reads.map((read) => read.type)).toEqual([0x20, 0x21, 0x21]);
    expect(responder.metrics).toEqual({
      served: 3,
      chunksSent: 9,
      messagesSent: 15,
      rejected: { malformed: 0, throttled: 2, 'stale-request': 0, unlisted: 1, 'bad-signature': 0 },
    });
  });

  it('decodes binary frames; a bad one is counted as malformed with the codec error', async () => {
    const { responder } = setup();
    expect((await responder.handleFrame({ bytes: encodeSyncRequest(request()), peer: PEER })).outcome).toBe('served');
    const bad = await responder.handleFrame({ bytes: Uint8Array.of(0x21, 0, 1), peer: PEER });
    expect(bad).toMatchObject({ outcome: 'rejected', reason: 'malformed', detail: expect.stringMatching(/sinceTs/) });
    expect(responder.metrics.rejected.malformed).toBe(1);
  });
});
