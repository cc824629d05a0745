import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { HashHex } from '../../protocol/fluxd/index.js';

/**
 * Bitcoin-style little-endian serializer for the stub's block headers and transactions.
 * Inputs are produced by the stub itself, so it checks nothing; ZMQ bodies use protocol's codecs.
 */
export class Serializer {
  private readonly parts: Buffer[] = [];

  u8(value: number): this {
    this.parts.push(Buffer.from([value & 0xff]));
    return this;
  }

  u32le(value: number): this {
    const buf = Buffer.alloc(4);
    buf.writeUInt32LE(value >>> 0);
    this.parts.push(buf);
    return this;
  }

  i32le(value: number): this {
    const buf = Buffer.alloc(4);
    buf.writeInt32LE(value | 0);
    this.parts.push(buf);
    return this;
  }

  u64le(value: bigint): this {
    const buf = Buffer.alloc(8);
    buf.writeBigUInt64LE(value);
    this.parts.push(buf);
    return this;
  }

  compactSize(value: number): this {
    if (value < 253) return this.u8(value);
    if (value <= 0xffff) {
      const buf = Buffer.alloc(3);
      buf[0] = 0xfd;
      buf.writeUInt16LE(value, 1);
      this.parts.push(buf);
      return this;
    }
    this.u8(0xfe);
    return this.u32le(value);
  }

  bytes(value: Uint8Array): this {
    this.parts.push(Buffer.from(value));
    return this;
  }

  varBytes(value: Uint8Array): this {
    this.compactSize(value.length);
    return this.bytes(value);
  }

  /** A display-hex hash written in internal (reversed) byte order, as uint256 serializes. */
  hash(displayHex: HashHex): this {
    return this.bytes(internalBytes(displayHex));
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

export function sha256d(data: Uint8Array): Buffer {
  return sha256(sha256(data));
}

/** RIPEMD160(SHA256(x)): the key hash of P2PKH scripts. */
export function hash160(data: Uint8Array): Buffer {
  return createHash('ripemd160').update(sha256(data)).digest();
}

/** Internal digest bytes → display hex (reversed), as bitcoin prints uint256. */
export function displayHex(internal: Uint8Array): HashHex {
  return Buffer.from(internal).reverse().toString('hex');
}

export function internalBytes(display: HashHex): Buffer {
  return Buffer.from(display, 'hex').reverse();
}

/** sha256d of a serialization, as display hex: block hashes and txids. */
export function hashId(serialized: Uint8Array): HashHex {
  return displayHex(sha256d(serialized));
}

export const NULL_HASH: HashHex = '0'.repeat(64);
