import { docker } from './docker-client.js';
import { PROJECT_LABEL, RUN_LABEL } from './labels.js';

export interface SweepResult {
  containers: number;
  networks: number;
  volumes: number;
  /** Resources the engine refused to remove (e.g. a network with a stale endpoint), each with why. */
  failures: string[];
}

/**
 * Removes everything fluxnet created, for one run (`runId`) or for every run but `keepRunId`.
 * Used before a run (leftovers of a crashed run), after it, and on SIGINT/SIGTERM.
 */
export async function sweep(options: { runId?: string; keepRunId?: string } = {}): Promise<SweepResult> {
  const label = options.runId ? `${RUN_LABEL}=${options.runId}` : `${PROJECT_LABEL}=fluxnet`;
  const filters = JSON.stringify({ label: [label] });
  const keep = (labels: Record<string, string> | undefined) =>
    options.keepRunId !== undefined && labels?.[RUN_LABEL] === options.keepRunId;
  const client = docker();

  const failures: string[] = [];
  const attempt = (what: string) => (error: { statusCode?: number; message?: string }) => {
    if (error.statusCode !== 404) failures.push(`${what}: ${error.message ?? String(error)}`);
  };

  const containers = (await client.listContainers({ all: true, filters })).filter((c) => !keep(c.Labels));
  await Promise.all(
    containers.map((c) =>
      client
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(attempt(`container ${c.Names[0] ?? c.Id}`)),
    ),
  );
  const networks = (await client.listNetworks({ filters })).filter((n) => !keep(n.Labels));
  await Promise.all(
    networks.map((n) =>
      client
        .getNetwork(n.Id)
        .remove()
        .catch(attempt(`network ${n.Name}`)),
    ),
  );
  const volumeList = (await client.listVolumes({ filters })).Volumes ?? [];
  const volumes = volumeList.filter((v) => !keep(v.Labels ?? undefined));
  await Promise.all(
    volumes.map((v) =>
      client
        .getVolume(v.Name)
        .remove({ force: true })
        .catch(attempt(`volume ${v.Name}`)),
    ),
  );
  return { containers: containers.length, networks: networks.length, volumes: volumes.length, failures };
}
