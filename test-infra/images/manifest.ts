import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DbImage, ImageSet } from './types.js';

export interface ImagesManifest extends ImageSet {
  dbReason: string;
  nodeVersion: string;
  writtenAt: string;
}

/** `.cache/images.json`: the resolved image names, for tools that do not import the builder. */
export async function writeManifest({
  repoRoot,
  images,
  db,
}: {
  repoRoot: string;
  images: ImageSet;
  db: DbImage;
}): Promise<string> {
  const manifestPath = path.join(repoRoot, '.cache', 'images.json');
  const manifest: ImagesManifest = {
    ...images,
    dbReason: db.reason,
    nodeVersion: process.version,
    writtenAt: new Date().toISOString(),
  };
  await mkdir(path.dirname(manifestPath), { recursive: true });
  await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifestPath;
}
