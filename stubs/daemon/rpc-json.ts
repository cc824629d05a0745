import { Buffer } from 'node:buffer';
import type { HashHex } from '../../protocol/fluxd/index.js';
import type { Block } from './block.js';
import { Serializer } from './serialize.js';
import { type Tx, type TxJson, txJson } from './transactions.js';
import type { ChainView } from './view.js';

/** Block and header objects as fluxd's block RPCs print them (§6.4), relative to one view. */

export function chainworkHex(work: bigint): string {
  return work.toString(16).padStart(64, '0');
}

export function bitsHex(bits: number): string {
  return bits.toString(16).padStart(8, '0');
}

/** Every block is at the stub's single difficulty, which is also its pow limit. */
export const DIFFICULTY = 1;

/** -1 off the view's active chain, as bitcoind reports a stale block. */
export function confirmations(view: ChainView, block: Block): number {
  return view.onActiveChain(block) ? view.height - block.height + 1 : -1;
}

function links(view: ChainView, block: Block): { previousblockhash?: HashHex; nextblockhash?: HashHex } {
  const next = view.onActiveChain(block) ? view.blockAt(block.height + 1) : undefined;
  return {
    ...(block.parent ? { previousblockhash: block.parentHash } : {}),
    ...(next ? { nextblockhash: next.hash } : {}),
  };
}

export function headerJson(view: ChainView, block: Block): Record<string, unknown> {
  return {
    hash: block.hash,
    confirmations: confirmations(view, block),
    height: block.height,
    version: block.version,
    merkleroot: block.merkleroot,
    finalsaplingroot: block.finalsaplingroot,
    time: block.time,
    type: 'POW',
    nonce: block.nonce,
    solution: '',
    bits: bitsHex(block.bits),
    difficulty: DIFFICULTY,
    chainwork: chainworkHex(block.chainwork),
    ...links(view, block),
  };
}

/** getblock verbosity 1 (txids) or 2 (tx objects). */
export function blockJson(view: ChainView, block: Block, verbosity: 1 | 2): Record<string, unknown> {
  return {
    hash: block.hash,
    confirmations: confirmations(view, block),
    size: block.size,
    height: block.height,
    version: block.version,
    merkleroot: block.merkleroot,
    finalsaplingroot: block.finalsaplingroot,
    tx: verbosity === 1 ? block.txs.map((tx) => tx.txid) : block.txs.map(txJson),
    time: block.time,
    type: 'POW',
    nonce: block.nonce,
    solution: '',
    bits: bitsHex(block.bits),
    difficulty: DIFFICULTY,
    chainwork: chainworkHex(block.chainwork),
    ...links(view, block),
  };
}

/** getblock verbosity 0: the serialized block. */
export function blockHex(block: Block): string {
  const count = new Serializer().compactSize(block.txs.length).finish();
  return Buffer.concat([block.header, count, ...block.txs.map((tx) => tx.raw)]).toString('hex');
}

/** getrawtransaction verbose: the tx plus where it was mined on the view's chain. */
export function confirmedTxJson(view: ChainView, tx: Tx, block: Block): TxJson {
  return {
    ...txJson(tx),
    blockhash: block.hash,
    height: block.height,
    confirmations: confirmations(view, block),
    time: block.time,
    blocktime: block.time,
  };
}
