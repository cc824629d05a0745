/**
 * Indexes of the app-state collections (fluxos-node.md §2).
 *
 * FluxOS expires documents with a TTL index on `expireAt`. The reference node does not: a TTL index
 * runs on the database server's clock (so a clock fault injected into the node would not move
 * expiry), FerretDB v1 refuses `expireAfterSeconds`, and `expireAt` is an epoch-ms number here
 * (documents.ts), which a TTL index ignores. The sweeper (sweeper.ts) expires on the node's clock;
 * `{expireAt: 1}` is a plain index that keeps its query cheap.
 */
import type { Collection, Document } from 'mongodb';

/** The pre-event-log cache expired on `broadcastedAt`; that TTL index must not outlive the upgrade (§2). */
async function dropLegacyBroadcastedAtTtl<T extends Document>(collection: Collection<T>): Promise<void> {
  const indexes = await collection.listIndexes().toArray();
  const legacy = indexes.find((index) => index.expireAfterSeconds !== undefined && index.key?.broadcastedAt === 1);
  if (legacy) await collection.dropIndex(String(legacy.name));
}

export async function ensureEventLogIndexes<T extends Document>(events: Collection<T>): Promise<void> {
  await events.createIndex({ ip: 1, type: 1, dedupKey: 1 }, { name: 'ip_1_type_1_dedupKey_1', unique: true });
  await events.createIndex({ broadcastedAt: 1 }, { name: 'broadcastedAt_1' });
  await events.createIndex({ createdAt: 1 }, { name: 'createdAt_1' });
  await events.createIndex({ expireAt: 1 }, { name: 'expireAt_1' });
}

/** The unique (name, ip) index is what turns a lost strict-newer race into a duplicate-key refusal. */
export async function ensureLocationIndexes<T extends Document>(locations: Collection<T>): Promise<void> {
  await dropLegacyBroadcastedAtTtl(locations);
  await locations.createIndex({ name: 1, ip: 1 }, { name: 'name_1_ip_1', unique: true });
  await locations.createIndex({ ip: 1 }, { name: 'ip_1' });
  await locations.createIndex({ expireAt: 1 }, { name: 'expireAt_1' });
}
