/**
 * readNodeState against a real MongoDB-wire server: documents written in the contract shapes into
 * two prefixed databases (node 1 with epoch-ms numbers like the reference node, node 2 with BSON
 * dates like a real FluxOS) read back the same, and the checkers run on what was read.
 */
import type { Document, MongoClient } from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppStateEventDoc } from '../../protocol/appstate/documents.js';
import { useLocalDatabase } from '../local/use-local-database.js';
import { History } from '../observe/history.js';
import { converged } from './converged.js';
import { eventLogConverged } from './event-log-check.js';
import { hashesConverged } from './hashes-check.js';
import { locationsConverged } from './locations-check.js';
import { NodeStateError, type PerNodeState, readNodeState, readNodeStates, toEpochMs } from './node-state.js';
import { stateProbe } from './state-probe.js';
import { appRunning, evicted, hashRow, locationRow, MIN, SIGTERM_EXPIRY_MS, sigterm, T } from './test-states.js';

const A = '198.18.0.10:16127';
const B = '198.18.0.11:16127';
const H1 = '1'.repeat(64);
const H2 = '2'.repeat(64);
const NOW = T + 10 * MIN;

const database = useLocalDatabase();
let client: MongoClient;

beforeAll(() => {
  client = database.client();
});

/** Top-level times as BSON dates, the way a real FluxOS stores them. */
function withDates(doc: object, fields: readonly string[]): Document {
  const out: Document = { ...doc };
  for (const field of fields) {
    if (typeof out[field] === 'number') out[field] = new Date(out[field]);
  }
  return out;
}

const TIME_FIELDS = ['broadcastedAt', 'expireAt', 'receivedAt', 'createdAt'];

interface NodeContent {
  events: AppStateEventDoc[];
  locations: object[];
  hashes: object[];
  messages: string[];
}

async function writeNode({ prefix, content, dates }: { prefix: string; content: NodeContent; dates: boolean }) {
  const shape = (doc: object): Document => (dates ? withDates(doc, TIME_FIELDS) : { ...doc });
  const globalApps = client.db(`${prefix}globalzelapps`);
  const chain = client.db(`${prefix}zelcashdata`);
  await globalApps.collection('appstateevents').insertMany(content.events.map(shape));
  await globalApps.collection('zelappslocation').insertMany(content.locations.map(shape));
  await chain.collection('zelappshashes').insertMany(content.hashes.map((row) => ({ txid: 'tx', value: 1, ...row })));
  await globalApps
    .collection('zelappsmessages')
    .insertMany(content.messages.map((hash) => ({ hash, type: 'fluxappregister', height: 10 })));
}

function content({ resolvedH2, eviction }: { resolvedH2: boolean; eviction: AppStateEventDoc }): NodeContent {
  return {
    events: [
      appRunning({ ip: A, at: T, apps: ['web', 'db'], receivedAt: T + 5 }),
      sigterm({ ip: B, at: T + MIN }),
      eviction,
      // Expired but not yet swept: left out by the reader.
      appRunning({ ip: B, at: NOW - 200 * MIN, apps: ['old'] }),
    ],
    locations: [
      locationRow({ name: 'web', ip: A, at: T }),
      locationRow({ name: 'db', ip: A, at: T }),
      locationRow({ name: 'old', ip: B, at: NOW - 200 * MIN }),
    ],
    hashes: [hashRow({ hash: H1 }), hashRow({ hash: H2, height: 11, message: resolvedH2 })],
    messages: resolvedH2 ? [H1, H2] : [H1],
  };
}

describe('toEpochMs', () => {
  it('reads every time representation a node may have stored', () => {
    expect(toEpochMs(T, 'x')).toBe(T);
    expect(toEpochMs(new Date(T), 'x')).toBe(T);
    expect(toEpochMs(String(T), 'x')).toBe(T);
    expect(toEpochMs('2023-11-14T22:13:20.001Z', 'x')).toBe(T + 1);
    expect(toEpochMs('2023-11-14 22:13:20.001000', 'x')).toBe(T + 1);
    expect(toEpochMs('2023-11-14 22:13:20', 'x')).toBe(T);
    expect(() => toEpochMs(null, 'db.c {ip: x}: expireAt')).toThrow(
      'db.c {ip: x}: expireAt: expected epoch ms or a date, got null',
    );
  });
});

describe('readNodeState', () => {
  it('reads two prefixed nodes, numbers and dates alike, and the checkers run on them', async () => {
    await writeNode({
      prefix: 'c1_',
      content: content({ resolvedH2: true, eviction: evicted({ ip: B, createdAt: T + 2 * MIN }) }),
      dates: false,
    });
    await writeNode({
      prefix: 'c2_',
      content: content({ resolvedH2: false, eviction: evicted({ ip: B, createdAt: T + 3 * MIN }) }),
      dates: true,
    });

    // NX-27017 turns a date written with $set into a zone-less string: still read as the same instant.
    await client
      .db('c2_globalzelapps')
      .collection('appstateevents')
      .updateOne({ type: 'sigterm' }, { $set: { receivedAt: new Date(T + MIN + 7) } });

    const states: PerNodeState[] = await readNodeStates({
      nodes: [
        { node: 1, client, prefix: 'c1_' },
        { node: 2, client, prefix: 'c2_' },
      ],
      now: NOW,
    });
    const [one, two] = states.map(({ state }) => state);
    expect(one!.unswept).toEqual({ events: 1, locations: 1 });
    expect(two!.unswept).toEqual({ events: 1, locations: 1 });
    const running = (state: typeof one) => state!.events.find((doc) => doc.type === 'apprunning');
    expect(running(two)).toEqual(running(one));
    expect(running(one)).toEqual(appRunning({ ip: A, at: T, apps: ['web', 'db'], receivedAt: T + 5 }));
    expect(two!.events.find((doc) => doc.type === 'evicted')).toMatchObject({ createdAt: T + 3 * MIN });
    expect(two!.events.find((doc) => doc.type === 'sigterm')).toMatchObject({ receivedAt: T + MIN + 7 });
    expect(two!.locations.map((row) => [row.name, row.broadcastedAt, row.expireAt]).sort()).toEqual([
      ['db', T, T + 125 * MIN],
      ['web', T, T + 125 * MIN],
    ]);
    expect(two!.hashes).toEqual([
      { hash: H1, height: 10, message: true, messageNotFound: false },
      { hash: H2, height: 11, message: false, messageNotFound: false },
    ]);
    expect(one!.permanentMessages.sort()).toEqual([H1, H2]);

    expect(eventLogConverged(states)).toMatchObject({
      ok: true,
      summary: 'event log (appstateevents): the same 3 events on nodes 1, 2',
    });
    expect(locationsConverged(states, { now: NOW, sigtermExpiryMs: SIGTERM_EXPIRY_MS })).toMatchObject({ ok: true });
    expect(hashesConverged(states, { referencedHashes: [H1, H2] }).diff).toEqual([
      `hash ${H2}: unresolved on node 2 (row at height 11 message=false, no body in zelappsmessages); resolved on node 1`,
    ]);
  });

  it('shows a diverged event log as read from the database', async () => {
    const events = [appRunning({ ip: A, at: T, apps: ['web'] })];
    await client
      .db('c3_globalzelapps')
      .collection('appstateevents')
      .insertMany(events.map((doc) => ({ ...doc })));
    await client
      .db('c4_globalzelapps')
      .collection('appstateevents')
      .insertOne({ ...sigterm({ ip: A, at: T }) });
    const states = await readNodeStates({
      nodes: [
        { node: 3, client, prefix: 'c3_' },
        { node: 4, client, prefix: 'c4_' },
      ],
      now: NOW,
    });
    expect(eventLogConverged(states).diff).toEqual([
      `apprunning ${A} v2: node 3 has broadcastedAt=${T} apps=[web]; node 4 has none`,
      `sigterm ${A} sigterm: node 4 has broadcastedAt=${T}; node 3 has none`,
    ]);
  });

  it('names the database, collection, document and field of a document that breaks the contract', async () => {
    const broken = { ...appRunning({ ip: A, at: T, apps: ['web'] }), expireAt: 'soon' };
    await client.db('c5_globalzelapps').collection('appstateevents').insertOne(broken);
    await expect(readNodeState({ client, prefix: 'c5_', now: NOW })).rejects.toThrow(
      new NodeStateError(
        `c5_globalzelapps.appstateevents {ip: ${A}, type: "apprunning", dedupKey: v2}: expireAt: expected epoch ms or a date, got "soon"`,
      ),
    );
    const badData = { ...sigterm({ ip: B, at: T }), data: { type: 'fluxnodesigterm', version: 1, ip: B } };
    await client.db('c6_globalzelapps').collection('appstateevents').insertOne(badData);
    await expect(readNodeState({ client, prefix: 'c6_', now: NOW })).rejects.toThrow(
      /c6_globalzelapps\.appstateevents \{ip: 198\.18\.0\.11:16127, type: "sigterm", dedupKey: sigterm\}: data: broadcastedAt: /,
    );
  });

  it('converges once the missing document lands and an event announces it, with the time it took', async () => {
    const history = new History();
    const nodes = [
      { node: 7, client, prefix: 'c7_' },
      { node: 8, client, prefix: 'c8_' },
    ];
    const event = appRunning({ ip: A, at: T, apps: ['web'] });
    const row = locationRow({ name: 'web', ip: A, at: T });
    for (const prefix of ['c7_', 'c8_']) {
      await client
        .db(`${prefix}globalzelapps`)
        .collection('zelappslocation')
        .insertOne({ ...row });
    }
    await client
      .db('c7_globalzelapps')
      .collection('appstateevents')
      .insertOne({ ...event });
    const probe = stateProbe({
      nodes: () => nodes,
      clock: () => NOW,
      checks: [
        (states) => eventLogConverged(states),
        (states, { now }) => locationsConverged(states, { now, sigtermExpiryMs: SIGTERM_EXPIRY_MS }),
      ],
    });
    const before = await probe();
    expect(before.map((result) => result.diff)).toEqual([
      [`apprunning ${A} v2: node 7 has broadcastedAt=${T} apps=[web]; node 8 has none`],
      [`node 8: location web @ ${A}: cache has hash=h-web broadcastedAt=${T}; view has none`],
    ]);

    let firstRoundRead: () => void = () => {};
    const firstRead = new Promise<void>((resolve) => {
      firstRoundRead = resolve;
    });
    const observed = async () => {
      const results = await probe();
      firstRoundRead();
      return results;
    };
    const waiting = converged({ history, within: 10_000, tickMs: 60_000, checks: [observed] });
    // Only after the first round has read the diverged state: so the event, not luck, ends the wait.
    await firstRead;
    await client
      .db('c8_globalzelapps')
      .collection('appstateevents')
      .insertOne({ ...event });
    history.append({ kind: 'event', node: 8, name: 'network:apprunning', id: '1-1', payload: { ip: A, apps: [] } });
    const outcome = await waiting;
    expect(outcome.timings.map((timing) => timing.name)).toEqual(['event-log-converged', 'locations-converged']);
    expect(outcome.rounds).toBeGreaterThanOrEqual(2);
    expect(history.entries().at(-1)).toMatchObject({ kind: 'check', check: 'converged', ok: true });
  });
});
