import type { Rng } from '../random.js';
import { compareOutpoints } from './outpoint.js';
import type {
  ChainReorgBody,
  HashBlockBody,
  HashBlockHeightBody,
  NodeEntry,
  NodeListDeltaBody,
  NodeStatusBody,
  OutPoint,
} from './types.js';

/**
 * Seeded generators of valid ZMQ bodies, biased towards edge cases (u32 limits, CompactSize
 * boundaries, empty/65-byte keys, non-ASCII and long strings, shared txids). Used by the
 * property and fuzz tests; the daemon stub may use them for chaos payloads.
 */

const EDGE_U32 = [0, 1, 252, 253, 0xffff, 0x1_0000, 2_000_101, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff];
const EDGE_STRING_LENGTHS = [0, 1, 60, 252, 253, 300];
const IP_SAMPLES = ['1.2.3.4:16127', '[2001:db8::1]:16137', '203.0.113.5', '', 'abcdefghijklmnop.onion:16127'];
const UNICODE_SAMPLES = ['ñandú', '\ufeffbom-first', 'ключ', '🦊:16127', '\u0000nul'];

export function randomU32(rng: Rng): number {
  return rng.chance(0.3) ? rng.pick(EDGE_U32) : rng.u32();
}

export function randomHashHex(rng: Rng): string {
  if (rng.chance(0.05)) return rng.pick(['00', 'ff']).repeat(32);
  return rng.bytes(32).toString('hex');
}

export function randomPubkeyHex(rng: Rng): string {
  const kind = rng.int(0, 2);
  if (kind === 0) return '';
  const [prefixes, length] = kind === 1 ? [[0x02, 0x03], 33] : [[0x04, 0x06, 0x07], 65];
  const key = rng.bytes(length);
  key[0] = rng.pick(prefixes);
  return key.toString('hex');
}

export function randomIp(rng: Rng): string {
  const kind = rng.int(0, 9);
  if (kind < 6) return rng.pick(IP_SAMPLES);
  if (kind < 8) return rng.pick(UNICODE_SAMPLES);
  return 'x'.repeat(rng.pick(EDGE_STRING_LENGTHS));
}

/** Draws txids from a small pool half the time so sections share txids and order by n. */
export function randomOutpoint(rng: Rng, txidPool: readonly string[]): OutPoint {
  const txid = txidPool.length > 0 && rng.chance(0.5) ? rng.pick(txidPool) : randomHashHex(rng);
  return { txid, n: rng.chance(0.7) ? rng.int(0, 3) : randomU32(rng) };
}

export function randomNodeEntry(rng: Rng, txidPool: readonly string[]): NodeEntry {
  return {
    outpoint: randomOutpoint(rng, txidPool),
    collateralPubkey: randomPubkeyHex(rng),
    pubkey: randomPubkeyHex(rng),
    confirmedHeight: randomU32(rng),
    lastPaidHeight: randomU32(rng),
    tier: rng.chance(0.8) ? rng.int(1, 3) : rng.int(0, 255),
    status: rng.chance(0.8) ? 3 : rng.int(0, 255),
    ip: randomIp(rng),
  };
}

export function randomHashBlock(rng: Rng): HashBlockBody {
  return { hash: randomHashHex(rng) };
}

export function randomHashBlockHeight(rng: Rng): HashBlockHeightBody {
  return { hash: randomHashHex(rng), height: randomU32(rng) };
}

export function randomChainReorg(rng: Rng): ChainReorgBody {
  return {
    oldHash: randomHashHex(rng),
    oldHeight: randomU32(rng),
    newHash: randomHashHex(rng),
    newHeight: randomU32(rng),
    forkHash: randomHashHex(rng),
    forkHeight: randomU32(rng),
  };
}

export interface RandomDeltaOptions {
  /** Upper bound on entries per section; the default keeps bodies small. */
  maxSectionSize?: number;
}

/** Sections come out in random order with unique outpoints per section (the encoder sorts). */
export function randomNodeListDelta(rng: Rng, options: RandomDeltaOptions = {}): NodeListDeltaBody {
  const max = options.maxSectionSize ?? 5;
  const txidPool = [randomHashHex(rng), randomHashHex(rng)];
  const entries = () =>
    uniqueByOutpoint(
      Array.from({ length: rng.int(0, max) }, () => randomNodeEntry(rng, txidPool)),
      (entry) => entry.outpoint,
    );
  return {
    fromHeight: randomU32(rng),
    toHeight: randomU32(rng),
    fromHash: randomHashHex(rng),
    toHash: randomHashHex(rng),
    flags: rng.int(0, 1),
    added: entries(),
    removed: uniqueByOutpoint(
      Array.from({ length: rng.int(0, max) }, () => randomOutpoint(rng, txidPool)),
      (op) => op,
    ),
    updated: entries(),
  };
}

export function randomNodeStatus(rng: Rng): NodeStatusBody {
  return {
    height: randomU32(rng),
    status: rng.chance(0.8) ? rng.int(1, 5) : rng.int(0, 255),
    tier: rng.chance(0.8) ? rng.int(0, 3) : rng.int(0, 255),
    confirmedHeight: randomU32(rng),
    lastConfirmedHeight: randomU32(rng),
    lastPaidHeight: randomU32(rng),
    outpoint: randomOutpoint(rng, []),
    ip: randomIp(rng),
  };
}

function uniqueByOutpoint<T>(items: T[], outpointOf: (item: T) => OutPoint): T[] {
  return items.filter(
    (item, index) => items.findIndex((other) => compareOutpoints(outpointOf(other), outpointOf(item)) === 0) === index,
  );
}
