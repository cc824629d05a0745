import {
  type ConvergedResult,
  converged,
  eventLogConverged,
  hashesConverged,
  locationsConverged,
  type Probe,
  type StateChecker,
  stateProbe,
} from '../check/index.js';
import type { FluxNetwork } from '../network/create-network.js';

/** FluxOS's sigterm grace (420 s), scaled like every node's tunables. */
const SIGTERM_EXPIRY_MS = 420_000;

/** The checks a convergence probe can run; all of them by default (hashes only when hashes are given). */
export type ConvergenceCheckName = 'event-log' | 'locations' | 'hashes';

export interface ConvergenceProbeOptions {
  /** App-message hashes that every live node must have resolved. */
  referencedHashes?: readonly string[];
  /** Nodes to compare; default: every live node. */
  nodes?: readonly number[];
  checks?: readonly ConvergenceCheckName[];
}

export interface ExpectConvergedOptions extends ConvergenceProbeOptions {
  within: number;
  label?: string;
}

/**
 * One read of every compared node's database per round, judged by the selected checkers: event
 * logs, location caches (each equal to its own derived view) and hash sync.
 */
export function convergenceProbe(network: FluxNetwork, options: ConvergenceProbeOptions = {}): Probe {
  const sigtermExpiryMs = SIGTERM_EXPIRY_MS * network.timeScale;
  const selected = new Set<ConvergenceCheckName>(options.checks ?? ['event-log', 'locations', 'hashes']);
  const checks: StateChecker[] = [];
  if (selected.has('event-log')) checks.push((states) => eventLogConverged(states));
  if (selected.has('locations')) checks.push((states, { now }) => locationsConverged(states, { now, sigtermExpiryMs }));
  const hashes = options.referencedHashes;
  if (selected.has('hashes') && hashes && hashes.length > 0) {
    checks.push((states) => hashesConverged(states, { referencedHashes: hashes }));
  }
  return stateProbe({
    checks,
    nodes: () =>
      (options.nodes ?? network.liveIndexes()).map((index) => ({
        node: index,
        client: network.node(index).mongoClient(),
      })),
  });
}

/**
 * Event logs, location caches (each equal to its own derived view) and, when hashes are given, hash
 * sync converge on the live nodes within the bound; throws with per-node diffs otherwise.
 */
export async function expectConverged(network: FluxNetwork, options: ExpectConvergedOptions): Promise<ConvergedResult> {
  const probe = convergenceProbe(network, options);
  return converged({ checks: [probe], within: options.within, history: network.history, label: options.label });
}

/** Prints a converged() outcome as the suites' time-to-converge line. */
export function reportConverged(args: {
  suite: string;
  label: string;
  result: { elapsedMs: number; timings: readonly { name: string; convergedAfterMs: number }[] };
}): void {
  const checks = args.result.timings.map((timing) => `${timing.name} ${timing.convergedAfterMs} ms`).join(', ');
  process.stdout.write(`[${args.suite}] ${args.label}: converged after ${args.result.elapsedMs} ms (${checks})\n`);
}
