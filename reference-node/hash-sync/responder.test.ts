import { describe, expect, it } from 'vitest';
import keys from '../../fixtures/keys.json' with { type: 'json' };
import type { FluxEventName } from '../../protocol/events.js';
import { signAppMessage } from '../../protocol/gossip/app-message.js';
import { verifyBroadcast } from '../../protocol/gossip/envelope.js';
import type { AppMessage } from '../../protocol/gossip/messages.js';
import { parsePeerFrame } from '../../protocol/gossip/wire.js';
import { manualClock } from '../clock.js';
import { DEFAULT_TUNABLES } from '../tunables.js';
import { HashRequestResponder } from './responder.js';

const NODE = keys.nodes[0]!;
const owner = keys.owners[0]!;

function registration(name: string): AppMessage {
  return signAppMessage({
    type: 'fluxappregister',
    version: 1,
    appSpecifications: { version: 7, name, owner: owner.address, instances: 1 },
    timestamp: 1_700_000_000_000,
    privkeyHex: owner.privkey,
  });
}

function setup(held: AppMessage[]) {
  const sent: { peer: string; frame: string }[] = [];
  const published: { name: FluxEventName; payload: unknown }[] = [];
  const responder = new HashRequestResponder({
    identity: { ip: '127.0.0.1:1', privkeyHex: NODE.privkey, pubkeyHex: NODE.pubkey },
    clock: manualClock(1_700_000_000_000),
    tunables: { ...DEFAULT_TUNABLES, hashResponseSpacingMs: 1 },
    messages: { bodiesFor: async (hashes) => held.filter((message) => hashes.includes(message.hash)) },
    sendTo: (peer, frame) => {
      sent.push({ peer, frame });
      return true;
    },
    bus: { publish: (name, payload) => published.push({ name, payload }) },
  });
  return { responder, sent, published };
}

describe('hash request responder (respondWithAppMessage, §6)', () => {
  it('sends each held message to the asking peer alone, signed as a temporary-format message', async () => {
    const held = [registration('alpha'), registration('beta')];
    const { responder, sent, published } = setup(held);
    const request = {
      type: 'fluxapprequest' as const,
      version: 2 as const,
      hashes: [held[0]!.hash, 'ff'.repeat(32), held[1]!.hash],
    };
    await responder.handle({ request, peer: 'p1' });
    const envelopes = sent.map(({ peer, frame }) => {
      expect(peer).toBe('p1');
      const parsed = parsePeerFrame(frame);
      if (!parsed.ok || parsed.frame.kind !== 'broadcast') throw new Error('not a broadcast');
      return parsed.frame.envelope;
    });
    expect(envelopes.map((envelope) => envelope.data)).toEqual(held);
    expect(envelopes.every((envelope) => verifyBroadcast(envelope) && envelope.pubKey === NODE.pubkey)).toBe(true);
    expect(published).toEqual([
      { name: 'hashRequest:received', payload: { peer: 'p1', count: 3 } },
      { name: 'hashRequest:responded', payload: { peer: 'p1', requested: 3, found: 2 } },
    ]);
  });

  it('refuses a request over hashRequestMaxHashes whole (bug 14 is the sender splitting it)', async () => {
    const { responder, sent, published } = setup([registration('alpha')]);
    const hashes = Array.from({ length: DEFAULT_TUNABLES.hashRequestMaxHashes + 1 }, (_, i) =>
      i.toString(16).padStart(64, '0'),
    );
    await responder.handle({ request: { type: 'fluxapprequest', version: 2, hashes }, peer: 'p1' });
    expect(sent).toEqual([]);
    expect(published).toEqual([{ name: 'hashRequest:received', payload: { peer: 'p1', count: 501 } }]);
    expect(responder.stats).toEqual({ received: 1, refused: 1, messagesSent: 0 });
  });
});
