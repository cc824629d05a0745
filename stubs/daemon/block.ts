import { Buffer } from 'node:buffer';
import type { HashHex } from '../../protocol/fluxd/index.js';
import type { BlockEvents } from './lifecycle.js';
import { displayHex, hashId, internalBytes, NULL_HASH, Serializer, sha256d } from './serialize.js';
import type { Tx } from './transactions.js';

/** Blocks of the simulated chain: a real header, real txids, and the node-list events they carry. */

export const BLOCK_VERSION = 4;
/** One compact difficulty for every block, so chainwork grows by a constant per block. */
export const BLOCK_BITS = 0x1f07ffff;
export const BLOCK_SPACING_SECONDS = 30;

export interface Block {
  hash: HashHex;
  height: number;
  parentHash: HashHex;
  /** null only for genesis. */
  parent: Block | null;
  version: number;
  time: number;
  bits: number;
  /** Header nonce as display hex; carries the creation sequence and the miner tag. */
  nonce: HashHex;
  merkleroot: HashHex;
  finalsaplingroot: HashHex;
  /** Cumulative work up to and including this block. */
  chainwork: bigint;
  txs: Tx[];
  /** Node-list changes this block applies (every view applies exactly these on connect). */
  events: BlockEvents;
  /** Global creation order: the "first seen" tie-break between equal-work tips. */
  sequence: number;
  size: number;
  /** The serialized header (its sha256d is the hash). */
  header: Buffer;
}

export function blockWork(bits: number): bigint {
  const exponent = bits >>> 24;
  const mantissa = BigInt(bits & 0x007fffff);
  const target = exponent <= 3 ? mantissa >> BigInt(8 * (3 - exponent)) : mantissa << BigInt(8 * (exponent - 3));
  return (1n << 256n) / (target + 1n);
}

export function merkleRoot(txids: readonly HashHex[]): HashHex {
  if (txids.length === 0) return NULL_HASH;
  let level = txids.map((txid) => internalBytes(txid));
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!;
      const right = level[i + 1] ?? left;
      next.push(sha256d(Buffer.concat([left, right])));
    }
    level = next;
  }
  return displayHex(level[0]!);
}

export interface AssembleOptions {
  parent: Block | null;
  time: number;
  txs: Tx[];
  events: BlockEvents;
  sequence: number;
  /** Distinguishes blocks that would otherwise be identical (same parent, txs and time). */
  minerTag: Buffer;
}

export function assembleBlock(options: AssembleOptions): Block {
  const { parent } = options;
  const height = parent ? parent.height + 1 : 0;
  const parentHash = parent?.hash ?? NULL_HASH;
  const merkleroot = merkleRoot(options.txs.map((tx) => tx.txid));
  const nonceBytes = Buffer.alloc(32);
  nonceBytes.writeUInt32LE(options.sequence);
  options.minerTag.copy(nonceBytes, 4, 0, Math.min(options.minerTag.length, 28));
  const header = new Serializer()
    .i32le(BLOCK_VERSION)
    .hash(parentHash)
    .hash(merkleroot)
    .hash(NULL_HASH)
    .u32le(options.time)
    .u32le(BLOCK_BITS)
    .bytes(nonceBytes)
    .varBytes(Buffer.alloc(0))
    .finish();
  const txBytes = options.txs.reduce((sum, tx) => sum + tx.raw.length, 0);
  return {
    hash: hashId(header),
    height,
    parentHash,
    parent,
    version: BLOCK_VERSION,
    time: options.time,
    bits: BLOCK_BITS,
    nonce: displayHex(nonceBytes),
    merkleroot,
    finalsaplingroot: NULL_HASH,
    chainwork: (parent?.chainwork ?? 0n) + blockWork(BLOCK_BITS),
    txs: options.txs,
    events: options.events,
    sequence: options.sequence,
    header,
    size: header.length + new Serializer().compactSize(options.txs.length).finish().length + txBytes,
  };
}
