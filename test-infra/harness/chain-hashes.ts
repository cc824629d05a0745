/**
 * The app-message hashes referenced on a daemon view's active chain (fluxos-node.md §6): what every
 * live node must resolve. Read over the view's JSON-RPC with `getblock <hash> 2`, from genesis to
 * the tip, the way a FluxOS explorer does.
 */
import { Buffer } from 'node:buffer';
import { type DaemonRpc, jsonRpcClient } from '../check/daemon-rpc.js';
import type { FluxNetwork } from '../network/create-network.js';
import { DAEMON_RPC_PASSWORD, DAEMON_RPC_USER, daemonEndpointsFor } from '../network/topology.js';

export interface ChainAppHash {
  hash: string;
  height: number;
  txid: string;
}

interface BlockJson {
  height?: number;
  tx?: { txid?: string; vout?: { scriptPubKey?: { asm?: string } }[] }[];
}

const APP_HASH = /^[0-9a-f]{64}$/;

/** The app-message hash a `getblock 2` output pushes (OP_RETURN of 64 ASCII hex characters), if any. */
export function appHashOfAsm(asm: string | undefined): string | undefined {
  if (asm === undefined || !asm.startsWith('OP_RETURN ')) return undefined;
  const data = asm.slice('OP_RETURN '.length).trim();
  if (!/^([0-9a-fA-F]{2})+$/.test(data)) return undefined;
  const text = Buffer.from(data, 'hex').toString('latin1');
  return APP_HASH.test(text) ? text : undefined;
}

/** Every app-message hash in one `getblock 2` result, with the block's height. */
export function appHashesOfBlock(block: BlockJson, height: number): ChainAppHash[] {
  return (block.tx ?? []).flatMap((tx) => {
    const hash = (tx.vout ?? []).map((out) => appHashOfAsm(out.scriptPubKey?.asm)).find((found) => found);
    return hash && typeof tx.txid === 'string' ? [{ hash, height, txid: tx.txid }] : [];
  });
}

/** The view's RPC client (view i is node i's daemon). */
export function viewRpc(network: Pick<FluxNetwork, 'plan'>, view: number): DaemonRpc {
  const { rpcUrl } = daemonEndpointsFor({ daemonIp: network.plan.daemon, view });
  return jsonRpcClient({ url: rpcUrl, user: DAEMON_RPC_USER, password: DAEMON_RPC_PASSWORD });
}

/** The app-message hashes on `view`'s active chain, oldest first, and the tip height they were read to. */
export async function chainAppHashes(
  network: Pick<FluxNetwork, 'plan'>,
  options: { view: number },
): Promise<{ tip: number; hashes: ChainAppHash[] }> {
  const rpc = viewRpc(network, options.view);
  const tip = await rpc.call<number>('getblockcount');
  const hashes: ChainAppHash[] = [];
  for (let height = 0; height <= tip; height += 1) {
    const blockHash = await rpc.call<string>('getblockhash', [height]);
    hashes.push(...appHashesOfBlock(await rpc.call<BlockJson>('getblock', [blockHash, 2]), height));
  }
  return { tip, hashes };
}
