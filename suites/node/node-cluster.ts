/**
 * In-process reference nodes for the node suites: a daemon stub listing `listed` nodes (the ones
 * never started are free for the test to act as), one local MongoDB-wire server (a database prefix
 * per node), each node's events in one History through its SSE stream, and a boot-id file per node
 * that a powercut rewrites (as the harness does for containers, FLUXNET_BOOT_ID_FILE).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { signAppMessage } from '../../protocol/gossip/app-message.js';
import { loadNodeConfig } from '../../reference-node/config.js';
import { type NodeStats, type ReferenceNode, startReferenceNode } from '../../reference-node/node.js';
import type { Tunables } from '../../reference-node/tunables.js';
import { type DaemonStubHandle, startDaemonStub } from '../../stubs/daemon/daemon-stub.js';
import { type LocalDb, startLocalFerretDb } from '../../test-infra/local/ferretdb.js';
import { History } from '../../test-infra/observe/history.js';
import { SseObserver } from '../../test-infra/observe/sse-observer.js';
import { type WaitForOptions, waitForEvent } from '../../test-infra/observe/wait-for.js';

export interface KeyFile {
  nodes: { index: number; privkey: string; pubkey: string }[];
  owners: { name: string; privkey: string; pubkey: string; address: string }[];
}

export const KEYS = JSON.parse(readFileSync(new URL('../../fixtures/keys.json', import.meta.url), 'utf8')) as KeyFile;

export interface ClusterApp {
  name: string;
  instances: number;
}

export interface ClusterOptions {
  /** Nodes in the daemon's deterministic list (keys 1..listed of fixtures/keys.json). */
  listed: number;
  seed: number;
  /** Database prefix stem: node n uses `<prefix><n>_`. */
  prefix: string;
  timeScale: number;
  tunables: Partial<Tunables>;
  /** Signed registrations written to the nodes' apps folder. */
  apps: ClusterApp[];
  /** How long a wait may take before it fails with the nodes' last events. */
  waitMs: number;
}

export interface Cluster {
  readonly stub: DaemonStubHandle;
  readonly mongo: MongoClient;
  readonly history: History;
  readonly ips: readonly string[];
  ipOf(n: number): string;
  node(n: number): ReferenceNode;
  stats(n: number): NodeStats;
  /** Starts node n (again) with the current boot id; `env` adds variables (e.g. FLUXNET_REGRESSIONS). */
  start(n: number, env?: Record<string, string>): Promise<ReferenceNode>;
  /** Powercut: closes node n without announcing anything, then gives its machine a new boot id. */
  powercut(n: number): Promise<void>;
  bootIdOf(n: number): string;
  /** The database of node n, e.g. db(1, 'zelfluxlocal'). */
  db(n: number, database: string): ReturnType<MongoClient['db']>;
  wait(options: Omit<WaitForOptions, 'timeoutMs'>): ReturnType<typeof waitForEvent>;
  /** Frames that broke the SSE catalogue, across every subscription (must stay empty). */
  malformed(): string[];
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function writeApps(dir: string, apps: readonly ClusterApp[]): Promise<void> {
  const owner = KEYS.owners[0]!;
  for (const app of apps) {
    const message = signAppMessage({
      type: 'fluxappregister',
      version: 1,
      appSpecifications: { version: 7, name: app.name, owner: owner.address, instances: app.instances, compose: [] },
      timestamp: 1_700_000_000_000,
      privkeyHex: owner.privkey,
    });
    await writeFile(join(dir, `${app.name}.json`), JSON.stringify(message));
  }
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const db: LocalDb = await startLocalFerretDb();
  const mongo = new MongoClient(db.uri);
  const history = new History();
  const ips: string[] = [];
  for (let i = 0; i < options.listed; i += 1) ips.push(`127.0.0.1:${await freePort()}`);
  const stub = await startDaemonStub({
    views: options.listed,
    rpcPort: 0,
    zmqPort: 0,
    controlPort: null,
    seed: options.seed,
    manifest: ips.map((ip, i) => ({ ip, pubkey: KEYS.nodes[i]!.pubkey, tier: 1 as const })),
  });
  const dir = await mkdtemp(join(tmpdir(), 'fluxnet-cluster-'));
  const appsDir = join(dir, 'apps');
  await mkdir(appsDir);
  await writeApps(appsDir, options.apps);
  const nodes = new Map<number, ReferenceNode>();
  const observers = new Map<number, SseObserver>();
  const malformed: string[] = [];
  const bootIds = new Map<number, string>();
  const bootIdFile = (n: number): string => join(dir, `boot-id-${n}`);
  const newBootId = async (n: number): Promise<void> => {
    const id = randomUUID();
    bootIds.set(n, id);
    await writeFile(bootIdFile(n), `${id}\n`);
  };
  /** A restarted node has a new SSE epoch: its events come through a fresh observer. */
  const closeObserver = (n: number): void => {
    const observer = observers.get(n);
    if (!observer) return;
    malformed.push(...observer.malformed);
    observer.close();
    observers.delete(n);
  };
  const node = (n: number): ReferenceNode => {
    const found = nodes.get(n);
    if (!found) throw new Error(`node ${n} is not running`);
    return found;
  };

  return {
    stub,
    mongo,
    history,
    ips,
    ipOf: (n) => ips[n - 1]!,
    node,
    stats: (n) => node(n).stats(),
    bootIdOf: (n) => bootIds.get(n) ?? '',
    db: (n, database) => mongo.db(`${options.prefix}${n}_${database}`),
    start: async (n, env = {}) => {
      if (!bootIds.has(n)) await newBootId(n);
      const view = stub.views[n - 1]!;
      const config = loadNodeConfig({
        FLUXNET_NODE_IP: ips[n - 1],
        FLUXNET_NODE_KEY: String(n),
        FLUXNET_API_HOST: '127.0.0.1',
        FLUXNET_MONGO_URI: db.uri,
        FLUXNET_DB_PREFIX: `${options.prefix}${n}_`,
        FLUXNET_DAEMON_RPC_URL: view.rpcUrl,
        FLUXNET_DAEMON_RPC_USER: stub.options.rpcUser,
        FLUXNET_DAEMON_RPC_PASSWORD: stub.options.rpcPassword,
        FLUXNET_DAEMON_ZMQ: view.zmqEndpoint,
        FLUXNET_TIME_SCALE: String(options.timeScale),
        FLUXNET_TUNABLES: JSON.stringify(options.tunables),
        FLUXNET_TEST_EVENT_STREAM: 'true',
        FLUXNET_APPS_DIR: appsDir,
        FLUXNET_BOOT_ID_FILE: bootIdFile(n),
        FLUXNET_LOG_LEVEL: 'warn',
        ...env,
      });
      const started = await startReferenceNode(config);
      nodes.set(n, started);
      observers.set(n, new SseObserver({ node: n, url: `${started.url}/flux/eventstream`, history }));
      return started;
    },
    powercut: async (n) => {
      await node(n).stop();
      nodes.delete(n);
      closeObserver(n);
      await newBootId(n);
    },
    wait: (wait) => waitForEvent(history, { timeoutMs: options.waitMs, ...wait }),
    malformed: () => [...malformed, ...[...observers.values()].flatMap((observer) => observer.malformed)],
    close: async () => {
      for (const n of [...observers.keys()]) closeObserver(n);
      await Promise.all([...nodes.values()].map((running) => running.stop()));
      await stub.stop();
      await mongo.close();
      await db.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
