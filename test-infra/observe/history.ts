import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';

/** Every entry is stamped with monotonic milliseconds since the run started, plus wall time. */
interface Stamp {
  t: number;
  wall: number;
}

export type HistoryRecord =
  | { kind: 'event'; node: number; name: string; id: string; payload: unknown }
  | { kind: 'nemesis'; op: string; phase: 'start' | 'end' | 'info'; detail?: unknown }
  | { kind: 'action'; op: string; node?: number; detail?: unknown }
  | { kind: 'daemon'; op: string; detail?: unknown }
  | { kind: 'check'; check: string; ok: boolean; detail?: unknown };

export type HistoryEntry = HistoryRecord & Stamp;

type Listener = (entry: HistoryEntry) => void;

/**
 * The run history: one append-only list of everything observed and done, in order.
 * Histories are data: written as JSONL so a run can be replayed and reported from.
 */
export class History {
  readonly #entries: HistoryEntry[] = [];
  readonly #listeners = new Set<Listener>();
  readonly #origin = performance.now();
  #sink: WriteStream | undefined;

  constructor(options: { jsonlPath?: string } = {}) {
    if (options.jsonlPath) {
      mkdirSync(dirname(options.jsonlPath), { recursive: true });
      this.#sink = createWriteStream(options.jsonlPath, { flags: 'a' });
    }
  }

  now(): number {
    return performance.now() - this.#origin;
  }

  append(record: HistoryRecord): HistoryEntry {
    const entry = { ...record, t: this.now(), wall: Date.now() } as HistoryEntry;
    this.#entries.push(entry);
    this.#sink?.write(`${JSON.stringify(entry)}\n`);
    for (const listener of this.#listeners) listener(entry);
    return entry;
  }

  entries(): readonly HistoryEntry[] {
    return this.#entries;
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The last `count` SSE events of one node, oldest first: the context of a failed wait. */
  lastEvents(node: number, count: number): HistoryEntry[] {
    const found: HistoryEntry[] = [];
    for (let i = this.#entries.length - 1; i >= 0 && found.length < count; i -= 1) {
      const entry = this.#entries[i]!;
      if (entry.kind === 'event' && entry.node === node) found.push(entry);
    }
    return found.reverse();
  }

  async close(): Promise<void> {
    const sink = this.#sink;
    this.#sink = undefined;
    if (sink) await new Promise<void>((resolve) => sink.end(resolve));
  }
}

export function readHistoryJsonl(text: string): HistoryEntry[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      try {
        return JSON.parse(line) as HistoryEntry;
      } catch (error) {
        throw new Error(`history line ${index + 1}: not JSON (${(error as Error).message})`);
      }
    });
}
