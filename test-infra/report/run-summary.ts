import type { HistoryEntry } from '../observe/history.js';
import { isSampleCheck } from './timeline-model.js';

/** What the caller knows that the history may not: overrides what the history says. */
export interface ReportMeta {
  runId?: string;
  seed?: number | string;
  nodes?: number;
  /** Extra key/value lines for the header (suite, image, commit, ...). */
  extra?: Record<string, string>;
}

export interface RunSummary {
  runId?: string;
  name?: string;
  seed?: string;
  nodes?: number;
  /** 'fail' when any check failed (sampled divergence is not a failure: it is what faults cause). */
  outcome: 'pass' | 'fail' | 'no checks';
  checks: number;
  failedChecks: number;
  durationMs: number;
  startedWall?: number;
  entries: number;
  extra: Record<string, string>;
}

interface RunStarted {
  name?: unknown;
  size?: unknown;
  seed?: unknown;
}

function runStarted(entries: readonly HistoryEntry[]): RunStarted {
  const found = entries.find((entry) => entry.kind === 'action' && entry.op === 'run-started');
  const detail = found?.kind === 'action' ? found.detail : undefined;
  return typeof detail === 'object' && detail !== null ? (detail as RunStarted) : {};
}

export function runSummary(args: { entries: readonly HistoryEntry[]; meta?: ReportMeta }): RunSummary {
  const { entries, meta = {} } = args;
  const started = runStarted(entries);
  const checks = entries.filter((entry) => entry.kind === 'check' && !isSampleCheck(entry));
  const failedChecks = checks.filter((entry) => entry.kind === 'check' && !entry.ok).length;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const entry of entries) {
    first = Math.min(first, entry.t);
    last = Math.max(last, entry.t);
  }
  const seed =
    meta.seed ?? (typeof started.seed === 'number' || typeof started.seed === 'string' ? started.seed : undefined);
  const nodes = meta.nodes ?? (typeof started.size === 'number' ? started.size : undefined);
  const name = typeof started.name === 'string' ? started.name : undefined;
  return {
    ...(meta.runId === undefined ? {} : { runId: meta.runId }),
    ...(name === undefined ? {} : { name }),
    ...(seed === undefined ? {} : { seed: String(seed) }),
    ...(nodes === undefined ? {} : { nodes }),
    outcome: checks.length === 0 ? 'no checks' : failedChecks > 0 ? 'fail' : 'pass',
    checks: checks.length,
    failedChecks,
    durationMs: entries.length === 0 ? 0 : last - first,
    ...(entries[0] === undefined ? {} : { startedWall: entries[0].wall }),
    entries: entries.length,
    extra: meta.extra ?? {},
  };
}
