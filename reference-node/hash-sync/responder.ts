/**
 * `respondWithAppMessage` (fluxos-node.md §6): a verified `fluxapprequest` from a peer is answered
 * with every requested message this node holds, each sent to that peer alone as a signed
 * temporary-format message (the app message in this node's envelope), hashResponseSpacingMs apart.
 * The requester handles them as registration gossip. More than hashRequestMaxHashes hashes are
 * refused whole (the request schema already caps them).
 */
import { signBroadcast } from '../../protocol/gossip/envelope.js';
import type { AppHashRequest } from '../../protocol/gossip/messages.js';
import { encodePeerFrame } from '../../protocol/gossip/wire.js';
import type { AppMessageStore } from '../apps/message-store.js';
import type { Clock } from '../clock.js';
import type { Identity } from '../peers/handshake.js';
import type { EventBus } from '../sse/event-bus.js';
import type { Tunables } from '../tunables.js';

export interface HashRequestResponderOptions {
  identity: Identity;
  clock: Clock;
  tunables: Pick<Tunables, 'hashRequestMaxHashes' | 'hashResponseSpacingMs'>;
  messages: Pick<AppMessageStore, 'bodiesFor'>;
  sendTo(peer: string, frame: string): boolean;
  bus: Pick<EventBus, 'publish'>;
}

export interface HashRequestStats {
  received: number;
  refused: number;
  messagesSent: number;
}

export class HashRequestResponder {
  readonly #options: HashRequestResponderOptions;
  readonly #stats: HashRequestStats = { received: 0, refused: 0, messagesSent: 0 };
  #stopped = false;

  constructor(options: HashRequestResponderOptions) {
    this.#options = options;
  }

  get stats(): HashRequestStats {
    return { ...this.#stats };
  }

  stop(): void {
    this.#stopped = true;
  }

  async handle({ request, peer }: { request: AppHashRequest; peer: string }): Promise<void> {
    const { identity, clock, tunables, messages, bus } = this.#options;
    this.#stats.received += 1;
    bus.publish('hashRequest:received', { peer, count: request.hashes.length });
    if (request.hashes.length > tunables.hashRequestMaxHashes) {
      this.#stats.refused += 1;
      return;
    }
    const bodies = await messages.bodiesFor(request.hashes);
    let found = 0;
    for (const body of bodies) {
      if (this.#stopped) break;
      if (found > 0) await delay(tunables.hashResponseSpacingMs);
      const envelope = signBroadcast({
        data: body,
        privkeyHex: identity.privkeyHex,
        pubkeyHex: identity.pubkeyHex,
        timestamp: clock.now(),
      });
      if (this.#options.sendTo(peer, encodePeerFrame({ kind: 'broadcast', envelope }))) this.#stats.messagesSent += 1;
      found += 1;
    }
    bus.publish('hashRequest:responded', { peer, requested: request.hashes.length, found });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
