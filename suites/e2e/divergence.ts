/**
 * Inputs of the suites' "sometimes" probes: every live node's state, and the held-only-by checker
 * (test-infra/check/held-only-by.ts) that tells whether a fault kept two groups of nodes apart.
 */
import { type PerNodeState, readNodeStates } from '../../test-infra/check/index.js';
import type { FluxNetwork } from '../../test-infra/network/create-network.js';

export { type HeldOnlyByOptions, heldOnlyBy } from '../../test-infra/check/held-only-by.js';

/** Reads every live node's state once per call. */
export function probeStates(network: Pick<FluxNetwork, 'liveIndexes' | 'node'>): () => Promise<PerNodeState[]> {
  return () =>
    readNodeStates({
      nodes: network.liveIndexes().map((node) => ({ node, client: network.node(node).mongoClient() })),
      now: Date.now(),
    });
}
