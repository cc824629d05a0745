import { Buffer } from 'node:buffer';
import { cpubkeyLength } from './cpubkey.js';
import { FrameDecodeError, type FrameDecodeErrorDetails } from './errors.js';

export interface ByteReaderOptions {
  /** Named in every error. */
  topic: string;
  bytes: Uint8Array;
}

/** Smallest value each CompactSize tag may carry; anything below has a shorter (canonical) form. */
const COMPACT_SIZE_FORMS: Readonly<Record<number, { width: 2 | 4 | 8; min: bigint }>> = {
  253: { width: 2, min: 253n },
  254: { width: 4, min: 0x1_0000n },
  255: { width: 8, min: 0x1_0000_0000n },
};

// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: keep a leading BOM so re-encoding is byte-identical.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Bounds-checked little-endian reader over one ZMQ body. Every method takes the field name so
 * a FrameDecodeError says which field, at which offset, failed and why.
 */
export class ByteReader {
  readonly topic: string;
  private readonly buf: Buffer;
  private pos = 0;

  constructor(options: ByteReaderOptions) {
    this.topic = options.topic;
    this.buf = Buffer.from(options.bytes.buffer, options.bytes.byteOffset, options.bytes.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  fail(details: Omit<FrameDecodeErrorDetails, 'topic'>): never {
    throw new FrameDecodeError({ topic: this.topic, ...details });
  }

  u8(field: string): number {
    return this.buf[this.take(field, 1, 'u8')]!;
  }

  u32le(field: string): number {
    return this.buf.readUInt32LE(this.take(field, 4, 'u32le'));
  }

  u64le(field: string): bigint {
    return this.buf.readBigUInt64LE(this.take(field, 8, 'u64le'));
  }

  /** Canonical (minimal) CompactSize only, as a safe integer. */
  compactSize(field: string): number {
    const start = this.pos;
    const tag = this.buf[this.take(field, 1, 'CompactSize')]!;
    const form = COMPACT_SIZE_FORMS[tag];
    if (form === undefined) return tag;
    if (this.remaining < form.width) {
      this.fail({
        field,
        offset: start,
        expected: `CompactSize 0x${tag.toString(16)} + ${form.width} bytes`,
        got: `${this.remaining} bytes after the tag`,
      });
    }
    const value = this.readUnsigned(form.width);
    if (value < form.min) {
      this.fail({
        field,
        offset: start,
        expected: `canonical CompactSize (${value} must use the shorter form)`,
        got: `0x${tag.toString(16)} + ${form.width} bytes`,
      });
    }
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.fail({ field, offset: start, expected: 'CompactSize <= 2^53-1', got: String(value) });
    }
    return Number(value);
  }

  /** 32 bytes in display order, returned as lowercase hex without reversal (spec §1). */
  hash(field: string): string {
    const at = this.take(field, 32, 'hash');
    return this.buf.toString('hex', at, at + 32);
  }

  /** CPubKey: CompactSize length, which must agree with the key's first byte (0, 33 or 65). */
  pubkey(field: string): string {
    const start = this.pos;
    const length = this.compactSize(field);
    if (length === 0) return '';
    if (length !== 33 && length !== 65) {
      this.fail({ field, offset: start, expected: 'CPubKey length 0, 33 or 65', got: `length ${length}` });
    }
    if (length > this.remaining) {
      this.fail({ field, offset: start, expected: `CPubKey of ${length} bytes`, got: `${this.remaining} bytes left` });
    }
    const first = this.buf[this.pos]!;
    if (cpubkeyLength(first) !== length) {
      this.fail({
        field,
        offset: start,
        expected: `CPubKey first byte ${length === 33 ? '02/03' : '04/06/07'} for length ${length}`,
        got: `first byte 0x${first.toString(16).padStart(2, '0')}`,
      });
    }
    this.pos += length;
    return this.buf.toString('hex', this.pos - length, this.pos);
  }

  /** CompactSize byte length + UTF-8 bytes; the length is checked against what is left before reading. */
  string(field: string): string {
    const start = this.pos;
    const length = this.compactSize(field);
    if (length > this.remaining) {
      this.fail({ field, offset: start, expected: `string of ${length} bytes`, got: `${this.remaining} bytes left` });
    }
    const bytes = this.buf.subarray(this.pos, this.pos + length);
    try {
      const text = utf8.decode(bytes);
      this.pos += length;
      return text;
    } catch {
      return this.fail({ field, offset: start, expected: 'valid UTF-8', got: `bytes ${shortHex(bytes)}` });
    }
  }

  /** Rejects trailing bytes after the last field. */
  expectEnd(): void {
    if (this.remaining > 0) {
      this.fail({
        field: 'end of body',
        offset: this.pos,
        expected: 'no more bytes',
        got: `${this.remaining} trailing bytes`,
      });
    }
  }

  private take(field: string, size: number, what: string): number {
    if (this.remaining < size) {
      this.fail({ field, offset: this.pos, expected: `${what} (${size} bytes)`, got: `${this.remaining} bytes left` });
    }
    const at = this.pos;
    this.pos += size;
    return at;
  }

  private readUnsigned(width: 2 | 4 | 8): bigint {
    const at = this.pos;
    this.pos += width;
    if (width === 2) return BigInt(this.buf.readUInt16LE(at));
    if (width === 4) return BigInt(this.buf.readUInt32LE(at));
    return this.buf.readBigUInt64LE(at);
  }
}

function shortHex(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 32)).toString('hex');
  return bytes.byteLength > 32 ? `${hex}…` : hex;
}
