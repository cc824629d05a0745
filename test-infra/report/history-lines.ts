/**
 * Reads history JSONL written by another process, leniently: a run killed mid-write leaves a cut
 * last line, and a report must still be written. Each line is checked against the entry shapes
 * (the file is data, not trusted); bad lines are skipped and reported with their line number.
 */
import { z } from 'zod';
import { formatZodError } from '../../protocol/validation.js';
import type { HistoryEntry } from '../observe/history.js';

const stamp = { t: z.number().finite(), wall: z.number().finite() };

const entrySchema = z.discriminatedUnion('kind', [
  z.looseObject({
    kind: z.literal('event'),
    node: z.number().int(),
    name: z.string(),
    id: z.string(),
    payload: z.unknown(),
    ...stamp,
  }),
  z.looseObject({
    kind: z.literal('nemesis'),
    op: z.string(),
    phase: z.enum(['start', 'end', 'info']),
    detail: z.unknown(),
    ...stamp,
  }),
  z.looseObject({ kind: z.literal('action'), op: z.string(), node: z.number().int().optional(), ...stamp }),
  z.looseObject({ kind: z.literal('daemon'), op: z.string(), detail: z.unknown(), ...stamp }),
  z.looseObject({ kind: z.literal('check'), check: z.string(), ok: z.boolean(), detail: z.unknown(), ...stamp }),
]);

export class HistoryLineError extends Error {
  override readonly name = 'HistoryLineError';
}

/** One JSONL line as an entry; throws HistoryLineError saying what is wrong with it. */
export function parseHistoryLine(line: string): HistoryEntry {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw new HistoryLineError(`not JSON (${(error as Error).message})`);
  }
  const result = entrySchema.safeParse(json);
  if (!result.success) throw new HistoryLineError(`not a history entry: ${formatZodError(result.error)}`);
  return result.data as HistoryEntry;
}

export interface SkippedLine {
  line: number;
  reason: string;
}

export function readHistoryLenient(text: string): { entries: HistoryEntry[]; skipped: SkippedLine[] } {
  const entries: HistoryEntry[] = [];
  const skipped: SkippedLine[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      entries.push(parseHistoryLine(line));
    } catch (error) {
      skipped.push({ line: index + 1, reason: (error as Error).message });
    }
  });
  return { entries, skipped };
}
