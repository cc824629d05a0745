/**
 * Reads the app-state a node keeps, through the node contract only (database/collection names and
 * document shapes), normalised so nodes of different makes compare: times become epoch ms whether
 * stored as numbers, BSON dates (a real FluxOS) or date strings (a stand-in server's `$set` of a date),
 * and 0/1 booleans become booleans.
 *
 * Documents with `expireAt <= now` are left out: FluxOS removes them with a TTL monitor and the
 * reference node with a sweeper, each on its own schedule, so whether an expired document is still
 * there says nothing about convergence. Leaving out expired sigterm/evicted events does not change
 * the derived view either: they can only hide announcements older than themselves, which have
 * expired too.
 */
import type { Document, MongoClient } from 'mongodb';
import type { z } from 'zod';
import { COLLECTION_NAMES, DATABASE_NAMES, databaseName } from '../../protocol/appstate/collections.js';
import {
  APP_STATE_EVENT_TYPES,
  type AppStateEventDoc,
  type AppStateEventType,
  type LocationRow,
} from '../../protocol/appstate/documents.js';
import {
  appRemovedSchema,
  appRunningV1Schema,
  appRunningV2Schema,
  ipChangedSchema,
  nodeSigtermSchema,
} from '../../protocol/gossip/messages.js';
import { formatZodError } from '../../protocol/validation.js';

export interface AppHashState {
  hash: string;
  height: number;
  message: boolean;
  messageNotFound: boolean;
}

export interface NodeState {
  events: AppStateEventDoc[];
  locations: LocationRow[];
  hashes: AppHashState[];
  /** Hashes of the bodies in `zelappsmessages`. */
  permanentMessages: string[];
  /** The `now` the state was read for. */
  readAt: number;
  /** Expired documents still stored (left out above), per collection. */
  unswept: { events: number; locations: number };
}

/** One live node's state, labelled with the node's number for the diffs. */
export interface PerNodeState {
  node: number;
  state: NodeState;
}

/** A document that breaks the contract, named by database, collection, document and field. */
export class NodeStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeStateError';
  }
}

export interface ReadNodeStateOptions {
  client: MongoClient;
  /** The node's database-name prefix (default none). */
  prefix?: string;
  /** Epoch ms on the harness clock: documents with expireAt <= now are left out. */
  now: number;
}

const NO_ID = { projection: { _id: 0 } } as const;

const DATA_SCHEMAS: Record<Exclude<AppStateEventType, 'evicted'>, z.ZodType> = {
  apprunning: appRunningV2Schema.or(appRunningV1Schema),
  sigterm: nodeSigtermSchema,
  appremoved: appRemovedSchema,
  ipchanged: ipChangedSchema,
};

export async function readNodeState({ client, prefix, now }: ReadNodeStateOptions): Promise<NodeState> {
  const globalName = databaseName({ prefix, database: DATABASE_NAMES.globalApps });
  const chainName = databaseName({ prefix, database: DATABASE_NAMES.chain });
  const globalApps = client.db(globalName);
  const chain = client.db(chainName);
  const [rawEvents, rawLocations, rawHashes, rawMessages] = await Promise.all([
    globalApps.collection(COLLECTION_NAMES.appStateEvents).find({}, NO_ID).toArray(),
    globalApps.collection(COLLECTION_NAMES.locations).find({}, NO_ID).toArray(),
    chain.collection(COLLECTION_NAMES.appHashes).find({}, NO_ID).toArray(),
    globalApps
      .collection(COLLECTION_NAMES.permanentMessages)
      .find({}, { projection: { _id: 0, hash: 1 } })
      .toArray(),
  ]);
  const events = rawEvents.map((doc) => readEvent(doc, `${globalName}.${COLLECTION_NAMES.appStateEvents}`));
  const locations = rawLocations.map((doc) => readLocation(doc, `${globalName}.${COLLECTION_NAMES.locations}`));
  const liveEvents = events.filter((doc) => doc.expireAt > now);
  const liveLocations = locations.filter((row) => row.expireAt > now);
  return {
    events: liveEvents,
    locations: liveLocations,
    hashes: rawHashes.map((doc) => readHash(doc, `${chainName}.${COLLECTION_NAMES.appHashes}`)),
    permanentMessages: rawMessages.map((doc) =>
      requireString(doc, 'hash', `${globalName}.${COLLECTION_NAMES.permanentMessages}`),
    ),
    readAt: now,
    unswept: { events: events.length - liveEvents.length, locations: locations.length - liveLocations.length },
  };
}

export interface NodeDatabase {
  node: number;
  client: MongoClient;
  prefix?: string;
}

/** Every listed (live) node's state, read in parallel for one `now`. */
export async function readNodeStates({
  nodes,
  now,
}: {
  nodes: readonly NodeDatabase[];
  now: number;
}): Promise<PerNodeState[]> {
  return Promise.all(
    nodes.map(async ({ node, client, prefix }) => ({ node, state: await readNodeState({ client, prefix, now }) })),
  );
}

/** `2023-11-14 22:13:20.001000`: how NX-27017 stores a date written with `$set` (UTC, no zone). */
const ZONELESS_DATE = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?$/;

/** Epoch ms from a number, a Date, a decimal string, an ISO date string or a zone-less UTC date string. */
export function toEpochMs(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.getTime();
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return Number(value);
    const zoneless = ZONELESS_DATE.exec(value);
    const parsed = zoneless
      ? Date.parse(`${zoneless[1]}T${zoneless[2]}.${(zoneless[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`)
      : Date.parse(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw new NodeStateError(`${where}: expected epoch ms or a date, got ${describe(value)}`);
}

function readEvent(doc: Document, collection: string): AppStateEventDoc {
  const ip = requireString(doc, 'ip', collection);
  const type = doc.type as AppStateEventType;
  const dedupKey = requireString(doc, 'dedupKey', collection);
  const where = `${collection} {ip: ${ip}, type: ${describe(doc.type)}, dedupKey: ${dedupKey}}`;
  if (!APP_STATE_EVENT_TYPES.includes(type)) {
    throw new NodeStateError(`${where}: type: expected one of ${APP_STATE_EVENT_TYPES.join(', ')}`);
  }
  const receivedAt = doc.receivedAt == null ? {} : { receivedAt: toEpochMs(doc.receivedAt, `${where}: receivedAt`) };
  const expireAt = toEpochMs(doc.expireAt, `${where}: expireAt`);
  if (type === 'evicted') {
    const createdAt = toEpochMs(doc.createdAt, `${where}: createdAt`);
    return { ...doc, ip, type, dedupKey, createdAt, expireAt, ...receivedAt } as AppStateEventDoc;
  }
  const parsed = DATA_SCHEMAS[type].safeParse(doc.data);
  if (!parsed.success) throw new NodeStateError(`${where}: data: ${formatZodError(parsed.error)}`);
  return {
    ...doc,
    ip,
    type,
    dedupKey,
    broadcastedAt: toEpochMs(doc.broadcastedAt, `${where}: broadcastedAt`),
    expireAt,
    ...receivedAt,
  } as AppStateEventDoc;
}

function readLocation(doc: Document, collection: string): LocationRow {
  const name = requireString(doc, 'name', collection);
  const ip = requireString(doc, 'ip', collection);
  const where = `${collection} {name: ${name}, ip: ${ip}}`;
  const runningSince: unknown = doc.runningSince;
  return {
    ...doc,
    name,
    ip,
    hash: requireString(doc, 'hash', where),
    broadcastedAt: toEpochMs(doc.broadcastedAt, `${where}: broadcastedAt`),
    expireAt: toEpochMs(doc.expireAt, `${where}: expireAt`),
    runningSince: runningSince instanceof Date ? runningSince.getTime() : (runningSince as number | string),
  } as LocationRow;
}

function readHash(doc: Document, collection: string): AppHashState {
  const hash = requireString(doc, 'hash', collection);
  const where = `${collection} {hash: ${hash}}`;
  if (typeof doc.height !== 'number' || !Number.isInteger(doc.height)) {
    throw new NodeStateError(`${where}: height: expected an integer, got ${describe(doc.height)}`);
  }
  return {
    hash,
    height: doc.height,
    message: readFlag(doc.message, `${where}: message`),
    messageNotFound: doc.messageNotFound == null ? false : readFlag(doc.messageNotFound, `${where}: messageNotFound`),
  };
}

/** A boolean, or the 0/1 a stand-in server makes of a `$set` boolean. */
function readFlag(value: unknown, where: string): boolean {
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  throw new NodeStateError(`${where}: expected a boolean, got ${describe(value)}`);
}

function requireString(doc: Document, field: string, where: string): string {
  const value: unknown = doc[field];
  if (typeof value !== 'string' || value === '') {
    throw new NodeStateError(`${where}: ${field}: expected a non-empty string, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value instanceof Date) return `an invalid date`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}
