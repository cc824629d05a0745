import type { History, HistoryEntry } from './history.js';

type EventEntry = Extract<HistoryEntry, { kind: 'event' }>;

export interface WaitForOptions {
  /** Nodes that may see a matching event. */
  nodes: readonly number[];
  /** How many of `nodes` must see it (default: all of them). */
  quorum?: number;
  event: string;
  predicate?: (payload: unknown, entry: EventEntry) => boolean;
  timeoutMs: number;
  /** Only entries at or after this monotonic time count (default: the whole history). */
  since?: number;
  contextEvents?: number;
}

export class WaitTimeoutError extends Error {}

/**
 * Resolves when every listed node has a matching event: looks at the history first, then listens,
 * so an event that arrived before the call is never missed. Never sleeps; a timeout fails with
 * the last events of each node still waiting.
 */
export function waitForEvent(history: History, options: WaitForOptions): Promise<Map<number, EventEntry>> {
  const since = options.since ?? 0;
  const needed = Math.min(options.quorum ?? options.nodes.length, options.nodes.length);
  const found = new Map<number, EventEntry>();
  const matches = (entry: HistoryEntry): entry is EventEntry =>
    entry.kind === 'event' &&
    entry.t >= since &&
    entry.name === options.event &&
    options.nodes.includes(entry.node) &&
    !found.has(entry.node) &&
    (options.predicate?.(entry.payload, entry) ?? true);

  for (const entry of history.entries()) if (matches(entry)) found.set(entry.node, entry);
  if (found.size >= needed) return Promise.resolve(found);

  return new Promise((resolve, reject) => {
    const unsubscribe = history.subscribe((entry) => {
      if (!matches(entry)) return;
      found.set(entry.node, entry);
      if (found.size >= needed) {
        clearTimeout(timer);
        unsubscribe();
        resolve(found);
      }
    });
    const timer = setTimeout(() => {
      unsubscribe();
      const missing = options.nodes.filter((node) => !found.has(node));
      reject(new WaitTimeoutError(describeTimeout({ history, options, missing, seen: found.size, needed })));
    }, options.timeoutMs);
  });
}

function describeTimeout(args: {
  history: History;
  options: WaitForOptions;
  missing: number[];
  seen: number;
  needed: number;
}): string {
  const { history, options, missing, seen, needed } = args;
  const quorum = needed < options.nodes.length ? ` (${seen} of the ${needed} needed saw it)` : '';
  const lines = [
    `timed out after ${options.timeoutMs} ms waiting for '${options.event}' on node(s) ${missing.join(', ')}${quorum}`,
  ];
  for (const node of missing) {
    lines.push(`  node ${node}, last events:`);
    const events = history.lastEvents(node, options.contextEvents ?? 20);
    if (events.length === 0) lines.push('    (none)');
    for (const entry of events) {
      if (entry.kind !== 'event') continue;
      lines.push(`    +${entry.t.toFixed(0)}ms ${entry.name} ${JSON.stringify(entry.payload).slice(0, 200)}`);
    }
  }
  return lines.join('\n');
}
