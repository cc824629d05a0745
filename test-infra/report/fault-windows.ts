import type { HistoryEntry } from '../observe/history.js';

type NemesisEntry = Extract<HistoryEntry, { kind: 'nemesis' }>;

/** A nemesis fault in effect from `start` to `end`: its `start` record to its `end` record. */
export interface FaultWindow {
  op: string;
  id?: string;
  start: number;
  end: number;
  /** False when the run ended (or the history stops) before the fault's end record. */
  ended: boolean;
  /** The nodes the fault touches; undefined = the whole network (or not told). */
  nodes?: number[];
  detail: unknown;
  endDetail?: unknown;
  /** `info` records written while the fault was in effect. */
  infos: NemesisEntry[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nodeNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  // 0 is the daemon stub as a grudge endpoint, not a lane.
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : undefined;
}

function addAll(into: Set<number>, values: unknown): void {
  if (!Array.isArray(values)) return;
  for (const value of values) {
    if (Array.isArray(value)) addAll(into, value);
    else {
      const n = nodeNumber(value);
      if (n !== undefined) into.add(n);
    }
  }
}

/**
 * The nodes a nemesis detail names, from the shapes the nemesis writes: `node`, `nodes`, `view`,
 * `views` (a daemon view serves the node of the same index), `grudge` (both sides of every drop)
 * and `sides` (a fork). Undefined when it names none: the fault is drawn across the whole network.
 */
export function affectedNodes(detail: unknown): number[] | undefined {
  if (!isRecord(detail)) return undefined;
  const nodes = new Set<number>();
  for (const key of ['node', 'view']) {
    const n = nodeNumber(detail[key]);
    if (n !== undefined) nodes.add(n);
  }
  addAll(nodes, detail.nodes);
  addAll(nodes, detail.views);
  addAll(nodes, detail.sides);
  if (isRecord(detail.grudge)) {
    for (const [victim, dropped] of Object.entries(detail.grudge)) {
      const n = nodeNumber(victim);
      if (n !== undefined) nodes.add(n);
      addAll(nodes, dropped);
    }
  }
  return nodes.size === 0 ? undefined : [...nodes].sort((a, b) => a - b);
}

function faultKey(entry: NemesisEntry): string {
  const id = isRecord(entry.detail) ? entry.detail.id : undefined;
  return typeof id === 'string' ? `id:${id}` : `op:${entry.op}`;
}

/**
 * Pairs nemesis `start` and `end` records (by the fault id, else by op) into windows. A fault that
 * never ended lasts until `runEnd`; an `end` without a `start` (the history began mid-fault) starts
 * at `runStart`.
 */
export function faultWindows(args: {
  entries: readonly HistoryEntry[];
  runStart: number;
  runEnd: number;
}): FaultWindow[] {
  const open = new Map<string, FaultWindow>();
  const windows: FaultWindow[] = [];
  const openWindow = (entry: NemesisEntry, start: number): FaultWindow => {
    const id = isRecord(entry.detail) && typeof entry.detail.id === 'string' ? entry.detail.id : undefined;
    const nodes = affectedNodes(entry.detail);
    const window: FaultWindow = {
      op: entry.op,
      ...(id === undefined ? {} : { id }),
      start,
      end: args.runEnd,
      ended: false,
      ...(nodes === undefined ? {} : { nodes }),
      detail: entry.detail,
      infos: [],
    };
    windows.push(window);
    return window;
  };
  for (const entry of args.entries) {
    if (entry.kind !== 'nemesis') continue;
    const key = faultKey(entry);
    if (entry.phase === 'start') {
      const previous = open.get(key);
      if (previous) Object.assign(previous, { end: entry.t, ended: true });
      open.set(key, openWindow(entry, entry.t));
    } else if (entry.phase === 'end') {
      const window = open.get(key) ?? openWindow(entry, args.runStart);
      open.delete(key);
      Object.assign(window, { end: entry.t, ended: true, endDetail: entry.detail });
    } else {
      open.get(key)?.infos.push(entry);
    }
  }
  return windows.sort((a, b) => a.start - b.start);
}
