import { createRng } from '../../protocol/random.js';

/**
 * A grudge (Jepsen's word): for each endpoint, the endpoints whose packets it drops. `A drops B`
 * means packets sent by B never reach A; A's own packets to B still leave. Endpoints are machine
 * indexes (1..16) and DAEMON (0), the daemon stub. The daemon never gets rules of its own: what it
 * drops is enforced on the sending node's side (see iptables.ts).
 */
export type Grudge = ReadonlyMap<number, ReadonlySet<number>>;

/** The daemon stub as a grudge endpoint; machine indexes start at 1, so 0 is free. */
export const DAEMON = 0;

export class GrudgeError extends Error {
  override readonly name = 'GrudgeError';
}

/**
 * Jepsen's complete grudge: x drops y unless some component holds both. Components may overlap
 * (a node in two components hears both), which is how a bridge is built.
 */
export function complete(args: { components: readonly (readonly number[])[] }): Grudge {
  const components = args.components.map((component, i) => checkNodes(component, `complete: components[${i}]`));
  const nodes = [...new Set(components.flat())].sort((a, b) => a - b);
  const grudge = new Map<number, Set<number>>();
  for (const node of nodes) {
    const heard = new Set(components.filter((component) => component.includes(node)).flat());
    grudge.set(node, new Set(nodes.filter((other) => !heard.has(other))));
  }
  return grudge;
}

/** One node cut off from every other in both directions. */
export function isolate(args: { nodes: readonly number[]; node: number }): Grudge {
  const nodes = checkNodes(args.nodes, 'isolate: nodes', 2);
  if (!nodes.includes(args.node)) throw new GrudgeError(`isolate: node ${args.node} is not one of ${nodes.join(',')}`);
  return complete({ components: [[args.node], nodes.filter((node) => node !== args.node)] });
}

/** The list cut in two in order: the first ceil(n/2) nodes against the rest. */
export function halves(args: { nodes: readonly number[] }): Grudge {
  const nodes = checkNodes(args.nodes, 'halves: nodes', 2);
  const cut = Math.ceil(nodes.length / 2);
  return complete({ components: [nodes.slice(0, cut), nodes.slice(cut)] });
}

/** halves() of a seeded shuffle: the same seed always cuts the same way. */
export function randomHalves(args: { nodes: readonly number[]; seed: number }): Grudge {
  const nodes = checkNodes(args.nodes, 'randomHalves: nodes', 2);
  return halves({ nodes: createRng(args.seed).shuffle(nodes) });
}

/**
 * A strict majority against a minority. The minority is `minority` when given, else the largest
 * minority (floor((n-1)/2) nodes) taken from the end of the list, or of a seeded shuffle.
 */
export function majorityMinority(args: {
  nodes: readonly number[];
  minority?: readonly number[];
  seed?: number;
}): Grudge {
  const nodes = checkNodes(args.nodes, 'majorityMinority: nodes', 2);
  const ordered = args.seed === undefined ? nodes : createRng(args.seed).shuffle(nodes);
  const minority = args.minority
    ? checkNodes(args.minority, 'majorityMinority: minority')
    : ordered.slice(ordered.length - Math.floor((ordered.length - 1) / 2));
  const stranger = minority.find((node) => !nodes.includes(node));
  if (stranger !== undefined) throw new GrudgeError(`majorityMinority: minority node ${stranger} is not in nodes`);
  if (minority.length === 0 || minority.length * 2 >= nodes.length) {
    throw new GrudgeError(
      `majorityMinority: a minority of ${nodes.length} nodes has 1..${Math.floor((nodes.length - 1) / 2)} nodes, got ${minority.length}`,
    );
  }
  return complete({ components: [nodes.filter((node) => !minority.includes(node)), [...minority]] });
}

/**
 * Jepsen's majorities ring: nodes sit on a ring (list order, or a seeded shuffle) and each hears
 * exactly the majority m = floor(n/2)+1 of nodes on the arc around itself, so every node sees a
 * majority and no two see the same one. With m even the arc cannot be centred, so hearing is not
 * always mutual (a hears b while b drops a). Needs n >= 3.
 */
export function majoritiesRing(args: { nodes: readonly number[]; seed?: number }): Grudge {
  const nodes = checkNodes(args.nodes, 'majoritiesRing: nodes', 3);
  const ring = args.seed === undefined ? nodes : createRng(args.seed).shuffle(nodes);
  const n = ring.length;
  const majority = Math.floor(n / 2) + 1;
  const before = Math.floor((majority - 1) / 2);
  const grudge = new Map<number, Set<number>>();
  ring.forEach((node, position) => {
    const heard = new Set(Array.from({ length: majority }, (_, k) => ring[(position - before + k + n) % n]!));
    grudge.set(node, new Set(ring.filter((other) => !heard.has(other))));
  });
  return grudge;
}

/**
 * Two sides that cannot talk to each other, both talking to one bridge node: the first
 * floor((n-1)/2) nodes, then the bridge, then the rest. Needs n >= 3.
 */
export function bridge(args: { nodes: readonly number[] }): Grudge {
  const nodes = checkNodes(args.nodes, 'bridge: nodes', 3);
  const cut = Math.floor((nodes.length - 1) / 2);
  const bridgeNode = nodes[cut]!;
  return complete({ components: [nodes.slice(0, cut + 1), [bridgeNode, ...nodes.slice(cut + 1)]] });
}

/** The bridge node of bridge({ nodes }). */
export function bridgeNodeOf(args: { nodes: readonly number[] }): number {
  const nodes = checkNodes(args.nodes, 'bridgeNodeOf: nodes', 3);
  return nodes[Math.floor((nodes.length - 1) / 2)]!;
}

/**
 * Packets from `from` to `to` are lost; packets from `to` to `from` still arrive: `to` drops
 * `from`, so `from` hears `to` and `to` does not hear `from`.
 */
export function oneWay(args: { from: number | readonly number[]; to: number | readonly number[] }): Grudge {
  const from = checkNodes(toList(args.from), 'oneWay: from');
  const to = checkNodes(toList(args.to), 'oneWay: to');
  const both = from.find((node) => to.includes(node));
  if (both !== undefined) throw new GrudgeError(`oneWay: node ${both} is in both from and to`);
  return new Map([
    ...from.map((node) => [node, new Set<number>()] as const),
    ...to.map((node) => [node, new Set(from)] as const),
  ]);
}

/** Every drop made mutual: if a drops b, b drops a too. */
export function symmetric(grudge: Grudge): Grudge {
  const out = copy(grudge);
  for (const [node, dropped] of grudge) {
    for (const other of dropped) ensure(out, other).add(node);
  }
  return out;
}

/** All drops of all grudges. */
export function union(grudges: readonly Grudge[]): Grudge {
  const out = new Map<number, Set<number>>();
  for (const grudge of grudges) {
    for (const [node, dropped] of grudge) {
      const set = ensure(out, node);
      for (const other of dropped) set.add(other);
    }
  }
  return out;
}

/** `nodes` additionally cut from the daemon stub in both directions (needs includeDaemon when applied). */
export function withDaemon(args: { grudge: Grudge; nodes: readonly number[] }): Grudge {
  const nodes = checkNodes(args.nodes, 'withDaemon: nodes');
  const out = copy(args.grudge);
  for (const node of nodes) ensure(out, node).add(DAEMON);
  for (const node of nodes) ensure(out, DAEMON).add(node);
  return out;
}

/** Whether packets sent by `from` are dropped before reaching `to`. */
export function isDropped(args: { grudge: Grudge; from: number; to: number }): boolean {
  return args.grudge.get(args.to)?.has(args.from) ?? false;
}

/**
 * The sides of a partition: groups of `nodes` joined by links open in both directions (the
 * connected components). A bridge or a ring yields one side; halves yield two.
 */
export function sides(args: { grudge: Grudge; nodes: readonly number[] }): number[][] {
  const nodes = checkNodes(args.nodes, 'sides: nodes');
  const talks = (a: number, b: number) =>
    !isDropped({ grudge: args.grudge, from: a, to: b }) && !isDropped({ grudge: args.grudge, from: b, to: a });
  const seen = new Set<number>();
  const out: number[][] = [];
  for (const start of nodes) {
    if (seen.has(start)) continue;
    const side: number[] = [];
    const stack = [start];
    seen.add(start);
    while (stack.length > 0) {
      const node = stack.pop()!;
      side.push(node);
      for (const other of nodes) {
        if (!seen.has(other) && talks(node, other)) {
          seen.add(other);
          stack.push(other);
        }
      }
    }
    out.push(side.sort((a, b) => a - b));
  }
  return out;
}

/** Names a grudge that drops something: empty sets do not count. */
export function isEmptyGrudge(grudge: Grudge): boolean {
  return [...grudge.values()].every((dropped) => dropped.size === 0);
}

/**
 * Checks a grudge against the endpoints that exist: no self-drops, no unknown endpoint, and the
 * daemon only when `allowDaemon`.
 */
export function checkGrudge(args: { grudge: Grudge; nodes: readonly number[]; allowDaemon: boolean }): void {
  const known = new Set([...args.nodes, ...(args.allowDaemon ? [DAEMON] : [])]);
  const name = (endpoint: number) => (endpoint === DAEMON ? 'the daemon (endpoint 0)' : `node ${endpoint}`);
  for (const [node, dropped] of args.grudge) {
    if (!known.has(node))
      throw new GrudgeError(`grudge: ${name(node)} is not a target (targets: ${args.nodes.join(',')})`);
    for (const other of dropped) {
      if (other === node) throw new GrudgeError(`grudge: ${name(node)} drops itself`);
      if (!known.has(other)) {
        throw new GrudgeError(`grudge: ${name(node)} drops ${name(other)}, which is not a target`);
      }
    }
  }
}

/** `{ "3": [1, 2] }`: for history records and messages. */
export function grudgeToJson(grudge: Grudge): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const node of [...grudge.keys()].sort((a, b) => a - b)) {
    const dropped = [...grudge.get(node)!].sort((a, b) => a - b);
    if (dropped.length > 0) out[String(node)] = dropped;
  }
  return out;
}

function toList(value: number | readonly number[]): readonly number[] {
  return typeof value === 'number' ? [value] : value;
}

function checkNodes(nodes: readonly number[], what: string, min = 1): number[] {
  if (nodes.length < min) throw new GrudgeError(`${what}: needs at least ${min} node(s), got ${nodes.length}`);
  const seen = new Set<number>();
  for (const node of nodes) {
    if (!Number.isInteger(node) || node < 1) {
      throw new GrudgeError(`${what}: ${String(node)} is not a machine index (an integer >= 1)`);
    }
    if (seen.has(node)) throw new GrudgeError(`${what}: node ${node} is listed twice`);
    seen.add(node);
  }
  return [...nodes];
}

function copy(grudge: Grudge): Map<number, Set<number>> {
  return new Map([...grudge].map(([node, dropped]) => [node, new Set(dropped)]));
}

function ensure(grudge: Map<number, Set<number>>, node: number): Set<number> {
  let dropped = grudge.get(node);
  if (!dropped) {
    dropped = new Set();
    grudge.set(node, dropped);
  }
  return dropped;
}
