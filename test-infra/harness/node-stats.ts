/**
 * The parts of `GET /flux/stats` (node contract §3) the chaos suites read: gossip verdict counters
 * and the explorer's rollbacks, the visible traces of rejected broadcasts and handled reorgs.
 */
import type { FluxNetwork } from '../network/create-network.js';

export interface NodeStatsView {
  gossip: Record<string, number>;
  explorer: { scannedHeight: number; rollbacks: number };
  peers: { connected: string[] };
}

export function nodeStats(network: Pick<FluxNetwork, 'node'>, node: number): Promise<NodeStatsView> {
  return network.node(node).apiGet<NodeStatsView>('/flux/stats');
}

/** One counter of each listed node, by node. */
export async function statOf(
  network: Pick<FluxNetwork, 'node'>,
  args: { nodes: readonly number[]; read: (stats: NodeStatsView) => number },
): Promise<Map<number, number>> {
  const values = await Promise.all(
    args.nodes.map(async (node) => [node, args.read(await nodeStats(network, node))] as const),
  );
  return new Map(values);
}
