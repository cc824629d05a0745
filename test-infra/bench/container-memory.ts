import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { docker } from '../network/docker-client.js';
import { RUN_LABEL } from '../network/labels.js';

/** cgroup v1 (this engine): each container's memory cgroup keeps its own high-water mark. */
const CGROUP_MEMORY_ROOT = '/sys/fs/cgroup/memory/docker';

function readBytes(path: string): number | undefined {
  return existsSync(path) ? Number(readFileSync(path, 'utf8').trim()) : undefined;
}

/** Sum over the run's containers of each one's peak memory (cgroup `memory.max_usage_in_bytes`). */
export async function peakMemoryOfRun(runId: string): Promise<{ bytes: number; containers: number }> {
  const containers = await docker().listContainers({ filters: JSON.stringify({ label: [`${RUN_LABEL}=${runId}`] }) });
  let bytes = 0;
  for (const container of containers) {
    const peak = readBytes(join(CGROUP_MEMORY_ROOT, container.Id, 'memory.max_usage_in_bytes'));
    if (peak === undefined) throw new Error(`no cgroup v1 memory accounting for container ${container.Names[0]}`);
    bytes += peak;
  }
  return { bytes, containers: containers.length };
}
