/**
 * `POST /apps/register`: an owner-signed registration message. The node checks and keeps it as a
 * temporary message and gossips it; putting its hash on chain is the owner's (the harness's) job.
 */
import { appMessageSchema } from '../../protocol/gossip/messages.js';
import { formatZodError } from '../../protocol/validation.js';
import type { AppMessageStore } from '../apps/message-store.js';
import type { Announcer } from '../gossip/announcer.js';
import { HttpError } from './json.js';

export interface RegisterAppResult {
  hash: string;
  /** false when the node already held this message. */
  stored: boolean;
  /** Peers the message was gossiped to. */
  peers: number;
}

export function createRegisterApp({
  messages,
  announcer,
}: {
  messages: AppMessageStore;
  announcer: Announcer;
}): (body: unknown) => Promise<RegisterAppResult> {
  return async (body) => {
    const parsed = appMessageSchema.safeParse(body);
    if (!parsed.success) throw new HttpError({ status: 400, message: `request body: ${formatZodError(parsed.error)}` });
    const message = parsed.data;
    const result = await messages.storeTemporary(message);
    if (!result.stored && result.reason === 'invalid') {
      throw new HttpError({ status: 400, message: `app message rejected: ${result.detail}` });
    }
    const { peers } = result.stored ? announcer.relayAppMessage(message) : { peers: 0 };
    return { hash: message.hash, stored: result.stored, peers };
  };
}
