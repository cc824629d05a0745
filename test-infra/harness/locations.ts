/**
 * Where apps run, as the suites read it: location rows through a node's API, the hosts that
 * announce an app, and the databases' state of chosen or all live nodes.
 */
import type { LocationRow } from '../../protocol/appstate/documents.js';
import { type PerNodeState, readNodeStates } from '../check/index.js';
import type { FluxNetwork } from '../network/create-network.js';

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
export function readStates(network: Pick<FluxNetwork, 'node'>, nodes: readonly number[]): Promise<PerNodeState[]> {
  return readNodeStates({
    nodes: nodes.map((node) => ({ node, client: network.node(node).mongoClient() })),
    now: Date.now(),
  });
}

/** Reads every live node's state once per call (the input of the suites' "sometimes" probes). */
export function probeStates(network: Pick<FluxNetwork, 'liveIndexes' | 'node'>): () => Promise<PerNodeState[]> {
  return () => readStates(network, network.liveIndexes());
}
