import { copyFile, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { buildImage, imageBuiltFrom, imageExists } from './docker-images.js';
import { pathExists } from './fs-utils.js';
import { ensureDebianTool } from './host-tools.js';
import { hashParts } from './input-hash.js';
import { CommandFailedError, runCommand } from './run-command.js';
import type { BuildContext, DbImage } from './types.js';
import { inputHashLabel } from './types.js';

const mongoImage = 'mongo:8';
const ferretDbVersion = '1.24.1';
/** Pinned together so the fallback database is the same everywhere. */
const nxPackages = ['nx-27017==0.8.1', 'neosqlite==1.17.2', 'pymongo==4.20.0', 'dnspython==2.9.2'];
/** The base image's python3 (Debian bookworm). */
const basePythonVersion = '3.11';
const wirePort = '27017';

const ferretDbFlags = [
  '--handler=sqlite',
  '--sqlite-url=file:/data/',
  `--listen-addr=0.0.0.0:${wirePort}`,
  '--state-dir=/data',
  '--telemetry=disable',
];

function dockerfileWithLabel(body: string, hash: string): string {
  return `${body}\nLABEL ${inputHashLabel}="${hash}"\n`;
}

async function buildFromContext({
  contextDir,
  dockerfile,
  hash,
  image,
}: {
  contextDir: string;
  dockerfile: string;
  hash: string;
  image: string;
}): Promise<void> {
  await writeFile(path.join(contextDir, 'Dockerfile'), dockerfileWithLabel(dockerfile, hash));
  await buildImage({ contextDir, tag: image });
}

type FerretDbBinary = { ok: true; binary: string } | { ok: false; reason: string };

/** Runs scripts/ensure-ferretdb; it remembers a refusal by the Go module proxy, so this stays fast. */
async function ferretDbBinary(context: BuildContext): Promise<FerretDbBinary> {
  const binary = path.join(context.repoRoot, '.cache', 'bin', 'ferretdb');
  try {
    await runCommand({ command: path.join(context.repoRoot, 'scripts', 'ensure-ferretdb'), args: [] });
    return { ok: true, binary };
  } catch (error) {
    const output = error instanceof CommandFailedError ? error.output : String(error);
    const line = output.split('\n').find((candidate) => /\b40[34]\b|410|required/i.test(candidate));
    // The proxy's line ends in the status after a long URL; the status is what matters.
    const reason = line?.includes('proxy') ? `Go module proxy: ${line.split(': ').pop()?.trim()}` : line?.trim();
    return { ok: false, reason: reason ?? 'scripts/ensure-ferretdb failed' };
  }
}

/** Fails early, with the flag named, if the binary does not accept what the entrypoint passes it. */
async function checkFerretDbFlags(binary: string): Promise<void> {
  const { stdout, stderr } = await runCommand({ command: binary, args: ['--help'] });
  const help = stdout + stderr;
  const missing = ferretDbFlags.map((flag) => flag.split('=')[0] ?? flag).filter((name) => !help.includes(name));
  if (missing.length > 0) {
    throw new Error(`${binary} --help does not list ${missing.join(', ')}; the db image entrypoint needs them`);
  }
}

async function ensureFerretDbImage({
  context,
  docker,
  base,
  binary,
}: {
  context: BuildContext;
  docker: Docker;
  base: string;
  binary: string;
}): Promise<string> {
  const image = `fluxnet/ferretdb:${ferretDbVersion}`;
  const entrypoint = JSON.stringify(['/usr/bin/tini', '--', '/usr/local/bin/ferretdb', ...ferretDbFlags]);
  const dockerfile = [
    `FROM ${base}`,
    'COPY ferretdb /usr/local/bin/ferretdb',
    'VOLUME /data',
    `EXPOSE ${wirePort}`,
    `ENTRYPOINT ${entrypoint}`,
  ].join('\n');
  const binarySize = String((await stat(binary)).size);
  const hash = hashParts({ dockerfile, ferretDbVersion, binarySize });
  if (await imageBuiltFrom({ docker, image, hash })) return image;
  await checkFerretDbFlags(binary);
  const contextDir = path.join(context.workDir, 'ferretdb-context');
  await rm(contextDir, { recursive: true, force: true });
  await mkdir(contextDir, { recursive: true });
  await copyFile(binary, path.join(contextDir, 'ferretdb'));
  await context.step(`db: build ${image}`, () => buildFromContext({ contextDir, dockerfile, hash, image }));
  await rm(contextDir, { recursive: true, force: true });
  return image;
}

async function pipAnswers(): Promise<boolean> {
  return runCommand({ command: 'python3', args: ['-m', 'pip', '--version'] }).then(
    () => true,
    () => false,
  );
}

/** Wheels for the container's CPython, fetched by the host's pip into a cached folder. */
async function stageNxPackages({ siteDir }: { siteDir: string }): Promise<void> {
  await ensureDebianTool({ command: 'python3 -m pip', aptPackage: 'python3-pip', isPresent: pipAnswers });
  const platform = process.arch === 'arm64' ? 'manylinux2014_aarch64' : 'manylinux2014_x86_64';
  const partial = `${siteDir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await runCommand({
    command: 'python3',
    args: [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--no-compile',
      '--only-binary=:all:',
      '--implementation',
      'cp',
      '--python-version',
      basePythonVersion,
      '--platform',
      platform,
      '--target',
      partial,
      ...nxPackages,
    ],
  });
  await rm(siteDir, { recursive: true, force: true });
  await mkdir(path.dirname(siteDir), { recursive: true });
  await runCommand({ command: 'mv', args: [partial, siteDir] });
}

async function ensureNxImage({
  context,
  docker,
  base,
}: {
  context: BuildContext;
  docker: Docker;
  base: string;
}): Promise<string> {
  const version = nxPackages[0]?.split('==')[1] ?? 'unknown';
  const image = `fluxnet/nx-27017:${version}`;
  const server = 'from nx_27017.nx_27017 import main; main()';
  const entrypoint = ['/usr/bin/tini', '--', 'python3', '-c', server];
  // The pid file must not survive a SIGKILL: a rebooted container often gets the same pid and the server
  // would think it is already running. /dev/shm is emptied on every container start.
  const command = [
    '--data-dir',
    '/data',
    '--host',
    '0.0.0.0',
    '--port',
    wirePort,
    '--pid-file',
    '/dev/shm/nx_27017.pid',
  ];
  const dockerfile = [
    `FROM ${base}`,
    'COPY site /opt/nx-27017',
    // Bytecode compiled once here: otherwise each of 16 databases compiles every module at start.
    'RUN python3 -m compileall -q /opt/nx-27017',
    'ENV PYTHONPATH=/opt/nx-27017 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1',
    'VOLUME /data',
    `EXPOSE ${wirePort}`,
    `ENTRYPOINT ${JSON.stringify([...entrypoint, ...command])}`,
  ].join('\n');
  const hash = hashParts({ dockerfile, packages: nxPackages.join(','), arch: process.arch });
  if (await imageBuiltFrom({ docker, image, hash })) return image;
  const contextDir = path.join(context.workDir, `nx-27017-${version}-${process.arch}`);
  const siteDir = path.join(contextDir, 'site');
  if (!(await pathExists(path.join(siteDir, 'nx_27017')))) {
    await context.step(`db: pip install ${nxPackages.join(' ')}`, () => stageNxPackages({ siteDir }));
  }
  await context.step(`db: build ${image}`, () => buildFromContext({ contextDir, dockerfile, hash, image }));
  return image;
}

/**
 * The database image: mongo:8 when present locally (no registry to pull it from), else FerretDB
 * when its binary can be built, else nx-27017 (a MongoDB wire-protocol server over SQLite from PyPI).
 */
export async function ensureDbImage({
  context,
  docker,
  base,
}: {
  context: BuildContext;
  docker: Docker;
  base: string;
}): Promise<DbImage> {
  if (await imageExists({ docker, image: mongoImage })) {
    return { image: mongoImage, kind: 'mongo', reason: `${mongoImage} is present locally` };
  }
  const ferretDb = await ferretDbBinary(context);
  if (ferretDb.ok) {
    const image = await ensureFerretDbImage({ context, docker, base, binary: ferretDb.binary });
    return { image, kind: 'ferretdb', reason: `${mongoImage} is not present locally` };
  }
  const image = await ensureNxImage({ context, docker, base });
  return {
    image,
    kind: 'nx-27017',
    reason: `${mongoImage} is not present locally and FerretDB v${ferretDbVersion} is unavailable (${ferretDb.reason})`,
  };
}
