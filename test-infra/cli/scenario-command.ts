/**
 * `fluxnet scenario <file>` runs one scenario file and prints a summary; `fluxnet mutation <file>`
 * runs its mutation check (fixed node, then its `catches` toggle on). docs/scenarios.md has the format.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runMutation } from '../scenario/mutation.js';
import { runScenario } from '../scenario/runner.js';
import { formatMutationResult, formatScenarioResult } from '../scenario/summary.js';
import { UsageError } from './usage-error.js';

export interface ScenarioCommandDeps {
  /** Makes sure a Docker engine answers (the CLI's ensureEngine). */
  ensureEngine(): Promise<void>;
}

function seedOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--seed: expected a non-negative integer, got ${raw}`);
  return Number(raw);
}

function fileOf(positionals: string[], command: string): string {
  const [file, ...extra] = positionals;
  if (file === undefined) throw new UsageError(`${command}: missing <file>`);
  if (extra.length > 0) throw new UsageError(`${command}: one file at a time, got also ${extra.join(' ')}`);
  return resolve(file);
}

/** `scenario <file> [--seed S] [--with-regression NAME]...`: exit 0 when every step passed. */
export async function scenarioCommand(argv: string[], deps: ScenarioCommandDeps): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { seed: { type: 'string' }, 'with-regression': { type: 'string', multiple: true } },
    allowPositionals: true,
    strict: true,
  });
  const file = fileOf(positionals, 'scenario');
  const seed = seedOf(values.seed);
  const regressions = values['with-regression'];
  await deps.ensureEngine();
  const result = await runScenario({
    file,
    ...(seed === undefined ? {} : { seed }),
    ...(regressions ? { regressionsOverride: regressions } : {}),
  });
  process.stdout.write(`\n${formatScenarioResult(result)}\n`);
  return result.ok ? 0 : 1;
}

/** `mutation <file> [--seed S]`: exit 0 when the scenario catches its field bug. */
export async function mutationCommand(argv: string[], deps: ScenarioCommandDeps): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { seed: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const file = fileOf(positionals, 'mutation');
  const seed = seedOf(values.seed);
  await deps.ensureEngine();
  const result = await runMutation({ file, ...(seed === undefined ? {} : { seed }) });
  process.stdout.write(
    `\n${formatScenarioResult(result.fixed)}\n\n${formatScenarioResult(result.toggled)}\n\n${formatMutationResult(result)}\n`,
  );
  return result.caught ? 0 : 1;
}
