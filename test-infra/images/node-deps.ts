import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { buildImage, imageBuiltFrom } from './docker-images.js';
import { pathExists } from './fs-utils.js';
import { hashParts, tagHashLength } from './input-hash.js';
import { runCommand } from './run-command.js';
import type { BuildContext } from './types.js';
import { inputHashLabel } from './types.js';

interface PackageManifest {
  devDependencies?: unknown;
  scripts?: unknown;
  bin?: unknown;
  packages?: Record<string, { devDependencies?: unknown; bin?: unknown }>;
}

/**
 * Drops the dev-only parts of package.json and of the lockfile's root entry: `npm ci` insists the two
 * agree on every dependency, and the dev side (platform-specific optional packages) need not install.
 */
function productionManifests({ packageJson, lock }: { packageJson: string; lock: string }) {
  const pkg = JSON.parse(packageJson) as PackageManifest;
  delete pkg.devDependencies;
  delete pkg.scripts;
  delete pkg.bin;
  const lockfile = JSON.parse(lock) as PackageManifest;
  const root = lockfile.packages?.[''];
  if (root) {
    delete root.devDependencies;
    delete root.bin;
  }
  return { packageJson: JSON.stringify(pkg, null, 2), lock: JSON.stringify(lockfile, null, 2) };
}

async function removeStaleDeps({ workDir, keep }: { workDir: string; keep: string }): Promise<void> {
  const stale = (await readdir(workDir)).filter((name) => name.startsWith('node-deps-') && name !== keep);
  await Promise.all(stale.map((name) => rm(path.join(workDir, name), { recursive: true, force: true })));
}

/** `npm ci --omit=dev` in a staging folder keyed by the lockfile, so the repo's node_modules is never touched. */
async function stageProductionDeps({ context, depsDir }: { context: BuildContext; depsDir: string }) {
  const { repoRoot, workDir, step } = context;
  await step('node: npm ci --omit=dev (staging)', async () => {
    await rm(depsDir, { recursive: true, force: true });
    await mkdir(depsDir, { recursive: true });
    const staged = productionManifests({
      packageJson: await readFile(path.join(repoRoot, 'package.json'), 'utf8'),
      lock: await readFile(path.join(repoRoot, 'package-lock.json'), 'utf8'),
    });
    await writeFile(path.join(depsDir, 'package.json'), staged.packageJson);
    await writeFile(path.join(depsDir, 'package-lock.json'), staged.lock);
    // Prebuilt addons (zeromq) ship in the tarballs; no install script is needed, and none runs.
    await runCommand({
      command: 'npm',
      args: ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'],
      cwd: depsDir,
    });
    await writeFile(path.join(depsDir, '.complete'), '');
  });
  await removeStaleDeps({ workDir, keep: path.basename(depsDir) });
}

/**
 * `fluxnet/node-deps:<hash>`: the base image + production node_modules at /app/node_modules. A layer of
 * its own, so a source change rebuilds only the small layer of compiled code on top.
 */
export async function ensureDepsImage({
  context,
  docker,
  base,
}: {
  context: BuildContext;
  docker: Docker;
  base: string;
}): Promise<string> {
  const { repoRoot, workDir, step } = context;
  const lock = await readFile(path.join(repoRoot, 'package-lock.json'));
  const packageJson = await readFile(path.join(repoRoot, 'package.json'));
  const depsKey = hashParts({ lock, packageJson, nodeVersion: process.version }).slice(0, tagHashLength);
  const dockerfile = [`FROM ${base}`, 'COPY node_modules /app/node_modules'].join('\n');
  const hash = hashParts({ dockerfile, depsKey });
  const image = `fluxnet/node-deps:${hash.slice(0, tagHashLength)}`;
  if (await imageBuiltFrom({ docker, image, hash })) return image;

  const depsDir = path.join(workDir, `node-deps-${depsKey}`);
  if (!(await pathExists(path.join(depsDir, '.complete')))) {
    await stageProductionDeps({ context, depsDir });
  }
  await writeFile(path.join(depsDir, 'Dockerfile'), `${dockerfile}\nLABEL ${inputHashLabel}="${hash}"\n`);
  await step(`node: docker build ${image}`, () => buildImage({ contextDir: depsDir, tag: image }));
  return image;
}
