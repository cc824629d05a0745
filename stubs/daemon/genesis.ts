import { Buffer } from 'node:buffer';
import { FluxnodeList } from '../../protocol/fluxd/index.js';
import { assembleBlock, type Block } from './block.js';
import { emptyEvents, type NodeIdentity, NodeState } from './lifecycle.js';
import { type ManifestNode, NodeRegistry } from './registry.js';
import { p2pkhAddress, p2pkhScript } from './scripts.js';
import { hash160 } from './serialize.js';
import { COIN, coinbaseTx } from './transactions.js';

/** The seed-determined start of a simulated chain: genesis block, initial nodes and addresses. */

export interface GenesisOptions {
  seed: number;
  genesisTime: number;
  /** Confirmed nodes at genesis when no manifest is given. */
  fluxnodes: number;
  manifest?: readonly ManifestNode[];
}

export interface Genesis {
  block: Block;
  registry: NodeRegistry;
  /** The node list at genesis: every initial node confirmed at height 0. */
  state: NodeState;
  /** Outpoint keys of the initial nodes, in manifest / generation order (view i runs node i−1). */
  initialNodes: string[];
  minerScript: Buffer;
  /** Default address app-message txs pay. */
  appAddress: string;
}

export function createGenesis(options: GenesisOptions): Genesis {
  const minerScript = p2pkhScript(hash160(Buffer.from(`fluxnet-miner:${options.seed}`)));
  const coinbase = coinbaseTx({
    height: 0,
    minerTag: Buffer.from(`fluxnet-genesis:${options.seed}`),
    outputs: [{ valueSat: 9n * COIN, script: minerScript }],
  });
  const block = assembleBlock({
    parent: null,
    time: options.genesisTime,
    txs: [coinbase],
    events: emptyEvents(),
    sequence: 0,
    minerTag: Buffer.from(`fluxnet:${options.seed}`),
  });
  const registry = new NodeRegistry({ seed: options.seed });
  const identities = initialIdentities(registry, options);
  const list = new FluxnodeList();
  for (const identity of identities) {
    registry.register(identity);
    list.confirm({ ...identity, addedHeight: 0, confirmedHeight: 0, lastConfirmedHeight: 0, lastPaidHeight: 0 });
  }
  return {
    block,
    registry,
    state: new NodeState({ list }),
    initialNodes: [...registry.keys()],
    minerScript,
    appAddress: p2pkhAddress(hash160(Buffer.from(`fluxnet-app-registration:${options.seed}`))),
  };
}

function initialIdentities(registry: NodeRegistry, options: GenesisOptions): NodeIdentity[] {
  if (options.manifest) return options.manifest.map((entry, index) => registry.identityFromManifest(entry, index));
  return Array.from({ length: options.fluxnodes }, () => registry.generateIdentity());
}
