/**
 * Peer WebSocket wire format of the reference node.
 *
 * Text frames carry one JSON object with a `kind`:
 *   - `{kind: 'hello', ip, port, pubKey, timestamp, signature, uptimeMs?}`: first frame on every connection, both
 *     directions; `signature` is a Bitcoin message signature over `helloSignedString(...)`, so a peer
 *     proves it holds the key the deterministic list binds to its IP:port.
 *   - `{kind: 'broadcast', envelope}`: a signed FluxOS broadcast (envelope.ts), relayed as is.
 *   - `{kind: 'syncResponse', envelope}`: one state-sync chunk (sync-chunk.ts) in the responder's
 *     signed envelope, sent only to the peer that asked; never relayed.
 * Binary frames carry the signed state-sync request of §7 (sync-request.ts), type byte 0x20..0x23.
 * Liveness uses WebSocket ping/pong control frames, not a JSON message.
 */
import { z } from 'zod';
import { formatZodError } from '../validation.js';
import { type SignedBroadcast, signedBroadcastSchema } from './envelope.js';

export {
  decodeSyncRequest,
  encodeSyncRequest,
  isSyncRequestType,
  SYNC_REQUEST_TYPES,
  type SyncRequest,
  SyncRequestCodecError,
  type SyncRequestType,
  signSyncRequest,
  syncRequestSignedString,
  verifySyncRequest,
} from './sync-request.js';

export const helloFrameSchema = z.object({
  kind: z.literal('hello'),
  ip: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  pubKey: z.string().regex(/^[0-9a-fA-F]+$/, 'expected a hex public key'),
  timestamp: z.number().int().nonnegative(),
  signature: z.string().min(1),
  /** How long the sender has been up: a claim (not signed) used to choose sync peers (§8). */
  uptimeMs: z.number().int().nonnegative().optional(),
});

export const broadcastFrameSchema = z.object({
  kind: z.literal('broadcast'),
  envelope: signedBroadcastSchema,
});

/** The chunk inside is shape-checked by the receiver (parseSyncChunk), which counts what it rejects. */
export const syncResponseFrameSchema = z.object({
  kind: z.literal('syncResponse'),
  envelope: signedBroadcastSchema,
});

export const peerFrameSchema = z.discriminatedUnion('kind', [
  helloFrameSchema,
  broadcastFrameSchema,
  syncResponseFrameSchema,
]);

export type HelloFrame = z.infer<typeof helloFrameSchema>;
export type BroadcastFrame = { kind: 'broadcast'; envelope: SignedBroadcast };
export type SyncResponseFrame = { kind: 'syncResponse'; envelope: SignedBroadcast };
export type PeerFrame = HelloFrame | BroadcastFrame | SyncResponseFrame;

export function helloSignedString({ ip, port, timestamp }: Pick<HelloFrame, 'ip' | 'port' | 'timestamp'>): string {
  return `fluxnet-hello:${ip}:${port}:${timestamp}`;
}

export function encodePeerFrame(frame: PeerFrame): string {
  return JSON.stringify(frame);
}

export type ParsePeerFrameResult = { ok: true; frame: PeerFrame } | { ok: false; error: string };

/** Parses an untrusted text frame; never throws. */
export function parsePeerFrame(text: string): ParsePeerFrameResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `(root): malformed JSON (${(error as Error).message})` };
  }
  const result = peerFrameSchema.safeParse(json);
  return result.success
    ? { ok: true, frame: result.data as PeerFrame }
    : { ok: false, error: formatZodError(result.error) };
}
