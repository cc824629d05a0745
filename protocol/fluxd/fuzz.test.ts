import { Buffer } from 'node:buffer';
import { describe, expect, it, vi } from 'vitest';
import { createRng, type Rng } from '../random.js';
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
import { FrameDecodeError } from './errors.js';
import {
  randomChainReorg,
  randomHashBlock,
  randomHashBlockHeight,
  randomNodeListDelta,
  randomNodeStatus,
} from './random-bodies.js';
import { ByteReader } from './reader.js';
import { vectors } from './test-vectors.js';
import { ZMQ_TOPICS } from './types.js';

const SEED = 0x5eed_f1d;
const FRAMES = 100_000;
const RANDOM_BODIES_PER_TOPIC = 60;

/** A body codec reduced to bytes in, bytes out, so every decoder can be fuzzed the same way. */
interface Codec {
  topic: string;
  decode: (bytes: Uint8Array) => unknown;
  reencode: (value: unknown) => Buffer;
  random: (rng: Rng) => Buffer;
}

function codec<T>(options: {
  topic: string;
  decode: (bytes: Uint8Array) => T;
  encode: (body: T) => Buffer;
  random: (rng: Rng) => T;
}): Codec {
  return {
    topic: options.topic,
    decode: options.decode,
    reencode: (value) => options.encode(value as T),
    random: (rng) => options.encode(options.random(rng)),
  };
}

const CODECS: Codec[] = [
  codec({ topic: 'hashblock', decode: decodeHashBlock, encode: encodeHashBlock, random: randomHashBlock }),
  codec({
    topic: 'hashblockheight',
    decode: decodeHashBlockHeight,
    encode: encodeHashBlockHeight,
    random: randomHashBlockHeight,
  }),
  codec({ topic: 'chainreorg', decode: decodeChainReorg, encode: encodeChainReorg, random: randomChainReorg }),
  codec({
    topic: 'fluxnodelistdelta',
    decode: decodeNodeListDelta,
    encode: encodeNodeListDelta,
    random: (rng) => randomNodeListDelta(rng),
  }),
  codec({ topic: 'fluxnodestatus', decode: decodeNodeStatus, encode: encodeNodeStatus, random: randomNodeStatus }),
];

/** A valid body plus the offsets of its CompactSize prefixes, the targets of length corruption. */
interface Seed {
  topic: string;
  body: Buffer;
  prefixOffsets: number[];
}

function prefixOffsets(decode: (bytes: Uint8Array) => unknown, body: Buffer): number[] {
  const offsets: number[] = [];
  const original = ByteReader.prototype.compactSize;
  const spy = vi.spyOn(ByteReader.prototype, 'compactSize').mockImplementation(function (this: ByteReader, field) {
    offsets.push(this.offset);
    return original.call(this, field);
  });
  try {
    decode(body);
  } finally {
    spy.mockRestore();
  }
  return offsets;
}

function buildCorpus(rng: Rng): Seed[] {
  const bodies = [
    ...vectors.map((v) => ({ topic: v.topic, body: Buffer.from(v.body_hex, 'hex') })),
    ...CODECS.flatMap((c) =>
      Array.from({ length: RANDOM_BODIES_PER_TOPIC }, () => ({ topic: c.topic, body: c.random(rng) })),
    ),
  ];
  return bodies.map(({ topic, body }) => {
    const owner = CODECS.find((c) => c.topic === topic)!;
    return { topic, body, prefixOffsets: prefixOffsets(owner.decode, body) };
  });
}

const PREFIX_BYTES = [0x00, 0x01, 0x02, 0x0c, 0x11, 0x20, 0x21, 0x22, 0x40, 0x41, 0x42, 0xfc, 0xfd, 0xfe, 0xff];

type Mutation = (rng: Rng, bytes: Buffer, seed: Seed) => Buffer;

const MUTATIONS: Mutation[] = [
  function flipBits(rng, bytes) {
    const out = Buffer.from(bytes);
    for (let i = rng.int(1, 4); i > 0 && out.length > 0; i--) out[rng.int(0, out.length - 1)]! ^= 1 << rng.int(0, 7);
    return out;
  },
  function truncate(rng, bytes) {
    return bytes.subarray(0, rng.int(0, Math.max(0, bytes.length - 1)));
  },
  function extend(rng, bytes) {
    const tail = rng.chance(0.5) ? rng.bytes(rng.int(1, 8)) : bytes.subarray(rng.int(0, bytes.length));
    return Buffer.concat([bytes, tail]);
  },
  function corruptPrefix(rng, bytes, seed) {
    const at = seed.prefixOffsets.length > 0 ? rng.pick(seed.prefixOffsets) : rng.int(0, bytes.length);
    if (at >= bytes.length) return bytes;
    const out = Buffer.from(bytes);
    const choice = rng.int(0, 3);
    if (choice === 0) out[at] = rng.pick(PREFIX_BYTES);
    else if (choice === 1) out[at] = (out[at]! + rng.pick([-1, 1, 253])) & 0xff;
    else if (choice === 2) out[at] = rng.int(0, 255);
    // Re-spell the same length in a wider, non-minimal form.
    else return Buffer.concat([out.subarray(0, at), Buffer.from([0xfd, out[at]!, 0x00]), out.subarray(at + 1)]);
    return out;
  },
  function insertCompactSize(rng, bytes) {
    const at = rng.int(0, bytes.length);
    const width = rng.pick([1, 3, 5, 9]);
    const inserted =
      width === 1 ? rng.bytes(1) : Buffer.concat([Buffer.of(0xfc + Math.log2(width - 1)), rng.bytes(width - 1)]);
    return Buffer.concat([bytes.subarray(0, at), inserted, bytes.subarray(at)]);
  },
  function deleteRange(rng, bytes) {
    const start = rng.int(0, bytes.length);
    const end = Math.min(bytes.length, start + rng.int(1, 40));
    return Buffer.concat([bytes.subarray(0, start), bytes.subarray(end)]);
  },
  function overwriteRange(rng, bytes) {
    const out = Buffer.from(bytes);
    const start = rng.int(0, out.length);
    rng.bytes(rng.int(1, 8)).copy(out, start);
    return out;
  },
  function randomFrame(rng) {
    return rng.bytes(rng.pick([0, 31, 32, 33, 35, 36, 37, 54, 55, 75, 76, 77, 107, 108, 109, rng.int(0, 600)]));
  },
];

interface Tally {
  accepted: Record<string, number>;
  rejected: Record<string, number>;
  failures: string[];
}

function check(tally: Tally, name: string, run: () => { bytes: Buffer[]; reencoded: () => Buffer[] }): void {
  try {
    const { bytes, reencoded } = run();
    const again = reencoded();
    if (again.length !== bytes.length || again.some((frame, i) => !frame.equals(bytes[i]!))) {
      tally.failures.push(`${name}: decoded [${bytes.map(shortHex)}] but re-encoded [${again.map(shortHex)}]`);
    }
    tally.accepted[name] = (tally.accepted[name] ?? 0) + 1;
  } catch (error) {
    if (error instanceof FrameDecodeError) tally.rejected[name] = (tally.rejected[name] ?? 0) + 1;
    else tally.failures.push(`${name}: ${String(error)}`);
  }
}

function shortHex(frame: Buffer): string {
  return frame.length > 120 ? `${frame.toString('hex', 0, 120)}…(${frame.length} B)` : frame.toString('hex');
}

function mutate(rng: Rng, seed: Seed): Buffer {
  let bytes = seed.body;
  for (let i = rng.int(1, 3); i > 0; i--) bytes = rng.pick(MUTATIONS)(rng, bytes, seed);
  return bytes;
}

function topicFrame(rng: Rng, topic: string): Buffer {
  if (rng.chance(0.9)) return Buffer.from(topic);
  return rng.pick([
    () => Buffer.from(rng.pick(ZMQ_TOPICS)),
    () => Buffer.from(topic).subarray(0, rng.int(0, topic.length)),
    () => Buffer.concat([Buffer.from(topic), rng.bytes(1)]),
    () => rng.bytes(rng.int(0, 20)),
  ])();
}

function seqFrame(rng: Rng): Buffer {
  return rng.chance(0.9) ? rng.bytes(4) : rng.bytes(rng.pick([0, 1, 3, 5, 8]));
}

function fuzz({ rng, corpus, tally }: { rng: Rng; corpus: Seed[]; tally: Tally }): void {
  for (let i = 0; i < FRAMES && tally.failures.length < 5; i++) {
    const seed = rng.pick(corpus);
    const body = mutate(rng, seed);
    for (const c of CODECS) {
      check(tally, c.topic, () => {
        const value = c.decode(body);
        return { bytes: [body], reencoded: () => [c.reencode(value)] };
      });
    }
    const frames = [topicFrame(rng, seed.topic), body, seqFrame(rng)];
    check(tally, 'zmq message', () => {
      const message = decodeZmqMessage(frames);
      return { bytes: frames, reencoded: () => encodeZmqMessage(message) };
    });
  }
}

describe('fuzzing every decoder', () => {
  it(`${FRAMES} mutated and random frames either decode to a value that re-encodes identically or throw FrameDecodeError`, () => {
    const rng = createRng(SEED);
    const corpus = buildCorpus(rng);
    const tally: Tally = { accepted: {}, rejected: {}, failures: [] };
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    // Capturing stacks dominates the cost of ~500k expected rejections; only the error type matters here.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      fuzz({ rng, corpus, tally });
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }

    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStarted);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const calls = [...Object.values(tally.accepted), ...Object.values(tally.rejected)].reduce((a, b) => a + b, 0);
    console.log(
      `fuzz seed ${SEED}: ${FRAMES} frames, ${calls} decoder calls in ${seconds.toFixed(2)} s (${cpuSeconds.toFixed(2)} s CPU); accepted ${JSON.stringify(tally.accepted)}`,
    );
    expect(tally.failures, `seed ${SEED}`).toEqual([]);
    expect(calls).toBe(FRAMES * (CODECS.length + 1));
    // Both paths must be exercised for every decoder, or the property above proves little.
    for (const name of [...CODECS.map((c) => c.topic), 'zmq message']) {
      expect(tally.accepted[name] ?? 0, `${name} accepted`).toBeGreaterThan(100);
      expect(tally.rejected[name] ?? 0, `${name} rejected`).toBeGreaterThan(1000);
    }
  });
});
