import type { TunableOverrides } from '../../reference-node/tunables.js';

/**
 * Gossip age windows for suites whose faults are not about message age (partitions, reorgs). At
 * time scale 0.01 FluxOS's 5-minute validity becomes 3 s, under the propagation tail of 16 nodes
 * on a loaded 2-core host (measured receive lag: median ~0.25 s idle, p90 ~4.5 s under a
 * partition's load), so broadcasts would be dropped as stale for reasons no fault caused. These
 * keep FluxOS's windows at a tenth of production instead; the clock-skew suite keeps the scaled ones.
 */
export const RELAXED_GOSSIP_WINDOWS: Readonly<TunableOverrides> = {
  gossipValidityMs: 30_000,
  staleBroadcastMs: 30_000,
  messageCacheTtlMs: 30_000,
  relayMaxAgeMs: 24_000,
  futureToleranceMs: 12_000,
};

/** Prints a converged() outcome as the suites' time-to-converge line. */
export function reportConverged(args: {
  suite: string;
  label: string;
  result: { elapsedMs: number; timings: readonly { name: string; convergedAfterMs: number }[] };
}): void {
  const checks = args.result.timings.map((timing) => `${timing.name} ${timing.convergedAfterMs} ms`).join(', ');
  process.stdout.write(`[${args.suite}] ${args.label}: converged after ${args.result.elapsedMs} ms (${checks})\n`);
}
