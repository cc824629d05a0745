import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { findAptMirror, readHostAptSources } from './apt-mirror.js';
import { buildImage, imageBuiltFrom, imageExists, importRootfs } from './docker-images.js';
import { pathExists } from './fs-utils.js';
import { ensureDebianTool, requireRoot } from './host-tools.js';
import { hashParts, tagHashLength } from './input-hash.js';
import { runCommand } from './run-command.js';
import type { BuildContext } from './types.js';
import { inputHashLabel } from './types.js';

const suite = 'bookworm';
/** python3 serves the fallback database (nx-27017); the rest is what the nemesis and nodes need. */
const packages = ['iptables', 'iproute2', 'libfaketime', 'ca-certificates', 'tini', 'python3'];

interface RootfsRecipe {
  mirror: string;
  key: string;
}

async function rootfsRecipe(): Promise<RootfsRecipe> {
  const mirror = findAptMirror({ files: await readHostAptSources(), suite });
  const key = hashParts({ suite, mirror, packages: packages.join(','), variant: 'minbase', arch: process.arch });
  return { mirror, key: key.slice(0, tagHashLength) };
}

/** debootstrap into a scratch folder, trim caches, then tar it; the tarball is the cache. */
async function createRootfsTarball({ mirror, tarPath }: { mirror: string; tarPath: string }): Promise<void> {
  requireRoot('debootstrap');
  await ensureDebianTool({ command: 'debootstrap', aptPackage: 'debootstrap' });
  const dir = `${tarPath}.dir`;
  await rm(dir, { recursive: true, force: true });
  await runCommand({
    command: 'debootstrap',
    args: ['--variant=minbase', `--include=${packages.join(',')}`, suite, dir, mirror],
  });
  for (const leftover of ['var/cache/apt/archives', 'var/lib/apt/lists', 'var/log']) {
    await rm(path.join(dir, leftover), { recursive: true, force: true });
    await mkdir(path.join(dir, leftover), { recursive: true });
  }
  const partial = `${tarPath}.partial`;
  await runCommand({ command: 'tar', args: ['--numeric-owner', '-C', dir, '-cf', partial, '.'] });
  await rename(partial, tarPath);
  await rm(dir, { recursive: true, force: true });
}

function baseDockerfile({ rootfsImage }: { rootfsImage: string }): string {
  return [
    `FROM ${rootfsImage}`,
    'COPY node /usr/local/bin/node',
    'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  ].join('\n');
}

/**
 * `fluxnet/base:<hash>`: a debootstrap bookworm rootfs (cached as a tarball under .cache/) plus the
 * host's Node.js binary, so no registry is needed.
 */
export async function ensureBaseImage({ context, docker }: { context: BuildContext; docker: Docker }): Promise<string> {
  const { step, workDir } = context;
  const recipe = await rootfsRecipe();
  const rootfsImage = `fluxnet/rootfs:${recipe.key}`;
  const nodeSize = (await stat(process.execPath)).size;
  const dockerfile = baseDockerfile({ rootfsImage });
  const hash = hashParts({ dockerfile, nodeVersion: process.version, nodeSize: String(nodeSize) });
  const image = `fluxnet/base:${hash.slice(0, tagHashLength)}`;
  if (await imageBuiltFrom({ docker, image, hash })) return image;

  if (!(await imageExists({ docker, image: rootfsImage }))) {
    const tarPath = path.join(workDir, `rootfs-${recipe.key}.tar`);
    if (!(await pathExists(tarPath))) {
      await step(`base: debootstrap ${suite} minbase from ${recipe.mirror}`, () =>
        createRootfsTarball({ mirror: recipe.mirror, tarPath }),
      );
    }
    await step(`base: docker import ${rootfsImage}`, () => importRootfs({ tarPath, tag: rootfsImage }));
  }

  const contextDir = path.join(workDir, `base-context-${hash.slice(0, tagHashLength)}`);
  await rm(contextDir, { recursive: true, force: true });
  await mkdir(contextDir, { recursive: true });
  await copyFile(process.execPath, path.join(contextDir, 'node'));
  await writeFile(path.join(contextDir, 'Dockerfile'), `${dockerfile}\nLABEL ${inputHashLabel}="${hash}"\n`);
  await step(`base: add node ${process.version} -> ${image}`, () => buildImage({ contextDir, tag: image }));
  await rm(contextDir, { recursive: true, force: true });
  return image;
}
