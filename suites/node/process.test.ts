/**
 * The reference node as a process (reference-node/main.ts): configuration errors exit 2 naming the
 * variable; a configured node boots, runs its fixture apps, and on SIGTERM stores its sigterm,
 * shortens its own rows and exits 0 within the bound.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_TUNABLES, scaleTunables } from '../../reference-node/tunables.js';
import { type DaemonStubHandle, startDaemonStub } from '../../stubs/daemon/daemon-stub.js';
import { type LocalDb, startLocalFerretDb } from '../../test-infra/local/ferretdb.js';
import { History } from '../../test-infra/observe/history.js';
import { SseObserver } from '../../test-infra/observe/sse-observer.js';
import { waitForEvent } from '../../test-infra/observe/wait-for.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const keys = JSON.parse(readFileSync(new URL('../../fixtures/keys.json', import.meta.url), 'utf8')) as {
  nodes: { pubkey: string }[];
};
const SHUTDOWN_TIMEOUT_MS = 5_000;
const TIME_SCALE = 0.01;
const GRACE_MS = scaleTunables(DEFAULT_TUNABLES, TIME_SCALE).sigtermExpiryMs;

function startNode(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'reference-node/main.ts'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** Collects stderr and resolves when a line matches (the node logs JSON lines). */
function watchStderr(child: ChildProcess): { text: () => string; line: (pattern: RegExp) => Promise<string> } {
  let text = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
    for (const waiter of [...waiters]) {
      const line = text.split('\n').find((candidate) => waiter.pattern.test(candidate));
      if (line) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  return {
    text: () => text,
    line: (pattern) => {
      const found = text.split('\n').find((candidate) => pattern.test(candidate));
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ pattern, resolve }));
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let db: LocalDb | undefined;
let stub: DaemonStubHandle | undefined;
let events: SseObserver | undefined;
let child: ChildProcess | undefined;

afterAll(async () => {
  events?.close();
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await stub?.stop();
  await db?.stop();
});

describe('reference node process', () => {
  it('exits 2 naming the variable on bad configuration', async () => {
    const bad = startNode({
      FLUXNET_NODE_IP: '127.0.0.1',
      FLUXNET_NODE_KEY: '1',
      FLUXNET_MONGO_URI: 'mongodb://127.0.0.1:1',
      FLUXNET_DAEMON_RPC_URL: 'http://127.0.0.1:1/',
    });
    const stderr = watchStderr(bad);
    const [code] = await once(bad, 'exit');
    expect(code).toBe(2);
    expect(stderr.text()).toMatch(/bad configuration: FLUXNET_NODE_IP: expected host:port/);
  });

  it('runs its apps and on SIGTERM announces, stores the sigterm and exits 0 in time', async () => {
    db = await startLocalFerretDb();
    const ip = `127.0.0.1:${await freePort()}`;
    stub = await startDaemonStub({
      views: 1,
      controlPort: null,
      seed: 5,
      manifest: [{ ip, pubkey: keys.nodes[0]!.pubkey, tier: 2 }],
    });
    const view = stub.views[0]!;
    child = startNode({
      FLUXNET_NODE_IP: ip,
      FLUXNET_NODE_KEY: '1',
      FLUXNET_API_HOST: '127.0.0.1',
      FLUXNET_MONGO_URI: db.uri,
      FLUXNET_DB_PREFIX: 'proc_',
      FLUXNET_DAEMON_RPC_URL: view.rpcUrl,
      FLUXNET_DAEMON_RPC_USER: stub.options.rpcUser,
      FLUXNET_DAEMON_RPC_PASSWORD: stub.options.rpcPassword,
      FLUXNET_DAEMON_ZMQ: view.zmqEndpoint,
      FLUXNET_TIME_SCALE: String(TIME_SCALE),
      FLUXNET_TEST_EVENT_STREAM: 'true',
      FLUXNET_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      FLUXNET_LOG_LEVEL: 'info',
    });
    const stderr = watchStderr(child);
    const exited = once(child, 'exit');
    await stderr.line(/"message":"node started"/);

    const history = new History();
    events = new SseObserver({ node: 1, url: `http://${ip}/flux/eventstream`, history });
    const fixtureApps = ['fluxnetcache', 'fluxnetdb', 'fluxnetweb'];
    await waitForEvent(history, {
      nodes: [1],
      event: 'app:running',
      predicate: (payload) => (payload as { apps: unknown[] }).apps.length === fixtureApps.length,
      timeoutMs: 20_000,
    });
    await waitForEvent(history, { nodes: [1], event: 'explorer:ready', timeoutMs: 20_000 });
    const health = await fetch(`http://${ip}/health`);
    expect(health.status).toBe(200);

    const signalledAt = performance.now();
    child.kill('SIGTERM');
    const [code] = await exited;
    const shutdownMs = performance.now() - signalledAt;
    expect(code).toBe(0);
    expect(shutdownMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(stderr.text()).toMatch(/"message":"sigterm announced"/);

    const mongo = new MongoClient(db.uri);
    try {
      const apps = mongo.db('proc_globalzelapps');
      const sigterm = await apps.collection('appstateevents').findOne({ ip, type: 'sigterm' });
      expect(sigterm).toMatchObject({ dedupKey: 'sigterm', data: { type: 'fluxnodesigterm', ip } });
      const rows = await apps.collection('zelappslocation').find({ ip }).toArray();
      expect(rows.map((row) => row.name).sort()).toEqual(fixtureApps);
      for (const row of rows) expect(row.expireAt).toBe((sigterm!.broadcastedAt as number) + GRACE_MS);
      const local = await mongo.db('proc_zelfluxlocal').collection('localapps').countDocuments();
      expect(local).toBe(fixtureApps.length);
    } finally {
      await mongo.close();
    }
  });
});
