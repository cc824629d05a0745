/**
 * A MongoDB-wire database for tests, run as a local process on an ephemeral loopback port.
 *
 * Preferred: FerretDB v1.24.1 with its SQLite backend (`scripts/ensure-ferretdb` builds it into
 * .cache/bin). Where that binary cannot be had, the NX-27017 server (a Python MongoDB-wire server over
 * SQLite, installed into .cache/nx-27017 with `pip install --target`) stands in. `kind` says which one
 * runs; FLUXNET_LOCAL_DB=ferretdb|nx-27017 forces a choice.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MongoClient } from 'mongodb';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const FERRETDB_BIN = process.env.FLUXNET_FERRETDB_BIN ?? join(REPO_ROOT, '.cache/bin/ferretdb');
const NX_27017_DIR = process.env.FLUXNET_NX27017_DIR ?? join(REPO_ROOT, '.cache/nx-27017');
const DEFAULT_READY_TIMEOUT_MS = 30_000;
const PING_TIMEOUT_MS = 500;
const STOP_TIMEOUT_MS = 5_000;

export type LocalDbKind = 'ferretdb' | 'nx-27017';

export interface LocalDb {
  uri: string;
  kind: LocalDbKind;
  stop(): Promise<void>;
}

export interface StartLocalDbOptions {
  /** Where the SQLite files go; a fresh temp dir (removed on stop) when omitted. */
  dataDir?: string;
  readyTimeoutMs?: number;
}

/** Thrown when no server can be started; says what was looked for and what the process printed. */
export class LocalDbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalDbError';
  }
}

function chooseKind(): LocalDbKind {
  const forced = process.env.FLUXNET_LOCAL_DB;
  if (forced === 'ferretdb' || forced === 'nx-27017') return forced;
  if (forced !== undefined) throw new LocalDbError(`FLUXNET_LOCAL_DB: expected ferretdb or nx-27017, got ${forced}`);
  if (existsSync(FERRETDB_BIN)) return 'ferretdb';
  if (existsSync(join(NX_27017_DIR, 'nx_27017'))) return 'nx-27017';
  throw new LocalDbError(
    `no local MongoDB-wire server: neither ${FERRETDB_BIN} (run scripts/ensure-ferretdb) nor ${NX_27017_DIR} ` +
      `(pip install --target ${NX_27017_DIR} nx-27017==0.8.1) exists`,
  );
}

/** Asks the kernel for a free loopback port. */
async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new LocalDbError('could not read the ephemeral port'));
      });
    });
  });
}

function spawnServer({ kind, port, dataDir }: { kind: LocalDbKind; port: number; dataDir: string }): ChildProcess {
  if (kind === 'ferretdb') {
    return spawn(
      FERRETDB_BIN,
      [
        `--listen-addr=127.0.0.1:${port}`,
        '--handler=sqlite',
        `--sqlite-url=file:${dataDir}/`,
        `--state-dir=${dataDir}`,
        '--debug-addr=127.0.0.1:0',
        '--telemetry=disable',
        '--log-level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  }
  const launcher = 'import sys; from nx_27017.nx_27017 import main; sys.argv[0] = "nx-27017"; sys.exit(main())';
  return spawn(
    'python3',
    [
      '-c',
      launcher,
      '--host=127.0.0.1',
      `--port=${port}`,
      `--data-dir=${dataDir}`,
      `--log-file=${join(dataDir, 'nx-27017.log')}`,
      `--pid-file=${join(dataDir, 'nx-27017.pid')}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PYTHONPATH: NX_27017_DIR } },
  );
}

async function pingOnce(uri: string): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: PING_TIMEOUT_MS, connectTimeoutMS: PING_TIMEOUT_MS });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => {});
  }
}

/** Polls `ping` until it answers, the process dies, or the deadline passes. */
async function waitReady({
  uri,
  child,
  deadline,
  stderr,
}: {
  uri: string;
  child: ChildProcess;
  deadline: number;
  stderr: () => string;
}): Promise<void> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new LocalDbError(
        `database exited (${child.exitCode ?? child.signalCode}) before answering ping: ${stderr()}`,
      );
    }
    if (await pingOnce(uri)) return;
  }
  throw new LocalDbError(`database at ${uri} did not answer ping in time; stderr: ${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

export async function startLocalFerretDb({
  dataDir,
  readyTimeoutMs = DEFAULT_READY_TIMEOUT_MS,
}: StartLocalDbOptions = {}): Promise<LocalDb> {
  const kind = chooseKind();
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), `fluxnet-${kind}-`)));
  const port = await freePort();
  const child = spawnServer({ kind, port, dataDir: dir });
  let stderrText = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderrText = (stderrText + chunk).slice(-4000);
  });
  const uri = `mongodb://127.0.0.1:${port}/?directConnection=true`;
  const stop = async (): Promise<void> => {
    await stopChild(child);
    if (!dataDir) await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitReady({
      uri,
      child,
      deadline: Date.now() + readyTimeoutMs,
      stderr: () => stderrText.trim() || '(empty)',
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { uri, kind, stop };
}
