import { Buffer } from 'node:buffer';

/**
 * Small deterministic PRNG (mulberry32) for seeded tests and schedules: the same seed always
 * yields the same sequence on every platform. Not for anything secret.
 */
export interface Rng {
  /** The seed this generator was created with, for printing and replay. */
  readonly seed: number;
  /** Uniform u32. */
  u32(): number;
  /** Uniform float in [0, 1) with 53 bits of precision. */
  next(): number;
  /** Uniform integer in [min, max], both inclusive, without modulo bias. */
  int(min: number, max: number): number;
  /** True with the given probability (0..1). */
  chance(probability: number): boolean;
  bytes(length: number): Buffer;
  pick<T>(items: readonly T[]): T;
  /** A shuffled copy (Fisher–Yates); the input is left untouched. */
  shuffle<T>(items: readonly T[]): T[];
}

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_53 = 2 ** 53;

export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`createRng: seed must be a safe integer, got ${String(seed)}`);
  // Fold the high bits in so seeds that differ only above bit 31 still give different streams.
  let state = ((seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_POW_32) >>> 0, 0x9e3779b1)) >>> 0;

  function u32(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  function u53(): number {
    return (u32() >>> 11) * TWO_POW_32 + u32();
  }

  function int(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) {
      throw new RangeError(`rng.int: need safe integers min <= max, got ${String(min)}..${String(max)}`);
    }
    const span = max - min + 1;
    if (!Number.isSafeInteger(span)) throw new RangeError(`rng.int: range ${min}..${max} is wider than 2^53`);
    const [draw, range] = span <= TWO_POW_32 ? [u32, TWO_POW_32] : [u53, TWO_POW_53];
    // Reject the top partial bucket so every value in the span is equally likely.
    const limit = range - (range % span);
    let value = draw();
    while (value >= limit) value = draw();
    return min + (value % span);
  }

  function bytes(length: number): Buffer {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(`rng.bytes: length must be a non-negative integer, got ${String(length)}`);
    }
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i += 4) {
      const word = u32();
      for (let k = 0; k < 4 && i + k < length; k++) out[i + k] = (word >>> (8 * k)) & 0xff;
    }
    return out;
  }

  function pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('rng.pick: cannot pick from an empty array');
    return items[int(0, items.length - 1)]!;
  }

  function shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  function chance(probability: number): boolean {
    if (!(probability >= 0 && probability <= 1)) {
      throw new RangeError(`rng.chance: probability must be within 0..1, got ${String(probability)}`);
    }
    return next() < probability;
  }

  function next(): number {
    return u53() / TWO_POW_53;
  }

  return { seed, u32, next, int, chance, bytes, pick, shuffle };
}
