/**
 * App registration messages (fluxos-node.md §6): gossiped bodies wait in
 * `globalzelapps.zelappstemporarymessages`; once the explorer finds their hash in a block they are
 * promoted to `globalzelapps.zelappsmessages` and the `zelcashdata.zelappshashes` row gets
 * `message: true`. The message can arrive before or after its block; both orders promote.
 */
import type { Collection, Db } from 'mongodb';
import { type AppSpec, checkAppMessage } from '../../protocol/gossip/app-message.js';
import type { AppMessage } from '../../protocol/gossip/messages.js';
import type { Clock } from '../clock.js';
import type { AppHashRow } from '../daemon/explorer.js';
import type { Logger } from '../log.js';
import { Signal } from '../signal.js';
import type { EventBus } from '../sse/event-bus.js';
import { COLLECTION_NAMES } from '../store/collections.js';
import type { Tunables } from '../tunables.js';
import { decideHashRetry, type HashBackoffTunables } from './hash-retry.js';

/** Times are epoch ms, like every time in the app-state store. */
export type TemporaryMessageDoc = AppMessage & { receivedAt: number; expireAt: number };
export type PermanentMessageDoc = AppMessage & { txid: string; height: number; valueSat: number };

export interface StoredSpec {
  name: string;
  hash: string;
  spec: AppSpec;
  height: number;
}

export type StoreTemporaryResult =
  | { stored: true }
  | { stored: false; reason: 'invalid'; detail: string }
  | { stored: false; reason: 'known' };

export interface AppMessageStoreOptions {
  globalDb: Db;
  chainDb: Db;
  clock: Clock;
  tunables: Pick<Tunables, 'temporaryMessageExpiryMs'>;
  bus: EventBus;
  logger: Logger;
}

const NO_ID = { projection: { _id: 0 } } as const;

export class AppMessageStore {
  /** A message became permanent: its spec is now registered. */
  readonly specStored: Signal<StoredSpec>;
  readonly temporary: Collection<TemporaryMessageDoc>;
  readonly permanent: Collection<PermanentMessageDoc>;
  readonly #hashes: Collection<AppHashRow>;
  readonly #options: AppMessageStoreOptions;

  constructor(options: AppMessageStoreOptions) {
    this.#options = options;
    this.temporary = options.globalDb.collection(COLLECTION_NAMES.temporaryMessages);
    this.permanent = options.globalDb.collection(COLLECTION_NAMES.permanentMessages);
    this.#hashes = options.chainDb.collection(COLLECTION_NAMES.appHashes);
    this.specStored = new Signal((error) => options.logger.error('specStored listener failed', { error }));
  }

  async ensureIndexes(): Promise<void> {
    await this.temporary.createIndex({ hash: 1 }, { unique: true });
    await this.temporary.createIndex({ expireAt: 1 });
    await this.permanent.createIndex({ hash: 1 }, { unique: true });
    await this.permanent.createIndex({ 'appSpecifications.name': 1 });
  }

  /** A gossiped or locally registered message: checked, kept as temporary, promoted if already on chain. */
  async storeTemporary(message: AppMessage): Promise<StoreTemporaryResult> {
    const check = checkAppMessage(message);
    if (!check.ok) return { stored: false, reason: 'invalid', detail: check.reason };
    const now = this.#options.clock.now();
    const doc: TemporaryMessageDoc = {
      ...message,
      receivedAt: now,
      expireAt: now + this.#options.tunables.temporaryMessageExpiryMs,
    };
    const result = await this.temporary.updateOne({ hash: message.hash }, { $setOnInsert: doc }, { upsert: true });
    if (result.upsertedCount === 0) return { stored: false, reason: 'known' };
    this.#options.bus.publish('network:appmessage', { hash: message.hash, type: message.type, name: check.spec.name });
    const row = await this.#hashes.findOne({ hash: message.hash, message: false });
    if (row) await this.#promote(message, row);
    return { stored: true };
  }

  /** Hashes just found in blocks: promote the ones whose body we already hold. */
  async onHashesFound(hashes: readonly string[]): Promise<void> {
    for (const hash of hashes) {
      const row = await this.#hashes.findOne({ hash });
      if (!row) continue;
      const body = (await this.permanent.findOne({ hash }, NO_ID)) ?? (await this.temporary.findOne({ hash }, NO_ID));
      if (body) await this.#promote(stripTemporaryFields(body), row);
    }
  }

  /**
   * Hashes found on chain whose body is not held (§6 "missing"): not given up (`messageNotFound`)
   * and, at `height`, past their `nextRetryHeight` if they have one (every such hash without a
   * height). Read whole and filtered here: the stand-in database may store booleans as 0/1.
   */
  async missingHashes({ height }: { height?: number } = {}): Promise<string[]> {
    const due = (row: AppHashRow) =>
      height === undefined || row.nextRetryHeight === undefined || row.nextRetryHeight <= height;
    const rows = await this.#unresolvedRows();
    return [...new Set(rows.filter(due).map((row) => row.hash))];
  }

  /** §6 step 5 for each hash a sync left missing: schedule its next retry, or give it up. */
  async deferUnresolved(args: {
    hashes: readonly string[];
    height: number;
    tunables: HashBackoffTunables;
  }): Promise<{ deferred: number; givenUp: number }> {
    const wanted = new Set(args.hashes);
    let deferred = 0;
    let givenUp = 0;
    for (const row of await this.#unresolvedRows()) {
      if (!wanted.has(row.hash)) continue;
      const decision = decideHashRetry({ row, height: args.height, tunables: args.tunables });
      if (decision.giveUp) {
        await this.#hashes.updateOne({ txid: row.txid }, { $set: { messageNotFound: true } });
        givenUp += 1;
        continue;
      }
      const { syncAttempts, retryFromHeight, nextRetryHeight } = decision;
      await this.#hashes.updateOne({ txid: row.txid }, { $set: { syncAttempts, retryFromHeight, nextRetryHeight } });
      deferred += 1;
    }
    return { deferred, givenUp };
  }

  async #unresolvedRows(): Promise<AppHashRow[]> {
    const rows = await this.#hashes.find({}, { projection: { _id: 0 } }).toArray();
    return rows.filter((row) => !row.message && !row.messageNotFound);
  }

  /** The bodies held for these hashes (permanent first), in the gossiped temporary-message form. */
  async bodiesFor(hashes: readonly string[]): Promise<AppMessage[]> {
    const wanted = [...new Set(hashes)];
    const permanent = await this.permanent.find({ hash: { $in: wanted } }, NO_ID).toArray();
    const found = new Set(permanent.map((doc) => doc.hash));
    const rest = wanted.filter((hash) => !found.has(hash));
    const temporary = rest.length === 0 ? [] : await this.temporary.find({ hash: { $in: rest } }, NO_ID).toArray();
    return [...permanent, ...temporary].map(stripTemporaryFields);
  }

  /** 0x20 state sync: temporary messages received at or after sinceMs, as gossiped. */
  async temporarySince({ sinceMs }: { sinceMs: number }): Promise<AppMessage[]> {
    const docs = await this.temporary
      .find({ receivedAt: { $gte: sinceMs }, expireAt: { $gt: this.#options.clock.now() } }, NO_ID)
      .sort({ receivedAt: 1 })
      .toArray();
    return docs.map(stripTemporaryFields);
  }

  /** The registered spec of every app: newest message (by height) per name. */
  async registeredSpecs(): Promise<StoredSpec[]> {
    const docs = await this.permanent.find({}, NO_ID).sort({ height: 1 }).toArray();
    const byName = new Map<string, StoredSpec>();
    for (const doc of docs) {
      const check = checkAppMessage(doc);
      if (!check.ok) continue;
      byName.set(check.spec.name.toLowerCase(), {
        name: check.spec.name,
        hash: doc.hash,
        spec: check.spec,
        height: doc.height,
      });
    }
    return [...byName.values()];
  }

  async #promote(message: AppMessage, row: AppHashRow): Promise<void> {
    const check = checkAppMessage(message);
    if (!check.ok) return;
    const doc: PermanentMessageDoc = {
      ...stripTemporaryFields(message),
      txid: row.txid,
      height: row.height,
      valueSat: Math.round(row.value * 1e8),
    };
    await this.permanent.updateOne({ hash: message.hash }, { $set: doc }, { upsert: true });
    await this.#markResolved(message.hash);
    this.#options.bus.publish('app:specStored', { name: check.spec.name, hash: message.hash });
    this.specStored.emit({ name: check.spec.name, hash: message.hash, spec: check.spec, height: row.height });
  }
  /**
   * `message: true` on every row of the hash, written as a whole-document replace: the NX-27017
   * stand-in database turns a `$set` boolean into 1, a replace keeps it a boolean.
   */
  async #markResolved(hash: string): Promise<void> {
    for (const row of await this.#hashes.find({ hash }).toArray()) {
      if (row.message === true) continue;
      await this.#hashes.replaceOne({ _id: row._id }, { ...row, message: true });
    }
  }
}

function stripTemporaryFields(doc: AppMessage & Partial<Record<string, unknown>>): AppMessage {
  const { type, version, appSpecifications, hash, timestamp, signature } = doc;
  return { type, version, appSpecifications, hash, timestamp, signature };
}
