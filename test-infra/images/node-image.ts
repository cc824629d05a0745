import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { bundleNode } from './bundle-node.js';
import { compileProject } from './compile.js';
import { buildImage, imageBuiltFrom } from './docker-images.js';
import { hashParts, hashTree, tagHashLength } from './input-hash.js';
import { ensureDepsImage } from './node-deps.js';
import { CommandFailedError, runCommand } from './run-command.js';
import type { BuildContext } from './types.js';
import { inputHashLabel } from './types.js';

/** What the compiled code is made from; a change to any of these rebuilds the image. */
const sourceEntries = [
  'protocol',
  'stubs',
  'reference-node',
  'test-infra',
  'fixtures',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
];

function nodeDockerfile({ depsImage }: { depsImage: string }): string {
  return [
    `FROM ${depsImage}`,
    'WORKDIR /app',
    'COPY app /app',
    'ENV NODE_ENV=production',
    // tini as PID 1 forwards SIGTERM to node at once and reaps zombies.
    'ENTRYPOINT ["/usr/bin/tini", "--"]',
    'CMD ["node", "--version"]',
  ].join('\n');
}

/** Compiled code (cached incrementally under .cache/), package.json and fixtures, copied into `appDir`. */
async function stageApp({ context, appDir }: { context: BuildContext; appDir: string }): Promise<void> {
  const { repoRoot, workDir, step } = context;
  const outDir = path.join(workDir, 'dist');
  await step(
    'node: tsc -p tsconfig.build.json',
    () => compileProject({ repoRoot, outDir }),
    ({ typeErrors }) => (typeErrors === 0 ? 'clean' : `emitted with ${typeErrors} type errors (see npm run typecheck)`),
  );
  await mkdir(appDir, { recursive: true });
  await copyFile(path.join(repoRoot, 'package.json'), path.join(appDir, 'package.json'));
  await runCommand({ command: 'cp', args: ['-r', outDir, path.join(appDir, 'dist')] });
  await runCommand({ command: 'cp', args: ['-r', path.join(repoRoot, 'fixtures'), path.join(appDir, 'fixtures')] });
  await step(
    'node: bundle the reference node (esbuild)',
    () => bundleNode({ appDir }),
    ({ bytes }) => `${(bytes / 2 ** 20).toFixed(1)} MiB`,
  );
}

/** Proves the prebuilt zeromq addon loads inside the image (glibc, Node ABI), before the tag is trusted. */
async function verifyZeromq({ docker, image }: { docker: Docker; image: string }): Promise<void> {
  const script =
    "const zmq = await import('zeromq'); if (typeof zmq.Publisher !== 'function') throw new Error('no Publisher');";
  try {
    await runCommand({
      command: 'docker',
      args: ['run', '--rm', '--network', 'none', image, 'node', '--input-type=module', '-e', script],
    });
  } catch (error) {
    await docker.getImage(image).remove({ force: true });
    throw error instanceof CommandFailedError
      ? new Error(`zeromq does not load in ${image} (image removed): ${error.output.trim().slice(-2_000)}`)
      : error;
  }
}

/** `fluxnet/node:<hash>`: base + production node_modules + compiled code, with tini as entrypoint. */
export async function ensureNodeImage({
  context,
  docker,
  base,
}: {
  context: BuildContext;
  docker: Docker;
  base: string;
}): Promise<{ image: string; deps: string }> {
  const { repoRoot, workDir, step } = context;
  const depsImage = await ensureDepsImage({ context, docker, base });
  const dockerfile = nodeDockerfile({ depsImage });
  const sources = await hashTree({ root: repoRoot, entries: sourceEntries, exclude: (f) => f.endsWith('.test.ts') });
  const hash = hashParts({ dockerfile, sources, nodeVersion: process.version });
  const image = `fluxnet/node:${hash.slice(0, tagHashLength)}`;
  if (await imageBuiltFrom({ docker, image, hash })) return { image, deps: depsImage };

  const contextDir = path.join(workDir, `node-context-${hash.slice(0, tagHashLength)}`);
  await rm(contextDir, { recursive: true, force: true });
  await stageApp({ context, appDir: path.join(contextDir, 'app') });
  await writeFile(path.join(contextDir, 'Dockerfile'), `${dockerfile}\nLABEL ${inputHashLabel}="${hash}"\n`);
  await step(`node: docker build ${image}`, () => buildImage({ contextDir, tag: image }));
  await rm(contextDir, { recursive: true, force: true });
  await step('node: zeromq loads in the container', () => verifyZeromq({ docker, image }));
  return { image, deps: depsImage };
}
