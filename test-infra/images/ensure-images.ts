import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { ensureBaseImage } from './base-image.js';
import { ensureDbImage } from './db-image.js';
import { removeOtherTags } from './docker-images.js';
import { writeManifest } from './manifest.js';
import { ensureNodeImage } from './node-image.js';
import { createStepRunner } from './step-log.js';
import type { BuildContext, ImageLog, ImageSet } from './types.js';

export type { DbKind, ImageLog, ImageSet } from './types.js';

export class DockerEngineUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`no Docker engine answers (${String(cause)}); run scripts/ensure-docker first`, { cause });
    this.name = 'DockerEngineUnavailableError';
  }
}

/** The folder holding package.json, found from this file whether it runs from source or from dist/. */
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

export interface EnsureImagesOptions {
  log: ImageLog;
  repoRoot?: string;
  docker?: Docker;
}

/**
 * Builds (or finds, when nothing changed) the base, database and node images without any registry,
 * writes `.cache/images.json`, and returns the image names.
 */
export async function ensureImages({
  log,
  repoRoot = findRepoRoot(),
  docker = new Docker(),
}: EnsureImagesOptions): Promise<ImageSet> {
  const step = createStepRunner({ log });
  const workDir = path.join(repoRoot, '.cache', 'images');
  await mkdir(workDir, { recursive: true });
  const context: BuildContext = { repoRoot, workDir, step };

  await step('engine answers', () =>
    docker.ping().catch((error: unknown) => {
      throw new DockerEngineUnavailableError(error);
    }),
  );
  const base = await step(
    'base image',
    () => ensureBaseImage({ context, docker }),
    (image) => image,
  );
  const db = await step(
    'database image',
    () => ensureDbImage({ context, docker, base }),
    (picked) => `${picked.image} (${picked.kind}; ${picked.reason})`,
  );
  const node = await step(
    'node image',
    () => ensureNodeImage({ context, docker, base }),
    ({ image }) => image,
  );
  const images: ImageSet = { base, node: node.image, db: db.image, dbKind: db.kind };
  await step(
    'manifest',
    () => writeManifest({ repoRoot, images, db }),
    (manifestPath) => path.relative(repoRoot, manifestPath),
  );
  await step(
    'remove older fluxnet tags',
    async () => [
      ...(await removeOtherTags({ docker, repository: 'fluxnet/node', keep: node.image })),
      ...(await removeOtherTags({ docker, repository: 'fluxnet/node-deps', keep: node.deps })),
      ...(await removeOtherTags({ docker, repository: 'fluxnet/base', keep: base })),
    ],
    (removed) => (removed.length === 0 ? 'none' : removed.join(', ')),
  );
  return images;
}
