/**
 * The heartbeat of fluxos-node.md §10: `zelfluxlocal.nodestartuptracker {_id:'heartbeat', lastAlive,
 * machineBootId, shutdownReason}`. On start the shutdown reason is cleared (after the boot context was
 * read from the previous document), then the document is rewritten every heartbeatIntervalMs; a clean
 * OS shutdown records `shutdownReason: 'sigterm'`. Whole-document replaces: see store/event-log.ts.
 */
import type { Collection, Db } from 'mongodb';
import type { Clock } from '../clock.js';
import { COLLECTION_NAMES } from '../store/collections.js';
import { type PeriodicTask, startPeriodic } from '../timers.js';

export type ShutdownReason = 'sigterm';

export const HEARTBEAT_ID = 'heartbeat';

export interface HeartbeatDoc {
  _id: typeof HEARTBEAT_ID;
  /** Epoch ms of the last write. */
  lastAlive: number;
  machineBootId: string;
  shutdownReason: ShutdownReason | null;
}

export interface HeartbeatOptions {
  /** The node's `zelfluxlocal` database (nodeDatabases(...).local, so the db prefix applies). */
  localDb: Db;
  clock: Clock;
  machineBootId: string;
  intervalMs: number;
  onError: (error: unknown) => void;
}

export class Heartbeat {
  readonly collection: Collection<HeartbeatDoc>;
  readonly #options: HeartbeatOptions;
  #shutdownReason: ShutdownReason | null = null;
  #task: PeriodicTask | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(options: HeartbeatOptions) {
    this.#options = options;
    this.collection = options.localDb.collection<HeartbeatDoc>(COLLECTION_NAMES.startupTracker);
  }

  /** The document as the previous run left it (read it before start() overwrites it). */
  async read(): Promise<HeartbeatDoc | null> {
    return this.collection.findOne({ _id: HEARTBEAT_ID });
  }

  /** Clears the shutdown reason, then writes every intervalMs until stop(). */
  async start(): Promise<void> {
    await this.clearShutdownReason();
    this.#task ??= startPeriodic({
      intervalMs: this.#options.intervalMs,
      run: () => this.beat(),
      onError: this.#options.onError,
    });
  }

  stop(): Promise<void> {
    this.#task?.stop();
    this.#task = undefined;
    return this.#writing;
  }

  /** One write of lastAlive = now, keeping the current shutdown reason. */
  beat(): Promise<void> {
    return this.#write();
  }

  async clearShutdownReason(): Promise<void> {
    this.#shutdownReason = null;
    await this.#write();
  }

  /** Records why the node is going down; later beats keep it. */
  async markShutdown(reason: ShutdownReason): Promise<void> {
    this.#shutdownReason = reason;
    await this.#write();
  }

  /** Writes are chained so a slow beat never lands after a later markShutdown. */
  #write(): Promise<void> {
    const doc: HeartbeatDoc = {
      _id: HEARTBEAT_ID,
      lastAlive: this.#options.clock.now(),
      machineBootId: this.#options.machineBootId,
      shutdownReason: this.#shutdownReason,
    };
    const next = this.#writing.then(
      () => this.#replace(doc),
      () => this.#replace(doc),
    );
    this.#writing = next.catch(() => undefined);
    return next;
  }

  async #replace(doc: HeartbeatDoc): Promise<void> {
    await this.collection.replaceOne({ _id: HEARTBEAT_ID }, doc, { upsert: true });
  }
}
