/** A large seeded history (default 100k SSE events on 16 nodes over ten minutes) for speed tests. */
import { createRng } from '../../protocol/random.js';
import type { HistoryEntry } from '../observe/history.js';

const NAMES = ['network:apprunning', 'app:running', 'peers:added', 'block:processed', 'orchestrator:stateChanged'];

export function bigHistory(
  args: { events?: number; nodes?: number; spanMs?: number; seed?: number } = {},
): HistoryEntry[] {
  const events = args.events ?? 100_000;
  const nodes = args.nodes ?? 16;
  const spanMs = args.spanMs ?? 600_000;
  const rng = createRng(args.seed ?? 7);
  const entries: HistoryEntry[] = [
    { kind: 'action', op: 'run-started', detail: { name: 'big', size: nodes, seed: 7 }, t: 0, wall: 0 },
  ];
  for (let i = 0; i < events; i += 1) {
    const t = (i / events) * spanMs;
    const node = 1 + (i % nodes);
    const name = rng.pick(NAMES);
    entries.push({
      kind: 'event',
      node,
      name,
      id: `e${i}`,
      payload: { height: i, ip: `198.18.16.${node}:16127` },
      t,
      wall: t,
    });
  }
  for (let k = 0; k < 20; k += 1) {
    const t = (k / 20) * spanMs;
    entries.push(
      {
        kind: 'nemesis',
        op: 'partition',
        phase: 'start',
        detail: { id: `p${k}`, grudge: { 1: [2], 2: [1] } },
        t,
        wall: t,
      },
      { kind: 'nemesis', op: 'partition', phase: 'end', detail: { id: `p${k}` }, t: t + 5_000, wall: t + 5_000 },
      {
        kind: 'check',
        check: 'converged',
        ok: true,
        detail: { elapsedMs: 900, rounds: 3, timings: [] },
        t: t + 6_000,
        wall: t + 6_000,
      },
    );
  }
  return entries.sort((a, b) => a.t - b.t);
}
