/**
 * `npm run e2e -- --ui`: the suites run in vitest child processes, each writing
 * `runs/<run-id>/history.jsonl`. This process watches `runs/`, tails every history that appears
 * (HistoryTail) and serves them on the live dashboard; the page starts over at each run's
 * `run-started` record.
 */

import { HistoryTail, type HistoryTailError } from './history-tail.js';
import { type Dashboard, startDashboard } from './live-dashboard.js';
import { watchRuns } from './runs-watcher.js';

export async function startRunsDashboard(args: {
  runsDir: string;
  nodes: number;
  port?: number;
  /** Runs whose directory is older are not shown; default: now. */
  sinceMs?: number;
  onError?: (error: HistoryTailError) => void;
}): Promise<Dashboard> {
  const tail = new HistoryTail(args.onError ? { onError: args.onError } : {});
  const watcher = watchRuns({
    runsDir: args.runsDir,
    tail,
    ...(args.sinceMs === undefined ? {} : { sinceMs: args.sinceMs }),
    ...(args.onError ? { onError: args.onError } : {}),
  });
  try {
    const dashboard = await startDashboard({ history: tail, nodes: args.nodes, port: args.port ?? 0 });
    return {
      url: dashboard.url,
      close: async () => {
        watcher.close();
        tail.close();
        await dashboard.close();
      },
    };
  } catch (error) {
    watcher.close();
    tail.close();
    throw error;
  }
}
