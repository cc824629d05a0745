/**
 * State sync, the orchestrator and eviction across running reference nodes (daemon stub, real
 * MongoDB-wire database, nodes in-process, time compressed 100x). Nodes 1 and 2 boot and run their
 * apps; node 3 joins later and must converge through signed state sync alone; fake peers (nodes 4
 * and 5: listed, no process) probe node 1 with bad sync requests and gossip; node 3 then leaves the list and
 * the others evict it. Every wait is on SSE events (or, for the silent eviction, on the API).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { signAppMessage } from '../../protocol/gossip/app-message.js';
import type { SignedBroadcast } from '../../protocol/gossip/envelope.js';
import { signBroadcast, verifyBroadcast } from '../../protocol/gossip/envelope.js';
import type { SyncChunk } from '../../protocol/gossip/sync-chunk.js';
import {
  type BroadcastFrame,
  encodePeerFrame,
  encodeSyncRequest,
  type PeerFrame,
  parsePeerFrame,
  type SyncRequestType,
  type SyncResponseFrame,
  signSyncRequest,
} from '../../protocol/gossip/wire.js';
import { placeApp } from '../../reference-node/apps/placement.js';
import { createHello } from '../../reference-node/peers/handshake.js';
import { MAX_FRAME_BYTES } from '../../reference-node/peers/manager.js';
import { type Cluster, KEYS, startCluster } from './node-cluster.js';

/** syncall runs on every listed node that runs; synctwo on two of the five. */
const APPS = [
  { name: 'syncall', instances: 5 },
  { name: 'synctwo', instances: 2 },
];
/** Listed in the daemon, unknown to the nodes' list: signs the unauthenticated requests. */
const OUTSIDER = KEYS.nodes[12]!;
const WAIT_MS = 20_000;

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({
    listed: 5,
    seed: 21,
    prefix: 'ss',
    timeScale: 0.01,
    // Two connections (one peer, both ways) make the threshold; one sync peer and one completion
    // per type make readiness; no hourly re-announcement inside the test, so node 3 can only learn
    // the others' apps by state sync.
    tunables: {
      appSyncPeerThreshold: 2,
      appSyncDegradedThreshold: 1,
      syncPeerCount: 1,
      minSyncCompletions: 1,
      syncPeerMinUptimeMs: 0,
      syncFlagClearMs: 30_000,
      apprunningIntervalMs: 600_000,
      nodeStatusIntervalMs: 300,
      peerPingIntervalMs: 2_000,
      bootDaemonWaitMs: 20_000,
      bootDbReadyWaitMs: 20_000,
    },
    apps: APPS,
    waitMs: WAIT_MS,
  });
});

afterAll(async () => {
  await cluster?.close();
});

type Row = { name: string; ip: string; hash: string; broadcastedAt: number; expireAt: number };

async function locations(n: number): Promise<Row[]> {
  const response = await fetch(`${cluster.node(n).url}/apps/location`);
  const body = (await response.json()) as { data: Row[] };
  return body.data
    .map(({ name, ip, hash, broadcastedAt, expireAt }) => ({ name, ip, hash, broadcastedAt, expireAt }))
    .sort((a, b) => `${a.name} ${a.ip}`.localeCompare(`${b.name} ${b.ip}`));
}

function appsPlacedOn(n: number): string[] {
  return APPS.filter((app) =>
    placeApp({ appName: app.name, instances: app.instances, ips: cluster.ips }).includes(cluster.ipOf(n)),
  )
    .map((app) => app.name)
    .sort();
}

const announcedAll = (n: number) => (payload: unknown) => {
  const { ip, apps } = payload as { ip: string; apps: { name: string }[] };
  return (
    ip === cluster.ipOf(n) &&
    apps
      .map((app) => app.name)
      .sort()
      .join() === appsPlacedOn(n).join()
  );
};

describe('reference nodes: orchestrator, state sync, eviction', () => {
  it('nodes 1 and 2 boot, settle, run their apps and reach READY', async () => {
    await cluster.start(1);
    await cluster.start(2);
    const started = await cluster.wait({ nodes: [1, 2], event: 'orchestrator:started' });
    for (const n of [1, 2]) {
      expect(started.get(n)!.payload).toEqual({
        state: 'INITIALIZING',
        bootContext: {
          machineRebooted: true,
          downtimeMs: null,
          cleanShutdown: false,
          currentBootId: cluster.bootIdOf(n),
          firstBoot: true,
        },
      });
    }
    const ready = (p: unknown) => (p as { to: string }).to === 'READY';
    await cluster.wait({ nodes: [1, 2], event: 'orchestrator:stateChanged', predicate: ready });
    await cluster.wait({ nodes: [1, 2], event: 'boot:settled' });
    await cluster.wait({ nodes: [1], event: 'app:running', predicate: announcedAll(1) });
    await cluster.wait({ nodes: [2], event: 'app:running', predicate: announcedAll(2) });
    await cluster.wait({ nodes: [2], event: 'network:apprunning', predicate: announcedAll(1) });
    await cluster.wait({ nodes: [1], event: 'network:apprunning', predicate: announcedAll(2) });
    for (const n of [1, 2]) {
      const { confirmation, orchestrator } = cluster.stats(n);
      expect(confirmation).toMatchObject({ confirmed: true, canSendMessages: true });
      expect(orchestrator.state).toBe('READY');
    }
    const confirmed = await cluster.wait({ nodes: [1, 2], event: 'confirmation:changed' });
    for (const entry of confirmed.values()) expect(entry.payload).toEqual({ confirmed: true });
    const capable = await cluster.wait({ nodes: [1, 2], event: 'messageCapability:changed' });
    for (const entry of capable.values()) expect(entry.payload).toEqual({ capable: true });
    const hashSync = await cluster.wait({ nodes: [1, 2], event: 'hashSync:complete' });
    for (const entry of hashSync.values()) expect(entry.payload).toEqual({ attempt: 1, missing: 0 });
  });

  it('node 3, started after them, converges to the same zelappslocation through state sync', async () => {
    const since = cluster.history.now();
    await cluster.start(3);
    const requested = await cluster.wait({ nodes: [3], event: 'ephemeralSync:requested', since });
    const asked = requested.get(3)!.payload as { peerCount: number; peers: string[] };
    expect(asked.peerCount).toBe(1);
    expect([cluster.ipOf(1), cluster.ipOf(2)]).toContain(asked.peers[0]);
    const verified = await cluster.wait({
      nodes: [3],
      event: 'sync:chunkVerified',
      since,
      predicate: (p) => (p as { syncType: string }).syncType === 'apprunning',
    });
    expect(verified.get(3)!.payload).toMatchObject({ syncType: 'apprunning', peer: asked.peers[0], verified: 2 });
    const complete = await cluster.wait({
      nodes: [3],
      event: 'ephemeralSync:peerComplete',
      since,
      predicate: (p) => (p as { syncType: string }).syncType === 'apprunning',
    });
    expect(complete.get(3)!.payload).toEqual({ syncType: 'apprunning', completions: 1, required: 1 });
    const all = await cluster.wait({ nodes: [3], event: 'ephemeralSync:allComplete', since });
    expect(all.get(3)!.payload).toEqual({ apprunning: 1, appinstalling: 1, apperrors: 1 });
    await cluster.wait({
      nodes: [3],
      event: 'orchestrator:stateChanged',
      since,
      predicate: (p) => (p as { to: string }).to === 'READY',
    });
    await cluster.wait({ nodes: [1, 2], event: 'network:apprunning', since, predicate: announcedAll(3) });

    const [one, two, three] = await Promise.all([locations(1), locations(2), locations(3)]);
    expect(two).toEqual(one);
    expect(three).toEqual(one);
    expect(one.filter((row) => row.name === 'syncall').map((row) => row.ip)).toEqual(
      [1, 2, 3].map((n) => cluster.ipOf(n)).sort(),
    );
    // Node 3 never heard nodes 1 and 2 announce: their rows came from the synced events only.
    const gossiped = cluster.history
      .entries()
      .filter((entry) => entry.kind === 'event' && entry.node === 3 && entry.name === 'network:apprunning');
    expect(gossiped.map((entry) => (entry.kind === 'event' ? (entry.payload as { ip: string }).ip : ''))).toEqual([]);
    expect(cluster.stats(3).sync.receiver).toMatchObject({
      messagesVerified: 2,
      messagesStored: 2,
      messagesRejected: 0,
    });
  });

  it('refuses unauthenticated and replayed sync requests before any database read', async () => {
    const four = await connectAsFake(4);
    const five = await connectAsFake(5);
    const reads = (collection: string): number =>
      cluster.stats(1).database[`find ss1_globalzelapps.${collection}`] ?? 0;
    const readsNow = () => ({ events: reads('appstateevents'), temporary: reads('zelappstemporarymessages') });
    const rejectedNow = () => cluster.stats(1).sync.responder.rejected;
    const before = rejectedNow();
    const readsBefore = readsNow();

    // Node 4: a request signed by an unlisted key, one whose signature does not match the listed
    // key it names, and an undecodable frame; then a served type with no source as a barrier.
    four.socket.send(request({ type: 0x21, key: OUTSIDER }));
    four.socket.send(forgedRequest({ type: 0x20, claimed: KEYS.nodes[3]! }));
    four.socket.send(Buffer.from([0x21, 1, 2, 3]));
    four.socket.send(request({ type: 0x22, key: KEYS.nodes[3]! }));
    await four.chunk('fluxappinstallingsync');
    expect(readsNow()).toEqual(readsBefore);

    // Node 5: a valid 0x21 (one read of the event log), its exact bytes again (throttled), a
    // captured request 10 minutes old (stale), then a barrier.
    const valid = request({ type: 0x21, key: KEYS.nodes[4]! });
    five.socket.send(valid);
    const served = await five.chunk('fluxapprunningsync');
    expect(served.envelope.pubKey).toBe(KEYS.nodes[0]!.pubkey);
    expect(verifyBroadcast(served.envelope)).toBe(true);
    const events = (served.envelope.data as SyncChunk).messages as { type: string; ip: string }[];
    expect(
      events
        .filter((event) => event.type === 'apprunning')
        .map((event) => event.ip)
        .sort(),
    ).toEqual([1, 2, 3].map((n) => cluster.ipOf(n)).sort());
    const readsServed = readsNow();
    expect(readsServed).toEqual({ ...readsBefore, events: readsBefore.events + 1 });
    five.socket.send(valid);
    five.socket.send(request({ type: 0x20, key: KEYS.nodes[4]!, requestTs: Date.now() - 600_000 }));
    five.socket.send(request({ type: 0x23, key: KEYS.nodes[4]! }));
    await five.chunk('fluxappinstallingerrorsync');
    expect(readsNow()).toEqual(readsServed);

    const after = rejectedNow();
    expect({
      unlisted: after.unlisted - before.unlisted,
      badSignature: after['bad-signature'] - before['bad-signature'],
      malformed: after.malformed - before.malformed,
      throttled: after.throttled - before.throttled,
      stale: after['stale-request'] - before['stale-request'],
    }).toEqual({ unlisted: 1, badSignature: 1, malformed: 1, throttled: 1, stale: 1 });
    four.socket.close();
    five.socket.close();
  });

  it('counts every rejected gossip input in /flux/stats', async () => {
    const four = await connectAsFake(4);
    const fake = KEYS.nodes[3]!;
    const before = cluster.stats(1).rejected;
    const sigterm = { type: 'fluxnodesigterm', version: 1, ip: cluster.ipOf(4), broadcastedAt: Date.now() };
    const signed = (data: unknown, key: { privkey: string; pubkey: string }, timestamp = Date.now()) =>
      signBroadcast({ data, privkeyHex: key.privkey, pubkeyHex: key.pubkey, timestamp });
    const send = (envelope: SignedBroadcast): void =>
      four.socket.send(encodePeerFrame({ kind: 'broadcast', envelope }));
    send({ ...signed(sigterm, OUTSIDER), pubKey: fake.pubkey });
    send(signed({ ...sigterm, broadcastedAt: sigterm.broadcastedAt + 1 }, OUTSIDER));
    send(signed({ ...sigterm, broadcastedAt: sigterm.broadcastedAt + 2 }, fake, Date.now() + 600_000));
    four.socket.send('{"kind":"broadcast",');
    const genuine = signed({ ...sigterm, broadcastedAt: sigterm.broadcastedAt + 3 }, fake);
    send(genuine);
    send(genuine);
    const oversized = await connectAsFake(5);
    const closed = new Promise<number>((resolve) => oversized.socket.once('close', (code) => resolve(code)));
    oversized.socket.send('x'.repeat(MAX_FRAME_BYTES + 1));
    expect(await closed).toBe(1009);
    await vi.waitFor(() => {
      const after = cluster.stats(1).rejected;
      expect({
        forgedSignature: after.forgedSignature - before.forgedSignature,
        unknownSigner: after.unknownSigner - before.unknownSigner,
        futureTimestamp: after.futureTimestamp - before.futureTimestamp,
        malformed: after.malformed - before.malformed,
        replayed: after.replayed - before.replayed,
        oversized: after.oversized - before.oversized,
      }).toEqual({ forgedSignature: 1, unknownSigner: 1, futureTimestamp: 1, malformed: 1, replayed: 1, oversized: 1 });
    });
    four.socket.close();
  });

  it('answers a fluxapprequest with the registration it holds, to the asking peer only', async () => {
    const owner = KEYS.owners[0]!;
    const message = signAppMessage({
      type: 'fluxappregister',
      version: 1,
      appSpecifications: { version: 7, name: 'hashreq', owner: owner.address, instances: 1, compose: [] },
      timestamp: Date.now(),
      privkeyHex: owner.privkey,
    });
    const registered = await fetch(`${cluster.node(1).url}/apps/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
    });
    expect(registered.status).toBe(200);
    cluster.stub.core.queueAppMessage({ hash: message.hash });
    cluster.stub.mine({ blocks: 1 });
    const isMessage = (p: unknown) => (p as { hash: string }).hash === message.hash;
    await cluster.wait({ nodes: [1, 2, 3], event: 'app:specStored', predicate: isMessage });

    const four = await connectAsFake(4);
    const fake = KEYS.nodes[3]!;
    const unknown = 'ab'.repeat(32);
    const request = signBroadcast({
      data: { type: 'fluxapprequest', version: 2, hashes: [message.hash, unknown] },
      privkeyHex: fake.privkey,
      pubkeyHex: fake.pubkey,
      timestamp: Date.now(),
    });
    four.socket.send(encodePeerFrame({ kind: 'broadcast', envelope: request }));
    const answer = await four.broadcastOf(message.hash);
    expect(answer.envelope.pubKey).toBe(KEYS.nodes[0]!.pubkey);
    expect(verifyBroadcast(answer.envelope)).toBe(true);
    expect(answer.envelope.data).toEqual(message);
    const responded = await cluster.wait({ nodes: [1], event: 'hashRequest:responded' });
    expect(responded.get(1)!.payload).toEqual({ peer: cluster.ipOf(4), requested: 2, found: 1 });
    four.socket.close();
  });

  it('evicts the locations of a node removed from the deterministic list', async () => {
    const since = cluster.history.now();
    const ip3 = cluster.ipOf(3);
    cluster.stub.core.nodeAction('3', 'expire');
    cluster.stub.mine({ blocks: 1 });
    const lost = await cluster.wait({ nodes: [3], event: 'confirmation:changed', since });
    expect(lost.get(3)!.payload).toEqual({ confirmed: false });
    const incapable = await cluster.wait({ nodes: [3], event: 'messageCapability:changed', since });
    expect(incapable.get(3)!.payload).toEqual({ capable: false });
    await cluster.wait({
      nodes: [1, 2],
      event: 'peers:removed',
      since,
      predicate: (p) => `${(p as { ip: string }).ip}:${(p as { port: number }).port}` === ip3,
    });
    // Eviction is local and publishes nothing (as in FluxOS): watch the cache through the API.
    await vi.waitFor(
      async () => {
        for (const n of [1, 2]) expect((await locations(n)).filter((row) => row.ip === ip3)).toEqual([]);
      },
      { timeout: 20_000, interval: 100 },
    );
    for (const n of [1, 2]) {
      expect(cluster.stats(n).statusMonitor.evicted).toBeGreaterThanOrEqual(1);
      const eviction = await cluster
        .db(n, 'globalzelapps')
        .collection('appstateevents')
        .findOne({ ip: ip3, type: 'evicted' });
      expect(eviction).toMatchObject({ ip: ip3, dedupKey: 'evicted' });
      const view = await fetch(`${cluster.node(n).url}/apps/locations/view?ip=${ip3}`);
      expect(((await view.json()) as { data: unknown[] }).data).toEqual([]);
    }
    expect(cluster.stats(3).peers).toMatchObject({ total: 0, discovery: false });
  });

  it('published only catalogue-conformant SSE payloads', () => {
    expect(cluster.malformed()).toEqual([]);
  });
});

function request({
  type,
  key,
  requestTs = Date.now(),
}: {
  type: SyncRequestType;
  key: { privkey: string; pubkey: string };
  requestTs?: number;
}): Uint8Array {
  return encodeSyncRequest(
    signSyncRequest({ type, sinceTs: 0, requestTs, privkeyHex: key.privkey, pubkeyHex: key.pubkey }),
  );
}

/** Names a listed key but is signed with another one. */
function forgedRequest({ type, claimed }: { type: SyncRequestType; claimed: { pubkey: string } }): Uint8Array {
  const signed = signSyncRequest({
    type,
    sinceTs: 0,
    requestTs: Date.now(),
    privkeyHex: OUTSIDER.privkey,
    pubkeyHex: OUTSIDER.pubkey,
  });
  return encodeSyncRequest({ ...signed, pubKey: claimed.pubkey });
}

/** Listed node n (never started) on a raw socket to node 1: a peer the test drives by hand. */
async function connectAsFake(n: number) {
  const fake = KEYS.nodes[n - 1]!;
  const socket = new WebSocket(`ws://${cluster.ipOf(1)}/ws/flux`);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const frames: PeerFrame[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    const parsed = parsePeerFrame(data.toString());
    if (parsed.ok) frames.push(parsed.frame);
    for (const wake of waiters) wake();
  });
  socket.send(
    encodePeerFrame(
      createHello({
        identity: { ip: cluster.ipOf(n), privkeyHex: fake.privkey, pubkeyHex: fake.pubkey },
        now: Date.now(),
      }),
    ),
  );
  /** The first received frame that matches (taken out), or a failure naming what was awaited. */
  const next = <F extends PeerFrame>(what: string, match: (frame: PeerFrame) => frame is F): Promise<F> =>
    new Promise((resolve, reject) => {
      const look = (): void => {
        const index = frames.findIndex(match);
        if (index < 0) return;
        finish();
        resolve(frames.splice(index, 1)[0] as F);
      };
      const finish = (): void => {
        clearTimeout(timer);
        waiters.delete(look);
      };
      const timer = setTimeout(() => {
        finish();
        const seen = frames.map((frame) => (frame.kind === 'hello' ? 'hello' : JSON.stringify(frame).slice(0, 120)));
        reject(new Error(`fake node ${n}: no ${what} within ${WAIT_MS} ms; unclaimed frames: ${seen.join(' | ')}`));
      }, WAIT_MS);
      waiters.add(look);
      look();
    });
  await next('hello', (frame): frame is PeerFrame => frame.kind === 'hello');
  return {
    socket,
    /** The next `done` sync chunk of this type. */
    chunk: (type: SyncChunk['type']) =>
      next(`done ${type} chunk`, (frame): frame is SyncResponseFrame => {
        if (frame.kind !== 'syncResponse') return false;
        const chunk = frame.envelope.data as SyncChunk;
        return chunk.type === type && chunk.done;
      }),
    /** The next broadcast whose data carries this app-message hash. */
    broadcastOf: (hash: string) =>
      next(`broadcast of ${hash}`, (frame): frame is BroadcastFrame => {
        return frame.kind === 'broadcast' && (frame.envelope.data as { hash?: unknown }).hash === hash;
      }),
  };
}
