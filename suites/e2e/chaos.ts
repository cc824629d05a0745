/**
 * Helpers of the process, eviction and late-joiner chaos suites: the tunables a network's nodes run
 * with (so bounds and margins derive from them, not from guesses), location reads through the node
 * API, and who hosts an app.
 */
import type { LocationRow } from '../../protocol/appstate/documents.js';
import {
  DEFAULT_TUNABLES,
  scaleTunables,
  type TunableOverrides,
  type Tunables,
} from '../../reference-node/tunables.js';
import { type PerNodeState, readNodeStates } from '../../test-infra/check/index.js';
import { registerApp } from '../../test-infra/harness/apps.js';
import { expectConverged } from '../../test-infra/harness/convergence.js';
import type { FluxNetwork } from '../../test-infra/network/create-network.js';
import { networkSizedTunables } from '../../test-infra/network/machine-config.js';
import { RELAXED_GOSSIP_WINDOWS, reportConverged } from './profile.js';

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

/** `/apps/location/<app>` on one node: its cache rows for the app, unexpired on the node's clock. */
export function locationRows(network: FluxNetwork, args: { node: number; app: string }): Promise<LocationRow[]> {
  return network.node(args.node).apiGet<LocationRow[]>(`/apps/location/${args.app}`);
}

export async function locationIps(network: FluxNetwork, args: { node: number; app: string }): Promise<string[]> {
  return (await locationRows(network, args)).map((row) => row.ip).sort();
}

/** Predicate on `app:running` / `network:apprunning` payloads: the announcement lists this app hash. */
export const runsApp = (hash: string) => (payload: unknown) =>
  (payload as { apps: { hash: string }[] }).apps.some((app) => app.hash === hash);

/** The nodes whose own `app:running` lists `hash` (each host announces itself), once `instances` did. */
export async function hostsOf(
  network: FluxNetwork,
  args: { hash: string; instances: number; since?: number; timeoutMs: number },
): Promise<number[]> {
  const hosts = await network.waitFor({
    event: 'app:running',
    predicate: runsApp(args.hash),
    quorum: args.instances,
    timeoutMs: args.timeoutMs,
    ...(args.since === undefined ? {} : { since: args.since }),
  });
  return [...hosts.keys()].sort((a, b) => a - b);
}

/** Every listed node's database state, read once for `now` (the harness clock; nodes share the host kernel's). */
export function readStates(network: FluxNetwork, nodes: readonly number[]): Promise<PerNodeState[]> {
  return readNodeStates({
    nodes: nodes.map((node) => ({ node, client: network.node(node).mongoClient() })),
    now: Date.now(),
  });
}

/** Registers an app, waits until its instances run, and reports the baseline convergence of a suite. */
export async function hostApp(
  network: FluxNetwork,
  args: { suite: string; app: string; instances: number; timeoutMs: number; within: number },
): Promise<{ hash: string; hosts: number[] }> {
  const registered = network.history.now();
  const { hash } = await registerApp(network, { name: args.app, instances: args.instances });
  const hosts = await hostsOf(network, {
    hash,
    instances: args.instances,
    since: registered,
    timeoutMs: args.timeoutMs,
  });
  reportConverged({
    suite: args.suite,
    label: 'app hosted',
    result: await expectConverged(network, { within: args.within, label: `${args.suite}: app hosted` }),
  });
  return { hash, hosts };
}
