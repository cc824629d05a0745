import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { createBase58check } from '@scure/base';
import { describeValue, isLowerHex } from './hex.js';

/** Flux mainnet transparent P2PKH version bytes: addresses start with `t1`. */
const P2PKH_VERSION = [0x1c, 0xb8] as const;

const base58check = createBase58check(sha256);

/** P2PKH address of a collateral key: base58check(version ‖ RIPEMD160(SHA256(pubkey))). */
export function paymentAddressFor(collateralPubkeyHex: string): string {
  if (!isLowerHex(collateralPubkeyHex)) {
    throw new RangeError(
      `paymentAddressFor: collateral pubkey must be lowercase hex bytes, got ${describeValue(collateralPubkeyHex)}`,
    );
  }
  const keyHash = ripemd160(sha256(hexToBytes(collateralPubkeyHex)));
  const payload = new Uint8Array(P2PKH_VERSION.length + keyHash.length);
  payload.set(P2PKH_VERSION);
  payload.set(keyHash, P2PKH_VERSION.length);
  return base58check.encode(payload);
}
