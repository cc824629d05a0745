/**
 * FluxOS's signed broadcast envelope (fluxos-node.md §5.2):
 * `{version: 1, timestamp, pubKey, signature, data}`, signature over `"1" + JSON.stringify(data) + timestamp`.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { formatZodError } from '../validation.js';
import { signMessage, verifyMessage } from './signing.js';

export const BROADCAST_VERSION = 1;

export interface SignedBroadcast<D = unknown> {
  version: 1;
  timestamp: number;
  pubKey: string;
  signature: string;
  data: D;
}

/** The envelope fields as the event log keeps them next to `data` (§2). */
export type EnvelopeMeta = Omit<SignedBroadcast, 'data'>;

export const signedBroadcastSchema = z.object({
  version: z.literal(BROADCAST_VERSION),
  timestamp: z.number().int().nonnegative(),
  pubKey: z.string().regex(/^[0-9a-fA-F]+$/, 'expected a hex public key'),
  signature: z.string().min(1),
  data: z.unknown().refine((value) => value !== undefined, 'data is required'),
});

/** The exact string FluxOS signs. Key order of `data` matters: it is the sender's JSON. */
export function broadcastSignedString({ data, timestamp }: { data: unknown; timestamp: number }): string {
  return `${BROADCAST_VERSION}${JSON.stringify(data)}${timestamp}`;
}

export interface SignBroadcastOptions<D> {
  data: D;
  privkeyHex: string;
  pubkeyHex: string;
  timestamp: number;
}

export function signBroadcast<D>({
  data,
  privkeyHex,
  pubkeyHex,
  timestamp,
}: SignBroadcastOptions<D>): SignedBroadcast<D> {
  const signature = signMessage({ message: broadcastSignedString({ data, timestamp }), privkeyHex });
  return { version: BROADCAST_VERSION, timestamp, pubKey: pubkeyHex, signature, data };
}

/** Signature check only: whether pubKey is the listed key for the payload's IP is the caller's job. */
export function verifyBroadcast(envelope: SignedBroadcast): boolean {
  if (envelope.version !== BROADCAST_VERSION || typeof envelope.timestamp !== 'number') return false;
  return verifyMessage({
    message: broadcastSignedString({ data: envelope.data, timestamp: envelope.timestamp }),
    pubkeyHex: envelope.pubKey,
    signature: envelope.signature,
  });
}

export type ParseEnvelopeResult = { ok: true; envelope: SignedBroadcast } | { ok: false; error: string };

/** Shape check of an untrusted envelope (not the signature). */
export function parseSignedBroadcast(input: unknown): ParseEnvelopeResult {
  const result = signedBroadcastSchema.safeParse(input);
  return result.success
    ? { ok: true, envelope: result.data as SignedBroadcast }
    : { ok: false, error: formatZodError(result.error) };
}

/** JSON with object keys sorted at every level, so equal values give equal text whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  });
}

/**
 * Dedup key of a payload in the receive cache (§5.3 step 2). FluxOS uses object-hash (SHA-1 over a
 * key-order-independent serialisation); this is the same idea with SHA-256 over canonical JSON.
 */
export function messageCacheKey(data: unknown): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(data) ?? 'undefined')));
}
