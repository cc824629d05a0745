import { describe, expect, it } from 'vitest';
import type { HistoryEntry, HistoryRecord } from '../observe/history.js';
import { affectedNodes, faultWindows } from './fault-windows.js';
import { PARTITION, RUN_END, syntheticHistory } from './synthetic-history.js';
import { buildTimeline } from './timeline-model.js';

const at = (t: number, record: HistoryRecord) => ({ ...record, t, wall: 1_000 + t }) as HistoryEntry;

describe('affectedNodes', () => {
  it('reads every shape the nemesis writes', () => {
    expect(affectedNodes({ node: 3 })).toEqual([3]);
    expect(affectedNodes({ nodes: [4, 2] })).toEqual([2, 4]);
    expect(affectedNodes({ view: 5, mode: 'reset' })).toEqual([5]);
    expect(affectedNodes({ views: [1, 2] })).toEqual([1, 2]);
    expect(affectedNodes({ sides: [[1, 2], [3]] })).toEqual([1, 2, 3]);
    // The daemon (endpoint 0) is not a lane.
    expect(affectedNodes({ grudge: { 1: [2, 0], 2: [1] } })).toEqual([1, 2]);
  });

  it('names no node for whole-network faults and junk details', () => {
    expect(affectedNodes({})).toBeUndefined();
    expect(affectedNodes(undefined)).toBeUndefined();
    expect(affectedNodes({ node: 'x', nodes: 'all', grudge: [1] })).toBeUndefined();
    expect(affectedNodes({ nodes: [1.5, -1, 2] })).toEqual([2]);
  });
});

describe('faultWindows', () => {
  it('pairs start and end by id, and runs an unended fault to the end of the run', () => {
    const windows = faultWindows({ entries: syntheticHistory(), runStart: 0, runEnd: RUN_END });
    expect(windows.map((w) => [w.op, w.start, w.end, w.ended, w.nodes])).toEqual([
      ['partition', PARTITION.start, PARTITION.end, true, [1, 2]],
      ['clock', 8_500, RUN_END, false, [3]],
    ]);
    expect(windows[0]!.infos).toHaveLength(1);
  });

  it('closes a replaced fault, pairs by op without ids, and starts an orphan end at the run start', () => {
    const windows = faultWindows({
      entries: [
        at(10, { kind: 'nemesis', op: 'pause', phase: 'start', detail: { node: 1 } }),
        at(20, { kind: 'nemesis', op: 'pause', phase: 'start', detail: { node: 2 } }),
        at(30, { kind: 'nemesis', op: 'pause', phase: 'end', detail: { node: 2 } }),
        at(40, { kind: 'nemesis', op: 'heal-all', phase: 'end', detail: { id: 'f9' } }),
      ],
      runStart: 0,
      runEnd: 50,
    });
    expect(windows.map((w) => [w.op, w.start, w.end, w.ended, w.nodes ?? 'all'])).toEqual([
      ['heal-all', 0, 40, true, 'all'],
      ['pause', 10, 20, true, [1]],
      ['pause', 20, 30, true, [2]],
    ]);
  });
});

describe('buildTimeline', () => {
  it('counts every event once, in buckets, per node lane, with declared nodes drawn even when silent', () => {
    const entries = syntheticHistory();
    const timeline = buildTimeline({ entries, nodes: 4, buckets: 100 });
    expect(timeline.nodes).toEqual([1, 2, 3, 4]);
    expect(timeline.lanes.get(4)).toBeUndefined();
    const counted = [...timeline.lanes.values()].flat().reduce((sum, bucket) => sum + bucket.total, 0);
    expect(counted).toBe(entries.filter((entry) => entry.kind === 'event').length);
    expect(timeline.eventCount).toBe(counted);
    expect(timeline.families[0]).toEqual({ family: 'block', count: 120 });
    expect(timeline.checks.map((check) => check.check)).toEqual(['converged', 'after heal']);
    expect(timeline.samples).toEqual([expect.objectContaining({ bucket: 25, total: 1, failing: 1 })]);
    // Buckets hold only their time slice: the last block event of node 1 is at 9001 ms.
    expect(timeline.lanes.get(1)!.at(-1)!.bucket).toBe(90);
  });

  it('draws an empty history without dividing by zero', () => {
    const timeline = buildTimeline({ entries: [] });
    expect([timeline.start, timeline.end, timeline.nodes.length]).toEqual([0, 0, 0]);
  });
});
