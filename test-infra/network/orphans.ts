import { hostname } from 'node:os';
import { docker } from './docker-client.js';
import { OWNER_HOST_LABEL, OWNER_PID_LABEL, PROJECT_LABEL, RUN_LABEL } from './labels.js';
import { type SweepResult, sweep } from './sweep.js';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the leftovers of runs whose harness process is gone (crashed, killed), leaving runs of
 * live processes alone: test files run in parallel, each with its own network.
 */
export async function sweepOrphans(): Promise<SweepResult> {
  const total: SweepResult = { containers: 0, networks: 0, volumes: 0, failures: [] };
  const filters = JSON.stringify({ label: [`${PROJECT_LABEL}=fluxnet`] });
  const runs = new Map<string, Record<string, string>>();
  for (const container of await docker().listContainers({ all: true, filters })) {
    const runId = container.Labels[RUN_LABEL];
    if (runId) runs.set(runId, container.Labels);
  }
  for (const network of await docker().listNetworks({ filters })) {
    const runId = network.Labels?.[RUN_LABEL];
    if (runId && !runs.has(runId)) runs.set(runId, network.Labels ?? {});
  }
  for (const [runId, labels] of runs) {
    const pid = Number(labels[OWNER_PID_LABEL]);
    const sameHost = labels[OWNER_HOST_LABEL] === hostname();
    if (sameHost && Number.isInteger(pid) && processAlive(pid)) continue;
    const result = await sweep({ runId });
    total.containers += result.containers;
    total.networks += result.networks;
    total.volumes += result.volumes;
    total.failures.push(...result.failures);
  }
  return total;
}
