/**
 * Confirmation levels of fluxos-node.md §9 (`nodeConfirmationService`, polled every 30 s) as a pure
 * function: from the last `getzelnodestatus`, our place in the deterministic list and how long the
 * daemon has been unreachable, derive isConfirmed / canSendMessages / stale / expired, plus the SSE
 * events and actions the transition from the previous levels calls for.
 */
import type { FluxEvent } from '../../protocol/events.js';
import type { Tunables } from '../tunables.js';

export interface ConfirmationLevels {
  /** `getzelnodestatus` said CONFIRMED, and the daemon has not been unreachable past daemonExpiredMs. */
  confirmed: boolean;
  /** Confirmed and the deterministic list holds our ip:port with our pubkey. */
  canSendMessages: boolean;
  /** The latest poll's RPC answered. */
  daemonReachable: boolean;
  /** Unreachable for more than daemonStaleMs: apps are removed, messaging continues. */
  daemonStale: boolean;
  /** Unreachable for more than daemonExpiredMs: no longer confirmed. */
  daemonExpired: boolean;
}

/** Before the first poll: nothing confirmed, the daemon presumed reachable (a failing first poll reports it). */
export const INITIAL_CONFIRMATION_LEVELS: ConfirmationLevels = {
  confirmed: false,
  canSendMessages: false,
  daemonReachable: true,
  daemonStale: false,
  daemonExpired: false,
};

export interface ConfirmationObservation {
  /** `status` of the last successful `getzelnodestatus`; undefined before any success. */
  lastStatus: string | undefined;
  /** The deterministic list holds our ip:port with our pubkey. */
  listed: boolean;
  /** Whether this poll's RPC call succeeded. */
  rpcOk: boolean;
  /** When an RPC call last succeeded; undefined if none has. */
  lastRpcSuccessAt: number | undefined;
  /** When the service started polling: unreachability counts from here until the first success. */
  startedAt: number;
  now: number;
}

export type ConfirmationAction =
  /** §9: the daemon went stale or expired; the node removes its apps. */
  | { kind: 'removeAllApps'; reason: 'daemon-stale' | 'daemon-expired' }
  /** §9: losing confirmation drops all peers and gates discovery. */
  | { kind: 'dropPeers' };

export interface ConfirmationEvaluation {
  levels: ConfirmationLevels;
  events: FluxEvent[];
  actions: ConfirmationAction[];
}

export type ConfirmationTunables = Pick<Tunables, 'daemonStaleMs' | 'daemonExpiredMs'>;

export const CONFIRMED_STATUS = 'CONFIRMED';
export const DOS_STATUS = 'DOS';

/** The `status` field of a `getzelnodestatus` result, or undefined when the result has none. */
export function nodeStatusOf(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const status = (result as { status?: unknown }).status;
  return typeof status === 'string' ? status : undefined;
}

function computeLevels(observation: ConfirmationObservation, tunables: ConfirmationTunables): ConfirmationLevels {
  const { rpcOk, lastRpcSuccessAt, startedAt, now, lastStatus, listed } = observation;
  const unreachableMs = rpcOk ? 0 : now - (lastRpcSuccessAt ?? startedAt);
  const daemonStale = unreachableMs > tunables.daemonStaleMs;
  const daemonExpired = unreachableMs > tunables.daemonExpiredMs;
  const confirmed = lastStatus === CONFIRMED_STATUS && !daemonExpired;
  return { confirmed, canSendMessages: confirmed && listed, daemonReachable: rpcOk, daemonStale, daemonExpired };
}

function eventsBetween(previous: ConfirmationLevels, next: ConfirmationLevels): FluxEvent[] {
  const events: FluxEvent[] = [];
  if (previous.daemonReachable && !next.daemonReachable) events.push({ name: 'daemon:unreachable', data: {} });
  if (!previous.daemonReachable && next.daemonReachable) events.push({ name: 'daemon:recovered', data: {} });
  if (previous.confirmed !== next.confirmed) {
    events.push({ name: 'confirmation:changed', data: { confirmed: next.confirmed } });
  }
  if (previous.canSendMessages !== next.canSendMessages) {
    events.push({ name: 'messageCapability:changed', data: { capable: next.canSendMessages } });
  }
  return events;
}

function actionsBetween(previous: ConfirmationLevels, next: ConfirmationLevels): ConfirmationAction[] {
  const actions: ConfirmationAction[] = [];
  if (!previous.daemonExpired && next.daemonExpired) actions.push({ kind: 'removeAllApps', reason: 'daemon-expired' });
  else if (!previous.daemonStale && next.daemonStale) actions.push({ kind: 'removeAllApps', reason: 'daemon-stale' });
  if (previous.confirmed && !next.confirmed) actions.push({ kind: 'dropPeers' });
  return actions;
}

export function evaluateConfirmation({
  previous,
  observation,
  tunables,
}: {
  previous: ConfirmationLevels;
  observation: ConfirmationObservation;
  tunables: ConfirmationTunables;
}): ConfirmationEvaluation {
  const levels = computeLevels(observation, tunables);
  return { levels, events: eventsBetween(previous, levels), actions: actionsBetween(previous, levels) };
}
