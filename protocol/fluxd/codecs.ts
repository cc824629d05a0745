import { Buffer } from 'node:buffer';
import { FrameDecodeError, FrameEncodeError } from './errors.js';
import { describeValue, isHashHex } from './hex.js';
import { compareOutpoints } from './outpoint.js';
import { ByteReader } from './reader.js';
import {
  type ChainReorgBody,
  DELTA_FLAG_REORG,
  type HashBlockBody,
  type HashBlockHeightBody,
  type NodeEntry,
  type NodeListDeltaBody,
  type NodeStatusBody,
  type OutPoint,
  outpointKey,
  type RawZmqTopic,
  ZMQ_TOPICS,
  type ZmqMessage,
  type ZmqTopic,
} from './types.js';
import { ByteWriter } from './writer.js';

/** Smallest NodeEntry: outpoint 36, two empty CPubKeys, 4+4+1+1, empty ip (spec §4.4). */
const MIN_NODE_ENTRY_BYTES = 49;
const OUTPOINT_BYTES = 36;
const ENVELOPE = 'zmq message';

// ---- hashblock (§4.1) ----

export function encodeHashBlock(body: HashBlockBody): Buffer {
  const w = new ByteWriter({ topic: 'hashblock', initialCapacity: 32 });
  w.hash('hash', body.hash);
  return w.finish();
}

export function decodeHashBlock(bytes: Uint8Array): HashBlockBody {
  const r = new ByteReader({ topic: 'hashblock', bytes });
  const hash = r.hash('hash');
  r.expectEnd();
  return { hash };
}

// ---- hashblockheight (§4.2) ----

export function encodeHashBlockHeight(body: HashBlockHeightBody): Buffer {
  const w = new ByteWriter({ topic: 'hashblockheight', initialCapacity: 36 });
  w.hash('hash', body.hash);
  w.u32le('height', body.height);
  return w.finish();
}

export function decodeHashBlockHeight(bytes: Uint8Array): HashBlockHeightBody {
  const r = new ByteReader({ topic: 'hashblockheight', bytes });
  const body = { hash: r.hash('hash'), height: r.u32le('height') };
  r.expectEnd();
  return body;
}

// ---- chainreorg (§4.3) ----

export function encodeChainReorg(body: ChainReorgBody): Buffer {
  const w = new ByteWriter({ topic: 'chainreorg', initialCapacity: 108 });
  w.hash('oldHash', body.oldHash);
  w.u32le('oldHeight', body.oldHeight);
  w.hash('newHash', body.newHash);
  w.u32le('newHeight', body.newHeight);
  w.hash('forkHash', body.forkHash);
  w.u32le('forkHeight', body.forkHeight);
  return w.finish();
}

export function decodeChainReorg(bytes: Uint8Array): ChainReorgBody {
  const r = new ByteReader({ topic: 'chainreorg', bytes });
  const body = {
    oldHash: r.hash('oldHash'),
    oldHeight: r.u32le('oldHeight'),
    newHash: r.hash('newHash'),
    newHeight: r.u32le('newHeight'),
    forkHash: r.hash('forkHash'),
    forkHeight: r.u32le('forkHeight'),
  };
  r.expectEnd();
  return body;
}

// ---- fluxnodelistdelta (§4.4) ----

/** Sections are written in fluxd's std::map order (internal txid bytes, then n), whatever the input order. */
export function encodeNodeListDelta(body: NodeListDeltaBody): Buffer {
  const w = new ByteWriter({ topic: 'fluxnodelistdelta', initialCapacity: 256 });
  w.u32le('fromHeight', body.fromHeight);
  w.u32le('toHeight', body.toHeight);
  w.hash('fromHash', body.fromHash);
  w.hash('toHash', body.toHash);
  if (body.flags !== 0 && body.flags !== DELTA_FLAG_REORG) w.fail('flags', '0 or 1 (bit0 = is_reorg only)', body.flags);
  w.u8('flags', body.flags);
  writeSection({ w, name: 'added', items: body.added, outpointOf: entryOutpoint, writeItem: writeNodeEntry });
  writeSection({ w, name: 'removed', items: body.removed, outpointOf: (op) => op, writeItem: writeOutpoint });
  writeSection({ w, name: 'updated', items: body.updated, outpointOf: entryOutpoint, writeItem: writeNodeEntry });
  return w.finish();
}

export function decodeNodeListDelta(bytes: Uint8Array): NodeListDeltaBody {
  const r = new ByteReader({ topic: 'fluxnodelistdelta', bytes });
  const fromHeight = r.u32le('fromHeight');
  const toHeight = r.u32le('toHeight');
  const fromHash = r.hash('fromHash');
  const toHash = r.hash('toHash');
  const flags = readFlags(r);
  const added = readSection({
    r,
    name: 'added',
    minItemBytes: MIN_NODE_ENTRY_BYTES,
    readItem: readNodeEntry,
    outpointOf: entryOutpoint,
  });
  const removed = readSection({
    r,
    name: 'removed',
    minItemBytes: OUTPOINT_BYTES,
    readItem: readOutpoint,
    outpointOf: (op) => op,
  });
  const updated = readSection({
    r,
    name: 'updated',
    minItemBytes: MIN_NODE_ENTRY_BYTES,
    readItem: readNodeEntry,
    outpointOf: entryOutpoint,
  });
  r.expectEnd();
  return { fromHeight, toHeight, fromHash, toHash, flags, added, removed, updated };
}

function readFlags(r: ByteReader): number {
  const offset = r.offset;
  const flags = r.u8('flags');
  if ((flags & ~DELTA_FLAG_REORG) !== 0) {
    r.fail({
      field: 'flags',
      offset,
      expected: 'only bit0 (is_reorg) set',
      got: `0x${flags.toString(16).padStart(2, '0')}`,
    });
  }
  return flags;
}

function entryOutpoint(entry: NodeEntry): OutPoint {
  return entry.outpoint;
}

interface WriteSectionOptions<T> {
  w: ByteWriter;
  name: string;
  items: readonly T[];
  outpointOf: (item: T) => OutPoint;
  writeItem: (w: ByteWriter, item: T, field: string) => void;
}

/** Errors name items by their index in the caller's (unsorted) array. */
function writeSection<T>({ w, name, items, outpointOf, writeItem }: WriteSectionOptions<T>): void {
  if (!Array.isArray(items)) w.fail(name, 'array', items);
  items.forEach((item, index) => {
    if (typeof item !== 'object' || item === null) w.fail(`${name}[${index}]`, 'object', item);
    assertEncodableOutpoint(w, outpointOf(item), `${name}[${index}].outpoint`);
  });
  const sorted = items
    .map((item, index) => ({ item, index }))
    .sort((x, y) => compareOutpoints(outpointOf(x.item), outpointOf(y.item)));
  sorted.forEach((current, i) => {
    const previous = sorted[i - 1];
    if (previous !== undefined && compareOutpoints(outpointOf(previous.item), outpointOf(current.item)) === 0) {
      const key = outpointKey(outpointOf(current.item));
      throw new FrameEncodeError({
        topic: w.topic,
        field: `${name}[${current.index}].outpoint`,
        expected: `unique outpoints within ${name}`,
        got: `${key}, also at ${name}[${previous.index}]`,
      });
    }
  });
  w.compactSize(`${name}.count`, sorted.length);
  for (const { item, index } of sorted) writeItem(w, item, `${name}[${index}]`);
}

function assertEncodableOutpoint(w: ByteWriter, op: OutPoint, field: string): void {
  if (typeof op !== 'object' || op === null) w.fail(field, 'OutPoint {txid, n}', op);
  if (!isHashHex(op.txid)) w.fail(`${field}.txid`, '64 lowercase hex chars (display order)', op.txid);
  if (!Number.isInteger(op.n) || op.n < 0 || op.n > 0xffff_ffff) w.fail(`${field}.n`, 'integer 0..4294967295', op.n);
}

interface ReadSectionOptions<T> {
  r: ByteReader;
  name: string;
  minItemBytes: number;
  readItem: (r: ByteReader, field: string) => T;
  outpointOf: (item: T) => OutPoint;
}

/** Rejects counts that cannot fit before allocating, and any item not strictly after its predecessor. */
function readSection<T>({ r, name, minItemBytes, readItem, outpointOf }: ReadSectionOptions<T>): T[] {
  const countOffset = r.offset;
  const count = r.compactSize(`${name}.count`);
  if (count * minItemBytes > r.remaining) {
    r.fail({
      field: `${name}.count`,
      offset: countOffset,
      expected: `${count} entries of at least ${minItemBytes} bytes`,
      got: `${r.remaining} bytes left`,
    });
  }
  const items: T[] = [];
  for (let i = 0; i < count; i++) {
    const offset = r.offset;
    const item = readItem(r, `${name}[${i}]`);
    const previous = items[i - 1];
    if (previous !== undefined && compareOutpoints(outpointOf(previous), outpointOf(item)) >= 0) {
      r.fail({
        field: `${name}[${i}].outpoint`,
        offset,
        expected: `an outpoint after ${outpointKey(outpointOf(previous))} (sorted by internal txid bytes then n, no duplicates)`,
        got: outpointKey(outpointOf(item)),
      });
    }
    items.push(item);
  }
  return items;
}

function writeOutpoint(w: ByteWriter, op: OutPoint, field: string): void {
  w.hash(`${field}.txid`, op.txid);
  w.u32le(`${field}.n`, op.n);
}

function readOutpoint(r: ByteReader, field: string): OutPoint {
  return { txid: r.hash(`${field}.txid`), n: r.u32le(`${field}.n`) };
}

function writeNodeEntry(w: ByteWriter, entry: NodeEntry, field: string): void {
  writeOutpoint(w, entry.outpoint, `${field}.outpoint`);
  w.pubkey(`${field}.collateralPubkey`, entry.collateralPubkey);
  w.pubkey(`${field}.pubkey`, entry.pubkey);
  w.u32le(`${field}.confirmedHeight`, entry.confirmedHeight);
  w.u32le(`${field}.lastPaidHeight`, entry.lastPaidHeight);
  w.u8(`${field}.tier`, entry.tier);
  w.u8(`${field}.status`, entry.status);
  w.string(`${field}.ip`, entry.ip);
}

function readNodeEntry(r: ByteReader, field: string): NodeEntry {
  return {
    outpoint: readOutpoint(r, `${field}.outpoint`),
    collateralPubkey: r.pubkey(`${field}.collateralPubkey`),
    pubkey: r.pubkey(`${field}.pubkey`),
    confirmedHeight: r.u32le(`${field}.confirmedHeight`),
    lastPaidHeight: r.u32le(`${field}.lastPaidHeight`),
    tier: r.u8(`${field}.tier`),
    status: r.u8(`${field}.status`),
    ip: r.string(`${field}.ip`),
  };
}

// ---- fluxnodestatus (§4.5) ----

export function encodeNodeStatus(body: NodeStatusBody): Buffer {
  const w = new ByteWriter({ topic: 'fluxnodestatus', initialCapacity: 80 });
  w.u32le('height', body.height);
  w.u8('status', body.status);
  w.u8('tier', body.tier);
  w.u32le('confirmedHeight', body.confirmedHeight);
  w.u32le('lastConfirmedHeight', body.lastConfirmedHeight);
  w.u32le('lastPaidHeight', body.lastPaidHeight);
  assertEncodableOutpoint(w, body.outpoint, 'outpoint');
  writeOutpoint(w, body.outpoint, 'outpoint');
  w.string('ip', body.ip);
  return w.finish();
}

export function decodeNodeStatus(bytes: Uint8Array): NodeStatusBody {
  const r = new ByteReader({ topic: 'fluxnodestatus', bytes });
  const body = {
    height: r.u32le('height'),
    status: r.u8('status'),
    tier: r.u8('tier'),
    confirmedHeight: r.u32le('confirmedHeight'),
    lastConfirmedHeight: r.u32le('lastConfirmedHeight'),
    lastPaidHeight: r.u32le('lastPaidHeight'),
    outpoint: readOutpoint(r, 'outpoint'),
    ip: r.string('ip'),
  };
  r.expectEnd();
  return body;
}

// ---- 3-frame envelope (§2) ----

export function encodeZmqMessage(message: ZmqMessage): [Buffer, Buffer, Buffer] {
  const body = encodeBody(message);
  const seq = new ByteWriter({ topic: message.topic, initialCapacity: 4 });
  seq.u32le('seq', message.seq);
  return [Buffer.from(message.topic, 'latin1'), body, seq.finish()];
}

function encodeBody(message: ZmqMessage): Buffer {
  switch (message.topic) {
    case 'hashblock':
      return encodeHashBlock(message.body);
    case 'hashblockheight':
      return encodeHashBlockHeight(message.body);
    case 'chainreorg':
      return encodeChainReorg(message.body);
    case 'fluxnodelistdelta':
      return encodeNodeListDelta(message.body);
    case 'fluxnodestatus':
      return encodeNodeStatus(message.body);
    case 'hashtx':
    case 'rawblock':
    case 'rawtx':
    case 'checkedblock':
      return encodeRawBody(message.topic, message.body);
    default:
      throw new FrameEncodeError({
        topic: ENVELOPE,
        field: 'topic',
        expected: `one of ${ZMQ_TOPICS.join(', ')}`,
        got: describeValue((message as { topic: unknown }).topic),
      });
  }
}

function encodeRawBody(topic: RawZmqTopic, body: Uint8Array): Buffer {
  if (!(body instanceof Uint8Array)) {
    throw new FrameEncodeError({ topic, field: 'body', expected: 'Uint8Array of raw bytes', got: describeValue(body) });
  }
  return Buffer.from(body);
}

/** Validates frame count, topic and seq frame, then decodes the body for its topic. */
export function decodeZmqMessage(frames: readonly Uint8Array[]): ZmqMessage {
  if (frames.length !== 3) {
    throw new FrameDecodeError({
      topic: ENVELOPE,
      field: 'frames',
      offset: 0,
      expected: '3 frames [topic][body][seq]',
      got: `${frames.length} frames`,
    });
  }
  const [topicFrame, body, seqFrame] = frames as [Uint8Array, Uint8Array, Uint8Array];
  const topic = readTopic(topicFrame);
  const seq = readSeq(topic, seqFrame);
  switch (topic) {
    case 'hashblock':
      return { topic, seq, body: decodeHashBlock(body) };
    case 'hashblockheight':
      return { topic, seq, body: decodeHashBlockHeight(body) };
    case 'chainreorg':
      return { topic, seq, body: decodeChainReorg(body) };
    case 'fluxnodelistdelta':
      return { topic, seq, body: decodeNodeListDelta(body) };
    case 'fluxnodestatus':
      return { topic, seq, body: decodeNodeStatus(body) };
    default:
      return { topic, seq, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  }
}

function readTopic(frame: Uint8Array): ZmqTopic {
  const text = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('latin1');
  const topic = ZMQ_TOPICS.find((known) => known === text);
  if (topic === undefined) {
    throw new FrameDecodeError({
      topic: ENVELOPE,
      field: 'topic frame',
      offset: 0,
      expected: `one of ${ZMQ_TOPICS.join(', ')}`,
      got: describeValue(text),
    });
  }
  return topic;
}

function readSeq(topic: ZmqTopic, frame: Uint8Array): number {
  if (frame.byteLength !== 4) {
    throw new FrameDecodeError({
      topic,
      field: 'seq frame',
      offset: 0,
      expected: '4-byte u32le sequence number',
      got: `${frame.byteLength} bytes`,
    });
  }
  return Buffer.from(frame.buffer, frame.byteOffset, 4).readUInt32LE(0);
}
