import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { median } from '../../protocol/stats.js';
import { SAMPLE_PREFIX } from '../check/sometimes.js';
import { type HistoryEntry, readHistoryJsonl } from '../observe/history.js';
import { isMutationRunName } from '../scenario/run-name.js';

export interface SuiteConvergence {
  suite: string;
  check: string;
  samplesMs: number[];
  failures: number;
}

/** Reads the histories that runs wrote under `runsDir` since `sinceMs`, keyed by suite name. */
export function collectConvergence(args: { runsDir: string; sinceMs: number }): SuiteConvergence[] {
  if (!existsSync(args.runsDir)) return [];
  const table = new Map<string, SuiteConvergence>();
  for (const dir of readdirSync(args.runsDir)) {
    const path = join(args.runsDir, dir, 'history.jsonl');
    if (!existsSync(path) || statSync(path).mtimeMs < args.sinceMs) continue;
    const entries = readHistoryJsonl(readFileSync(path, 'utf8'));
    const suite = suiteName(entries) ?? dir;
    for (const entry of entries) {
      // Samples of "sometimes" probes are meant to fail while a fault holds: not convergence checks.
      if (entry.kind !== 'check' || entry.check.startsWith(SAMPLE_PREFIX)) continue;
      const detail = entry.detail as { elapsedMs?: number } | undefined;
      if (detail?.elapsedMs === undefined && entry.ok) continue;
      const key = `${suite}\u0000${entry.check}`;
      const row = table.get(key) ?? { suite, check: entry.check, samplesMs: [], failures: 0 };
      if (entry.ok && detail?.elapsedMs !== undefined) row.samplesMs.push(detail.elapsedMs);
      if (!entry.ok) row.failures += 1;
      table.set(key, row);
    }
  }
  return [...table.values()].sort((a, b) => `${a.suite}${a.check}`.localeCompare(`${b.suite}${b.check}`));
}

function suiteName(entries: HistoryEntry[]): string | undefined {
  for (const entry of entries) {
    if (entry.kind === 'action' && entry.op === 'run-started') return (entry.detail as { name?: string }).name;
  }
  return undefined;
}

function failuresLabel(row: SuiteConvergence): string {
  return row.failures > 0 && isMutationRunName(row.suite) ? `${row.failures} (bug on: caught)` : String(row.failures);
}

export function formatConvergenceTable(rows: readonly SuiteConvergence[]): string {
  if (rows.length === 0) return '(no convergence checks were recorded)';
  const lines = ['suite | check | runs | median time-to-converge | failures'];
  for (const row of rows) {
    const med = row.samplesMs.length > 0 ? median(row.samplesMs) : undefined;
    lines.push(
      `${row.suite} | ${row.check} | ${row.samplesMs.length} | ${med === undefined ? '-' : `${(med / 1000).toFixed(2)} s`} | ${failuresLabel(row)}`,
    );
  }
  return lines.join('\n');
}
