/**
 * Signed state-sync request frame (fluxos-node.md §7), a binary WebSocket frame:
 *
 *   [type u8][sinceTs u64 BE][requestTs u64 BE][pkLen u8][pubkey pkLen B][sigLen u8][sig sigLen B]
 *
 * `pubkey` is the raw key (33 B compressed), `sig` the raw 65-byte Bitcoin message signature (the
 * base64 form decoded). The signed string is `${type}${sinceTs}${requestTs}` with `type` in decimal.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { signMessage, verifyMessage } from './signing.js';

export const SYNC_REQUEST_TYPES = {
  temporaryMessages: 0x20,
  appRunning: 0x21,
  appInstalling: 0x22,
  appInstallingErrors: 0x23,
} as const;
export type SyncRequestType = (typeof SYNC_REQUEST_TYPES)[keyof typeof SYNC_REQUEST_TYPES];

export interface SyncRequest {
  type: SyncRequestType;
  sinceTs: number;
  requestTs: number;
  /** hex */
  pubKey: string;
  /** base64, as signMessage returns it */
  signature: string;
}

export interface SyncRequestCodecErrorDetails {
  field: string;
  offset: number;
  expected: string;
  got: string;
}

/** A sync frame that cannot be decoded or encoded; names the field and byte offset. */
export class SyncRequestCodecError extends Error {
  readonly field: string;
  readonly offset: number;
  readonly expected: string;
  readonly got: string;

  constructor(details: SyncRequestCodecErrorDetails) {
    super(
      `sync request: field ${details.field} at offset ${details.offset}: expected ${details.expected}, got ${details.got}`,
    );
    this.name = 'SyncRequestCodecError';
    this.field = details.field;
    this.offset = details.offset;
    this.expected = details.expected;
    this.got = details.got;
  }
}

const TYPE_VALUES: readonly number[] = Object.values(SYNC_REQUEST_TYPES);

export function isSyncRequestType(value: number): value is SyncRequestType {
  return TYPE_VALUES.includes(value);
}

export function syncRequestSignedString({
  type,
  sinceTs,
  requestTs,
}: Pick<SyncRequest, 'type' | 'sinceTs' | 'requestTs'>): string {
  return `${type}${sinceTs}${requestTs}`;
}

export interface SignSyncRequestOptions {
  type: SyncRequestType;
  sinceTs: number;
  requestTs: number;
  privkeyHex: string;
  pubkeyHex: string;
}

export function signSyncRequest({
  type,
  sinceTs,
  requestTs,
  privkeyHex,
  pubkeyHex,
}: SignSyncRequestOptions): SyncRequest {
  const signature = signMessage({ message: syncRequestSignedString({ type, sinceTs, requestTs }), privkeyHex });
  return { type, sinceTs, requestTs, pubKey: pubkeyHex, signature };
}

/** Signature check only; the freshness window and the pubkey listing are the responder's job. */
export function verifySyncRequest(request: SyncRequest): boolean {
  return verifyMessage({
    message: syncRequestSignedString(request),
    pubkeyHex: request.pubKey,
    signature: request.signature,
  });
}

function encodeU64(field: string, value: number): bigint {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SyncRequestCodecError({ field, offset: -1, expected: 'a non-negative safe integer', got: String(value) });
  }
  return BigInt(value);
}

function lengthPrefixed(field: string, bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0 || bytes.length > 0xff) {
    throw new SyncRequestCodecError({ field, offset: -1, expected: '1..255 bytes', got: `${bytes.length} bytes` });
  }
  const out = new Uint8Array(1 + bytes.length);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

function hexField(field: string, hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) {
    throw new SyncRequestCodecError({ field, offset: -1, expected: 'even-length hex', got: JSON.stringify(hex) });
  }
  return hexToBytes(hex.toLowerCase());
}

export function encodeSyncRequest(request: SyncRequest): Uint8Array {
  if (!isSyncRequestType(request.type)) {
    throw new SyncRequestCodecError({ field: 'type', offset: 0, expected: '0x20..0x23', got: String(request.type) });
  }
  const pubkey = lengthPrefixed('pubKey', hexField('pubKey', request.pubKey));
  const signature = lengthPrefixed('signature', Buffer.from(request.signature, 'base64'));
  const out = new Uint8Array(17 + pubkey.length + signature.length);
  const view = new DataView(out.buffer);
  out[0] = request.type;
  view.setBigUint64(1, encodeU64('sinceTs', request.sinceTs));
  view.setBigUint64(9, encodeU64('requestTs', request.requestTs));
  out.set(pubkey, 17);
  out.set(signature, 17 + pubkey.length);
  return out;
}

class FrameReader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  private need(field: string, length: number): void {
    const left = this.bytes.length - this.offset;
    if (left < length) {
      throw new SyncRequestCodecError({
        field,
        offset: this.offset,
        expected: `${length} bytes`,
        got: `${left} bytes`,
      });
    }
  }

  u8(field: string): number {
    this.need(field, 1);
    return this.bytes[this.offset++]!;
  }

  u64(field: string): number {
    this.need(field, 8);
    const at = this.offset;
    const value = new DataView(this.bytes.buffer, this.bytes.byteOffset + at, 8).getBigUint64(0);
    this.offset += 8;
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new SyncRequestCodecError({ field, offset: at, expected: 'a timestamp <= 2^53-1', got: value.toString() });
    }
    return Number(value);
  }

  lengthPrefixed(field: string): Uint8Array {
    const at = this.offset;
    const length = this.u8(`${field} length`);
    if (length === 0)
      throw new SyncRequestCodecError({ field: `${field} length`, offset: at, expected: '1..255', got: '0' });
    this.need(field, length);
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  end(): void {
    if (this.offset !== this.bytes.length) {
      throw new SyncRequestCodecError({
        field: 'end of frame',
        offset: this.offset,
        expected: 'no trailing bytes',
        got: `${this.bytes.length - this.offset} trailing bytes`,
      });
    }
  }
}

/** Decodes a received frame; throws SyncRequestCodecError naming the field and offset. */
export function decodeSyncRequest(bytes: Uint8Array): SyncRequest {
  const reader = new FrameReader(bytes);
  const type = reader.u8('type');
  if (!isSyncRequestType(type)) {
    throw new SyncRequestCodecError({
      field: 'type',
      offset: 0,
      expected: '0x20..0x23',
      got: `0x${type.toString(16)}`,
    });
  }
  const sinceTs = reader.u64('sinceTs');
  const requestTs = reader.u64('requestTs');
  const pubKey = bytesToHex(reader.lengthPrefixed('pubKey'));
  const signature = Buffer.from(reader.lengthPrefixed('signature')).toString('base64');
  reader.end();
  return { type, sinceTs, requestTs, pubKey, signature };
}
