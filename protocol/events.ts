/**
 * THE catalogue of FluxOS SSE events (`GET /flux/eventstream`, fluxos-node.md §11): event name ->
 * zod schema of its `data` JSON. The reference node publishes with these types; the harness parses
 * with them. Schemas accept extra fields so a real FluxOS adding one does not break the harness.
 * `imageUpdate:*` events are unspecified upstream: any name with that prefix parses to unknown data.
 */
import { z } from 'zod';
import { formatZodError } from './validation.js';

const empty = z.object({});
const height = z.object({ height: z.number().int().nonnegative() });
const runningSince = z.union([z.number(), z.string()]);
const app = z.object({ name: z.string(), hash: z.string(), runningSince: runningSince.optional() });
const nameHash = z.object({ name: z.string(), hash: z.string() });
const ipName = z.object({ ip: z.string(), name: z.string() });
const peerChange = {
  ip: z.string(),
  port: z.number().int(),
  direction: z.enum(['inbound', 'outbound']),
  outbound: z.number().int().nonnegative(),
  inbound: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
};
const peerCount = z.object({ count: z.number().int().nonnegative(), threshold: z.number().int().nonnegative() });

export const ORCHESTRATOR_STATES = ['INITIALIZING', 'SYNCING', 'RESYNCING', 'READY', 'DEGRADED'] as const;
export const SPAWNER_BLOCK_REASONS = [
  'enterprise_unresolved',
  'not_synced',
  'db_not_ready',
  'dos',
  'not_confirmed',
] as const;
const orchestratorState = z.enum(ORCHESTRATOR_STATES);

export const FLUX_EVENTS = {
  'boot:settled': empty,
  'spawner:paused': empty,
  'spawner:resumed': empty,
  'daemon:unreachable': empty,
  'daemon:recovered': empty,
  'explorer:ready': height,
  'block:processed': height,
  'daemon:polled': z.object({ height: z.number().int().nonnegative(), headers: z.number().int().nonnegative() }),
  'orchestrator:started': z.object({
    state: orchestratorState,
    bootContext: z.object({
      machineRebooted: z.boolean(),
      downtimeMs: z.number().nonnegative().nullable(),
      cleanShutdown: z.boolean(),
      currentBootId: z.string(),
      firstBoot: z.boolean(),
    }),
  }),
  'orchestrator:stateChanged': z.object({ from: orchestratorState, to: orchestratorState }),
  'spawner:blocked': z.object({ reason: z.enum(SPAWNER_BLOCK_REASONS) }),
  'spawner:deferred': z.object({ appName: z.string(), reason: z.string(), delayMs: z.number().nonnegative() }),
  'spawner:networkErrorSkip': z.object({ appName: z.string(), hash: z.string(), errorCount: z.number().int() }),
  'spawner:installFailed': z.object({ appName: z.string(), hash: z.string() }),
  'app:running': z.object({ apps: z.array(app), ip: z.string() }),
  'app:installed': nameHash,
  'app:specStored': nameHash,
  'app:removed': z.object({ name: z.string() }),
  'confirmation:changed': z.object({ confirmed: z.boolean() }),
  'messageCapability:changed': z.object({ capable: z.boolean() }),
  'dos:changed': z.object({ dosState: z.number().int(), dosMessage: z.string().nullable() }),
  'peers:added': z.object(peerChange),
  'peers:removed': z.object({ ...peerChange, closeCode: z.number().int().nullable() }),
  'peers:thresholdReached': peerCount,
  'peers:belowThreshold': peerCount,
  'network:apprunning': z.object({ ip: z.string(), apps: z.array(app) }),
  'network:appinstalling': ipName,
  'network:appinstallingerror': ipName,
  'network:appremoved': ipName,
  'network:ipchanged': z.object({ oldIP: z.string(), newIP: z.string() }),
  'network:sigterm': z.object({ ip: z.string() }),
  'network:appmessage': z.object({ hash: z.string(), type: z.string(), name: z.string() }),
  'ephemeralSync:requested': z.object({ peerCount: z.number().int().nonnegative(), peers: z.array(z.string()) }),
  'ephemeralSync:peerComplete': z.object({
    syncType: z.string(),
    completions: z.number().int().nonnegative(),
    required: z.number().int().nonnegative(),
  }),
  'ephemeralSync:allComplete': z.object({
    apprunning: z.number().int().nonnegative(),
    appinstalling: z.number().int().nonnegative(),
    apperrors: z.number().int().nonnegative(),
  }),
  'sync:chunkVerified': z.object({
    syncType: z.string(),
    peer: z.string(),
    verified: z.number().int().nonnegative(),
    stored: z.number().int().nonnegative(),
  }),
  'hashSync:complete': z.object({ attempt: z.number().int().nonnegative(), missing: z.number().int().nonnegative() }),
  'hashSync:failed': z.object({
    attempt: z.number().int().nonnegative(),
    maxRetries: z.number().int().nonnegative(),
    willRetry: z.boolean(),
    error: z.string(),
  }),
  'hashRequest:received': z.object({ peer: z.string(), count: z.number().int().nonnegative() }),
  'hashRequest:responded': z.object({
    peer: z.string(),
    requested: z.number().int().nonnegative(),
    found: z.number().int().nonnegative(),
  }),
} as const;

export type CataloguedEventName = keyof typeof FLUX_EVENTS;
export type ImageUpdateEventName = `imageUpdate:${string}`;
export type FluxEventName = CataloguedEventName | ImageUpdateEventName;
export type FluxEventPayload<N extends FluxEventName> = N extends CataloguedEventName
  ? z.infer<(typeof FLUX_EVENTS)[N]>
  : unknown;

export const FLUX_EVENT_NAMES = Object.keys(FLUX_EVENTS) as CataloguedEventName[];

export function isFluxEventName(name: string): name is FluxEventName {
  return Object.hasOwn(FLUX_EVENTS, name) || name.startsWith('imageUpdate:');
}

export type FluxEvent = { [N in CataloguedEventName]: { name: N; data: FluxEventPayload<N> } }[CataloguedEventName];

export type ParseFluxEventResult<N extends FluxEventName = FluxEventName> =
  | { ok: true; name: N; data: FluxEventPayload<N> }
  | { ok: false; error: string };

/** Parses one SSE frame's `event:` name and `data:` JSON; the error names the event and field. Never throws. */
export function parseFluxEvent<N extends FluxEventName>(name: N, dataJson: string): ParseFluxEventResult<N>;
export function parseFluxEvent(name: string, dataJson: string): ParseFluxEventResult;
export function parseFluxEvent(name: string, dataJson: string): ParseFluxEventResult {
  if (!isFluxEventName(name)) return { ok: false, error: `${name}: unknown event name` };
  let json: unknown;
  try {
    json = JSON.parse(dataJson);
  } catch (error) {
    return { ok: false, error: `${name}: data is not valid JSON (${(error as Error).message})` };
  }
  if (!Object.hasOwn(FLUX_EVENTS, name)) return { ok: true, name, data: json };
  const result = FLUX_EVENTS[name as CataloguedEventName].safeParse(json);
  return result.success
    ? { ok: true, name, data: result.data as FluxEventPayload<FluxEventName> }
    : { ok: false, error: `${name}: ${formatZodError(result.error)}` };
}
