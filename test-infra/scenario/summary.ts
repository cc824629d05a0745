/** Plain-text summaries of scenario and mutation runs, for the CLI and the e2e suite's output. */
import { formatMs } from './duration.js';
import type { MutationResult } from './mutation.js';
import type { ScenarioResult } from './runner.js';

export function formatScenarioResult(result: ScenarioResult): string {
  const toggles = describeRegressions(result.regressions);
  const lines = [
    `scenario ${result.name}${result.file ? ` (${result.file})` : ''}, seed ${result.seed}, regressions: ${toggles}`,
  ];
  for (const step of result.steps) {
    const where = step.line === undefined ? '' : `:${step.line}`;
    const name = `${String(step.index).padStart(2)} ${step.kind}${where}`;
    lines.push(
      `  ${step.ok ? 'ok  ' : 'FAIL'} ${name.padEnd(28)} ${formatMs(step.elapsedMs).padStart(8)}  ${step.summary}`,
    );
  }
  if (result.failure) {
    lines.push(`FAILED at steps[${result.failure.index}] ${result.failure.kind}:`);
    lines.push(...result.failure.diagnosis.split('\n').map((line) => `  ${line}`));
  } else {
    lines.push(`PASSED: ${result.steps.length} steps in ${formatMs(result.elapsedMs)}`);
  }
  lines.push(`run: ${result.runDir}`);
  lines.push(`report: ${result.reportPath ?? '(not written)'}`);
  return lines.join('\n');
}

export function formatMutationResult(result: MutationResult): string {
  return [
    `mutation check of ${result.scenario} (${result.file}) for ${result.regression}, seed ${result.seed}`,
    `  fixed node: ${result.fixed.ok ? 'passed' : 'FAILED'} (${formatMs(result.fixed.elapsedMs)}, ${result.fixed.runDir})`,
    `  ${result.regression} on: ${result.toggled.ok ? 'passed' : 'FAILED'} (${formatMs(result.toggled.elapsedMs)}, ${result.toggled.runDir})`,
    `${result.caught ? 'CAUGHT' : 'NOT CAUGHT'}: ${result.verdict}`,
  ].join('\n');
}

/** `none`, `sigterm-ttl-7min on every node`, or per node. */
function describeRegressions(regressions: Readonly<Record<number, string[]>>): string {
  const perNode = Object.entries(regressions).map(([node, names]) => [node, names.join(',')] as const);
  const distinct = new Set(perNode.map(([, names]) => names));
  if (distinct.size === 1) {
    const [only] = [...distinct];
    return only ? `${only} on every node` : 'none';
  }
  return perNode
    .filter(([, names]) => names !== '')
    .map(([node, names]) => `node ${node}: ${names}`)
    .join('; ');
}
