/**
 * The mutation check of a field-bug scenario (docs/architecture.md, "mutation score"): run it on
 * the fixed node, then with its `catches` toggle on every node. The harness catches the bug when
 * the fixed run passes and the toggled run fails at an `expect-converged` step: the failure is a
 * convergence diff naming the divergence, not a timeout somewhere on the way.
 */
import { runSeed } from '../harness/seed.js';
import { loadScenarioFile } from './load.js';
import { type RunScenarioOptions, runScenario, type ScenarioResult, ScenarioRunError } from './runner.js';
import type { StepKind } from './schema.js';

export interface MutationResult {
  scenario: string;
  file: string;
  regression: string;
  seed: number;
  fixed: ScenarioResult;
  toggled: ScenarioResult;
  caught: boolean;
  /** One line: why it counts as caught or not. */
  verdict: string;
}

/** Failing here names a divergence; failing elsewhere only says the run went differently. */
const DIVERGENCE_STEPS: readonly StepKind[] = ['expect-converged'];

export async function runMutation(
  options: { file: string } & Pick<RunScenarioOptions, 'seed' | 'runsDir' | 'log'>,
): Promise<MutationResult> {
  const { scenario, file } = await loadScenarioFile(options.file);
  const regression = scenario.catches;
  if (!regression) throw new ScenarioRunError(`${file}: no catches: names no regression toggle to check`);
  const seed = options.seed ?? scenario.network.seed ?? runSeed();
  const common = {
    file,
    seed,
    ...(options.runsDir ? { runsDir: options.runsDir } : {}),
    ...(options.log ? { log: options.log } : {}),
  };
  const fixed = await runScenario({ ...common, regressionsOverride: [] });
  const toggled = await runScenario({ ...common, regressionsOverride: [regression] });
  const { caught, verdict } = judge({ regression, fixed, toggled });
  return { scenario: scenario.name, file, regression, seed, fixed, toggled, caught, verdict };
}

export function judge(args: { regression: string; fixed: ScenarioResult; toggled: ScenarioResult }): {
  caught: boolean;
  verdict: string;
} {
  const { regression, fixed, toggled } = args;
  if (fixed.failure) {
    return {
      caught: false,
      verdict: `the fixed node fails too, at ${stepName(fixed.failure)}: ${headline(fixed.failure.diagnosis)}`,
    };
  }
  if (!toggled.failure) {
    return { caught: false, verdict: `with ${regression} on, every step still passes` };
  }
  if (!DIVERGENCE_STEPS.includes(toggled.failure.kind)) {
    return {
      caught: false,
      verdict: `with ${regression} on, the run fails at ${stepName(toggled.failure)}, not at a convergence check: ${headline(toggled.failure.diagnosis)}`,
    };
  }
  return {
    caught: true,
    verdict: `the fixed node passes; with ${regression} on, ${stepName(toggled.failure)} fails: ${headline(toggled.failure.diagnosis)}`,
  };
}

function stepName(failure: { index: number; kind: StepKind; line?: number }): string {
  return `steps[${failure.index}] ${failure.kind}${failure.line === undefined ? '' : ` (line ${failure.line})`}`;
}

/** The first line, and for a convergence failure its first failing check: what diverged. */
function headline(text: string): string {
  const lines = text.split('\n');
  const failing = lines.find((line) => line.trim().startsWith('FAIL '));
  return [lines[0] ?? '', ...(failing ? [failing.trim()] : [])].join(' — ');
}
