import { describe, expect, it } from 'vitest';
import { signBroadcast } from '../../protocol/gossip/envelope.js';
import { publicKeyFromPrivate } from '../../protocol/gossip/signing.js';
import { manualClock } from '../clock.js';
import { createLogger } from '../log.js';
import { DEFAULT_TUNABLES } from '../tunables.js';
import { MessageCache } from './message-cache.js';
import { GossipPipeline, type VerifiedBroadcast } from './pipeline.js';

const A_KEY = '317a108a9e9e5ae0c15ba3b6bdb4d90b9ce56f07c9740775413da58718a83779';
const B_KEY = 'c3cbdb01e4dd0be8bb0dd61ae3bbe4fdaa085f232560d5170c5ed92902a4aecc';
const A_PUB = publicKeyFromPrivate(A_KEY);
const A_IP = '198.19.0.11:16127';
const NOW = 1_700_000_000_000;

function setup() {
  const clock = manualClock(NOW);
  const handled: VerifiedBroadcast[] = [];
  const pipeline = new GossipPipeline({
    clock,
    tunables: { ...DEFAULT_TUNABLES, dispatchDelayMinMs: 0, dispatchDelayMaxMs: 0 },
    directory: {
      isListed: (ip, pubkey) => ip === A_IP && pubkey === A_PUB,
      hasListedKey: (pubkey) => pubkey === A_PUB,
    },
    handle: async (message) => {
      handled.push(message);
    },
    logger: createLogger({ level: 'silent' }),
  });
  return { clock, handled, pipeline };
}

const sigterm = (broadcastedAt: number) => ({ type: 'fluxnodesigterm', version: 1, ip: A_IP, broadcastedAt });
const sign = (data: unknown, { key = A_KEY, timestamp = NOW } = {}) =>
  signBroadcast({ data, privkeyHex: key, pubkeyHex: publicKeyFromPrivate(key), timestamp });

describe('GossipPipeline', () => {
  it('hands a verified broadcast to the handler once, then drops duplicates', async () => {
    const { pipeline, handled } = setup();
    const envelope = sign(sigterm(NOW));
    expect(await pipeline.process(envelope, 'peer')).toBe('handled');
    expect(await pipeline.process(envelope, 'other-peer')).toBe('duplicate');
    expect(handled.map((message) => message.payload.type)).toEqual(['fluxnodesigterm']);
  });

  it('rejects in spec order: future, malformed, unlisted signer, bad signature, stale', async () => {
    const { pipeline, handled } = setup();
    expect(await pipeline.process(sign(sigterm(NOW), { timestamp: NOW + 120_001 }), 'p')).toBe('future');
    expect(await pipeline.process(sign({ type: 'fluxnodesigterm', ip: A_IP }), 'p')).toBe('malformed');
    expect(await pipeline.process(sign(sigterm(NOW), { key: B_KEY }), 'p')).toBe('unlisted');
    const forged = { ...sign(sigterm(NOW + 1), { key: B_KEY }), pubKey: A_PUB };
    expect(await pipeline.process(forged, 'p')).toBe('bad-signature');
    expect(await pipeline.process(sign(sigterm(NOW + 2), { timestamp: NOW - 300_001 }), 'p')).toBe('stale');
    expect(handled).toEqual([]);
    expect(pipeline.counts).toMatchObject({
      future: 1,
      malformed: 1,
      unlisted: 1,
      'bad-signature': 1,
      stale: 1,
      handled: 0,
    });
  });

  it('lets a genuine message through after a forged copy of the same data', async () => {
    const { pipeline } = setup();
    const data = sigterm(NOW + 5);
    expect(await pipeline.process({ ...sign(data, { key: B_KEY }), pubKey: A_PUB }, 'p')).toBe('bad-signature');
    expect(await pipeline.process(sign(data), 'p')).toBe('handled');
  });

  it('accepts app messages relayed by any listed node', async () => {
    const { pipeline } = setup();
    const message = {
      type: 'fluxappregister',
      version: 1,
      appSpecifications: { name: 'x' },
      hash: 'ab'.repeat(32),
      timestamp: NOW,
      signature: 'sig',
    };
    expect(await pipeline.process(sign(message), 'p')).toBe('handled');
    expect(await pipeline.process(sign({ ...message, hash: 'cd'.repeat(32) }, { key: B_KEY }), 'p')).toBe('unlisted');
  });
});

describe('MessageCache', () => {
  it('forgets entries after the TTL and evicts the oldest beyond the size', () => {
    const cache = new MessageCache({ maxEntries: 2, ttlMs: 100 });
    cache.add('a', 0);
    cache.add('b', 10);
    expect(cache.has('a', 99)).toBe(true);
    expect(cache.has('a', 100)).toBe(false);
    cache.add('c', 20);
    cache.add('d', 30);
    expect([cache.has('b', 31), cache.has('c', 31), cache.has('d', 31)]).toEqual([false, true, true]);
    expect(cache.size).toBe(2);
  });
});
