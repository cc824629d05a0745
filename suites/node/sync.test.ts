/**
 * Signed state sync (fluxos-node.md §7, §4.2) between two nodes' stores on a real MongoDB-wire server:
 * node A's responder serves its event log, node B's receiver verifies and applies it. Proves that a
 * bad request is refused before any database command, and that the synced side effects land in order.
 */
import { type CommandStartedEvent, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import keys from '../../fixtures/keys.json' with { type: 'json' };
import type { FluxEventName } from '../../protocol/events.js';
import type { SignedBroadcast } from '../../protocol/gossip/envelope.js';
import type { SyncChunk } from '../../protocol/gossip/sync-chunk.js';
import {
  SYNC_REQUEST_TYPES,
  type SyncRequest,
  type SyncRequestType,
  signSyncRequest,
} from '../../protocol/gossip/sync-request.js';
import type { RegressionName } from '../../protocol/regressions.js';
import type { ManualClock } from '../../reference-node/clock.js';
import type { AppStateStore } from '../../reference-node/store/app-state-store.js';
import { type ChunkResult, runningEventsApplier, SyncReceiver } from '../../reference-node/sync/receiver.js';
import { runningEventsSource, SyncResponder, type SyncSource } from '../../reference-node/sync/responder.js';
import { DEFAULT_TUNABLES } from '../../reference-node/tunables.js';
import { type LocalDb, startLocalFerretDb } from '../../test-infra/local/ferretdb.js';
import {
  gossip,
  ipChange,
  KEY_BY_IP,
  MIN,
  removal,
  signedBy,
  sigterm,
  storeFactory,
  T,
  v2,
  X,
  Y,
  Z,
} from './appstate-fixtures.js';

const NODE_A = { ip: '198.18.0.11:16127', key: keys.nodes[10]! };
const NODE_B = { ip: '198.18.0.12:16127', key: keys.nodes[11]! };
const W = '198.18.0.4:16127';

/** The deterministic list: X, Y, Z (event signers) and the two syncing nodes. */
const LISTED = new Map<string, string>([
  ...Object.entries(KEY_BY_IP).map(([ip, key]) => [ip, key.pubkey] as [string, string]),
  [NODE_A.ip, NODE_A.key.pubkey],
  [NODE_B.ip, NODE_B.key.pubkey],
]);
const directory = {
  isListed: (ip: string, pubkey: string) => LISTED.get(ip) === pubkey.toLowerCase(),
  hasListedKey: (pubkey: string) => [...LISTED.values()].includes(pubkey.toLowerCase()),
};

let db: LocalDb;
let client: MongoClient;
const commands: CommandStartedEvent[] = [];
const freshStore = storeFactory({ client: () => client, prefix: 'sy' });

beforeAll(async () => {
  db = await startLocalFerretDb();
  client = new MongoClient(db.uri, { monitorCommands: true });
  client.on('commandStarted', (event) => commands.push(event));
  await client.connect();
});

afterAll(async () => {
  await client?.close();
  await db?.stop();
});

function requestFromB(type: SyncRequestType, requestTs: number, key = NODE_B.key): SyncRequest {
  return signSyncRequest({ type, sinceTs: 0, requestTs, privkeyHex: key.privkey, pubkeyHex: key.pubkey });
}

interface Pair {
  a: { store: AppStateStore; clock: ManualClock };
  b: { store: AppStateStore; clock: ManualClock };
  responder: SyncResponder;
  receiver: SyncReceiver;
  published: { name: FluxEventName; payload: unknown }[];
  /** Resolves when every chunk sent so far has been handled by B. */
  delivered(): Promise<ChunkResult[]>;
}

async function pair({
  regressionsA,
  regressionsB,
  extraMessages = [],
}: {
  regressionsA?: ReadonlySet<RegressionName>;
  regressionsB?: ReadonlySet<RegressionName>;
  extraMessages?: unknown[];
} = {}): Promise<Pair> {
  const a = await freshStore(regressionsA ? { regressions: regressionsA } : {});
  const b = await freshStore(regressionsB ? { regressions: regressionsB } : {});
  const published: Pair['published'] = [];
  const receiver = new SyncReceiver({
    clock: b.clock,
    tunables: DEFAULT_TUNABLES,
    appliers: {
      fluxapprunningsync: runningEventsApplier({
        directory,
        eventLog: b.store.eventLog,
        cache: b.store.locationCache,
      }),
    },
    bus: { publish: (name, payload) => published.push({ name, payload }) },
  });
  const handled: Promise<ChunkResult>[] = [];
  const running = runningEventsSource(a.store.eventLog);
  const source: SyncSource = async (query) => [...(await running(query)), ...extraMessages];
  const responder = new SyncResponder({
    clock: a.clock,
    tunables: { ...DEFAULT_TUNABLES, syncChunkMaxMessages: 2 },
    directory,
    sources: { [SYNC_REQUEST_TYPES.appRunning]: source },
    identity: { privkeyHex: NODE_A.key.privkey, pubkeyHex: NODE_A.key.pubkey },
    send: (_peer, envelope: SignedBroadcast<SyncChunk>) => {
      handled.push(receiver.handleChunk({ peer: NODE_A.ip, peerPubkey: NODE_A.key.pubkey, envelope }));
    },
  });
  return { a, b, responder, receiver, published, delivered: () => Promise.all(handled) };
}

describe('sync responder: refusal before any database work', () => {
  it('throttled, stale, unlisted and badly signed requests issue no database command', async () => {
    const { a, responder } = await pair();
    await gossip(a.store, v2(X, T, ['a']));
    const now = a.clock.now();
    const outsider = keys.nodes[15]!;
    const before = commands.length;
    const rejected = [
      await responder.handle({ request: requestFromB(0x21, now - 121_000), peer: NODE_B.ip }),
      await responder.handle({ request: requestFromB(0x21, now), peer: NODE_B.ip }),
      await responder.handle({ request: requestFromB(0x22, now, outsider), peer: NODE_B.ip }),
      await responder.handle({
        request: { ...requestFromB(0x20, now), sinceTs: 1 },
        peer: NODE_B.ip,
      }),
    ];
    expect(rejected.map((result) => (result.outcome === 'rejected' ? result.reason : result.outcome))).toEqual([
      'stale-request',
      'throttled',
      'unlisted',
      'bad-signature',
    ]);
    expect(commands.slice(before).map((command) => command.commandName)).toEqual([]);
    const served = await responder.handle({ request: requestFromB(0x21, now), peer: Z });
    expect(served).toMatchObject({ outcome: 'served', messages: 1 });
    expect(commands.slice(before).map((command) => command.commandName)).toContain('find');
    expect(responder.metrics.rejected).toEqual({
      malformed: 0,
      throttled: 1,
      'stale-request': 1,
      unlisted: 1,
      'bad-signature': 1,
    });
  });
});

describe('sync from A to B (§4.2)', () => {
  /** A's log: X runs a, b; Y runs c then shuts down; X removes b; X moves to W; A evicted Z. */
  async function seedA(a: Pair['a']): Promise<void> {
    await gossip(a.store, v2(X, T, ['a', 'b']));
    await gossip(a.store, v2(Y, T, ['c']));
    a.clock.advance(MIN);
    await gossip(a.store, sigterm(Y, T + MIN));
    await gossip(a.store, removal(X, T + MIN, 'b'));
    await gossip(a.store, ipChange(X, W, T + MIN));
    await a.store.eventLog.storeEvicted({ ip: Z });
    a.clock.advance(MIN);
  }

  /** B already heard X's [a, b] and Z's [d] by gossip, before partitioning away. */
  async function seedB(b: Pair['b']): Promise<void> {
    for (const payload of [v2(X, T, ['a', 'b']), v2(Z, T, ['d'])]) {
      await gossip(b.store, payload);
      await b.store.locationCache.storeAppRunning(payload);
    }
  }

  it('B ends with A signed events, and the side effects applied: sigterm, removal, eviction; ipchanged stored only', async () => {
    const { a, b, responder, receiver, published, delivered } = await pair();
    await seedA(a);
    await seedB(b);
    b.clock.set(T + 3 * MIN);
    receiver.markSyncPeers([NODE_A.ip]);

    const served = await responder.handle({ request: requestFromB(0x21, a.clock.now()), peer: NODE_B.ip });
    expect(served).toEqual({ outcome: 'served', type: 0x21, chunks: 3, messages: 6 });
    const results = await delivered();
    expect(results.every((result) => result.outcome === 'applied')).toBe(true);

    const signedOf = (docs: Awaited<ReturnType<AppStateStore['eventLog']['all']>>) =>
      docs
        .filter((doc) => doc.type !== 'evicted')
        .map(({ receivedAt: _receivedAt, ...doc }) => doc)
        .sort((x, y) => `${x.ip}${x.dedupKey}`.localeCompare(`${y.ip}${y.dedupKey}`));
    const bSigned = signedOf(await b.store.eventLog.all());
    expect(bSigned.filter((doc) => doc.ip !== Z)).toEqual(signedOf(await a.store.eventLog.all()));
    expect(bSigned.filter((doc) => doc.ip === Z).map((doc) => doc.type)).toEqual(['apprunning']);
    const eviction = (await b.store.eventLog.all()).find((doc) => doc.type === 'evicted');
    expect(eviction).toMatchObject({ ip: Z, createdAt: T + 3 * MIN, expireAt: T + 3 * MIN + 125 * MIN });

    const rows = (await b.store.locationCache.all())
      .map(({ name, ip, expireAt }) => ({ name, ip, expireAt }))
      .sort((x, y) => x.name.localeCompare(y.name));
    expect(rows).toEqual([
      { name: 'a', ip: X, expireAt: T + 125 * MIN },
      { name: 'c', ip: Y, expireAt: T + MIN + DEFAULT_TUNABLES.sigtermExpiryMs },
    ]);
    expect(receiver.metrics).toMatchObject({ chunksApplied: 3, messagesVerified: 6, messagesRejected: 0 });
    expect(published.filter(({ name }) => name === 'sync:chunkVerified')).toHaveLength(3);
    expect(published.at(-1)).toEqual({
      name: 'ephemeralSync:peerComplete',
      payload: { syncType: 'apprunning', completions: 1, required: 3 },
    });
  });

  it('a forged event in the stream is rejected and changes nothing', async () => {
    const forged = (() => {
      const { data, ...envelope } = signedBy(sigterm(Y, T + MIN));
      return { ip: X, type: 'sigterm', data: { ...data, ip: X }, envelope };
    })();
    const { a, b, responder, receiver, delivered } = await pair({ extraMessages: [forged] });
    await gossip(a.store, v2(X, T, ['a']));
    a.clock.advance(MIN);
    b.clock.set(T + 2 * MIN);
    receiver.markSyncPeers([NODE_A.ip]);
    await responder.handle({ request: requestFromB(0x21, a.clock.now()), peer: NODE_B.ip });
    await delivered();
    expect(receiver.metrics).toMatchObject({ messagesVerified: 1, messagesRejected: 1 });
    expect((await b.store.eventLog.all()).map((doc) => doc.type)).toEqual(['apprunning']);
    expect((await b.store.locationCache.all()).map((row) => row.expireAt)).toEqual([T + 125 * MIN]);
  });

  it('chunks from a peer B did not ask are refused before touching B', async () => {
    const { a, b, responder, receiver, delivered } = await pair();
    await gossip(a.store, v2(X, T, ['a']));
    await responder.handle({ request: requestFromB(0x21, a.clock.now()), peer: NODE_B.ip });
    const results = await delivered();
    expect(results.map((result) => (result.outcome === 'rejected' ? result.reason : 'applied'))).toEqual([
      'not-sync-peer',
    ]);
    expect(await b.store.eventLog.all()).toEqual([]);
    expect(receiver.metrics.rejected['not-sync-peer']).toBe(1);
  });

  it('across nodes, regression strip-type-version on A makes its synced sigterm fail verification on B', async () => {
    for (const [regressionsA, expectedRows] of [
      [new Set<RegressionName>(), [T + MIN + DEFAULT_TUNABLES.sigtermExpiryMs]],
      [new Set<RegressionName>(['strip-type-version']), [T + 125 * MIN]],
    ] as const) {
      const { a, b, responder, receiver, delivered } = await pair({ regressionsA });
      await gossip(a.store, v2(Y, T, ['c']));
      a.clock.advance(MIN);
      await gossip(a.store, sigterm(Y, T + MIN));
      b.clock.set(T + 2 * MIN);
      receiver.markSyncPeers([NODE_A.ip]);
      await responder.handle({ request: requestFromB(0x21, a.clock.now()), peer: NODE_B.ip });
      await delivered();
      expect((await b.store.locationCache.all()).map((row) => row.expireAt)).toEqual(expectedRows);
      expect(receiver.metrics.messagesRejected).toBe(regressionsA.size);
    }
  });
});
