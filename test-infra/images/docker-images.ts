import type Docker from 'dockerode';
import { runCommand } from './run-command.js';
import { inputHashLabel } from './types.js';

/** Status 404 from the engine: the image is simply not there. */
function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { statusCode?: number }).statusCode === 404;
}

export async function imageExists({ docker, image }: { docker: Docker; image: string }): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** True when `image` exists and was built from exactly `hash` (the tag alone could be stale). */
export async function imageBuiltFrom({ docker, image, hash }: { docker: Docker; image: string; hash: string }) {
  try {
    const info = await docker.getImage(image).inspect();
    return info.Config.Labels?.[inputHashLabel] === hash;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/**
 * `docker build` with the classic builder: it needs no buildx plugin and builds FROM local images
 * without contacting a registry.
 */
export async function buildImage({ contextDir, tag }: { contextDir: string; tag: string }): Promise<void> {
  await runCommand({
    command: 'docker',
    args: ['build', '--quiet', '--tag', tag, contextDir],
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
  });
}

export async function importRootfs({ tarPath, tag }: { tarPath: string; tag: string }): Promise<void> {
  await runCommand({ command: 'docker', args: ['import', tarPath, tag] });
}

/** Removes older tags of one repository; best effort, since a running container may still hold one. */
export async function removeOtherTags({
  docker,
  repository,
  keep,
}: {
  docker: Docker;
  repository: string;
  keep: string;
}): Promise<string[]> {
  const images = await docker.listImages({ filters: { reference: [repository] } });
  const stale = images.flatMap((image) => image.RepoTags ?? []).filter((tag) => tag !== keep);
  const removed = await Promise.all(
    stale.map((tag) =>
      docker
        .getImage(tag)
        .remove()
        .then(
          () => tag,
          () => null,
        ),
    ),
  );
  return removed.filter((tag): tag is string => tag !== null);
}
