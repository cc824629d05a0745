/**
 * Anonymous volumes of a run (an image's `VOLUME`, such as the database's /data) carry no label: they
 * are found through the run's containers, and go only when a container is removed with `v`.
 */
import { docker } from './docker-client.js';
import { RUN_LABEL } from './labels.js';

export async function anonymousVolumesOfRun(runId: string): Promise<string[]> {
  const filters = JSON.stringify({ label: [`${RUN_LABEL}=${runId}`] });
  const containers = await docker().listContainers({ all: true, filters });
  return containers.flatMap((c) =>
    c.Mounts.flatMap((mount) => (mount.Type === 'volume' && mount.Name ? [mount.Name] : [])),
  );
}

/** Which of these volumes still exist. */
export async function existingVolumes(names: readonly string[]): Promise<string[]> {
  const present = new Set(((await docker().listVolumes()).Volumes ?? []).map((volume) => volume.Name));
  return names.filter((name) => present.has(name));
}
