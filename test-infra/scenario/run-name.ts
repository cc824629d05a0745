/** How a scenario run is named in `runs/` and in the e2e summary. */
import type { Scenario } from './schema.js';

const TOGGLE_SEPARATOR = '+';

/** `scenario-<name>`, plus the toggles forced on every node: a mutation run's failures are meant to be. */
export function runName(scenario: Pick<Scenario, 'name'>, override: readonly string[] | undefined): string {
  const toggles = override && override.length > 0 ? `${TOGGLE_SEPARATOR}${override.join(TOGGLE_SEPARATOR)}` : '';
  return `scenario-${scenario.name}${toggles}`;
}

/** Whether a run name is a mutation run's (a field bug forced on), whose failed checks show the bug caught. */
export function isMutationRunName(name: string): boolean {
  return name.startsWith('scenario-') && name.includes(TOGGLE_SEPARATOR);
}
