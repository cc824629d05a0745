/**
 * Signed gossip payloads (the envelope's `data`) of fluxos-node.md §5.1, as zod schemas and types.
 * Schemas accept extra fields (a newer FluxOS may add some) but every field they name is checked.
 */
import { z } from 'zod';
import { formatZodError } from '../validation.js';

const epochMs = z.number().int().nonnegative();
/** FluxOS fills runningSince from the container state: an epoch-ms number or an ISO date string. */
const runningSince = z.union([epochMs, z.string()]);
const hash64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters');

export const runningAppSchema = z.object({
  name: z.string().min(1),
  hash: z.string().min(1),
  runningSince: runningSince.optional(),
});

/** What a node currently sends. `apps` has no size cap here: the event log accepts over-cap lists (§14). */
export const appRunningV2Schema = z.object({
  type: z.literal('fluxapprunning'),
  version: z.literal(2),
  apps: z.array(runningAppSchema),
  ip: z.string().min(1),
  broadcastedAt: epochMs,
  osUptime: z.number().nonnegative().optional(),
  staticIp: z.boolean().optional(),
});

/** Legacy single-app form: receive-only. */
export const appRunningV1Schema = z.object({
  type: z.literal('fluxapprunning'),
  version: z.literal(1),
  name: z.string().min(1),
  hash: z.string().min(1),
  ip: z.string().min(1),
  broadcastedAt: epochMs,
  runningSince: runningSince.optional(),
  osUptime: z.number().nonnegative().optional(),
  staticIp: z.boolean().optional(),
});

export const nodeSigtermSchema = z.object({
  type: z.literal('fluxnodesigterm'),
  version: z.literal(1),
  ip: z.string().min(1),
  broadcastedAt: epochMs,
});

export const appRemovedSchema = z.object({
  type: z.literal('fluxappremoved'),
  version: z.literal(1),
  ip: z.string().min(1),
  appName: z.string().min(1),
  broadcastedAt: epochMs,
});

export const ipChangedSchema = z.object({
  type: z.literal('fluxipchanged'),
  version: z.literal(1),
  oldIP: z.string().min(1),
  newIP: z.string().min(1),
  broadcastedAt: epochMs,
});

export const APP_MESSAGE_TYPES = ['zelappregister', 'zelappupdate', 'fluxappregister', 'fluxappupdate'] as const;

/** App registration/update as gossiped before its hash is in a block (temporary message). */
export const appMessageSchema = z.object({
  type: z.enum(APP_MESSAGE_TYPES),
  version: z.number().int().positive(),
  appSpecifications: z.record(z.string(), z.unknown()),
  hash: hash64,
  timestamp: epochMs,
  signature: z.string().min(1),
});

export const HASH_REQUEST_MAX_HASHES = 500;

export const appHashRequestSchema = z.object({
  type: z.literal('fluxapprequest'),
  version: z.literal(2),
  hashes: z.array(hash64).min(1).max(HASH_REQUEST_MAX_HASHES),
});

export type RunningApp = z.infer<typeof runningAppSchema>;
export type AppRunningV2 = z.infer<typeof appRunningV2Schema>;
export type AppRunningV1 = z.infer<typeof appRunningV1Schema>;
export type AppRunning = AppRunningV1 | AppRunningV2;
export type NodeSigterm = z.infer<typeof nodeSigtermSchema>;
export type AppRemoved = z.infer<typeof appRemovedSchema>;
export type IpChanged = z.infer<typeof ipChangedSchema>;
export type AppMessage = z.infer<typeof appMessageSchema>;
export type AppMessageType = AppMessage['type'];
export type AppHashRequest = z.infer<typeof appHashRequestSchema>;
export type GossipPayload = AppRunning | NodeSigterm | AppRemoved | IpChanged | AppMessage | AppHashRequest;
export type GossipType = GossipPayload['type'];

export function isAppRunningV2(payload: AppRunning): payload is AppRunningV2 {
  return payload.version === 2;
}

/** The IP a payload speaks for: the listed node that must have signed it (§5.3 step 4). */
export function payloadSignerIp(payload: GossipPayload): string | undefined {
  if (payload.type === 'fluxipchanged') return payload.oldIP;
  return 'ip' in payload ? payload.ip : undefined;
}

export type ParseGossipResult = { ok: true; payload: GossipPayload } | { ok: false; error: string };

function schemaFor(type: string, version: unknown): z.ZodType<GossipPayload> | undefined {
  switch (type) {
    case 'fluxapprunning':
      return version === 1 ? appRunningV1Schema : appRunningV2Schema;
    case 'fluxnodesigterm':
      return nodeSigtermSchema;
    case 'fluxappremoved':
      return appRemovedSchema;
    case 'fluxipchanged':
      return ipChangedSchema;
    case 'fluxapprequest':
      return appHashRequestSchema;
    default:
      return (APP_MESSAGE_TYPES as readonly string[]).includes(type) ? appMessageSchema : undefined;
  }
}

/** Validates an untrusted payload; the error names the failing field paths. Never throws. */
export function parseGossipPayload(input: unknown): ParseGossipResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, error: `(root): expected an object, got ${input === null ? 'null' : typeof input}` };
  }
  const { type, version } = input as { type?: unknown; version?: unknown };
  if (typeof type !== 'string') return { ok: false, error: `type: expected a string, got ${typeof type}` };
  const schema = schemaFor(type, version);
  if (!schema) return { ok: false, error: `type: unknown gossip type ${JSON.stringify(type)}` };
  const result = schema.safeParse(input);
  return result.success ? { ok: true, payload: result.data } : { ok: false, error: formatZodError(result.error) };
}
