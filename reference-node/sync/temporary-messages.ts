/**
 * 0x20 state sync (fluxos-node.md §7): the responder serves its temporary app messages (gossiped
 * registrations not yet promoted, window temporaryMessageExpiryMs) as gossiped; the receiver checks
 * each one like gossip (shape, hash, owner signature) and keeps it, promoting it if its hash is
 * already on chain. Completions of this type are counted but never gate readiness.
 */
import { appMessageSchema } from '../../protocol/gossip/messages.js';
import type { AppMessageStore } from '../apps/message-store.js';
import type { SyncChunkApplier } from './receiver.js';
import type { SyncSource } from './responder.js';

export function temporaryMessagesSource(messages: Pick<AppMessageStore, 'temporarySince'>): SyncSource {
  return ({ sinceMs }) => messages.temporarySince({ sinceMs });
}

export function temporaryMessagesApplier(messages: Pick<AppMessageStore, 'storeTemporary'>): SyncChunkApplier {
  return async ({ messages: items }) => {
    const applied = { verified: 0, stored: 0, rejected: 0 };
    for (const item of items) {
      const parsed = appMessageSchema.safeParse(item);
      if (!parsed.success) {
        applied.rejected += 1;
        continue;
      }
      const result = await messages.storeTemporary(parsed.data);
      if (!result.stored && result.reason === 'invalid') {
        applied.rejected += 1;
        continue;
      }
      applied.verified += 1;
      if (result.stored) applied.stored += 1;
    }
    return applied;
  };
}
