/**
 * Runs one scenario: brings up its network, runs the steps in order through steps.ts, stops at the
 * first failing step, tears the network down (which writes the run's report) and returns what
 * happened. A bad file or a network that cannot come up throws; a failing step is a result.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { formatIssuePath, formatZodError } from '../../protocol/validation.js';
import { runSeed } from '../harness/seed.js';
import { Nemesis } from '../nemesis/nemesis.js';
import { createNetwork, type FluxNetwork, type NodeOverride } from '../network/create-network.js';
import { checkScenario } from './checks.js';
import { loadScenarioFile, ScenarioError } from './load.js';
import { runName } from './run-name.js';
import { regressionName, type Scenario, type StepKind } from './schema.js';
import { runStep, type StepContext } from './steps.js';

export interface RunScenarioOptions {
  /** A scenario file; or give `scenario` directly. */
  file?: string;
  scenario?: Scenario;
  /** Default: the file's `network.seed`, else FLUXNET_SEED, else a fresh one (printed). */
  seed?: number;
  /**
   * Replaces every node's regression toggles: `[]` runs the fixed node everywhere, `[name]` one
   * field bug on every node. Default: the file's per-node `overrides`.
   */
  regressionsOverride?: readonly string[];
  runsDir?: string;
  log?: (line: string) => void;
}

export interface StepOutcome {
  index: number;
  kind: StepKind;
  /** Line of the step in the file, when run from a file. */
  line?: number;
  ok: boolean;
  elapsedMs: number;
  /** What the step did, or the first line of why it failed. */
  summary: string;
}

export interface ScenarioFailure {
  index: number;
  kind: StepKind;
  line?: number;
  /** The harness API's own error message: per-node diffs, last events, samples. */
  diagnosis: string;
}

export interface ScenarioResult {
  name: string;
  file?: string;
  seed: number;
  /** Regression toggles per node, as the nodes ran. */
  regressions: Record<number, string[]>;
  ok: boolean;
  elapsedMs: number;
  /** Steps that ran; the last one failed when `ok` is false. */
  steps: StepOutcome[];
  failure?: ScenarioFailure;
  runId: string;
  runDir: string;
  historyPath: string;
  /** The HTML report, written at teardown (undefined if it could not be written). */
  reportPath?: string;
}

export class ScenarioRunError extends Error {
  override readonly name = 'ScenarioRunError';
}

const regressionsSchema = z.array(regressionName);

export async function runScenario(options: RunScenarioOptions): Promise<ScenarioResult> {
  const { scenario, file, stepLines } = await resolveScenario(options);
  const regressions = nodeRegressions(scenario, options.regressionsOverride);
  const seed = options.seed ?? scenario.network.seed ?? runSeed();
  const started = Date.now();
  const network = await createNetwork({
    name: runName(scenario, options.regressionsOverride),
    nodes: scenario.network.nodes,
    seed,
    nodeOverrides: nodeOverrides(scenario, regressions),
    ...(scenario.network.deferred ? { deferred: [...scenario.network.deferred] } : {}),
    ...(scenario.network.timeScale === undefined ? {} : { timeScale: scenario.network.timeScale }),
    ...(scenario.network.tunables ? { tunables: tunablesOf(scenario) } : {}),
    ...(scenario.network.clockFaults === undefined ? {} : { clockFaults: scenario.network.clockFaults }),
    ...(scenario.network.blockInterval === undefined ? {} : { blockIntervalMs: scenario.network.blockInterval }),
    ...(options.runsDir ? { runsDir: options.runsDir } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  network.history.append({
    kind: 'action',
    op: 'scenario',
    detail: { name: scenario.name, file, seed, regressions, steps: scenario.steps.length },
  });
  const nemesis = new Nemesis({ network });
  let outcome: { steps: StepOutcome[]; failure?: ScenarioFailure } = { steps: [] };
  try {
    outcome = await runSteps({ network, nemesis, scenario, seed, stepLines });
    network.history.append({
      kind: 'check',
      check: `scenario:${scenario.name}`,
      ok: outcome.failure === undefined,
      detail: outcome.failure ?? { steps: outcome.steps.length },
    });
  } finally {
    nemesis.close();
    await network.teardown();
  }
  const { steps, failure } = outcome;
  const reportPath = join(network.runDir, 'report.html');
  return {
    name: scenario.name,
    ...(file ? { file } : {}),
    seed,
    regressions,
    ok: failure === undefined,
    elapsedMs: Date.now() - started,
    steps,
    ...(failure ? { failure } : {}),
    runId: network.runId,
    runDir: network.runDir,
    historyPath: join(network.runDir, 'history.jsonl'),
    ...(existsSync(reportPath) ? { reportPath } : {}),
  };
}

async function resolveScenario(
  options: RunScenarioOptions,
): Promise<{ scenario: Scenario; file?: string; stepLines?: number[] }> {
  if (options.scenario && options.file) throw new ScenarioRunError('runScenario: give file or scenario, not both');
  if (options.scenario) {
    const issues = checkScenario(options.scenario);
    if (issues.length > 0) {
      const file = `scenario ${options.scenario.name}`;
      throw new ScenarioError({
        file,
        issues: issues.map((issue) => ({
          file,
          line: 0,
          column: 0,
          path: formatIssuePath(issue.path),
          message: issue.message,
        })),
      });
    }
    return { scenario: options.scenario };
  }
  if (!options.file) throw new ScenarioRunError('runScenario: give file or scenario');
  return loadScenarioFile(options.file);
}

/** Per node, the toggles it runs with: the override for every node, else the file's own. */
function nodeRegressions(scenario: Scenario, override: readonly string[] | undefined): Record<number, string[]> {
  if (override) {
    const parsed = regressionsSchema.safeParse(override);
    if (!parsed.success) throw new ScenarioRunError(`regressions override: ${formatZodError(parsed.error)}`);
  }
  const out: Record<number, string[]> = {};
  for (let node = 1; node <= scenario.network.nodes; node += 1) {
    const names = override ?? scenario.network.overrides?.[String(node)]?.regressions ?? [];
    out[node] = [...names];
  }
  return out;
}

function nodeOverrides(scenario: Scenario, regressions: Record<number, string[]>): Record<number, NodeOverride> {
  const out: Record<number, NodeOverride> = {};
  for (let node = 1; node <= scenario.network.nodes; node += 1) {
    const env = scenario.network.overrides?.[String(node)]?.env;
    const names = regressions[node] ?? [];
    if (env || names.length > 0)
      out[node] = { ...(env ? { env } : {}), ...(names.length > 0 ? { regressions: names } : {}) };
  }
  return out;
}

/** createNetwork takes numbers; list-valued tunables go through the node's FLUXNET_TUNABLES as they are. */
function tunablesOf(scenario: Scenario): Record<string, number> {
  return scenario.network.tunables as Record<string, number>;
}

async function runSteps(args: {
  network: FluxNetwork;
  nemesis: Nemesis;
  scenario: Scenario;
  seed: number;
  stepLines: number[] | undefined;
}): Promise<{ steps: StepOutcome[]; failure?: ScenarioFailure }> {
  const { network, nemesis, scenario, seed, stepLines } = args;
  const context: StepContext = {
    network,
    nemesis,
    seed,
    label: scenario.name,
    registeredHashes: [],
    deferred: new Set(scenario.network.deferred ?? []),
    previousStepStart: network.history.now(),
  };
  const steps: StepOutcome[] = [];
  for (const [index, step] of scenario.steps.entries()) {
    const line = stepLines?.[index];
    const base = { index, kind: step.kind, ...(line === undefined ? {} : { line }) };
    context.label = `${scenario.name} steps[${index}]`;
    const startedAt = network.history.now();
    network.history.append({ kind: 'action', op: 'scenario-step', detail: { ...base, step } });
    try {
      const summary = await runStep(context, step);
      steps.push({ ...base, ok: true, elapsedMs: elapsedSince(network, startedAt), summary });
    } catch (error) {
      const diagnosis = (error as Error)?.message ?? String(error);
      steps.push({
        ...base,
        ok: false,
        elapsedMs: elapsedSince(network, startedAt),
        summary: diagnosis.split('\n')[0]!,
      });
      return { steps, failure: { ...base, diagnosis } };
    }
    context.previousStepStart = startedAt;
  }
  return { steps };
}

function elapsedSince(network: FluxNetwork, startedAt: number): number {
  return Math.round(network.history.now() - startedAt);
}
