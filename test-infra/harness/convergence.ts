import {
  type ConvergedResult,
  converged,
  eventLogConverged,
  hashesConverged,
  locationsConverged,
  type StateChecker,
  stateProbe,
} from '../check/index.js';
import type { FluxNetwork } from '../network/create-network.js';

/** FluxOS's sigterm grace (420 s), scaled like every node's tunables. */
const SIGTERM_EXPIRY_MS = 420_000;

export interface ExpectConvergedOptions {
  within: number;
  label?: string;
  /** App-message hashes that every live node must have resolved. */
  referencedHashes?: readonly string[];
  /** Nodes to compare; default: every live node. */
  nodes?: readonly number[];
}

/**
 * Event logs, location caches (each equal to its own derived view) and, when hashes are given, hash
 * sync converge on the live nodes within the bound; throws with per-node diffs otherwise.
 */
export async function expectConverged(network: FluxNetwork, options: ExpectConvergedOptions): Promise<ConvergedResult> {
  const sigtermExpiryMs = SIGTERM_EXPIRY_MS * network.timeScale;
  const checks: StateChecker[] = [
    (states) => eventLogConverged(states),
    (states, { now }) => locationsConverged(states, { now, sigtermExpiryMs }),
  ];
  const hashes = options.referencedHashes;
  if (hashes && hashes.length > 0) checks.push((states) => hashesConverged(states, { referencedHashes: hashes }));
  const probe = stateProbe({
    checks,
    nodes: () =>
      (options.nodes ?? network.liveIndexes()).map((index) => ({
        node: index,
        client: network.node(index).mongoClient(),
      })),
  });
  return converged({ checks: [probe], within: options.within, history: network.history, label: options.label });
}
