import { describe, expect, it } from 'vitest';
import { createRng } from './random.js';

function draws(seed: number, count: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => rng.u32());
}

describe('createRng', () => {
  it('replays the same sequence for the same seed', () => {
    expect(draws(42, 100)).toEqual(draws(42, 100));
    const a = createRng(9);
    const b = createRng(9);
    expect([
      a.next(),
      a.int(-5, 5),
      a.bytes(7).toString('hex'),
      a.pick(['x', 'y', 'z']),
      a.shuffle([1, 2, 3, 4]),
    ]).toEqual([b.next(), b.int(-5, 5), b.bytes(7).toString('hex'), b.pick(['x', 'y', 'z']), b.shuffle([1, 2, 3, 4])]);
  });

  it('is pinned: these values must never change, or recorded seeds stop replaying', () => {
    expect(draws(0, 3)).toEqual([1144304738, 1416247, 958946056]);
    expect(draws(1, 3)).toEqual([2693262067, 11749833, 2265367787]);
  });

  it('gives different streams for different seeds, including seeds that differ above bit 31', () => {
    expect(draws(1, 10)).not.toEqual(draws(2, 10));
    expect(draws(5, 10)).not.toEqual(draws(5 + 2 ** 32, 10));
    expect(draws(-1, 10)).not.toEqual(draws(1, 10));
  });

  it('next() stays in [0, 1) with a mean near 1/2', () => {
    const rng = createRng(3);
    const xs = Array.from({ length: 100_000 }, () => rng.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length - 0.5)).toBeLessThan(0.01);
  });

  it('int() covers both inclusive bounds evenly, also for spans beyond 2^32', () => {
    const rng = createRng(4);
    const counts = new Map<number, number>();
    for (let i = 0; i < 60_000; i++) {
      const v = rng.int(-2, 3);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
    for (const count of counts.values()) expect(Math.abs(count - 10_000)).toBeLessThan(600);
    expect(rng.int(7, 7)).toBe(7);
    const wide = Array.from({ length: 1000 }, () => rng.int(0, 2 ** 40));
    expect(wide.every((v) => Number.isInteger(v) && v >= 0 && v <= 2 ** 40)).toBe(true);
    expect(wide.some((v) => v > 2 ** 32)).toBe(true);
  });

  it('bytes() returns the requested length with every byte value reachable', () => {
    const rng = createRng(5);
    expect(rng.bytes(0).length).toBe(0);
    expect(rng.bytes(5).length).toBe(5);
    expect(new Set(rng.bytes(20_000)).size).toBe(256);
  });

  it('shuffle() returns a permutation and leaves the input alone; pick() draws members', () => {
    const rng = createRng(6);
    const input = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = rng.shuffle(input);
    expect(input).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...shuffled].sort((a, b) => a - b)).toEqual(input);
    expect(shuffled).not.toEqual(input);
    expect(new Set(Array.from({ length: 200 }, () => rng.pick(['a', 'b', 'c'])))).toEqual(new Set(['a', 'b', 'c']));
  });

  it('chance() respects its probability', () => {
    const rng = createRng(8);
    let hits = 0;
    for (let i = 0; i < 20_000; i++) if (rng.chance(0.25)) hits++;
    expect(Math.abs(hits - 5000)).toBeLessThan(300);
    expect(rng.chance(0)).toBe(false);
    expect(rng.chance(1)).toBe(true);
  });

  it('rejects bad arguments with RangeErrors', () => {
    const rng = createRng(1);
    expect(() => createRng(1.5)).toThrow(RangeError);
    expect(() => rng.int(3, 2)).toThrow(/min <= max/);
    expect(() => rng.int(0, Number.MAX_SAFE_INTEGER)).toThrow(/wider than 2\^53/);
    expect(() => rng.pick([])).toThrow(/empty array/);
    expect(() => rng.bytes(-1)).toThrow(RangeError);
    expect(() => rng.chance(1.5)).toThrow(RangeError);
  });
});
