import { describe, expect, it } from 'vitest';
import keys from '../../fixtures/keys.json' with { type: 'json' };
import { signBroadcast } from './envelope.js';
import {
  decodeSyncRequest,
  encodePeerFrame,
  encodeSyncRequest,
  type PeerFrame,
  parsePeerFrame,
  SYNC_REQUEST_TYPES,
  SyncRequestCodecError,
  type SyncRequestType,
  signSyncRequest,
  syncRequestSignedString,
  verifySyncRequest,
} from './wire.js';

const node1 = keys.nodes[0]!;
const node2 = keys.nodes[1]!;
const requestTs = 1_700_000_000_000;

function signed(type: SyncRequestType = SYNC_REQUEST_TYPES.appRunning, sinceTs = 0) {
  return signSyncRequest({ type, sinceTs, requestTs, privkeyHex: node1.privkey, pubkeyHex: node1.pubkey });
}

function decodeError(bytes: Uint8Array): SyncRequestCodecError {
  try {
    decodeSyncRequest(bytes);
  } catch (error) {
    if (error instanceof SyncRequestCodecError) return error;
    throw error;
  }
  throw new Error('decodeSyncRequest accepted a bad frame');
}

describe('signed sync request frame', () => {
  it('signs the decimal type, sinceTs and requestTs concatenated', () => {
    expect(syncRequestSignedString({ type: 0x21, sinceTs: 0, requestTs })).toBe(`330${requestTs}`);
    const request = signed();
    expect(verifySyncRequest(request)).toBe(true);
    expect(verifySyncRequest({ ...request, sinceTs: 1 })).toBe(false);
    expect(verifySyncRequest({ ...request, type: 0x20 })).toBe(false);
    expect(verifySyncRequest({ ...request, pubKey: node2.pubkey })).toBe(false);
  });

  it.each(Object.entries(SYNC_REQUEST_TYPES))('round-trips type %s byte for byte', (_name, type) => {
    const request = signed(type, 1_699_999_000_000);
    const bytes = encodeSyncRequest(request);
    expect(bytes).toHaveLength(1 + 8 + 8 + 1 + 33 + 1 + 65);
    expect(bytes[0]).toBe(type);
    expect(Buffer.from(bytes.subarray(1, 9)).readBigUInt64BE()).toBe(1_699_999_000_000n);
    expect(Buffer.from(bytes.subarray(9, 17)).readBigUInt64BE()).toBe(BigInt(requestTs));
    expect(bytes[17]).toBe(33);
    expect(Buffer.from(bytes.subarray(18, 51)).toString('hex')).toBe(node1.pubkey);
    expect(bytes[51]).toBe(65);
    const decoded = decodeSyncRequest(bytes);
    expect(decoded).toEqual(request);
    expect(verifySyncRequest(decoded)).toBe(true);
  });

  it('decodes from a Buffer slice with a non-zero byteOffset', () => {
    const bytes = encodeSyncRequest(signed());
    const pool = Buffer.concat([Buffer.from([9, 9, 9]), Buffer.from(bytes)]);
    expect(decodeSyncRequest(pool.subarray(3))).toEqual(signed());
  });

  const good = encodeSyncRequest(signed());
  it.each([
    ['an empty frame', new Uint8Array(), 'type', 0],
    ['an unknown type 0x24', Uint8Array.from([0x24, ...good.subarray(1)]), 'type', 0],
    ['a truncated sinceTs', good.subarray(0, 5), 'sinceTs', 1],
    ['a truncated requestTs', good.subarray(0, 12), 'requestTs', 9],
    ['a missing pubkey length', good.subarray(0, 17), 'pubKey length', 17],
    ['a truncated pubkey', good.subarray(0, 30), 'pubKey', 18],
    ['a truncated signature', good.subarray(0, good.length - 1), 'signature', 52],
    ['trailing bytes', Uint8Array.from([...good, 0]), 'end of frame', good.length],
    ['a zero pubkey length', Uint8Array.from([...good.subarray(0, 17), 0]), 'pubKey length', 17],
  ])('rejects %s with a typed error naming the field', (_label, bytes, field, offset) => {
    const error = decodeError(bytes);
    expect(error.field).toBe(field);
    expect(error.offset).toBe(offset);
    expect(error.message).toContain(`field ${field} at offset ${offset}`);
  });

  it('rejects a timestamp beyond 2^53 instead of rounding it', () => {
    const bytes = Uint8Array.from(good);
    new DataView(bytes.buffer).setBigUint64(1, 2n ** 60n);
    expect(decodeError(bytes)).toMatchObject({ field: 'sinceTs', offset: 1 });
  });

  it('refuses to encode values that do not fit', () => {
    expect(() => encodeSyncRequest({ ...signed(), sinceTs: -1 })).toThrow(SyncRequestCodecError);
    expect(() => encodeSyncRequest({ ...signed(), pubKey: 'xyz' })).toThrow(/pubKey/);
    expect(() => encodeSyncRequest({ ...signed(), type: 0x30 as 0x20 })).toThrow(/type/);
  });
});

describe('peer text frames', () => {
  const envelope = signBroadcast({
    data: { type: 'fluxnodesigterm', version: 1, ip: '198.18.0.1', broadcastedAt: requestTs },
    privkeyHex: node1.privkey,
    pubkeyHex: node1.pubkey,
    timestamp: requestTs,
  });

  it.each<PeerFrame>([
    { kind: 'broadcast', envelope },
    { kind: 'hello', ip: '198.18.0.1', port: 16127, pubKey: node1.pubkey, timestamp: requestTs, signature: 'c2ln' },
  ])('round-trips a $kind frame', (frame) => {
    expect(parsePeerFrame(encodePeerFrame(frame))).toEqual({ ok: true, frame });
  });

  it.each([
    ['malformed JSON', '{"kind":', /^\(root\): malformed JSON/],
    ['an unknown kind', '{"kind":"gossip"}', /^kind: /],
    ['a broadcast without envelope', '{"kind":"broadcast"}', /^envelope: /],
    [
      'a hello with a bad port',
      JSON.stringify({ kind: 'hello', ip: 'x', port: 70000, pubKey: 'ab', timestamp: 1, signature: 's' }),
      /^port: /,
    ],
  ])('rejects %s', (_label, text, error) => {
    const result = parsePeerFrame(text);
    expect(!result.ok && result.error).toMatch(error);
  });
});
