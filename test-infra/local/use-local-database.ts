/**
 * One local MongoDB-wire database and a connected client for a test file: started before its tests,
 * stopped after them. Call at the top level of the file.
 */
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll } from 'vitest';
import { type LocalDb, startLocalFerretDb } from './ferretdb.js';

export function useLocalDatabase(): { client(): MongoClient } {
  let db: LocalDb | undefined;
  let client: MongoClient | undefined;
  beforeAll(async () => {
    db = await startLocalFerretDb();
    client = new MongoClient(db.uri);
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await db?.stop();
  });
  return {
    client: () => {
      if (!client) throw new Error('useLocalDatabase: the database starts in beforeAll; use the client inside tests');
      return client;
    },
  };
}
