import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectConvergence, formatConvergenceTable } from './e2e-summary.js';

function writeRun(runsDir: string, name: string, entries: object[]): void {
  const dir = join(runsDir, `${name}-1`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'history.jsonl'), `${entries.map((entry) => JSON.stringify(entry)).join('\n')}\n`);
}

describe('e2e time-to-converge summary', () => {
  it('takes convergence checks per suite, counts failed ones and leaves "sometimes" samples out', () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'fluxnet-summary-'));
    const started = { kind: 'action', op: 'run-started', detail: { name: 'partition' }, t: 0, wall: 0 };
    const check = (ok: boolean, elapsedMs?: number) => ({
      kind: 'check',
      check: 'halves healed',
      ok,
      ...(elapsedMs === undefined ? {} : { detail: { elapsedMs } }),
      t: 1,
      wall: 1,
    });
    const sample = { kind: 'check', check: 'sample:halves:a-only', ok: false, t: 1, wall: 1 };
    writeRun(runsDir, 'a', [started, check(true, 4_000), sample]);
    writeRun(runsDir, 'b', [started, check(true, 2_000), check(false)]);
    const rows = collectConvergence({ runsDir, sinceMs: 0 });
    expect(rows).toEqual([{ suite: 'partition', check: 'halves healed', samplesMs: expect.any(Array), failures: 1 }]);
    expect([...rows[0]!.samplesMs].sort()).toEqual([2_000, 4_000]);
    expect(formatConvergenceTable(rows)).toContain('partition | halves healed | 2 | 3.00 s | 1');
  });

  it("marks a mutation run's failed checks as the field bug caught, and nobody else's", () => {
    const rows = [
      { suite: 'scenario-sigterm-ttl-7min+sigterm-ttl-7min', check: 'steps[7]', samplesMs: [], failures: 5 },
      { suite: 'scenario-sigterm-ttl-7min', check: 'steps[7]', samplesMs: [20], failures: 1 },
    ];
    const table = formatConvergenceTable(rows);
    expect(table).toContain('scenario-sigterm-ttl-7min+sigterm-ttl-7min | steps[7] | 0 | - | 5 (bug on: caught)');
    expect(table).toContain('scenario-sigterm-ttl-7min | steps[7] | 1 | 0.02 s | 1');
    expect(table).not.toContain('| 1 (bug on');
  });
});
