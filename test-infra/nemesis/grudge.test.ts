import { describe, expect, it } from 'vitest';
import {
  bridge,
  bridgeNodeOf,
  checkGrudge,
  complete,
  DAEMON,
  type Grudge,
  GrudgeError,
  grudgeToJson,
  halves,
  isDropped,
  isEmptyGrudge,
  isolate,
  majoritiesRing,
  majorityMinority,
  oneWay,
  randomHalves,
  sides,
  symmetric,
  union,
  withDaemon,
} from './grudge.js';

const SIZES = Array.from({ length: 14 }, (_, i) => i + 3);

function nodesOf(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** The nodes whose packets `node` receives, itself included. */
function heardBy(grudge: Grudge, node: number, nodes: readonly number[]): number[] {
  return nodes.filter((other) => !isDropped({ grudge, from: other, to: node }));
}

function isSymmetric(grudge: Grudge, nodes: readonly number[]): boolean {
  return nodes.every((a) =>
    nodes.every((b) => isDropped({ grudge, from: a, to: b }) === isDropped({ grudge, from: b, to: a })),
  );
}

function noSelfDrops(grudge: Grudge): boolean {
  return [...grudge].every(([node, dropped]) => !dropped.has(node));
}

/** Checks a two-sided cut: inside a side everyone hears everyone, across sides nobody hears anybody. */
function expectCut(grudge: Grudge, a: readonly number[], b: readonly number[]): void {
  for (const x of [...a, ...b]) {
    const own = a.includes(x) ? a : b;
    const other = a.includes(x) ? b : a;
    expect(heardBy(grudge, x, [...a, ...b]).sort((p, q) => p - q)).toEqual([...own].sort((p, q) => p - q));
    for (const y of other) expect(isDropped({ grudge, from: y, to: x })).toBe(true);
  }
}

describe('complete', () => {
  it('drops exactly the pairs that share no component', () => {
    const grudge = complete({ components: [[1, 2, 3], [3, 4], [5]] });
    const nodes = nodesOf(5);
    const together = (x: number, y: number) => [[1, 2, 3], [3, 4], [5]].some((c) => c.includes(x) && c.includes(y));
    for (const x of nodes) {
      for (const y of nodes) expect(isDropped({ grudge, from: y, to: x })).toBe(!together(x, y));
    }
    expect(isSymmetric(grudge, nodes)).toBe(true);
  });
});

describe.each(SIZES)('shapes over %i nodes', (n) => {
  const nodes = nodesOf(n);

  it('isolate: the node hears only itself and nobody hears it', () => {
    for (const node of nodes) {
      const grudge = isolate({ nodes, node });
      expect(heardBy(grudge, node, nodes)).toEqual([node]);
      for (const other of nodes.filter((x) => x !== node)) {
        expect(heardBy(grudge, other, nodes)).toEqual(nodes.filter((x) => x !== node));
      }
      expect(isSymmetric(grudge, nodes) && noSelfDrops(grudge)).toBe(true);
      expect(sides({ grudge, nodes })).toEqual([nodes.filter((x) => x !== node), [node]].sort((a, b) => a[0]! - b[0]!));
    }
  });

  it('halves: ceil/floor sides in list order, fully cut from each other', () => {
    const grudge = halves({ nodes });
    const a = nodes.slice(0, Math.ceil(n / 2));
    const b = nodes.slice(Math.ceil(n / 2));
    expectCut(grudge, a, b);
    expect(sides({ grudge, nodes })).toEqual([a, b]);
  });

  it('randomHalves: a seeded cut into ceil/floor sides, the same for the same seed', () => {
    const cuts = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const grudge = randomHalves({ nodes, seed });
      const found = sides({ grudge, nodes });
      expect(found.map((side) => side.length).sort((x, y) => x - y)).toEqual([Math.floor(n / 2), Math.ceil(n / 2)]);
      expectCut(grudge, found[0]!, found[1]!);
      expect(grudgeToJson(randomHalves({ nodes, seed }))).toEqual(grudgeToJson(grudge));
      cuts.add(JSON.stringify(found));
    }
    expect(cuts.size).toBeGreaterThan(1);
  });

  it('majorityMinority: the largest minority against a strict majority', () => {
    for (const seed of [undefined, 7]) {
      const grudge = majorityMinority({ nodes, ...(seed === undefined ? {} : { seed }) });
      const found = sides({ grudge, nodes }).sort((x, y) => x.length - y.length);
      expect(found).toHaveLength(2);
      expect(found[0]!.length).toBe(Math.floor((n - 1) / 2));
      expect(found[1]!.length * 2).toBeGreaterThan(n);
      expectCut(grudge, found[0]!, found[1]!);
    }
  });

  it('majoritiesRing: each node hears a majority, no two the same one', () => {
    const majority = Math.floor(n / 2) + 1;
    for (const seed of [undefined, 3]) {
      const grudge = majoritiesRing({ nodes, ...(seed === undefined ? {} : { seed }) });
      const heard = nodes.map((node) => heardBy(grudge, node, nodes));
      for (const [i, set] of heard.entries()) {
        expect(set).toHaveLength(majority);
        expect(set).toContain(nodes[i]);
      }
      expect(new Set(heard.map((set) => set.join(','))).size).toBe(n);
      expect(noSelfDrops(grudge)).toBe(true);
      if (majority % 2 === 1) expect(isSymmetric(grudge, nodes)).toBe(true);
    }
  });

  it('bridge: two sides cut from each other, one bridge node hearing and heard by all', () => {
    const grudge = bridge({ nodes });
    const bridgeNode = bridgeNodeOf({ nodes });
    const a = nodes.slice(0, Math.floor((n - 1) / 2));
    const b = nodes.slice(Math.floor((n - 1) / 2) + 1);
    expect([...a, bridgeNode, ...b]).toEqual(nodes);
    expect(a.length).toBeGreaterThan(0);
    expect(heardBy(grudge, bridgeNode, nodes)).toEqual(nodes);
    for (const x of a) expect(heardBy(grudge, x, nodes)).toEqual([...a, bridgeNode]);
    for (const x of b) expect(heardBy(grudge, x, nodes)).toEqual([bridgeNode, ...b]);
    expect(isSymmetric(grudge, nodes)).toBe(true);
    expect(sides({ grudge, nodes })).toEqual([nodes]);
  });

  it('oneWay: the first node hears the last, the last does not hear the first', () => {
    const grudge = oneWay({ from: 1, to: n });
    expect(isDropped({ grudge, from: 1, to: n })).toBe(true);
    expect(isDropped({ grudge, from: n, to: 1 })).toBe(false);
    expect(grudgeToJson(grudge)).toEqual({ [String(n)]: [1] });
  });
});

describe('one-way with several nodes', () => {
  it('drops every from→to pair and nothing else', () => {
    const grudge = oneWay({ from: [1, 2], to: [3, 4] });
    for (const from of [1, 2, 3, 4]) {
      for (const to of [1, 2, 3, 4]) {
        expect(isDropped({ grudge, from, to })).toBe([1, 2].includes(from) && [3, 4].includes(to));
      }
    }
    expect(sides({ grudge, nodes: [1, 2, 3, 4] })).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});

describe('combinators', () => {
  it('symmetric makes every drop mutual', () => {
    const grudge = symmetric(oneWay({ from: 1, to: 2 }));
    expect(grudgeToJson(grudge)).toEqual({ '1': [2], '2': [1] });
  });

  it('union keeps every drop of every grudge', () => {
    const grudge = union([oneWay({ from: 1, to: 2 }), oneWay({ from: 3, to: 2 }), isolate({ nodes: [1, 4], node: 4 })]);
    expect(grudgeToJson(grudge)).toEqual({ '1': [4], '2': [1, 3], '4': [1] });
  });

  it('withDaemon cuts nodes from the daemon endpoint both ways', () => {
    const grudge = withDaemon({ grudge: halves({ nodes: [1, 2] }), nodes: [2] });
    expect(isDropped({ grudge, from: DAEMON, to: 2 })).toBe(true);
    expect(isDropped({ grudge, from: 2, to: DAEMON })).toBe(true);
    expect(isDropped({ grudge, from: DAEMON, to: 1 })).toBe(false);
  });

  it('isEmptyGrudge ignores empty sets', () => {
    expect(isEmptyGrudge(new Map([[1, new Set<number>()]]))).toBe(true);
    expect(isEmptyGrudge(oneWay({ from: 1, to: 2 }))).toBe(false);
  });
});

describe('bad input', () => {
  it('names the shape and the node', () => {
    expect(() => halves({ nodes: [1, 1] })).toThrow(/halves: nodes: node 1 is listed twice/);
    expect(() => halves({ nodes: [1, 0.5] })).toThrow(GrudgeError);
    expect(() => bridge({ nodes: [1, 2] })).toThrow(/bridge: nodes: needs at least 3/);
    expect(() => majoritiesRing({ nodes: [1, 2] })).toThrow(/needs at least 3/);
    expect(() => isolate({ nodes: [1, 2], node: 3 })).toThrow(/node 3 is not one of 1,2/);
    expect(() => oneWay({ from: [1, 2], to: 2 })).toThrow(/node 2 is in both/);
    expect(() => majorityMinority({ nodes: [1, 2, 3, 4], minority: [1, 2] })).toThrow(/has 1..1 nodes, got 2/);
    expect(() => majorityMinority({ nodes: [1, 2, 3], minority: [9] })).toThrow(/minority node 9 is not in nodes/);
  });

  it('checkGrudge refuses self-drops, unknown nodes and an unasked daemon', () => {
    expect(() => checkGrudge({ grudge: new Map([[1, new Set([1])]]), nodes: [1, 2], allowDaemon: false })).toThrow(
      /node 1 drops itself/,
    );
    expect(() => checkGrudge({ grudge: oneWay({ from: 1, to: 9 }), nodes: [1, 2], allowDaemon: false })).toThrow(
      /node 9 is not a target/,
    );
    const daemonCut = withDaemon({ grudge: new Map(), nodes: [1] });
    expect(() => checkGrudge({ grudge: daemonCut, nodes: [1, 2], allowDaemon: false })).toThrow(
      /the daemon \(endpoint 0\)/,
    );
    expect(() => checkGrudge({ grudge: daemonCut, nodes: [1, 2], allowDaemon: true })).not.toThrow();
  });
});
