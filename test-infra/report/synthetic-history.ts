/**
 * A small hand-made run history for report and dashboard tests: three nodes over ten seconds, a
 * partition of nodes 1 and 2 from 2 s to 6 s, a sigterm of node 3 at 7 s, a clock fault that never
 * ends, one converged check and one failed check whose diff and payloads carry HTML injection.
 */
import type { HistoryEntry, HistoryRecord } from '../observe/history.js';

export const INJECTION = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
export const WALL_START = Date.UTC(2025, 0, 2, 3, 4, 5);

export const PARTITION = { start: 2_000, end: 6_000, nodes: [1, 2] } as const;
export const RUN_END = 10_000;

function at(t: number, record: HistoryRecord): HistoryEntry {
  return { ...record, t, wall: WALL_START + t } as HistoryEntry;
}

function event(t: number, node: number, name: string, payload: unknown): HistoryEntry {
  return at(t, { kind: 'event', node, name, id: `e${node}-${t}`, payload });
}

export function syntheticHistory(): HistoryEntry[] {
  const entries: HistoryEntry[] = [
    at(0, { kind: 'action', op: 'run-started', detail: { name: 'synthetic', size: 3, seed: 4242 } }),
  ];
  for (const node of [1, 2, 3]) {
    entries.push(
      at(100 * node, { kind: 'action', op: 'start', node }),
      event(300 + node, node, 'orchestrator:stateChanged', { from: 'INITIALIZING', to: 'SYNCING' }),
      event(900 + node, node, 'orchestrator:stateChanged', { from: 'SYNCING', to: 'READY' }),
      event(1_000 + node, node, 'peers:added', {
        ip: '198.18.16.1:16127',
        port: 16127,
        direction: 'outbound',
        outbound: 1,
        inbound: 0,
        total: 1,
      }),
    );
    for (let i = 0; i < 40; i += 1) {
      entries.push(event(1_200 + i * 200 + node, node, 'block:processed', { height: 100 + i }));
    }
    entries.push(
      event(1_500 + node, node, 'network:apprunning', {
        ip: '198.18.16.9:16127',
        apps: [{ name: INJECTION, hash: 'ab' }],
      }),
    );
  }
  entries.push(
    at(PARTITION.start, {
      kind: 'nemesis',
      op: 'partition',
      phase: 'start',
      detail: { id: 'f1', grudge: { 1: [2], 2: [1] }, includeDaemon: false },
    }),
    at(PARTITION.start + 40, {
      kind: 'nemesis',
      op: 'partition',
      phase: 'info',
      detail: { id: 'f1', appliedMs: 40, skipped: [] },
    }),
    at(2_500, {
      kind: 'check',
      check: 'sample:event-log',
      ok: false,
      detail: { summary: 'nodes 1, 2 differ', diff: [] },
    }),
    at(5_000, {
      kind: 'check',
      check: 'converged',
      ok: true,
      detail: {
        elapsedMs: 1_200,
        rounds: 4,
        timings: [
          { name: 'event-log', convergedAfterMs: 1_100 },
          { name: 'locations', convergedAfterMs: 900 },
        ],
      },
    }),
    at(PARTITION.end, {
      kind: 'nemesis',
      op: 'partition',
      phase: 'end',
      detail: { id: 'f1', healMs: 30, skipped: [] },
    }),
    at(7_000, { kind: 'action', op: 'sigterm', node: 3, detail: { timeoutS: 15 } }),
    at(8_000, { kind: 'action', op: 'start', node: 3 }),
    at(8_500, {
      kind: 'nemesis',
      op: 'clock',
      phase: 'start',
      detail: { id: 'f2', node: 3, offsetMs: 60_000, how: 'set' },
    }),
    at(RUN_END, {
      kind: 'check',
      check: 'after heal',
      ok: false,
      detail: {
        elapsedMs: 3_000,
        rounds: 9,
        timings: [{ name: 'locations', convergedAfterMs: 2_000 }],
        failing: [
          {
            name: 'event-log',
            ok: false,
            summary: 'event-log: 1 of 3 keys differ',
            diff: [`apprunning ${INJECTION} 198.18.16.9:16127: node 1 has broadcastedAt=1; nodes 2, 3 have none`],
          },
        ],
      },
    }),
  );
  return entries.sort((a, b) => a.t - b.t);
}
