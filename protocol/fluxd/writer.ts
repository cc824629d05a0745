import { Buffer } from 'node:buffer';
import { cpubkeyLength } from './cpubkey.js';
import { FrameEncodeError } from './errors.js';
import { describeValue, isHashHex, isLowerHex } from './hex.js';

export interface ByteWriterOptions {
  /** Named in every error. */
  topic: string;
  initialCapacity?: number;
}

const U32_MAX = 0xffff_ffff;
const U64_MAX = (1n << 64n) - 1n;
// In unicode mode a surrogate pair is one code point, so this matches only lone surrogates,
// which UTF-8 cannot carry (they would come back as U+FFFD).
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Little-endian writer for one ZMQ body. Every method takes the field name and validates its
 * value, so bad input fails with a FrameEncodeError naming the field instead of writing garbage.
 */
export class ByteWriter {
  readonly topic: string;
  private buf: Buffer;
  private pos = 0;

  constructor(options: ByteWriterOptions) {
    this.topic = options.topic;
    this.buf = Buffer.alloc(options.initialCapacity ?? 128);
  }

  fail(field: string, expected: string, value: unknown): never {
    throw new FrameEncodeError({ topic: this.topic, field, expected, got: describeValue(value) });
  }

  u8(field: string, value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) this.fail(field, 'integer 0..255', value);
    this.reserve(1);
    this.buf[this.pos++] = value;
  }

  u32le(field: string, value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > U32_MAX) this.fail(field, 'integer 0..4294967295', value);
    this.reserve(4);
    this.pos = this.buf.writeUInt32LE(value, this.pos);
  }

  u64le(field: string, value: bigint): void {
    if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) this.fail(field, 'bigint 0..2^64-1', value);
    this.reserve(8);
    this.pos = this.buf.writeBigUInt64LE(value, this.pos);
  }

  /** Minimal CompactSize form (spec §1). */
  compactSize(field: string, value: number | bigint): void {
    const n = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : -1n;
    if (n < 0n || n > U64_MAX) this.fail(field, 'CompactSize value: safe integer or bigint 0..2^64-1', value);
    if (n < 253n) {
      this.u8(field, Number(n));
    } else if (n <= 0xffffn) {
      this.u8(field, 0xfd);
      this.reserve(2);
      this.pos = this.buf.writeUInt16LE(Number(n), this.pos);
    } else if (n <= BigInt(U32_MAX)) {
      this.u8(field, 0xfe);
      this.u32le(field, Number(n));
    } else {
      this.u8(field, 0xff);
      this.u64le(field, n);
    }
  }

  /** 64 lowercase hex chars written as-is: display order on the wire, no reversal (spec §1). */
  hash(field: string, hex: string): void {
    if (!isHashHex(hex)) this.fail(field, '64 lowercase hex chars (display order)', hex);
    this.reserve(32);
    this.pos += this.buf.write(hex, this.pos, 'hex');
  }

  /** CPubKey: '' (written as 00), 33 bytes starting 02/03, or 65 bytes starting 04/06/07. */
  pubkey(field: string, hex: string): void {
    if (!isLowerHex(hex)) this.fail(field, 'lowercase hex CPubKey', hex);
    const length = hex.length / 2;
    if (length !== 0 && cpubkeyLength(Number.parseInt(hex.slice(0, 2), 16)) !== length) {
      this.fail(field, "CPubKey hex: '' or 33 bytes starting 02/03 or 65 bytes starting 04/06/07", hex);
    }
    this.compactSize(field, length);
    this.reserve(length);
    this.pos += this.buf.write(hex, this.pos, 'hex');
  }

  /** CompactSize byte length + UTF-8 bytes. */
  string(field: string, value: string): void {
    if (typeof value !== 'string' || LONE_SURROGATE.test(value))
      this.fail(field, 'string without lone surrogates', value);
    const length = Buffer.byteLength(value, 'utf8');
    this.compactSize(field, length);
    this.reserve(length);
    this.pos += this.buf.write(value, this.pos, 'utf8');
  }

  /** The bytes written so far, as a new Buffer of exactly that length. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  private reserve(size: number): void {
    if (this.pos + size <= this.buf.length) return;
    const grown = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + size));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}
