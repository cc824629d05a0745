/**
 * Finds the runs that appear under `runs/` while e2e suites run (each createNetwork makes
 * `runs/<run-id>/history.jsonl`) and has a HistoryTail follow each one.
 */
import { existsSync, mkdirSync, readdirSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { type HistoryTail, HistoryTailError } from './history-tail.js';

const MTIME_SLACK_MS = 2_000;

export interface RunsWatcher {
  close(): void;
}

export function watchRuns(args: {
  runsDir: string;
  tail: HistoryTail;
  /** Runs whose directory changed before this wall time are left out; default: now (new runs only). */
  sinceMs?: number;
  onError?: (error: HistoryTailError) => void;
}): RunsWatcher {
  const { runsDir, tail } = args;
  // File-system timestamps come from a coarse kernel clock that may lag Date.now() by a tick or so.
  const since = (args.sinceMs ?? Date.now()) - MTIME_SLACK_MS;
  mkdirSync(runsDir, { recursive: true });
  const consider = (name: string) => {
    const dir = join(runsDir, name);
    try {
      if (!existsSync(dir) || !statSync(dir).isDirectory() || statSync(dir).mtimeMs < since) return;
      tail.follow(join(dir, 'history.jsonl'));
    } catch (error) {
      args.onError?.(new HistoryTailError(`run ${dir}: ${(error as Error).message}`));
    }
  };
  const watcher = watch(runsDir, (_event, name) => {
    if (name !== null) consider(name);
  });
  watcher.on('error', (error) => args.onError?.(new HistoryTailError(`${runsDir}: watch failed (${error.message})`)));
  // Runs created between `since` and the watch starting.
  for (const name of readdirSync(runsDir)) consider(name);
  return { close: () => watcher.close() };
}
