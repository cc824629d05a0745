/**
 * Verification of the events in a received 0x21 chunk (fluxos-node.md §4.2 step 1,
 * `batchVerifyBroadcasts`): each signed event is rebuilt as `{...envelope, data}`; its payload must be
 * a valid gossip payload of the event's type, the node at `data.ip ?? data.oldIP` must be listed with
 * the envelope's pubKey, and the signature must hold. Evictions are local facts and come unsigned.
 */
import { eventTypeOfPayload, type SignedEventPayload } from '../../protocol/appstate/documents.js';
import { verifyBroadcast } from '../../protocol/gossip/envelope.js';
import { type GossipPayload, parseGossipPayload, payloadSignerIp } from '../../protocol/gossip/messages.js';
import { syncedEventSchema } from '../../protocol/gossip/sync-chunk.js';
import type { SyncedEvent } from '../store/event-log.js';

export type EventRejection = 'malformed' | 'type-mismatch' | 'unlisted' | 'bad-signature';

export interface SignerLookup {
  isListed(ip: string, pubkey: string): boolean;
}

export interface VerifiedEvents {
  /** Accepted events, in the order served. */
  events: SyncedEvent[];
  rejected: Record<EventRejection, number>;
}

function isAppStatePayload(payload: GossipPayload): payload is SignedEventPayload {
  return (
    payload.type === 'fluxapprunning' ||
    payload.type === 'fluxnodesigterm' ||
    payload.type === 'fluxappremoved' ||
    payload.type === 'fluxipchanged'
  );
}

function verifyOne(message: unknown, directory: SignerLookup): SyncedEvent | EventRejection {
  const parsed = syncedEventSchema.safeParse(message);
  if (!parsed.success) return 'malformed';
  const event = parsed.data;
  if (event.type === 'evicted') return { type: 'evicted', ip: event.ip };
  const payload = parseGossipPayload(event.data);
  if (!payload.ok) return 'malformed';
  if (!isAppStatePayload(payload.payload)) return 'type-mismatch';
  const data = payload.payload;
  if (eventTypeOfPayload(data) !== event.type) return 'type-mismatch';
  const signerIp = payloadSignerIp(data);
  if (signerIp === undefined || !directory.isListed(signerIp, event.envelope.pubKey)) return 'unlisted';
  // The signature covers the sender's exact JSON: verify and keep the data as served, not a parsed copy.
  const served = (message as { data: unknown }).data;
  if (!verifyBroadcast({ ...event.envelope, data: served })) return 'bad-signature';
  return { type: event.type, data: served as SignedEventPayload, envelope: event.envelope } as SyncedEvent;
}

export function verifySyncedEvents({
  messages,
  directory,
}: {
  messages: readonly unknown[];
  directory: SignerLookup;
}): VerifiedEvents {
  const result: VerifiedEvents = {
    events: [],
    rejected: { malformed: 0, 'type-mismatch': 0, unlisted: 0, 'bad-signature': 0 },
  };
  for (const message of messages) {
    const verdict = verifyOne(message, directory);
    if (typeof verdict === 'string') result.rejected[verdict] += 1;
    else result.events.push(verdict);
  }
  return result;
}
