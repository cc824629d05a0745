/**
 * `readBootContext` of fluxos-node.md §10: what the previous run's heartbeat says about this boot.
 * The shape is the `bootContext` of the `orchestrator:started` SSE event (protocol/events.ts).
 */
import type { FluxEventPayload } from '../../protocol/events.js';
import type { HeartbeatDoc } from './heartbeat.js';

export type BootContext = FluxEventPayload<'orchestrator:started'>['bootContext'];

export interface ReadBootContextInput {
  /** The heartbeat document as the previous run left it; null when there is none. */
  heartbeat: Pick<HeartbeatDoc, 'lastAlive' | 'machineBootId' | 'shutdownReason'> | null;
  currentBootId: string;
  now: number;
}

export function readBootContext({ heartbeat, currentBootId, now }: ReadBootContextInput): BootContext {
  if (heartbeat === null) {
    return { machineRebooted: true, downtimeMs: null, cleanShutdown: false, currentBootId, firstBoot: true };
  }
  return {
    machineRebooted: heartbeat.machineBootId !== currentBootId,
    // A clock stepped back since the last beat must not give a negative downtime.
    downtimeMs: Math.max(0, now - heartbeat.lastAlive),
    cleanShutdown: heartbeat.shutdownReason === 'sigterm',
    currentBootId,
    firstBoot: false,
  };
}
