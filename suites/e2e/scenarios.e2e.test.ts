/**
 * Every scenario file in suites/scenarios/ runs on its own network. A chaos schedule must pass; a
 * field-bug scenario (one with `catches:`) must catch its bug: pass on the fixed node, and fail at a
 * convergence check, with a diff naming what diverged, when its regression toggle is on.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSeed } from '../../test-infra/harness/seed.js';
import { loadScenarioFile } from '../../test-infra/scenario/load.js';
import { runMutation } from '../../test-infra/scenario/mutation.js';
import { runScenario } from '../../test-infra/scenario/runner.js';
import { formatMutationResult, formatScenarioResult } from '../../test-infra/scenario/summary.js';

const SCENARIOS_DIR = resolve(import.meta.dirname, '../scenarios');
const files = readdirSync(SCENARIOS_DIR)
  .filter((name) => name.endsWith('.yaml'))
  .sort();
const loaded = await Promise.all(files.map((name) => loadScenarioFile(join(SCENARIOS_DIR, name))));
const schedules = loaded.filter(({ scenario }) => scenario.catches === undefined).map(({ file }) => file);
const fieldBugs = loaded.filter(({ scenario }) => scenario.catches !== undefined).map(({ file }) => file);
const seed = runSeed();

const print = (text: string) => process.stdout.write(`\n${text}\n`);

describe('scenario files', () => {
  it('there are chaos schedules and field-bug scenarios to run', () => {
    expect(schedules.length).toBeGreaterThanOrEqual(1);
    expect(fieldBugs.length).toBeGreaterThanOrEqual(2);
  });

  it.each(schedules)('chaos schedule %s passes', async (file) => {
    const result = await runScenario({ file, seed });
    print(formatScenarioResult(result));
    expect(result.failure?.diagnosis).toBeUndefined();
    expect(result.steps).toHaveLength(loaded.find((entry) => entry.file === file)!.scenario.steps.length);
  });

  it.each(fieldBugs)('field-bug scenario %s catches its bug', async (file) => {
    const result = await runMutation({ file, seed });
    print(
      `${formatScenarioResult(result.fixed)}\n\n${formatScenarioResult(result.toggled)}\n\n${formatMutationResult(result)}`,
    );
    expect(result.fixed.failure?.diagnosis, 'the fixed node passes').toBeUndefined();
    expect(result.caught, result.verdict).toBe(true);
    expect(result.toggled.failure?.diagnosis).toMatch(/FAIL (event-log|locations|hashes)-converged: /);
  });
});
