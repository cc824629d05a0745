import { MongoServerError } from 'mongodb';

/** E11000: a unique index refused the write (here: an upsert that lost the strict-newer guard or a race). */
export function isDuplicateKeyError(error: unknown): boolean {
  return error instanceof MongoServerError && (error.code === 11000 || error.code === 11001);
}
