/**
 * SSE event ids are `<epoch>-<n>`: the epoch names one node process, so a client carrying an id
 * from an earlier process (or another node) is never mistaken for one that is up to date.
 */

export interface ParsedEventId {
  epoch: string;
  n: number;
}

/** A fresh epoch per process: start time plus randomness, base36, no dashes. */
export function newEpoch(nowMs: number): string {
  const random = Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0');
  return `${nowMs.toString(36)}${random}`;
}

export function formatEventId(epoch: string, n: number): string {
  return `${epoch}-${n}`;
}

export function parseEventId(id: string): ParsedEventId | undefined {
  const match = /^([0-9a-z]+)-(\d+)$/.exec(id.trim());
  if (!match) return undefined;
  return { epoch: match[1]!, n: Number(match[2]) };
}
