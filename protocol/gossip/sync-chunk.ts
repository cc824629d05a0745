/**
 * State-sync responses (fluxos-node.md §7): a responder answers a signed 0x20..0x23 request with a
 * stream of chunks `{type: 'flux…sync', messages: [≤ 2000], done}`, each inside the responder's signed
 * envelope (envelope.ts). For 0x21 the messages are app-state event documents: signed ones carry
 * `data` + `envelope` and re-verify as `{...envelope, data}`; evictions carry only `ip` (unsigned).
 */
import { z } from 'zod';
import { formatZodError } from '../validation.js';
import { SYNC_REQUEST_TYPES, type SyncRequestType } from './sync-request.js';

/** The chunk `type` answering each request type. */
export const SYNC_CHUNK_TYPES = {
  [SYNC_REQUEST_TYPES.temporaryMessages]: 'fluxtemporarymessagesync',
  [SYNC_REQUEST_TYPES.appRunning]: 'fluxapprunningsync',
  [SYNC_REQUEST_TYPES.appInstalling]: 'fluxappinstallingsync',
  [SYNC_REQUEST_TYPES.appInstallingErrors]: 'fluxappinstallingerrorsync',
} as const satisfies Record<SyncRequestType, string>;

export type SyncChunkType = (typeof SYNC_CHUNK_TYPES)[SyncRequestType];

const CHUNK_TYPE_VALUES = Object.values(SYNC_CHUNK_TYPES) as [SyncChunkType, ...SyncChunkType[]];

/** The name SSE events use for each sync type (`ephemeralSync:*`, `sync:chunkVerified`). */
export const SYNC_KIND_NAMES = {
  fluxtemporarymessagesync: 'temporarymessages',
  fluxapprunningsync: 'apprunning',
  fluxappinstallingsync: 'appinstalling',
  fluxappinstallingerrorsync: 'apperrors',
} as const satisfies Record<SyncChunkType, string>;

export type SyncKindName = (typeof SYNC_KIND_NAMES)[SyncChunkType];

export interface SyncChunk {
  type: SyncChunkType;
  messages: unknown[];
  done: boolean;
}

/** No size limit here: the receiver counts and rejects oversized chunks itself (§7). */
export const syncChunkSchema = z.object({
  type: z.enum(CHUNK_TYPE_VALUES),
  messages: z.array(z.unknown()),
  done: z.boolean(),
});

export function syncChunkTypeFor(requestType: SyncRequestType): SyncChunkType {
  return SYNC_CHUNK_TYPES[requestType];
}

export type ParseSyncChunkResult = { ok: true; chunk: SyncChunk } | { ok: false; error: string };

/** Shape check of an untrusted chunk (the envelope's data); never throws. */
export function parseSyncChunk(input: unknown): ParseSyncChunkResult {
  const result = syncChunkSchema.safeParse(input);
  return result.success ? { ok: true, chunk: result.data } : { ok: false, error: formatZodError(result.error) };
}

const envelopeMetaSchema = z.object({
  version: z.literal(1),
  timestamp: z.number().int().nonnegative(),
  pubKey: z.string().regex(/^[0-9a-fA-F]+$/, 'expected a hex public key'),
  signature: z.string().min(1),
});

/** One signed event as served in a 0x21 chunk (the stored document; extra fields are ignored). */
export const syncedSignedEventSchema = z.object({
  type: z.enum(['apprunning', 'sigterm', 'appremoved', 'ipchanged']),
  ip: z.string().min(1),
  data: z.record(z.string(), z.unknown()),
  envelope: envelopeMetaSchema,
});

/** An eviction as served in a 0x21 chunk: local, never signed. */
export const syncedEvictionSchema = z.object({
  type: z.literal('evicted'),
  ip: z.string().min(1),
});

export const syncedEventSchema = z.discriminatedUnion('type', [syncedSignedEventSchema, syncedEvictionSchema]);

export type SyncedEventMessage = z.infer<typeof syncedEventSchema>;
