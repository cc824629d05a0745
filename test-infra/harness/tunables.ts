/**
 * The tunables a suite's network runs with: the profiles suites share, and what every node of a
 * network ends up with (so bounds and margins derive from the nodes' real values, not guesses).
 */
import {
  DEFAULT_TUNABLES,
  scaleTunables,
  type TunableOverrides,
  type Tunables,
} from '../../reference-node/tunables.js';
import { networkSizedTunables } from '../network/machine-config.js';

/**
 * Gossip age windows for suites that are not about message age (boot, partitions, reorgs). At
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

/**
 * The shared relaxed gossip windows plus the sigterm's own age window (240 s in production, 2.4 s
 * scaled): a sigterm relayed late on this loaded host would be ignored for its age, by no fault under
 * test. None of these suites is about message age.
 */
export const CHAOS_TUNABLES: Readonly<TunableOverrides> = { ...RELAXED_GOSSIP_WINDOWS, sigtermMaxAgeMs: 24_000 };

/**
 * What every node of a network runs with: the defaults scaled by the network's time scale, the
 * harness's count tunables for its size, then the suite's overrides (as createNetwork passes them).
 */
export function networkTunables(args: {
  timeScale: number;
  size: number;
  overrides?: Readonly<TunableOverrides>;
}): Tunables {
  const scaled = scaleTunables(DEFAULT_TUNABLES, args.timeScale);
  return { ...scaled, ...networkSizedTunables(args.size), ...args.overrides };
}
