/**
 * A real powercut of a node process: SIGKILL (no shutdown code runs, the heartbeat keeps its last
 * beat), a new machine boot id in FLUXNET_BOOT_ID_FILE, and the same node started again. The second
 * process reads a powercut boot context, waits for its gates and resumes its apps (alone, it has no
 * peer threshold to announce them at: FluxOS would wait for its hourly broadcast), then reaches READY.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeStats } from '../../reference-node/node.js';
import { type DaemonStubHandle, startDaemonStub } from '../../stubs/daemon/daemon-stub.js';
import { type LocalDb, startLocalFerretDb } from '../../test-infra/local/ferretdb.js';
import { History } from '../../test-infra/observe/history.js';
import { SseObserver } from '../../test-infra/observe/sse-observer.js';
import { waitForEvent } from '../../test-infra/observe/wait-for.js';
import { freePort, KEYS } from './node-cluster.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WAIT_MS = 30_000;
const FIXTURE_APPS = ['fluxnetcache', 'fluxnetdb', 'fluxnetweb'];

let db: LocalDb;
let stub: DaemonStubHandle;
let dir: string;
let ip: string;
const history = new History();
const observers: SseObserver[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  db = await startLocalFerretDb();
  ip = `127.0.0.1:${await freePort()}`;
  stub = await startDaemonStub({
    views: 1,
    controlPort: null,
    seed: 41,
    manifest: [{ ip, pubkey: KEYS.nodes[0]!.pubkey, tier: 2 }],
  });
  dir = await mkdtemp(join(tmpdir(), 'fluxnet-sigkill-'));
});

afterAll(async () => {
  for (const observer of observers) observer.close();
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await stub?.stop();
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function boot(bootId: string): Promise<{ child: ChildProcess; since: number }> {
  await writeFile(join(dir, 'boot-id'), `${bootId}\n`);
  const view = stub.views[0]!;
  const since = history.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'reference-node/main.ts'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      FLUXNET_NODE_IP: ip,
      FLUXNET_NODE_KEY: '1',
      FLUXNET_API_HOST: '127.0.0.1',
      FLUXNET_MONGO_URI: db.uri,
      FLUXNET_DB_PREFIX: 'kill_',
      FLUXNET_DAEMON_RPC_URL: view.rpcUrl,
      FLUXNET_DAEMON_RPC_USER: stub.options.rpcUser,
      FLUXNET_DAEMON_RPC_PASSWORD: stub.options.rpcPassword,
      FLUXNET_DAEMON_ZMQ: view.zmqEndpoint,
      FLUXNET_TIME_SCALE: '0.01',
      // Alone, the node never has sync peers: one block of timer lets it reach READY.
      FLUXNET_TUNABLES: JSON.stringify({ blockTimerBlocks: 1, bootDaemonWaitMs: 20_000, bootDbReadyWaitMs: 20_000 }),
      FLUXNET_TEST_EVENT_STREAM: 'true',
      FLUXNET_BOOT_ID_FILE: join(dir, 'boot-id'),
      FLUXNET_LOG_LEVEL: 'info',
    },
  });
  children.push(child);
  await listening(child);
  observers.push(new SseObserver({ node: 1, url: `http://${ip}/flux/eventstream`, history }));
  return { child, since };
}

/** Resolves on the node's "node started" log line (its API listens), fails with its stderr otherwise. */
function listening(child: ChildProcess): Promise<void> {
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start in ${WAIT_MS} ms:\n${stderr}`)), WAIT_MS);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.includes('"message":"node started"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code} before starting:\n${stderr}`));
    });
  });
}

const wait = (event: string, since: number, predicate?: (payload: unknown) => boolean) =>
  waitForEvent(history, { nodes: [1], event, since, timeoutMs: WAIT_MS, ...(predicate ? { predicate } : {}) });

/** Mines a block once the node is SYNCING, so its one-block timer expires; resolves at READY. */
async function ready(since: number): Promise<void> {
  await wait('orchestrator:stateChanged', since, (p) => (p as { to: string }).to === 'SYNCING');
  stub.mine({ blocks: 1 });
  await wait('orchestrator:stateChanged', since, (p) => (p as { to: string }).to === 'READY');
}

async function stats(): Promise<NodeStats> {
  const response = await fetch(`http://${ip}/flux/stats`);
  return ((await response.json()) as { data: NodeStats }).data;
}

describe('node process killed with SIGKILL', () => {
  it('boots again with a new boot id, classifies a powercut and resumes its apps', async () => {
    const first = await boot(randomUUID());
    await wait('app:running', first.since, (p) => (p as { apps: unknown[] }).apps.length === FIXTURE_APPS.length);
    await ready(first.since);
    const exited = once(first.child, 'exit');
    first.child.kill('SIGKILL');
    const [, signal] = await exited;
    expect(signal).toBe('SIGKILL');
    observers.at(-1)!.close();

    const bootId = randomUUID();
    const second = await boot(bootId);
    const started = await wait('orchestrator:started', second.since);
    const { bootContext } = started.get(1)!.payload as { bootContext: { downtimeMs: number } };
    expect(started.get(1)!.payload).toMatchObject({
      state: 'INITIALIZING',
      bootContext: { machineRebooted: true, cleanShutdown: false, firstBoot: false, currentBootId: bootId },
    });
    expect(bootContext.downtimeMs).toBeGreaterThanOrEqual(0);
    await wait('boot:settled', second.since);
    expect((await stats()).boot.decision).toEqual({
      kind: 'decided',
      step: 6,
      apps: FIXTURE_APPS.map((name) => ({ name, action: 'resume', reason: 'cache-row', broadcast: false })),
    });
    await ready(second.since);
    // Resumed, not reinstalled: the same documents, no install or removal since the restart.
    const names = history
      .entries()
      .filter((entry) => entry.kind === 'event' && entry.t >= second.since)
      .map((entry) => (entry.kind === 'event' ? entry.name : ''));
    expect(names).not.toContain('app:installed');
    expect(names).not.toContain('app:removed');
    expect(observers.flatMap((observer) => observer.malformed)).toEqual([]);
  });
});
