import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { createRng } from '../random.js';
import {
  decodeChainReorg,
  decodeHashBlock,
  decodeHashBlockHeight,
  decodeNodeListDelta,
  decodeNodeStatus,
  decodeZmqMessage,
  encodeChainReorg,
  encodeHashBlock,
  encodeHashBlockHeight,
  encodeNodeListDelta,
  encodeNodeStatus,
  encodeZmqMessage,
} from './codecs.js';
import { FrameDecodeError, FrameEncodeError } from './errors.js';
import { compareOutpoints } from './outpoint.js';
import {
  randomChainReorg,
  randomHashBlock,
  randomHashBlockHeight,
  randomNodeEntry,
  randomNodeListDelta,
  randomNodeStatus,
} from './random-bodies.js';
import { ByteReader } from './reader.js';
import { type RawEntry, toEntry, type Vector, v3 as v3Vector, vector, vectors } from './test-vectors.js';
import type { NodeEntry, NodeListDeltaBody, NodeStatusBody, OutPoint, ZmqMessage } from './types.js';
import { ByteWriter } from './writer.js';

/** Reads one typed input of a vector, failing loudly if the fixture lacks it. */
function input<T>(v: Vector, key: string, type: 'string' | 'number' | 'object'): T {
  const value = v.inputs[key];
  if (typeof value !== type) throw new Error(`${v.name}: input ${key} is not a ${type}`);
  return value as T;
}

/** The typed message each vector's `inputs` describe. */
function messageOf(v: Vector): ZmqMessage {
  const str = (key: string) => input<string>(v, key, 'string');
  const num = (key: string) => input<number>(v, key, 'number');
  switch (v.topic) {
    case 'hashblockheight':
      return { topic: v.topic, seq: v.seq, body: { hash: str('block_hash'), height: num('height') } };
    case 'chainreorg':
      return {
        topic: v.topic,
        seq: v.seq,
        body: {
          oldHash: str('old_hash'),
          oldHeight: num('old_height'),
          newHash: str('new_hash'),
          newHeight: num('new_height'),
          forkHash: str('fork_hash'),
          forkHeight: num('fork_height'),
        },
      };
    case 'fluxnodelistdelta':
      return {
        topic: v.topic,
        seq: v.seq,
        body: {
          fromHeight: num('from_height'),
          toHeight: num('to_height'),
          fromHash: str('from_hash'),
          toHash: str('to_hash'),
          flags: num('flags'),
          added: input<RawEntry[]>(v, 'added', 'object').map(toEntry),
          removed: input<OutPoint[]>(v, 'removed', 'object').map(({ txid, n }) => ({ txid, n })),
          updated: input<RawEntry[]>(v, 'updated', 'object').map(toEntry),
        },
      };
    case 'fluxnodestatus':
      return {
        topic: v.topic,
        seq: v.seq,
        body: {
          height: num('height'),
          status: num('status'),
          tier: num('tier'),
          confirmedHeight: num('confirmed_height'),
          lastConfirmedHeight: num('last_confirmed_height'),
          lastPaidHeight: num('last_paid_height'),
          outpoint: { txid: str('txid'), n: num('n') },
          ip: str('ip'),
        },
      };
    default:
      throw new Error(`no mapping for vector topic ${v.topic}`);
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function decodeError(run: () => unknown): FrameDecodeError {
  try {
    run();
  } catch (error) {
    if (error instanceof FrameDecodeError) return error;
    throw new Error(`expected FrameDecodeError, got ${String(error)}`);
  }
  throw new Error('expected FrameDecodeError, but decoding succeeded');
}

function encodeError(run: () => unknown): FrameEncodeError {
  try {
    run();
  } catch (error) {
    if (error instanceof FrameEncodeError) return error;
    throw new Error(`expected FrameEncodeError, got ${String(error)}`);
  }
  throw new Error('expected FrameEncodeError, but encoding succeeded');
}

function sortedDelta(body: NodeListDeltaBody): NodeListDeltaBody {
  const byOutpoint = (x: { outpoint: OutPoint }, y: { outpoint: OutPoint }) => compareOutpoints(x.outpoint, y.outpoint);
  return {
    ...body,
    added: [...body.added].sort(byOutpoint),
    removed: [...body.removed].sort(compareOutpoints),
    updated: [...body.updated].sort(byOutpoint),
  };
}

const v3 = messageOf(vector('v3-fluxnodelistdelta')) as Extract<ZmqMessage, { topic: 'fluxnodelistdelta' }>;
const v3Body = Buffer.from(vector('v3-fluxnodelistdelta').body_hex, 'hex');
const v4Body = Buffer.from(vector('v4-fluxnodestatus').body_hex, 'hex');

describe('vectors.json', () => {
  it('holds the four vectors of spec §10', () => {
    expect(vectors.map((v) => v.name)).toEqual([
      'v1-hashblockheight',
      'v2-chainreorg',
      'v3-fluxnodelistdelta',
      'v4-fluxnodestatus',
    ]);
  });

  for (const v of vectors) {
    it(`${v.name} encodes byte-exactly to topic/body/seq frames`, () => {
      const frames = encodeZmqMessage(messageOf(v));
      expect(frames.map(hex)).toEqual([v.topic_hex, v.body_hex, v.seq_hex]);
      expect(frames[1].length).toBe(v.body_len);
    });

    it(`${v.name} decodes back to its inputs`, () => {
      const frames = [v.topic_hex, v.body_hex, v.seq_hex].map((h) => Buffer.from(h, 'hex'));
      expect(decodeZmqMessage(frames)).toEqual(messageOf(v));
    });
  }

  it('decodes plain Uint8Array views with a non-zero byte offset', () => {
    const v = vector('v1-hashblockheight');
    const backing = new Uint8Array(40);
    backing.set(Buffer.from(v.body_hex, 'hex'), 4);
    expect(decodeHashBlockHeight(backing.subarray(4))).toEqual(messageOf(v).body);
  });

  it('v3 fields sit at the offsets listed in spec §10', () => {
    const body = v3Body;
    const added = v3.body.added[0]!;
    const updated = v3.body.updated[0]!;
    expect(body.length).toBe(403);
    expect(body[72]).toBe(0x00);
    expect(body[73]).toBe(0x01);
    expect(body.toString('hex', 74, 106)).toBe(added.outpoint.txid);
    expect(body.readUInt32LE(106)).toBe(0);
    expect(body.toString('hex', 110, 144)).toBe(`21${added.collateralPubkey}`);
    expect(body.toString('hex', 144, 178)).toBe(`21${added.pubkey}`);
    expect(body.readUInt32LE(178)).toBe(2000101);
    expect(body.readUInt32LE(182)).toBe(0);
    expect([body[186], body[187], body[188]]).toEqual([1, 3, 0x11]);
    expect(body.toString('latin1', 189, 206)).toBe('203.0.113.5:16127');
    expect(body[206]).toBe(0x01);
    expect(body.toString('hex', 207, 239)).toBe(v3.body.removed[0]!.txid);
    expect(body.readUInt32LE(239)).toBe(1);
    expect(body[243]).toBe(0x01);
    expect(body.toString('hex', 244, 276)).toBe(updated.outpoint.txid);
    expect(body.toString('hex', 280, 346)).toBe(`41${updated.collateralPubkey}`);
    expect(body.toString('hex', 346, 380)).toBe(`21${updated.pubkey}`);
    expect(body.readUInt32LE(380)).toBe(1990000);
    expect(body.readUInt32LE(384)).toBe(2000101);
    expect([body[388], body[389], body[390]]).toEqual([3, 3, 0x0c]);
    expect(body.toString('latin1', 391, 403)).toBe('198.51.100.7');
  });

  it('sort_order_check: fluxd orders by reversed txid bytes, unlike display hex', () => {
    const check = v3Vector.sort_order_check;
    expect(check.fluxd_order).toEqual(['b', 'a']);
    expect(check.a.txid < check.b.txid).toBe(true);
    expect(compareOutpoints(check.b, check.a)).toBeLessThan(0);
    expect(compareOutpoints(check.a, check.b)).toBeGreaterThan(0);
    const delta = { ...v3.body, added: [], updated: [], removed: [check.a, check.b] };
    const body = encodeNodeListDelta(delta);
    expect(body.toString('hex', 73, 75)).toBe('0002');
    expect(body.toString('hex', 75, 107)).toBe(check.b.txid);
    expect(decodeNodeListDelta(body).removed).toEqual([check.b, check.a]);
  });
});

describe('compareOutpoints', () => {
  it('matches memcmp of reversed txid bytes, then n, on random outpoints', () => {
    const rng = createRng(7);
    for (let i = 0; i < 2000; i++) {
      const shared = rng.bytes(32).toString('hex');
      const a = { txid: rng.chance(0.3) ? shared : rng.bytes(32).toString('hex'), n: rng.int(0, 3) };
      const b = { txid: rng.chance(0.3) ? shared : rng.bytes(32).toString('hex'), n: rng.int(0, 3) };
      const reference =
        Buffer.compare(Buffer.from(a.txid, 'hex').reverse(), Buffer.from(b.txid, 'hex').reverse()) || a.n - b.n;
      expect(Math.sign(compareOutpoints(a, b))).toBe(Math.sign(reference));
      expect(Math.sign(compareOutpoints(b, a)) === -Math.sign(reference)).toBe(true);
    }
  });

  it('orders by n when txids are equal', () => {
    const txid = 'ab'.repeat(32);
    expect(compareOutpoints({ txid, n: 1 }, { txid, n: 2 })).toBeLessThan(0);
    expect(compareOutpoints({ txid, n: 2 }, { txid, n: 2 })).toBe(0);
  });

  it('rejects malformed txids with a RangeError naming the side', () => {
    expect(() => compareOutpoints({ txid: 'AB'.repeat(32), n: 0 }, { txid: 'ab'.repeat(32), n: 0 })).toThrow(
      /a\.txid must be 64 lowercase hex/,
    );
    expect(() => compareOutpoints({ txid: 'ab'.repeat(32), n: 0 }, { txid: 'ab', n: 0 })).toThrow(/b\.txid/);
  });
});

describe('CompactSize', () => {
  const cases: [number | bigint, string][] = [
    [0, '00'],
    [252, 'fc'],
    [253, 'fdfd00'],
    [65535, 'fdffff'],
    [65536, 'fe00000100'],
    [0xffff_ffff, 'feffffffff'],
    [0x1_0000_0000, 'ff0000000001000000'],
  ];
  for (const [value, expected] of cases) {
    it(`${value} <-> ${expected}`, () => {
      const w = new ByteWriter({ topic: 'test' });
      w.compactSize('n', value);
      expect(hex(w.finish())).toBe(expected);
      const r = new ByteReader({ topic: 'test', bytes: Buffer.from(expected, 'hex') });
      expect(r.compactSize('n')).toBe(Number(value));
      expect(r.remaining).toBe(0);
    });
  }

  for (const nonMinimal of ['fdfc00', 'fd0000', 'fefeff0000', 'feffff0000', 'ffffffffff00000000']) {
    it(`rejects non-minimal ${nonMinimal}`, () => {
      const error = decodeError(() =>
        new ByteReader({ topic: 'test', bytes: Buffer.from(nonMinimal, 'hex') }).compactSize('n'),
      );
      expect(error.message).toMatch(/^test: field n at offset 0: expected canonical CompactSize/);
    });
  }

  it('rejects values above 2^53-1 and truncated forms', () => {
    expect(
      decodeError(() =>
        new ByteReader({ topic: 't', bytes: Buffer.from('ffffffffffffffffff', 'hex') }).compactSize('n'),
      ).expected,
    ).toBe('CompactSize <= 2^53-1');
    expect(
      decodeError(() => new ByteReader({ topic: 't', bytes: Buffer.from('fe0000', 'hex') }).compactSize('n')).message,
    ).toBe('t: field n at offset 0: expected CompactSize 0xfe + 4 bytes, got 2 bytes after the tag');
  });

  it('uses 1-byte, FD and FE string prefixes at 252, 253 and 65536 bytes', () => {
    for (const [length, prefix] of [
      [252, 'fc'],
      [253, 'fdfd00'],
      [65536, 'fe00000100'],
    ] as const) {
      const status: NodeStatusBody = { ...decodeNodeStatus(v4Body), ip: 'x'.repeat(length) };
      const body = encodeNodeStatus(status);
      expect(body.toString('hex', 54, 54 + prefix.length / 2)).toBe(prefix);
      expect(decodeNodeStatus(body)).toEqual(status);
    }
  });

  it('round-trips a delta with 300 added entries (FD count) in sorted order', () => {
    const rng = createRng(300);
    const added = Array.from({ length: 300 }, (_, n) => ({
      ...randomNodeEntry(rng, []),
      outpoint: { txid: rng.bytes(32).toString('hex'), n },
    }));
    const delta = { ...v3.body, added, removed: [], updated: [] };
    const body = encodeNodeListDelta(delta);
    expect(body.toString('hex', 73, 76)).toBe('fd2c01');
    const decoded = decodeNodeListDelta(body);
    expect(decoded).toEqual(sortedDelta(delta));
    expect(decoded.added).not.toEqual(added);
    expect(encodeNodeListDelta(decoded).equals(body)).toBe(true);
  });
});

describe('decode errors name topic, field, offset, expectation and what was found', () => {
  it('reports a truncated ip with the message format of the brief', () => {
    const error = decodeError(() => decodeNodeListDelta(v3Body.subarray(0, 192)));
    expect(error.message).toBe(
      'fluxnodelistdelta: field added[0].ip at offset 188: expected string of 17 bytes, got 3 bytes left',
    );
    expect(error).toMatchObject({ topic: 'fluxnodelistdelta', field: 'added[0].ip', offset: 188 });
  });

  it('rejects short and long fixed-size bodies', () => {
    const block = Buffer.alloc(36, 1);
    expect(decodeError(() => decodeHashBlock(block.subarray(0, 31))).message).toBe(
      'hashblock: field hash at offset 0: expected hash (32 bytes), got 31 bytes left',
    );
    expect(decodeError(() => decodeHashBlock(block.subarray(0, 33))).message).toBe(
      'hashblock: field end of body at offset 32: expected no more bytes, got 1 trailing bytes',
    );
    expect(decodeError(() => decodeHashBlockHeight(block.subarray(0, 35))).field).toBe('height');
    expect(decodeError(() => decodeHashBlockHeight(Buffer.alloc(37))).offset).toBe(36);
    expect(decodeError(() => decodeChainReorg(Buffer.alloc(107))).field).toBe('forkHeight');
    expect(decodeError(() => decodeChainReorg(Buffer.alloc(109))).offset).toBe(108);
  });

  it('rejects trailing bytes after a delta and a status', () => {
    expect(decodeError(() => decodeNodeListDelta(Buffer.concat([v3Body, Buffer.of(0)]))).offset).toBe(403);
    expect(decodeError(() => decodeNodeStatus(Buffer.concat([v4Body, Buffer.of(0)]))).offset).toBe(67);
  });

  it('rejects bodies below the 76-byte delta and 55-byte status minimums', () => {
    const empty = encodeNodeListDelta({ ...v3.body, added: [], removed: [], updated: [] });
    expect(empty.length).toBe(76);
    expect(decodeError(() => decodeNodeListDelta(empty.subarray(0, 75))).field).toBe('updated.count');
    expect(decodeError(() => decodeNodeListDelta(empty.subarray(0, 73))).field).toBe('added.count');
    const minimalStatus = encodeNodeStatus({ ...decodeNodeStatus(v4Body), ip: '' });
    expect(minimalStatus.length).toBe(55);
    expect(decodeError(() => decodeNodeStatus(minimalStatus.subarray(0, 54))).field).toBe('ip');
  });

  it('rejects flags with bits other than bit0', () => {
    const body = Buffer.from(v3Body);
    body[72] = 0x03;
    expect(decodeError(() => decodeNodeListDelta(body)).message).toBe(
      'fluxnodelistdelta: field flags at offset 72: expected only bit0 (is_reorg) set, got 0x03',
    );
    body[72] = 0x01;
    expect(decodeNodeListDelta(body).flags).toBe(1);
  });

  it('rejects unsorted and duplicate sections', () => {
    const [x, y] = [v3.body.added[0]!, v3.body.updated[0]!];
    const twoAdded = encodeNodeListDelta({ ...v3.body, added: [x, y], removed: [], updated: [] });
    const firstLength = 36 + 34 + 34 + 10 + 18;
    const swapped = Buffer.concat([
      twoAdded.subarray(0, 74),
      twoAdded.subarray(74 + firstLength, twoAdded.length - 2),
      twoAdded.subarray(74, 74 + firstLength),
      twoAdded.subarray(twoAdded.length - 2),
    ]);
    const unsorted = decodeError(() => decodeNodeListDelta(swapped));
    expect(unsorted.field).toBe('added[1].outpoint');
    expect(unsorted.got).toBe(`${x.outpoint.txid}:0`);
    const duplicate = Buffer.concat([
      twoAdded.subarray(0, 73),
      Buffer.of(2),
      twoAdded.subarray(74, 74 + firstLength),
      twoAdded.subarray(74, 74 + firstLength),
      twoAdded.subarray(twoAdded.length - 2),
    ]);
    expect(decodeError(() => decodeNodeListDelta(duplicate)).message).toMatch(
      /^fluxnodelistdelta: field added\[1\]\.outpoint at offset 206: expected an outpoint after 0123.*:0 .*no duplicates\), got 0123.*:0$/,
    );
  });

  it('rejects a section count that cannot fit before reading any entry', () => {
    const body = Buffer.concat([v3Body.subarray(0, 73), Buffer.from('feffffffff', 'hex'), Buffer.alloc(40)]);
    expect(decodeError(() => decodeNodeListDelta(body)).message).toBe(
      'fluxnodelistdelta: field added.count at offset 73: expected 4294967295 entries of at least 49 bytes, got 40 bytes left',
    );
  });

  it('rejects CPubKeys whose length disagrees with the first byte', () => {
    const wrongLength = Buffer.from(v3Body);
    wrongLength[110] = 0x20;
    expect(decodeError(() => decodeNodeListDelta(wrongLength)).message).toBe(
      'fluxnodelistdelta: field added[0].collateralPubkey at offset 110: expected CPubKey length 0, 33 or 65, got length 32',
    );
    const wrongPrefix = Buffer.from(v3Body);
    wrongPrefix[111] = 0x04;
    expect(decodeError(() => decodeNodeListDelta(wrongPrefix)).message).toBe(
      'fluxnodelistdelta: field added[0].collateralPubkey at offset 110: expected CPubKey first byte 02/03 for length 33, got first byte 0x04',
    );
  });

  it('accepts an empty CPubKey as the single byte 00', () => {
    const delta = { ...v3.body, added: [{ ...v3.body.added[0]!, collateralPubkey: '', pubkey: '' }] };
    const body = encodeNodeListDelta(delta);
    expect(body.toString('hex', 110, 112)).toBe('0000');
    expect(decodeNodeListDelta(body)).toEqual(delta);
  });

  it('rejects invalid UTF-8 in strings', () => {
    const body = Buffer.from(v4Body);
    body[55] = 0xff;
    expect(decodeError(() => decodeNodeStatus(body)).message).toMatch(
      /^fluxnodestatus: field ip at offset 54: expected valid UTF-8, got bytes ff/,
    );
  });

  it('keeps a leading BOM and non-ASCII text byte-exact', () => {
    const status = { ...decodeNodeStatus(v4Body), ip: '\ufeffñ🦊' };
    const body = encodeNodeStatus(status);
    expect(decodeNodeStatus(body)).toEqual(status);
    expect(body.length).toBe(55 + 3 + 2 + 4);
  });
});

describe('encode validation', () => {
  it('rejects hashes that are not 64 lowercase hex chars, naming the field', () => {
    const upper = encodeError(() => encodeHashBlock({ hash: 'AB'.repeat(32) }));
    expect(upper.message).toMatch(
      /^hashblock: cannot encode field hash: expected 64 lowercase hex chars \(display order\), got "ABAB/,
    );
    expect(encodeError(() => encodeChainReorg({ ...decodeChainReorg(Buffer.alloc(108)), forkHash: 'ab' })).field).toBe(
      'forkHash',
    );
  });

  it('rejects heights outside u32 and non-integers', () => {
    for (const height of [-1, 2 ** 32, 1.5, Number.NaN]) {
      expect(encodeError(() => encodeHashBlockHeight({ hash: '00'.repeat(32), height })).field).toBe('height');
    }
  });

  it('rejects CPubKeys fluxd could not have serialized', () => {
    const entry = v3.body.added[0]!;
    const error = encodeError(() =>
      encodeNodeListDelta({ ...v3.body, added: [{ ...entry, pubkey: `04${'11'.repeat(32)}` }] }),
    );
    expect(error.field).toBe('added[0].pubkey');
    expect(encodeError(() => encodeNodeListDelta({ ...v3.body, added: [{ ...entry, pubkey: '0' }] })).field).toBe(
      'added[0].pubkey',
    );
  });

  it('rejects duplicate outpoints in a section and names both original indexes', () => {
    const entry = v3.body.added[0]!;
    const other = v3.body.updated[0]!;
    const error = encodeError(() => encodeNodeListDelta({ ...v3.body, updated: [entry, other, entry] }));
    expect(error.field).toBe('updated[2].outpoint');
    expect(error.got).toBe(`${entry.outpoint.txid}:0, also at updated[0]`);
  });

  it('rejects bad outpoints before sorting, by original index', () => {
    const removed = [v3.body.removed[0]!, { txid: 'zz', n: 0 }];
    expect(encodeError(() => encodeNodeListDelta({ ...v3.body, removed })).field).toBe('removed[1].outpoint.txid');
    const added = [null] as unknown as NodeEntry[];
    expect(encodeError(() => encodeNodeListDelta({ ...v3.body, added })).field).toBe('added[0]');
    const status = decodeNodeStatus(v4Body);
    expect(encodeError(() => encodeNodeStatus({ ...status, outpoint: { ...status.outpoint, n: -1 } })).field).toBe(
      'outpoint.n',
    );
  });

  it('rejects flags other than 0 and 1, and strings with lone surrogates', () => {
    expect(encodeError(() => encodeNodeListDelta({ ...v3.body, flags: 2 })).field).toBe('flags');
    expect(encodeError(() => encodeNodeStatus({ ...decodeNodeStatus(v4Body), ip: 'a\ud800' })).field).toBe('ip');
  });

  it('does not reorder the caller arrays when sorting', () => {
    const removed = [v3.body.added[0]!.outpoint, v3.body.removed[0]!, v3.body.updated[0]!.outpoint];
    const before = [...removed];
    encodeNodeListDelta({ ...v3.body, removed });
    expect(removed).toEqual(before);
  });
});

describe('ZMQ envelope', () => {
  const frames = encodeZmqMessage(messageOf(vector('v1-hashblockheight')));

  it('rejects the wrong number of frames', () => {
    expect(decodeError(() => decodeZmqMessage(frames.slice(0, 2))).message).toBe(
      'zmq message: field frames at offset 0: expected 3 frames [topic][body][seq], got 2 frames',
    );
    expect(decodeError(() => decodeZmqMessage([...frames, Buffer.alloc(0)])).got).toBe('4 frames');
  });

  it('rejects unknown or differently spelled topics', () => {
    for (const topic of ['hashblockX', 'HASHBLOCK', 'hashblock\0', '']) {
      const error = decodeError(() => decodeZmqMessage([Buffer.from(topic), frames[1], frames[2]]));
      expect(error.field).toBe('topic frame');
    }
  });

  it('rejects sequence frames that are not 4 bytes', () => {
    for (const length of [0, 3, 5, 8]) {
      const error = decodeError(() => decodeZmqMessage([frames[0], frames[1], Buffer.alloc(length)]));
      expect(error.message).toBe(
        `hashblockheight: field seq frame at offset 0: expected 4-byte u32le sequence number, got ${length} bytes`,
      );
    }
  });

  it('reads seq as u32 little-endian up to 2^32-1', () => {
    const message: ZmqMessage = { topic: 'hashblock', seq: 0xffff_fffe, body: { hash: 'cd'.repeat(32) } };
    const encoded = encodeZmqMessage(message);
    expect(hex(encoded[2])).toBe('feffffff');
    expect(decodeZmqMessage(encoded)).toEqual(message);
    expect(encodeError(() => encodeZmqMessage({ ...message, seq: 2 ** 32 })).field).toBe('seq');
  });

  it('carries the undecoded topics as raw bytes', () => {
    const message: ZmqMessage = { topic: 'rawtx', seq: 5, body: Buffer.from('0100ff', 'hex') };
    const encoded = encodeZmqMessage(message);
    expect(encoded.map(hex)).toEqual([Buffer.from('rawtx').toString('hex'), '0100ff', '05000000']);
    expect(decodeZmqMessage(encoded)).toEqual(message);
  });

  it('reports the body decoder error for a known topic', () => {
    const error = decodeError(() => decodeZmqMessage([frames[0], frames[1].subarray(0, 35), frames[2]]));
    expect(error.topic).toBe('hashblockheight');
    expect(error.field).toBe('height');
  });

  it('rejects an unknown topic on encode', () => {
    const bogus = { topic: 'nope', seq: 0, body: {} } as unknown as ZmqMessage;
    expect(encodeError(() => encodeZmqMessage(bogus)).field).toBe('topic');
  });
});

describe('round-trip properties on seeded random bodies', () => {
  const ROUNDS = 2000;

  function roundTrip<T>(options: {
    seed: number;
    generate: (rng: ReturnType<typeof createRng>) => T;
    encode: (body: T) => Buffer;
    decode: (bytes: Uint8Array) => T;
    normalize?: (body: T) => T;
  }): void {
    const rng = createRng(options.seed);
    for (let i = 0; i < ROUNDS; i++) {
      const body = options.generate(rng);
      const bytes = options.encode(body);
      const decoded = options.decode(bytes);
      expect(decoded, `seed ${options.seed} round ${i}`).toEqual(options.normalize ? options.normalize(body) : body);
      expect(options.encode(decoded).equals(bytes), `seed ${options.seed} round ${i}`).toBe(true);
    }
  }

  it('hashblock', () =>
    roundTrip({ seed: 1, generate: randomHashBlock, encode: encodeHashBlock, decode: decodeHashBlock }));
  it('hashblockheight', () =>
    roundTrip({
      seed: 2,
      generate: randomHashBlockHeight,
      encode: encodeHashBlockHeight,
      decode: decodeHashBlockHeight,
    }));
  it('chainreorg', () =>
    roundTrip({ seed: 3, generate: randomChainReorg, encode: encodeChainReorg, decode: decodeChainReorg }));
  it('fluxnodelistdelta (sections come back sorted)', () =>
    roundTrip({
      seed: 4,
      generate: (rng) => randomNodeListDelta(rng),
      encode: encodeNodeListDelta,
      decode: decodeNodeListDelta,
      normalize: sortedDelta,
    }));
  it('fluxnodestatus', () =>
    roundTrip({ seed: 5, generate: randomNodeStatus, encode: encodeNodeStatus, decode: decodeNodeStatus }));

  it('every topic through the 3-frame envelope', () => {
    const rng = createRng(6);
    for (let i = 0; i < ROUNDS; i++) {
      const seq = rng.u32();
      const message = rng.pick<() => ZmqMessage>([
        () => ({ topic: 'hashblock', seq, body: randomHashBlock(rng) }),
        () => ({ topic: 'hashblockheight', seq, body: randomHashBlockHeight(rng) }),
        () => ({ topic: 'chainreorg', seq, body: randomChainReorg(rng) }),
        () => ({ topic: 'fluxnodelistdelta', seq, body: sortedDelta(randomNodeListDelta(rng)) }),
        () => ({ topic: 'fluxnodestatus', seq, body: randomNodeStatus(rng) }),
        () => ({
          topic: rng.pick(['hashtx', 'rawblock', 'rawtx', 'checkedblock'] as const),
          seq,
          body: rng.bytes(rng.int(0, 80)),
        }),
      ])();
      expect(decodeZmqMessage(encodeZmqMessage(message)), `round ${i}`).toEqual(message);
    }
  });
});
