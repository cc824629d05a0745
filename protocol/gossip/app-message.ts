/**
 * App registration messages (fluxos-node.md §6): the owner signs `type + version + JSON(specs) +
 * timestamp` (Bitcoin message signature, the owner's address is `specs.owner`); the message hash put
 * on chain is sha256 of `type + version + JSON(specs) + timestamp + signature`.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { paymentAddressFor } from '../fluxd/payment-address.js';
import { formatZodError } from '../validation.js';
import type { AppMessage, AppMessageType } from './messages.js';
import { recoverMessageSigner, signMessage } from './signing.js';

/** The spec fields the reference node uses; everything else is carried as is. */
export const appSpecSchema = z
  .object({
    version: z.number().int().positive(),
    name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9]{2,31}$/, 'expected 3-32 letters/digits, starting with a letter'),
    owner: z.string().min(1),
    instances: z.number().int().min(1).max(100),
  })
  .loose();

export type AppSpec = z.infer<typeof appSpecSchema>;

export interface UnsignedAppMessage {
  type: AppMessageType;
  version: number;
  appSpecifications: Record<string, unknown>;
  timestamp: number;
}

export function appMessageSignedString(message: UnsignedAppMessage): string {
  return `${message.type}${message.version}${JSON.stringify(message.appSpecifications)}${message.timestamp}`;
}

export function appMessageHash(message: UnsignedAppMessage & { signature: string }): string {
  return bytesToHex(sha256(utf8ToBytes(`${appMessageSignedString(message)}${message.signature}`)));
}

export function signAppMessage({ privkeyHex, ...message }: UnsignedAppMessage & { privkeyHex: string }): AppMessage {
  const signature = signMessage({ message: appMessageSignedString(message), privkeyHex });
  return { ...message, signature, hash: appMessageHash({ ...message, signature }) };
}

export type AppMessageCheck = { ok: true; spec: AppSpec } | { ok: false; reason: string };

/** Spec shape, hash and owner signature; price and enterprise rules are out of scope. */
export function checkAppMessage(message: AppMessage): AppMessageCheck {
  const spec = appSpecSchema.safeParse(message.appSpecifications);
  if (!spec.success) return { ok: false, reason: `appSpecifications: ${formatZodError(spec.error)}` };
  const expectedHash = appMessageHash(message);
  if (expectedHash !== message.hash)
    return { ok: false, reason: `hash: expected ${expectedHash}, got ${message.hash}` };
  const signer = recoverMessageSigner({ message: appMessageSignedString(message), signature: message.signature });
  if (signer === undefined) return { ok: false, reason: 'signature: not a valid message signature' };
  const address = paymentAddressFor(signer);
  if (address !== spec.data.owner) {
    return { ok: false, reason: `signature: signed by ${address}, owner is ${spec.data.owner}` };
  }
  return { ok: true, spec: spec.data };
}
