/**
 * Readable cross-node diffs: for each key the nodes disagree on, which nodes hold which variant,
 * e.g. `apprunning 198.18.16.12:16127 v2: node 3 has broadcastedAt=1700000012000 apps=[web]; node 7 has none`.
 * Variants are separated by `; ` because node lists themselves contain commas.
 */

const MAX_PATHS = 4;
const MAX_VALUE_CHARS = 28;

/** `node 3` or `nodes 1, 2, 4` (or views). */
export function nodesLabel(nodes: readonly number[], noun = 'node'): string {
  const sorted = [...nodes].sort((a, b) => a - b);
  return sorted.length === 1 ? `${noun} ${sorted[0]}` : `${noun}s ${sorted.join(', ')}`;
}

function has(nodes: readonly number[]): string {
  return nodes.length === 1 ? 'has' : 'have';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** JSON with sorted keys and Dates as epoch ms: equal content gives equal text whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value));
}

function canonical(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(canonical);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (value[key] !== undefined) out[key] = canonical(value[key]);
    }
    return out;
  }
  return value;
}

function shortJson(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = canonicalJson(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/** Up to `limit` leaf paths where two values differ, as `path: A vs B`. */
export function differingPaths(a: unknown, b: unknown, limit = MAX_PATHS): string[] {
  const out: string[] = [];
  collectPaths({ a, b, path: '', out, limit });
  return out;
}

function collectPaths(args: { a: unknown; b: unknown; path: string; out: string[]; limit: number }): void {
  const { a, b, path, out, limit } = args;
  if (out.length >= limit) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys)
      collectPaths({ a: a[key], b: b[key], path: path === '' ? key : `${path}.${key}`, out, limit });
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      collectPaths({ a: a[i], b: b[i], path: `${path}[${i}]`, out, limit });
    }
    return;
  }
  if (canonicalJson(a) !== canonicalJson(b)) out.push(`${path || '(value)'}: ${shortJson(a)} vs ${shortJson(b)}`);
}

export interface NodeItems<T> {
  node: number;
  /** The node's items by key; the key's text is also the sort order of the diff lines. */
  items: ReadonlyMap<string, T>;
}

export interface CrossNodeOptions<T> {
  perNode: readonly NodeItems<T>[];
  /** The content compared across nodes: node-local fields already left out. */
  comparable: (item: T) => unknown;
  /** A short description of one variant, e.g. `broadcastedAt=… apps=[web]`. */
  describe: (item: T) => string;
  keyLabel: (key: string) => string;
}

export interface CrossNodeDiff {
  lines: string[];
  /** Keys held by at least one node. */
  keys: number;
  /** Keys on which the nodes do not all hold the same content. */
  differing: number;
}

interface Variant<T> {
  item: T;
  value: unknown;
  nodes: number[];
}

/** One line per key that not every node holds with the same content. */
export function crossNodeDiff<T>(options: CrossNodeOptions<T>): CrossNodeDiff {
  const keys = [...new Set(options.perNode.flatMap(({ items }) => [...items.keys()]))].sort();
  const lines: string[] = [];
  for (const key of keys) {
    const absent: number[] = [];
    const variants = new Map<string, Variant<T>>();
    for (const { node, items } of options.perNode) {
      const item = items.get(key);
      if (item === undefined) {
        absent.push(node);
        continue;
      }
      const value = options.comparable(item);
      const fingerprint = canonicalJson(value);
      const variant = variants.get(fingerprint) ?? { item, value, nodes: [] };
      variant.nodes.push(node);
      variants.set(fingerprint, variant);
    }
    if (variants.size === 1 && absent.length === 0) continue;
    lines.push(`${options.keyLabel(key)}: ${describeVariants({ variants: [...variants.values()], absent, options })}`);
  }
  return { lines, keys: keys.length, differing: lines.length };
}

/** Largest group first; variants that read the same get the fields that tell them apart. */
function describeVariants<T>(args: { variants: Variant<T>[]; absent: number[]; options: CrossNodeOptions<T> }): string {
  const { absent, options } = args;
  const variants = [...args.variants].sort(
    (a, b) => b.nodes.length - a.nodes.length || Math.min(...a.nodes) - Math.min(...b.nodes),
  );
  const reference = variants[0];
  const descriptions = variants.map((variant) => options.describe(variant.item));
  const parts = variants.map((variant, index) => {
    const description = descriptions[index]!;
    const ambiguous = descriptions.filter((other) => other === description).length > 1;
    const suffix =
      ambiguous && reference && variant !== reference
        ? ` (unlike ${nodesLabel(reference.nodes)}: ${differingPaths(reference.value, variant.value).join(', ')})`
        : '';
    return `${nodesLabel(variant.nodes)} ${has(variant.nodes)} ${description}${suffix}`;
  });
  if (absent.length > 0) parts.push(`${nodesLabel(absent)} ${has(absent)} none`);
  return parts.join('; ');
}
