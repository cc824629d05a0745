/**
 * Reference nodes gossiping for real: a daemon stub (ZMQ + RPC per view), one local MongoDB-wire
 * server (a database prefix per node) and four in-process reference nodes with time compressed
 * 100x. Every wait is on SSE events; database state is checked once the event says it is there.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { signAppMessage } from '../../protocol/gossip/app-message.js';
import { type SignedBroadcast, signBroadcast, verifyBroadcast } from '../../protocol/gossip/envelope.js';
import { encodePeerFrame, parsePeerFrame } from '../../protocol/gossip/wire.js';
import { placeApp } from '../../reference-node/apps/placement.js';
import type { Clock } from '../../reference-node/clock.js';
import { loadNodeConfig } from '../../reference-node/config.js';
import { type ReferenceNode, startReferenceNode } from '../../reference-node/node.js';
import { createHello } from '../../reference-node/peers/handshake.js';
import { type DaemonStubHandle, startDaemonStub } from '../../stubs/daemon/daemon-stub.js';
import { type LocalDb, startLocalFerretDb } from '../../test-infra/local/ferretdb.js';
import { History } from '../../test-infra/observe/history.js';
import { SseObserver } from '../../test-infra/observe/sse-observer.js';
import { waitForEvent } from '../../test-infra/observe/wait-for.js';

interface KeyFile {
  nodes: { index: number; privkey: string; pubkey: string }[];
  owners: { name: string; privkey: string; pubkey: string; address: string }[];
}

const keys = JSON.parse(readFileSync(new URL('../../fixtures/keys.json', import.meta.url), 'utf8')) as KeyFile;
const RUNNING = 4;
/** Listed in the daemon's node list, run by no process: the test itself acts as this peer. */
const FAKE_PEER = 5;
const NODES = [1, 2, 3, 4];
const TIME_SCALE = 0.01;
const WAIT_MS = 20_000;

/** Real time until the test freezes it at a chosen instant: expiry is checked without waiting for it. */
function freezableClock(): Clock & { freezeAt(epochMs: number): void } {
  let frozen: number | undefined;
  return {
    now: () => frozen ?? Date.now(),
    freezeAt: (epochMs) => {
      frozen = epochMs;
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

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  const body = (await response.json()) as { status: string; data: T };
  if (response.status !== 200) throw new Error(`GET ${url}: HTTP ${response.status} ${JSON.stringify(body)}`);
  return body.data;
}

let db: LocalDb;
let mongo: MongoClient;
let stub: DaemonStubHandle;
let appsDir: string;
const clock = freezableClock();
const history = new History();
const ips: string[] = [];
const nodes: ReferenceNode[] = [];
const subscriptions: SseObserver[] = [];

const node = (n: number): ReferenceNode => nodes[n - 1]!;
const ipOf = (n: number): string => ips[n - 1]!;
const indexOfIp = (ip: string): number => ips.indexOf(ip) + 1;
const wait = (options: Omit<Parameters<typeof waitForEvent>[1], 'timeoutMs'>) =>
  waitForEvent(history, { timeoutMs: WAIT_MS, ...options });

beforeAll(async () => {
  db = await startLocalFerretDb();
  mongo = new MongoClient(db.uri);
  for (let i = 0; i < FAKE_PEER; i += 1) ips.push(`127.0.0.1:${await freePort()}`);
  stub = await startDaemonStub({
    views: RUNNING,
    rpcPort: 0,
    zmqPort: 0,
    controlPort: null,
    seed: 11,
    manifest: ips.map((ip, i) => ({ ip, pubkey: keys.nodes[i]!.pubkey, tier: 1 as const })),
  });
  appsDir = await mkdtemp(join(tmpdir(), 'fluxnet-apps-'));
  for (const n of NODES) {
    const view = stub.views[n - 1]!;
    const config = loadNodeConfig({
      FLUXNET_NODE_IP: ipOf(n),
      FLUXNET_NODE_KEY: String(n),
      FLUXNET_MONGO_URI: db.uri,
      FLUXNET_DB_PREFIX: `gossip${n}_`,
      FLUXNET_DAEMON_RPC_URL: view.rpcUrl,
      FLUXNET_DAEMON_RPC_USER: stub.options.rpcUser,
      FLUXNET_DAEMON_RPC_PASSWORD: stub.options.rpcPassword,
      FLUXNET_DAEMON_ZMQ: view.zmqEndpoint,
      FLUXNET_TIME_SCALE: String(TIME_SCALE),
      // 3 outbound + 3 inbound among the 4 running nodes; pings slow enough for a loaded test machine.
      FLUXNET_TUNABLES: JSON.stringify({
        appSyncPeerThreshold: 6,
        appSyncDegradedThreshold: 2,
        peerPingIntervalMs: 2000,
      }),
      FLUXNET_TEST_EVENT_STREAM: 'true',
      FLUXNET_APPS_DIR: appsDir,
      FLUXNET_LOG_LEVEL: 'warn',
    });
    nodes.push(await startReferenceNode(config, { clock }));
    subscriptions.push(new SseObserver({ node: n, url: `${node(n).url}/flux/eventstream`, history }));
  }
});

afterAll(async () => {
  for (const subscription of subscriptions) subscription.close();
  await Promise.all(nodes.map((n) => n.stop()));
  await stub?.stop();
  await mongo?.close();
  await db?.stop();
  if (appsDir) await rm(appsDir, { recursive: true, force: true });
});

describe('reference nodes over signed gossip', () => {
  it('connect to every running peer with authenticated handshakes', async () => {
    const reached = await wait({ nodes: NODES, event: 'peers:thresholdReached' });
    for (const entry of reached.values()) expect(entry.payload).toEqual({ count: 6, threshold: 6 });
    for (const n of NODES) {
      const connected = node(n).stats().peers.connected.sort();
      expect(connected).toEqual(
        NODES.filter((other) => other !== n)
          .map(ipOf)
          .sort(),
      );
    }
  });

  let appName = '';
  let hostNode = 0;

  it('spreads an app installed on one node to every node via signed apprunning', async () => {
    const listed = ips;
    appName = ['gossipapp', 'gossipweb', 'gossipdb', 'gossipkv', 'gossipq'].find((name) => {
      const [first] = placeApp({ appName: name, instances: 1, ips: listed });
      return first !== undefined && indexOfIp(first) <= RUNNING;
    })!;
    hostNode = indexOfIp(placeApp({ appName, instances: 1, ips: listed })[0]!);
    const alice = keys.owners[0]!;
    const message = signAppMessage({
      type: 'fluxappregister',
      version: 1,
      appSpecifications: { version: 7, name: appName, owner: alice.address, instances: 1, compose: [] },
      timestamp: clock.now(),
      privkeyHex: alice.privkey,
    });
    const registered = await fetch(`${node(1).url}/apps/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
    });
    expect(registered.status).toBe(200);
    await wait({
      nodes: NODES,
      event: 'network:appmessage',
      predicate: (p) => (p as { hash: string }).hash === message.hash,
    });

    stub.core.queueAppMessage({ hash: message.hash });
    const [block] = stub.mine({ blocks: 1 });
    await wait({
      nodes: NODES,
      event: 'app:specStored',
      predicate: (p) => (p as { hash: string }).hash === message.hash,
    });
    await wait({
      nodes: [hostNode],
      event: 'app:installed',
      predicate: (p) => (p as { name: string }).name === appName,
    });
    const running = await wait({
      nodes: [hostNode],
      event: 'app:running',
      predicate: (p) => (p as { apps: { name: string }[] }).apps.some((app) => app.name === appName),
    });
    expect(running.get(hostNode)!.payload).toMatchObject({
      ip: ipOf(hostNode),
      apps: [{ name: appName, hash: message.hash }],
    });
    const others = NODES.filter((n) => n !== hostNode);
    const heard = await wait({
      nodes: others,
      event: 'network:apprunning',
      predicate: (p) => (p as { ip: string }).ip === ipOf(hostNode),
    });
    for (const entry of heard.values()) {
      expect(entry.payload).toMatchObject({ ip: ipOf(hostNode), apps: [{ name: appName, hash: message.hash }] });
    }

    for (const n of NODES) {
      const rows = await getJson<{ name: string; ip: string; hash: string }[]>(
        `${node(n).url}/apps/location/${appName}`,
      );
      expect(rows.map(({ name, ip, hash }) => ({ name, ip, hash }))).toEqual([
        { name: appName, ip: ipOf(hostNode), hash: message.hash },
      ]);
      const hashRow = await mongo
        .db(`gossip${n}_zelcashdata`)
        .collection('zelappshashes')
        .findOne({ hash: message.hash });
      expect(hashRow).toMatchObject({ height: block!.height, message: true, messageNotFound: false });
      const permanent = await mongo
        .db(`gossip${n}_globalzelapps`)
        .collection('zelappsmessages')
        .findOne({ hash: message.hash });
      expect(permanent).toMatchObject({ height: block!.height, txid: hashRow!.txid });
    }
    // The stored event keeps the full signed payload and envelope: it re-verifies (field bug 8).
    const event = await mongo
      .db(`gossip${others[0]}_globalzelapps`)
      .collection('appstateevents')
      .findOne({ ip: ipOf(hostNode), type: 'apprunning' });
    expect(event).not.toBeNull();
    expect(verifyBroadcast({ ...(event!.envelope as Omit<SignedBroadcast, 'data'>), data: event!.data })).toBe(true);
  });

  it('rejects and counts forged broadcasts, relays genuine ones', async () => {
    const fake = keys.nodes[FAKE_PEER - 1]!;
    const fakeIp = ips[FAKE_PEER - 1]!;
    const socket = new WebSocket(`ws://${ipOf(1)}/ws/flux`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const reply = new Promise<string>((resolve) => socket.once('message', (data) => resolve(data.toString())));
    socket.send(
      encodePeerFrame(
        createHello({ identity: { ip: fakeIp, privkeyHex: fake.privkey, pubkeyHex: fake.pubkey }, now: clock.now() }),
      ),
    );
    const hello = parsePeerFrame(await reply);
    expect(hello.ok && hello.frame.kind === 'hello' && hello.frame.pubKey).toBe(keys.nodes[0]!.pubkey);

    const before = node(1).stats().gossip;
    const apprunning = (ip: string, name: string) => ({
      type: 'fluxapprunning',
      version: 2,
      apps: [{ name, hash: 'ab'.repeat(32), runningSince: clock.now() }],
      ip,
      broadcastedAt: clock.now(),
      osUptime: 1,
      staticIp: false,
    });
    const send = (envelope: SignedBroadcast): void => socket.send(encodePeerFrame({ kind: 'broadcast', envelope }));
    // Speaks for node 2 with the fake peer's own (listed, but not node 2's) key.
    send(
      signBroadcast({
        data: apprunning(ipOf(2), 'forgedone'),
        privkeyHex: fake.privkey,
        pubkeyHex: fake.pubkey,
        timestamp: clock.now(),
      }),
    );
    // Claims node 2's key, signed with another.
    send({
      ...signBroadcast({
        data: apprunning(ipOf(2), 'forgedtwo'),
        privkeyHex: fake.privkey,
        pubkeyHex: fake.pubkey,
        timestamp: clock.now(),
      }),
      pubKey: keys.nodes[1]!.pubkey,
    });
    send(
      signBroadcast({
        data: apprunning(fakeIp, 'probeapp'),
        privkeyHex: fake.privkey,
        pubkeyHex: fake.pubkey,
        timestamp: clock.now(),
      }),
    );

    // The genuine one reaches node 1 and, relayed, every other node.
    await wait({ nodes: NODES, event: 'network:apprunning', predicate: (p) => (p as { ip: string }).ip === fakeIp });
    socket.close();
    const after = node(1).stats().gossip;
    expect(after.unlisted - before.unlisted).toBe(1);
    expect(after['bad-signature'] - before['bad-signature']).toBe(1);
    for (const n of NODES) {
      const forged = await mongo
        .db(`gossip${n}_globalzelapps`)
        .collection('zelappslocation')
        .countDocuments({ name: { $in: ['forgedone', 'forgedtwo'] } });
      expect(forged).toBe(0);
      const probe = await getJson<{ ip: string }[]>(`${node(n).url}/apps/location/probeapp`);
      expect(probe.map((row) => row.ip)).toEqual([fakeIp]);
    }
  });

  it('rolls back explorer hashes on a ZMQ reorg', async () => {
    const hash = 'cd'.repeat(32);
    const start = stub.chain.view(1).height;
    stub.chain.setGroups([
      [1, 2],
      [3, 4],
    ]);
    stub.mine({ group: 1, blocks: 1 });
    stub.core.queueAppMessage({ hash });
    stub.mine({ group: 0, blocks: 1 });
    stub.mine({ group: 1, blocks: 2 });
    const isHeight = (height: number) => (p: unknown) => (p as { height: number }).height === height;
    await wait({ nodes: [1, 2], event: 'block:processed', predicate: isHeight(start + 1) });
    await wait({ nodes: [3, 4], event: 'block:processed', predicate: isHeight(start + 3) });
    const heightOf = async (n: number) =>
      (await mongo.db(`gossip${n}_zelcashdata`).collection('zelappshashes').findOne({ hash }))?.height;
    expect(await Promise.all(NODES.map(heightOf))).toEqual([start + 1, start + 1, start + 2, start + 2]);

    const since = history.now();
    const rollbacks = [node(1), node(2)].map((n) => n.stats().explorer.rollbacks);
    stub.chain.merge();
    await wait({ nodes: [1, 2], event: 'block:processed', predicate: isHeight(start + 3), since });
    expect(await Promise.all(NODES.map(heightOf))).toEqual([start + 2, start + 2, start + 2, start + 2]);
    expect(node(1).stats().explorer.rollbacks).toBeGreaterThan(rollbacks[0]!);
    expect(node(2).stats().explorer.rollbacks).toBeGreaterThan(rollbacks[1]!);
    expect(node(1).stats().nodeList.zmqDecodeErrors).toBe(0);
  });

  it('announces a sigterm on shutdown; peers expire its rows after the grace, not before', async () => {
    const hostIp = ipOf(hostNode);
    const others = NODES.filter((n) => n !== hostNode);
    const since = history.now();
    await node(hostNode).shutdown();
    await wait({
      nodes: others,
      event: 'network:sigterm',
      predicate: (p) => (p as { ip: string }).ip === hostIp,
      since,
    });

    const grace = node(others[0]!).config.tunables.sigtermExpiryMs;
    const sigterm = await mongo
      .db(`gossip${others[0]}_globalzelapps`)
      .collection('appstateevents')
      .findOne({ ip: hostIp, type: 'sigterm' });
    const sigtermAt = sigterm!.broadcastedAt as number;
    for (const n of others) {
      const row = await mongo
        .db(`gossip${n}_globalzelapps`)
        .collection('zelappslocation')
        .findOne({ ip: hostIp, name: appName });
      expect(row!.expireAt).toBe(sigtermAt + grace);
      expect(row!.broadcastedAt).toBeLessThan(sigtermAt);
    }
    const listed = async (n: number, route: string) =>
      (await getJson<{ ip: string }[]>(`${node(n).url}${route}`)).filter((row) => row.ip === hostIp).length;

    clock.freezeAt(sigtermAt + grace - 1);
    for (const n of others) {
      expect(await listed(n, `/apps/location/${appName}`)).toBe(1);
      expect(await listed(n, `/apps/locations/view?name=${appName}`)).toBe(1);
    }
    clock.freezeAt(sigtermAt + grace);
    for (const n of others) {
      expect(await listed(n, `/apps/location/${appName}`)).toBe(0);
      expect(await listed(n, `/apps/locations/view?name=${appName}`)).toBe(0);
    }
  });

  it('published only catalogue-conformant SSE payloads', () => {
    expect(subscriptions.flatMap((subscription) => subscription.malformed)).toEqual([]);
  });
});
