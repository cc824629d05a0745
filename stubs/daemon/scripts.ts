import { Buffer } from 'node:buffer';
import { createBase58check } from '@scure/base';
import { sha256 } from './serialize.js';

/** Flux mainnet transparent address version bytes (`t1…` P2PKH, `t3…` P2SH). */
const P2PKH_VERSION = Buffer.from([0x1c, 0xb8]);
const P2SH_VERSION = Buffer.from([0x1c, 0xbd]);

const OP_RETURN = 0x6a;
const OP_DUP = 0x76;
const OP_HASH160 = 0xa9;
const OP_EQUAL = 0x87;
const OP_EQUALVERIFY = 0x88;
const OP_CHECKSIG = 0xac;
const OP_PUSHDATA1 = 0x4c;

const base58check = createBase58check((data: Uint8Array) => sha256(data));

export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

export function p2pkhScript(keyHash: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([OP_DUP, OP_HASH160, 20]), keyHash, Buffer.from([OP_EQUALVERIFY, OP_CHECKSIG])]);
}

function p2shScript(scriptHash: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([OP_HASH160, 20]), scriptHash, Buffer.from([OP_EQUAL])]);
}

/** OP_RETURN with one push of `data` (≤ 75 bytes direct push, else PUSHDATA1). */
export function opReturnScript(data: Uint8Array): Buffer {
  const push = data.length <= 75 ? Buffer.from([data.length]) : Buffer.from([OP_PUSHDATA1, data.length]);
  return Buffer.concat([Buffer.from([OP_RETURN]), push, data]);
}

export function p2pkhAddress(keyHash: Uint8Array): string {
  return base58check.encode(Buffer.concat([P2PKH_VERSION, keyHash]));
}

/** The output script paying a transparent Flux address. */
export function addressScript(address: string): Buffer {
  let payload: Uint8Array;
  try {
    payload = base58check.decode(address);
  } catch (error) {
    throw new AddressError(`address ${JSON.stringify(address)}: not base58check (${(error as Error).message})`);
  }
  const version = Buffer.from(payload.subarray(0, 2));
  const hash = payload.subarray(2);
  if (hash.length !== 20) throw new AddressError(`address ${JSON.stringify(address)}: payload is not 22 bytes`);
  if (version.equals(P2PKH_VERSION)) return p2pkhScript(hash);
  if (version.equals(P2SH_VERSION)) return p2shScript(hash);
  throw new AddressError(`address ${JSON.stringify(address)}: unknown version bytes ${version.toString('hex')}`);
}

export interface ScriptPubKeyJson {
  asm: string;
  hex: string;
  reqSigs?: number;
  type: string;
  addresses?: string[];
}

/** `scriptPubKey` as fluxd's RPC prints it, for the three script shapes the stub emits. */
export function scriptPubKeyJson(script: Buffer): ScriptPubKeyJson {
  const hex = script.toString('hex');
  if (isP2pkh(script)) {
    const hash = script.subarray(3, 23);
    return {
      asm: `OP_DUP OP_HASH160 ${hash.toString('hex')} OP_EQUALVERIFY OP_CHECKSIG`,
      hex,
      reqSigs: 1,
      type: 'pubkeyhash',
      addresses: [p2pkhAddress(hash)],
    };
  }
  if (isP2sh(script)) {
    const hash = script.subarray(2, 22);
    return {
      asm: `OP_HASH160 ${hash.toString('hex')} OP_EQUAL`,
      hex,
      reqSigs: 1,
      type: 'scripthash',
      addresses: [base58check.encode(Buffer.concat([P2SH_VERSION, hash]))],
    };
  }
  if (script[0] === OP_RETURN)
    return { asm: `OP_RETURN ${opReturnData(script).toString('hex')}`, hex, type: 'nulldata' };
  return { asm: '', hex, type: 'nonstandard' };
}

function opReturnData(script: Buffer): Buffer {
  const first = script[1] ?? 0;
  return first === OP_PUSHDATA1 ? script.subarray(3) : script.subarray(2);
}

function isP2pkh(script: Buffer): boolean {
  return script.length === 25 && script[0] === OP_DUP && script[1] === OP_HASH160 && script[24] === OP_CHECKSIG;
}

function isP2sh(script: Buffer): boolean {
  return script.length === 23 && script[0] === OP_HASH160 && script[22] === OP_EQUAL;
}
