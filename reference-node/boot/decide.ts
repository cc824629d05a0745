/**
 * `appStartupManager.manageAppsOnBoot` (fluxos-node.md §10 steps 1-6) as a pure, staged decision:
 * call it with what is known; it either decides what happens to each installed app or names the gate
 * it must wait for next (daemonReady, confirmation, dbReady, the cache rows). The runtime waits for
 * that gate (bootDaemonWaitMs / bootDbReadyWaitMs), fills it in (false = timed out) and calls again,
 * so a decision reached early (step 2) never waits for gates. Step 7 is the runtime's `finally`: set
 * bootContainerStateSettled and publish `boot:settled`, whatever was decided or thrown.
 */
import type { Tunables } from '../tunables.js';
import type { BootContext } from './context.js';

export type BootGate = 'daemonReady' | 'confirmation' | 'dbReady' | 'cacheRows';

export type BootStep = 1 | 2 | 3 | 4 | 5 | 6;

export type BootReason =
  | 'not-rebooted'
  | 'downtime-after-clean-shutdown'
  | 'downtime-exceeded'
  | 'daemon-not-ready'
  | 'not-confirmed'
  | 'dos'
  | 'db-not-ready'
  | 'no-cache-row'
  | 'cache-row';

export interface BootAppAction {
  name: string;
  /** keep: the machine did not reboot, the app never stopped. resume: start its non-`g:` components. */
  action: 'keep' | 'remove' | 'resume';
  reason: BootReason;
  /** Remove-all steps (2-5) broadcast `fluxappremoved`; reconcile (6) removes locally only. */
  broadcast: boolean;
}

export type BootDecision =
  | { kind: 'pending'; waitFor: BootGate }
  | { kind: 'decided'; step: BootStep; apps: BootAppAction[] };

export interface BootCacheRow {
  name: string;
  expireAt: number;
}

export interface DecideBootActionsInput {
  context: BootContext;
  /** Names of the apps installed on this node. */
  ownApps: readonly string[];
  /** undefined: not known yet; false: not ready within bootDaemonWaitMs. */
  daemonReady?: boolean;
  /** waitForConfirmationStatus's answer (with the DOS flag); undefined: not known yet. */
  confirmation?: { confirmed: boolean; dos: boolean };
  /** undefined: not known yet; false: not ready within bootDbReadyWaitMs. */
  dbReady?: boolean;
  /** The location cache's rows for (app, this node's ip); undefined: not read yet. */
  cacheRowsForMe?: readonly BootCacheRow[];
  now: number;
  tunables: Pick<Tunables, 'cleanShutdownMaxDowntimeMs' | 'runningExpiryMs'>;
}

function allApps(
  ownApps: readonly string[],
  step: BootStep,
  action: BootAppAction['action'],
  reason: BootReason,
): BootDecision {
  const broadcast = action === 'remove';
  return { kind: 'decided', step, apps: ownApps.map((name) => ({ name, action, reason, broadcast })) };
}

/** Step 2: down too long after a clean shutdown (7 min), or at all (125 min); never on a first boot. */
function downtimeReason({ context, tunables }: DecideBootActionsInput): BootReason | undefined {
  if (context.firstBoot || context.downtimeMs === null) return undefined;
  if (context.cleanShutdown && context.downtimeMs > tunables.cleanShutdownMaxDowntimeMs) {
    return 'downtime-after-clean-shutdown';
  }
  if (context.downtimeMs > tunables.runningExpiryMs) return 'downtime-exceeded';
  return undefined;
}

/** Step 6: an app stays only if the cache still lists it on this node, unexpired. */
function reconcile(ownApps: readonly string[], rows: readonly BootCacheRow[], now: number): BootDecision {
  const listed = new Set(rows.filter((row) => row.expireAt > now).map((row) => row.name.toLowerCase()));
  return {
    kind: 'decided',
    step: 6,
    apps: ownApps.map((name) =>
      listed.has(name.toLowerCase())
        ? { name, action: 'resume', reason: 'cache-row', broadcast: false }
        : { name, action: 'remove', reason: 'no-cache-row', broadcast: false },
    ),
  };
}

export function decideBootActions(input: DecideBootActionsInput): BootDecision {
  const { context, ownApps } = input;
  if (!context.machineRebooted) return allApps(ownApps, 1, 'keep', 'not-rebooted');
  const downtime = downtimeReason(input);
  if (downtime) return allApps(ownApps, 2, 'remove', downtime);
  if (input.daemonReady === undefined) return { kind: 'pending', waitFor: 'daemonReady' };
  if (!input.daemonReady) return allApps(ownApps, 3, 'remove', 'daemon-not-ready');
  if (input.confirmation === undefined) return { kind: 'pending', waitFor: 'confirmation' };
  if (input.confirmation.dos) return allApps(ownApps, 4, 'remove', 'dos');
  if (!input.confirmation.confirmed) return allApps(ownApps, 4, 'remove', 'not-confirmed');
  if (input.dbReady === undefined) return { kind: 'pending', waitFor: 'dbReady' };
  if (!input.dbReady) return allApps(ownApps, 5, 'remove', 'db-not-ready');
  if (input.cacheRowsForMe === undefined) return { kind: 'pending', waitFor: 'cacheRows' };
  return reconcile(ownApps, input.cacheRowsForMe, input.now);
}
