/**
 * The run history reduced to what the timeline draws: per node lane, SSE events counted per time
 * bucket (so 100k events cost a few thousand marks), harness actions, nemesis fault windows and
 * check results. Pure data; rendering is timeline-svg.ts.
 */
import type { HistoryEntry } from '../observe/history.js';
import { eventFamily } from './event-family.js';
import { type FaultWindow, faultWindows } from './fault-windows.js';

export type EventEntry = Extract<HistoryEntry, { kind: 'event' }>;
export type ActionEntry = Extract<HistoryEntry, { kind: 'action' }>;
export type CheckEntry = Extract<HistoryEntry, { kind: 'check' }>;

/** The SSE events of one node within one time bucket. */
export interface LaneBucket {
  bucket: number;
  total: number;
  /** Count per family, and per event name (for the hover title). */
  families: Map<string, number>;
  names: Map<string, number>;
  /** The first event of the bucket: its payload is shown when the bucket holds only it. */
  first: EventEntry;
}

/** Sampled checks (`sample:*`) are many: they are bucketed like events. */
export interface SampleBucket {
  bucket: number;
  total: number;
  failing: number;
  names: Map<string, number>;
}

export interface Timeline {
  start: number;
  end: number;
  buckets: number;
  nodes: number[];
  lanes: Map<number, LaneBucket[]>;
  /** Families by descending count: their order is their colour-legend order. */
  families: { family: string; count: number }[];
  eventCount: number;
  actions: ActionEntry[];
  faults: FaultWindow[];
  checks: CheckEntry[];
  samples: SampleBucket[];
}

export const SAMPLE_PREFIX = 'sample:';
export const DEFAULT_BUCKETS = 500;

/** Not a type guard on purpose: a check that is not a sample is still a check. */
export function isSampleCheck(entry: HistoryEntry): boolean {
  return entry.kind === 'check' && entry.check.startsWith(SAMPLE_PREFIX);
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export function buildTimeline(args: {
  entries: readonly HistoryEntry[];
  /** Lanes 1..nodes are drawn even when a node sent nothing. */
  nodes?: number;
  buckets?: number;
}): Timeline {
  const { entries } = args;
  const buckets = args.buckets ?? DEFAULT_BUCKETS;
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const entry of entries) {
    if (entry.t < start) start = entry.t;
    if (entry.t > end) end = entry.t;
  }
  if (!Number.isFinite(start)) start = end = 0;
  // A zero span would divide by zero; one millisecond draws everything at the left edge.
  const span = Math.max(end - start, 1);
  const bucketOf = (t: number) => Math.min(buckets - 1, Math.max(0, Math.floor(((t - start) / span) * buckets)));

  const nodes = new Set<number>();
  for (let node = 1; node <= (args.nodes ?? 0); node += 1) nodes.add(node);
  const laneMaps = new Map<number, Map<number, LaneBucket>>();
  const familyCounts = new Map<string, number>();
  const sampleMap = new Map<number, SampleBucket>();
  const actions: ActionEntry[] = [];
  const checks: CheckEntry[] = [];
  let eventCount = 0;

  for (const entry of entries) {
    if (entry.kind === 'event') {
      eventCount += 1;
      nodes.add(entry.node);
      const family = eventFamily(entry.name);
      increment(familyCounts, family);
      const lane = laneMaps.get(entry.node) ?? new Map<number, LaneBucket>();
      laneMaps.set(entry.node, lane);
      const index = bucketOf(entry.t);
      let bucket = lane.get(index);
      if (!bucket) {
        bucket = { bucket: index, total: 0, families: new Map(), names: new Map(), first: entry };
        lane.set(index, bucket);
      }
      bucket.total += 1;
      increment(bucket.families, family);
      increment(bucket.names, entry.name);
    } else if (entry.kind === 'action') {
      if (entry.node !== undefined) nodes.add(entry.node);
      actions.push(entry);
    } else if (entry.kind === 'check' && isSampleCheck(entry)) {
      const index = bucketOf(entry.t);
      const bucket = sampleMap.get(index) ?? { bucket: index, total: 0, failing: 0, names: new Map() };
      sampleMap.set(index, bucket);
      bucket.total += 1;
      if (!entry.ok) bucket.failing += 1;
      increment(bucket.names, `${entry.check.slice(SAMPLE_PREFIX.length)} ${entry.ok ? 'ok' : 'diverged'}`);
    } else if (entry.kind === 'check') {
      checks.push(entry);
    }
  }

  const faults = faultWindows({ entries, runStart: start, runEnd: end });
  for (const fault of faults) for (const node of fault.nodes ?? []) nodes.add(node);
  const lanes = new Map<number, LaneBucket[]>();
  for (const [node, lane] of laneMaps)
    lanes.set(
      node,
      [...lane.values()].sort((a, b) => a.bucket - b.bucket),
    );
  return {
    start,
    end,
    buckets,
    nodes: [...nodes].filter((node) => Number.isInteger(node)).sort((a, b) => a - b),
    lanes,
    families: [...familyCounts]
      .map(([family, count]) => ({ family, count }))
      .sort((a, b) => b.count - a.count || a.family.localeCompare(b.family)),
    eventCount,
    actions,
    faults,
    checks,
    samples: [...sampleMap.values()].sort((a, b) => a.bucket - b.bucket),
  };
}

/** The fields converged() and sometimes() write into a check detail; anything may be missing. */
export interface CheckDetail {
  elapsedMs?: number;
  rounds?: number;
  timings?: { name?: unknown; convergedAfterMs?: unknown }[];
  failing?: { name?: unknown; summary?: unknown; diff?: unknown }[];
  reason?: unknown;
  message?: unknown;
  summary?: unknown;
}

export function checkDetail(check: CheckEntry): CheckDetail {
  return typeof check.detail === 'object' && check.detail !== null ? (check.detail as CheckDetail) : {};
}
