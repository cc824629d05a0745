/**
 * Block explorer (fluxos-node.md §6, §12): scans every new block with `getblock <hash> 2` for
 * OP_RETURN app-message hashes and records them in `zelcashdata.zelappshashes`. A reorg, whether
 * announced by ZMQ `chainreorg` or found by a block-hash mismatch while polling, deletes the rows
 * above the fork and rescans from there.
 */
import type { Collection, Db } from 'mongodb';
import type { Logger } from '../log.js';
import { Signal } from '../signal.js';
import type { EventBus } from '../sse/event-bus.js';
import { COLLECTION_NAMES } from '../store/collections.js';
import { type AppHashInBlock, appHashesInBlock } from './block-hashes.js';
import type { DaemonClient } from './client.js';
import type { NodeList } from './node-list.js';

export interface AppHashRow {
  txid: string;
  height: number;
  hash: string;
  value: number;
  message: boolean;
  messageNotFound: boolean;
  /** Set by hash sync when the body was still missing after a run (§6 step 5). */
  syncAttempts?: number;
  retryFromHeight?: number;
  nextRetryHeight?: number;
}

interface ScannedHeightDoc {
  _id: 'explorer';
  generalScannedHeight: number;
  blockHash: string;
}

export interface ExplorerOptions {
  client: DaemonClient;
  nodeList: NodeList;
  chainDb: Db;
  bus: EventBus;
  logger: Logger;
  /** First height scanned on a fresh database. */
  startHeight: number;
  /** After a failed scan, try again this much later even if no new block comes. */
  retryMs: number;
  /** How many recent block hashes are kept to find a fork while polling. */
  reorgWindow?: number;
}

const SCANNED_HEIGHT_COLLECTION = 'scannedheight';
const DEFAULT_REORG_WINDOW = 200;

export class Explorer {
  /** Hashes newly seen in blocks: the app-message store promotes matching temporary messages. */
  readonly hashesFound: Signal<AppHashInBlock[]>;
  /** A scan reached the daemon's tip (FluxOS `blocksProcessed`: the orchestrator's clock). */
  readonly atTip: Signal<{ height: number }>;
  readonly #options: ExplorerOptions;
  readonly #hashes: Collection<AppHashRow>;
  readonly #scanned: Collection<ScannedHeightDoc>;
  /** height -> block hash of what we scanned, for fork detection. */
  readonly #recent = new Map<number, string>();
  #height = -1;
  #ready = false;
  #running: Promise<void> | undefined;
  #again = false;
  /** Lowest fork height announced by `chainreorg` and not yet rolled back to. */
  #pendingFork: number | undefined;
  #stopped = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #rollbacks = 0;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(options: ExplorerOptions) {
    this.#options = options;
    this.#hashes = options.chainDb.collection<AppHashRow>(COLLECTION_NAMES.appHashes);
    this.#scanned = options.chainDb.collection<ScannedHeightDoc>(SCANNED_HEIGHT_COLLECTION);
    this.hashesFound = new Signal((error) => options.logger.error('hashesFound listener failed', { error }));
    this.atTip = new Signal((error) => options.logger.error('atTip listener failed', { error }));
  }

  get scannedHeight(): number {
    return this.#height;
  }

  get ready(): boolean {
    return this.#ready;
  }

  get rollbacks(): number {
    return this.#rollbacks;
  }

  async start(): Promise<void> {
    await this.#hashes.createIndex({ txid: 1 }, { unique: true });
    await this.#hashes.createIndex({ hash: 1 });
    await this.#hashes.createIndex({ height: 1 });
    const saved = await this.#scanned.findOne({ _id: 'explorer' });
    if (saved) {
      this.#height = saved.generalScannedHeight;
      this.#recent.set(saved.generalScannedHeight, saved.blockHash);
    } else {
      this.#height = this.#options.startHeight - 1;
    }
    const { nodeList } = this.#options;
    this.#unsubscribe.push(
      nodeList.blocksProcessed.on(() => this.#requestScan()),
      nodeList.reorged.on((reorg) => this.#requestRollback(reorg.forkHeight)),
    );
    if (nodeList.tip) this.#requestScan();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    for (const off of this.#unsubscribe) off();
    await this.#running;
  }

  #requestScan(): void {
    if (this.#stopped) return;
    clearTimeout(this.#retryTimer);
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#scanLoop().finally(() => {
      this.#running = undefined;
    });
  }

  #requestRollback(forkHeight: number): void {
    this.#pendingFork = Math.min(this.#pendingFork ?? forkHeight, forkHeight);
    this.#requestScan();
  }

  async #scanLoop(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.#scanToTip();
      } catch (error) {
        this.#options.logger.warn('explorer scan failed, will retry', {
          height: this.#height,
          error: (error as Error).message,
        });
        this.#retryTimer = setTimeout(() => this.#requestScan(), this.#options.retryMs);
        return;
      }
    } while (this.#again && !this.#stopped);
  }

  async #scanToTip(): Promise<void> {
    const { client, bus } = this.#options;
    if (this.#pendingFork !== undefined) {
      const fork = this.#pendingFork;
      this.#pendingFork = undefined;
      await this.#rollbackTo(fork);
    }
    await this.#detectFork();
    const tipHeight = await client.call<number>('getblockcount');
    while (this.#height < tipHeight && !this.#stopped && this.#pendingFork === undefined) {
      const height = this.#height + 1;
      const hash = await client.call<string>('getblockhash', [height]);
      const block = await client.call<{ tx?: unknown; previousblockhash?: string }>('getblock', [hash, 2]);
      const previous = this.#recent.get(height - 1);
      if (previous !== undefined && block.previousblockhash !== undefined && block.previousblockhash !== previous) {
        // The chain moved under us between calls: find the fork before going on.
        await this.#detectFork();
        if (this.#height >= height - 1) {
          throw new Error(`block ${hash} at ${height} does not extend ${previous}, yet no fork was found`);
        }
        continue;
      }
      await this.#recordBlock({ height, hash, found: appHashesInBlock(block) });
      bus.publish('block:processed', { height });
    }
    if (this.#pendingFork !== undefined) {
      this.#again = true;
      return;
    }
    if (this.#height < tipHeight) return;
    if (!this.#ready) {
      this.#ready = true;
      bus.publish('explorer:ready', { height: this.#height });
    }
    this.atTip.emit({ height: this.#height });
  }

  async #recordBlock({
    height,
    hash,
    found,
  }: {
    height: number;
    hash: string;
    found: AppHashInBlock[];
  }): Promise<void> {
    for (const row of found) {
      await this.#hashes.updateOne(
        { txid: row.txid },
        {
          $set: { height, hash: row.hash, value: row.value },
          $setOnInsert: { message: false, messageNotFound: false },
        },
        { upsert: true },
      );
    }
    this.#height = height;
    this.#remember(height, hash);
    await this.#scanned.updateOne(
      { _id: 'explorer' },
      { $set: { generalScannedHeight: height, blockHash: hash } },
      { upsert: true },
    );
    if (found.length > 0) this.hashesFound.emit(found);
  }

  #remember(height: number, hash: string): void {
    this.#recent.set(height, hash);
    this.#recent.delete(height - (this.#options.reorgWindow ?? DEFAULT_REORG_WINDOW));
  }

  /**
   * Walks back from our scanned height until our block hash matches the daemon's chain. Without
   * history that far back (a restart), it rolls back a whole window to be safe.
   */
  async #detectFork(): Promise<void> {
    const { client } = this.#options;
    const window = this.#options.reorgWindow ?? DEFAULT_REORG_WINDOW;
    let height = this.#height;
    let mismatch = false;
    while (height >= 0) {
      const ours = this.#recent.get(height);
      if (ours === undefined) {
        if (mismatch) height = Math.max(-1, height - window);
        break;
      }
      const theirs = await client.call<string>('getblockhash', [height]).catch(() => undefined);
      if (theirs === ours) break;
      mismatch = true;
      height -= 1;
    }
    if (height < this.#height) await this.#rollbackTo(height);
  }

  async #rollbackTo(forkHeight: number): Promise<void> {
    if (forkHeight >= this.#height) return;
    const { deletedCount } = await this.#hashes.deleteMany({ height: { $gt: forkHeight } });
    this.#rollbacks += 1;
    this.#options.logger.info('explorer rollback', { from: this.#height, to: forkHeight, deletedHashes: deletedCount });
    for (const height of [...this.#recent.keys()]) if (height > forkHeight) this.#recent.delete(height);
    this.#height = forkHeight;
    const hash = this.#recent.get(forkHeight) ?? '';
    await this.#scanned.updateOne(
      { _id: 'explorer' },
      { $set: { generalScannedHeight: forkHeight, blockHash: hash } },
      { upsert: true },
    );
  }
}
