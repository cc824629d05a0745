import type { HistoryEntry } from '../observe/history.js';

/**
 * What a reader of a live history needs: the entries so far, then each new one. A History is one
 * (in-process); a HistoryTail is one too (a JSONL file another process writes), keeping the
 * entries' own time stamps.
 */
export interface HistorySource {
  entries(): readonly HistoryEntry[];
  subscribe(listener: (entry: HistoryEntry) => void): () => void;
}
