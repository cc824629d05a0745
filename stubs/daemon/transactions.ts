import { Buffer } from 'node:buffer';
import type { HashHex, OutPoint } from '../../protocol/fluxd/index.js';
import { opReturnScript, type ScriptPubKeyJson, scriptPubKeyJson } from './scripts.js';
import { hashId, NULL_HASH, Serializer } from './serialize.js';

/**
 * The stub's transactions: a coinbase per block, app-message txs (a payment plus an OP_RETURN
 * carrying the 64-hex message hash) and fluxnode txs (START, CONFIRM, collateral spend). Each
 * has a real serialization and txid = sha256d of it.
 */

export const COIN = 100_000_000n;

export type TxKind = 'coinbase' | 'app-message' | 'fluxnode-start' | 'fluxnode-confirm' | 'collateral-spend';

export interface TxIn {
  /** null for the coinbase input. */
  prevout: OutPoint | null;
  scriptSig: Buffer;
  sequence: number;
}

export interface TxOut {
  valueSat: bigint;
  script: Buffer;
}

/** Fields of a version-5 fluxnode tx (START or CONFIRM). */
export interface FluxnodeTxFields {
  type: 'START' | 'CONFIRM';
  collateral: OutPoint;
  collateralPubkey: string;
  pubkey: string;
  ip: string;
  /** CONFIRM only: 0 initial confirm, 1 update (keep-alive / ip change). */
  updateType: number;
  sigTime: number;
}

export interface Tx {
  txid: HashHex;
  kind: TxKind;
  version: number;
  vin: TxIn[];
  vout: TxOut[];
  locktime: number;
  fluxnode?: FluxnodeTxFields;
  /** The 64-hex hash an app-message tx carries. */
  appMessageHash?: string;
  raw: Buffer;
}

const FINAL_SEQUENCE = 0xffff_ffff;
const FLUXNODE_TX_VERSION = 5;

export interface CoinbaseOptions {
  height: number;
  /** Makes competing coinbases at one height distinct. */
  minerTag: Buffer;
  outputs: TxOut[];
}

export function coinbaseTx(options: CoinbaseOptions): Tx {
  const heightPush = new Serializer().u32le(options.height).finish();
  const scriptSig = Buffer.concat([Buffer.from([heightPush.length]), heightPush, options.minerTag]);
  return legacyTx({
    kind: 'coinbase',
    vin: [{ prevout: null, scriptSig, sequence: FINAL_SEQUENCE }],
    vout: options.outputs,
  });
}

export interface AppMessageTxOptions {
  hash: string;
  valueSat: bigint;
  /** Output script of the app registration address the fee is paid to. */
  payTo: Buffer;
  /** The funding outpoint; the same message always spends the same coin, so re-mining it keeps its txid. */
  funding: OutPoint;
}

/**
 * The OP_RETURN pushes the hash's 64 ASCII characters, as FluxOS reads it back with
 * `Buffer.from(<asm data>, 'hex').toString()`.
 */
export function appMessageTx(options: AppMessageTxOptions): Tx {
  const tx = legacyTx({
    kind: 'app-message',
    vin: [{ prevout: options.funding, scriptSig: Buffer.alloc(0), sequence: FINAL_SEQUENCE }],
    vout: [
      { valueSat: options.valueSat, script: options.payTo },
      { valueSat: 0n, script: opReturnScript(Buffer.from(options.hash, 'ascii')) },
    ],
  });
  tx.appMessageHash = options.hash;
  return tx;
}

export interface CollateralSpendOptions {
  collateral: OutPoint;
  valueSat: bigint;
  payTo: Buffer;
}

export function collateralSpendTx(options: CollateralSpendOptions): Tx {
  return legacyTx({
    kind: 'collateral-spend',
    vin: [{ prevout: options.collateral, scriptSig: Buffer.alloc(0), sequence: FINAL_SEQUENCE }],
    vout: [{ valueSat: options.valueSat, script: options.payTo }],
  });
}

export function fluxnodeTx(fields: FluxnodeTxFields): Tx {
  const s = new Serializer().i32le(FLUXNODE_TX_VERSION).u8(fields.type === 'START' ? 2 : 4);
  s.hash(fields.collateral.txid).u32le(fields.collateral.n);
  if (fields.type === 'START') {
    s.varBytes(Buffer.from(fields.collateralPubkey, 'hex')).varBytes(Buffer.from(fields.pubkey, 'hex'));
    s.u32le(fields.sigTime).varBytes(Buffer.alloc(0));
  } else {
    s.u32le(fields.sigTime).varBytes(Buffer.from(fields.ip, 'utf8')).u8(fields.updateType).varBytes(Buffer.alloc(0));
  }
  const raw = s.finish();
  const kind: TxKind = fields.type === 'START' ? 'fluxnode-start' : 'fluxnode-confirm';
  return {
    txid: hashId(raw),
    kind,
    version: FLUXNODE_TX_VERSION,
    vin: [],
    vout: [],
    locktime: 0,
    fluxnode: fields,
    raw,
  };
}

function legacyTx(parts: { kind: TxKind; vin: TxIn[]; vout: TxOut[] }): Tx {
  const version = 1;
  const s = new Serializer().i32le(version).compactSize(parts.vin.length);
  for (const input of parts.vin) {
    s.hash(input.prevout?.txid ?? NULL_HASH).u32le(input.prevout?.n ?? 0xffff_ffff);
    s.varBytes(input.scriptSig).u32le(input.sequence);
  }
  s.compactSize(parts.vout.length);
  for (const output of parts.vout) s.u64le(output.valueSat).varBytes(output.script);
  const raw = s.u32le(0).finish();
  return { txid: hashId(raw), kind: parts.kind, version, vin: parts.vin, vout: parts.vout, locktime: 0, raw };
}

// ---- RPC JSON ----

export interface TxJson {
  txid: HashHex;
  version: number;
  locktime: number;
  vin: Record<string, unknown>[];
  vout: VoutJson[];
  hex: string;
  [fluxnodeField: string]: unknown;
}

export interface VoutJson {
  value: number;
  valueZat: number;
  valueSat: number;
  n: number;
  scriptPubKey: ScriptPubKeyJson;
}

/** A tx as getrawtransaction (verbose) and getblock verbosity 2 print it. */
export function txJson(tx: Tx): TxJson {
  return {
    txid: tx.txid,
    version: tx.version,
    ...(tx.fluxnode ? fluxnodeJson(tx.fluxnode) : {}),
    locktime: tx.locktime,
    vin: tx.vin.map(vinJson),
    vout: tx.vout.map(voutJson),
    hex: tx.raw.toString('hex'),
  };
}

function fluxnodeJson(fields: FluxnodeTxFields): Record<string, unknown> {
  const common = {
    type: fields.type,
    collateralOutputHash: fields.collateral.txid,
    collateralOutputIndex: fields.collateral.n,
    sigTime: fields.sigTime,
  };
  if (fields.type === 'START') {
    return { ...common, collateralPubkey: fields.collateralPubkey, pubkey: fields.pubkey };
  }
  return { ...common, ip: fields.ip, update_type: fields.updateType };
}

function vinJson(input: TxIn): Record<string, unknown> {
  if (!input.prevout) return { coinbase: input.scriptSig.toString('hex'), sequence: input.sequence };
  return {
    txid: input.prevout.txid,
    vout: input.prevout.n,
    scriptSig: { asm: '', hex: input.scriptSig.toString('hex') },
    sequence: input.sequence,
  };
}

function voutJson(output: TxOut, n: number): VoutJson {
  const zat = Number(output.valueSat);
  return { value: zat / Number(COIN), valueZat: zat, valueSat: zat, n, scriptPubKey: scriptPubKeyJson(output.script) };
}
