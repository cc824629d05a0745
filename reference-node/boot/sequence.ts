/**
 * `manageAppsOnBoot` at run time (fluxos-node.md §9-10): asks decideBootActions what to do, fills in
 * each gate it waits for (daemonReady, confirmation, dbReady, the cache rows) in that order, applies
 * the decision, and in a `finally` settles the boot (bootContainerStateSettled + `boot:settled`)
 * whatever was decided or thrown. Each gate function bounds its own wait (false = timed out).
 */
import type { Clock } from '../clock.js';
import type { BootContext } from './context.js';
import { type BootCacheRow, type BootDecision, type DecideBootActionsInput, decideBootActions } from './decide.js';

export type DecidedBoot = Extract<BootDecision, { kind: 'decided' }>;

export interface BootGates {
  /** Daemon RPC answered and the node list loaded, within bootDaemonWaitMs. */
  daemonReady(): Promise<boolean>;
  /** waitForConfirmationStatus: confirmed (and the DOS flag). */
  confirmation(): Promise<{ confirmed: boolean; dos: boolean }>;
  /** The orchestrator's dbReady within bootDbReadyWaitMs. */
  dbReady(): Promise<boolean>;
  /** The location cache's rows for this node's IP. */
  cacheRowsForMe(): Promise<BootCacheRow[]>;
}

export interface BootSequenceOptions {
  context: BootContext;
  /** Names of the installed apps. */
  ownApps(): Promise<string[]>;
  gates: BootGates;
  clock: Clock;
  tunables: DecideBootActionsInput['tunables'];
  /** Carries out the decision (remove, resume, keep). */
  apply(decision: DecidedBoot): Promise<void>;
  /** Step 7, always: bootContainerStateSettled + boot:settled. */
  settle(): void;
}

async function decide(options: BootSequenceOptions): Promise<DecidedBoot> {
  const { context, gates, clock, tunables } = options;
  const input: DecideBootActionsInput = { context, ownApps: await options.ownApps(), now: clock.now(), tunables };
  for (;;) {
    const decision = decideBootActions({ ...input, now: clock.now() });
    if (decision.kind === 'decided') return decision;
    switch (decision.waitFor) {
      case 'daemonReady':
        input.daemonReady = await gates.daemonReady();
        break;
      case 'confirmation':
        input.confirmation = await gates.confirmation();
        break;
      case 'dbReady':
        input.dbReady = await gates.dbReady();
        break;
      case 'cacheRows':
        input.cacheRowsForMe = await gates.cacheRowsForMe();
        break;
    }
  }
}

export async function runBootSequence(options: BootSequenceOptions): Promise<DecidedBoot> {
  try {
    const decision = await decide(options);
    await options.apply(decision);
    return decision;
  } finally {
    options.settle();
  }
}
