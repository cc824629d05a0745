/**
 * Bitcoin signed-message signatures as FluxOS produces and checks them (bitcoinjs-message semantics):
 * digest = sha256d(varstr("\x18Bitcoin Signed Message:\n") + varstr(message)), signature = base64 of
 * [header][r 32][s 32] with header = 27 + recid (+ 4 when the key is compressed).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

const MAGIC_PREFIX = utf8ToBytes('\x18Bitcoin Signed Message:\n');
const HEADER_BASE = 27;
const COMPRESSED_FLAG = 4;
const SIGNATURE_LENGTH = 65;

/** Bitcoin CompactSize length prefix. */
function varIntBytes(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >>> 8);
  const out = new Uint8Array(5);
  out[0] = 0xfe;
  new DataView(out.buffer).setUint32(1, n, true);
  return out;
}

/** The 32-byte digest that is actually signed for `message`. */
export function magicHash(message: string): Uint8Array {
  const body = utf8ToBytes(message);
  return sha256(sha256(concatBytes(MAGIC_PREFIX, varIntBytes(body.length), body)));
}

export interface SignMessageOptions {
  message: string;
  privkeyHex: string;
  /** bitcoinjs-message signs for the compressed key unless told otherwise. */
  compressed?: boolean;
}

/** Deterministic (RFC 6979) signature, base64 of the 65-byte compact recoverable form. */
export function signMessage({ message, privkeyHex, compressed = true }: SignMessageOptions): string {
  const recovered = secp256k1.sign(magicHash(message), hexToBytes(privkeyHex), {
    prehash: false,
    format: 'recovered',
  });
  const out = new Uint8Array(SIGNATURE_LENGTH);
  out[0] = HEADER_BASE + recovered[0]! + (compressed ? COMPRESSED_FLAG : 0);
  out.set(recovered.subarray(1), 1);
  return Buffer.from(out).toString('base64');
}

export interface VerifyMessageOptions {
  message: string;
  /** Compressed (33 B) or uncompressed (65 B) hex key; the signature's header decides which form must match. */
  pubkeyHex: string;
  signature: string;
}

/** Decodes base64 strictly: Buffer.from silently drops invalid characters, so round-trip to be sure. */
function decodeBase64Strict(text: string): Uint8Array | undefined {
  const bytes = Buffer.from(text, 'base64');
  const canonical = bytes.toString('base64');
  return canonical === text || canonical.replace(/=+$/, '') === text ? bytes : undefined;
}

/** Recovers the signer's key in the form (compressed or not) the signature header names. */
export function recoverMessageSigner({
  message,
  signature,
}: {
  message: string;
  signature: string;
}): string | undefined {
  try {
    const bytes = decodeBase64Strict(signature);
    if (!bytes || bytes.length !== SIGNATURE_LENGTH) return undefined;
    const header = bytes[0]! - HEADER_BASE;
    if (header < 0 || header > 7) return undefined;
    const recid = header & 3;
    const compressed = header >= COMPRESSED_FLAG;
    const recoverable = concatBytes(Uint8Array.of(recid), bytes.subarray(1));
    const point = secp256k1.Signature.fromBytes(recoverable, 'recovered').recoverPublicKey(magicHash(message));
    return bytesToHex(point.toBytes(compressed));
  } catch {
    return undefined;
  }
}

/** True when `signature` over `message` recovers to `pubkeyHex`; never throws. */
export function verifyMessage({ message, pubkeyHex, signature }: VerifyMessageOptions): boolean {
  if (typeof message !== 'string' || typeof pubkeyHex !== 'string' || typeof signature !== 'string') return false;
  const signer = recoverMessageSigner({ message, signature });
  return signer !== undefined && signer === pubkeyHex.toLowerCase();
}

/** Compressed public key (hex) of a private key (hex). */
export function publicKeyFromPrivate(privkeyHex: string): string {
  return bytesToHex(secp256k1.getPublicKey(hexToBytes(privkeyHex), true));
}
