/** The node's databases, named by the contract in protocol/appstate/collections.ts. */
import type { Db, MongoClient } from 'mongodb';
import { DATABASE_NAMES, databaseName } from '../../protocol/appstate/collections.js';

export { COLLECTION_NAMES, DATABASE_NAMES } from '../../protocol/appstate/collections.js';

export interface NodeDatabases {
  globalApps: Db;
  local: Db;
  chain: Db;
}

export function nodeDatabases({ client, prefix = '' }: { client: MongoClient; prefix?: string }): NodeDatabases {
  return {
    globalApps: client.db(databaseName({ prefix, database: DATABASE_NAMES.globalApps })),
    local: client.db(databaseName({ prefix, database: DATABASE_NAMES.local })),
    chain: client.db(databaseName({ prefix, database: DATABASE_NAMES.chain })),
  };
}
