/**
 * Glue for converged/sampleOnEvents: one probe that reads every live node's state once per round
 * and runs several pure checkers on it.
 */
import type { CheckResult } from './check-result.js';
import { type NodeDatabase, type PerNodeState, readNodeStates } from './node-state.js';

export type StateChecker = (states: readonly PerNodeState[], context: { now: number }) => CheckResult;

export interface StateProbeOptions {
  /** The nodes live at the moment of the round (a crashed node is left out by the caller). */
  nodes: () => readonly NodeDatabase[];
  checks: readonly StateChecker[];
  /** Epoch ms; default Date.now. */
  clock?: () => number;
}

export function stateProbe(options: StateProbeOptions): () => Promise<CheckResult[]> {
  return async () => {
    const now = (options.clock ?? Date.now)();
    const states = await readNodeStates({ nodes: options.nodes(), now });
    return options.checks.map((check) => check(states, { now }));
  };
}
