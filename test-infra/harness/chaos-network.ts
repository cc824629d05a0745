/**
 * A chaos suite's set-up and tear-down: the network, its nemesis and the tunables every node runs
 * with, ready once each node reached its peer threshold; torn down with every fault healed first.
 */
import type { Tunables } from '../../reference-node/tunables.js';
import { Nemesis } from '../nemesis/nemesis.js';
import { type CreateNetworkOptions, createNetwork, type FluxNetwork } from '../network/create-network.js';
import { runSeed } from './seed.js';
import { networkTunables } from './tunables.js';

export interface ChaosNetwork {
  network: FluxNetwork;
  nemesis: Nemesis;
  /** What every node runs with (bounds and margins derive from these). */
  tunables: Tunables;
}

export interface StartChaosNetworkOptions extends CreateNetworkOptions {
  name: string;
  nodes: number;
  /** Start each node's iptables agent before the first partition, so it applies at once. */
  warmPartitions?: boolean;
  peersTimeoutMs?: number;
}

export async function startChaosNetwork(options: StartChaosNetworkOptions): Promise<ChaosNetwork> {
  const { warmPartitions = false, peersTimeoutMs = 60_000, ...networkOptions } = options;
  const network = await createNetwork({ ...networkOptions, seed: networkOptions.seed ?? runSeed() });
  const nemesis = new Nemesis({ network });
  try {
    if (warmPartitions) await nemesis.setup();
    await network.waitFor({ event: 'peers:thresholdReached', timeoutMs: peersTimeoutMs });
  } catch (error) {
    await stopChaosNetwork({ network, nemesis });
    throw error;
  }
  const tunables = networkTunables({ timeScale: network.timeScale, size: options.nodes, overrides: options.tunables });
  return { network, nemesis, tunables };
}

/** Heals every fault a test left (best effort: the teardown must run whatever happened), then removes the run. */
export async function stopChaosNetwork(chaos: Partial<ChaosNetwork> | undefined): Promise<void> {
  await chaos?.nemesis?.healAll().catch(() => undefined);
  chaos?.nemesis?.close();
  await chaos?.network?.teardown();
}
