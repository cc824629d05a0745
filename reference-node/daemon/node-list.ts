/**
 * The deterministic FluxNode list as this node sees it (fluxd-zmq.md §8): bootstrapped from
 * `getfluxnodesnapshot`, rolled forward by `fluxnodelistdelta` over ZMQ through the shared
 * StateValidator, resynced from a snapshot on a gap or continuity failure. When ZMQ is absent or
 * silent, RPC polling (tip height + hash, then a snapshot) keeps it current instead.
 */
import { Subscriber } from 'zeromq';
import {
  type ChainReorgBody,
  decodeZmqMessage,
  type FluxnodeSnapshot,
  type NodeEntry,
  type NodeListDeltaBody,
  type NodeStatusBody,
  outpointKey,
  StateValidator,
  type ZmqMessage,
} from '../../protocol/fluxd/index.js';
import type { Logger } from '../log.js';
import { Signal } from '../signal.js';
import { type PeriodicTask, startPeriodic } from '../timers.js';
import type { DaemonClient } from './client.js';

export interface DaemonTip {
  height: number;
  hash: string;
}

export interface NodeListOptions {
  client: DaemonClient;
  /** Unset: RPC polling only. */
  zmqEndpoint: string | undefined;
  pollMs: number;
  /** ZMQ counts as silent (polling takes over) after this long without a message. */
  silenceMs: number;
  logger: Logger;
  /** Bug 19m (overlapping-polls): polls on a fixed interval, overlapping on a slow daemon. */
  overlappingPolls?: boolean;
}

export interface NodeListStats {
  zmqMessages: number;
  zmqDecodeErrors: number;
  deltasApplied: number;
  resyncs: number;
  polls: number;
}

interface ListedIdentity {
  ip: string;
  pubkey: string;
}

const ZMQ_TOPICS = ['hashblockheight', 'chainreorg', 'fluxnodelistdelta', 'fluxnodestatus'] as const;

export class NodeList {
  /** A new daemon tip, announced once the list is current at it. */
  readonly blocksProcessed: Signal<DaemonTip>;
  /** A `chainreorg` from ZMQ (polling detects reorgs in the explorer instead). */
  readonly reorged: Signal<ChainReorgBody>;
  /** The set of listed (ip, pubkey) pairs changed, or was reloaded from a snapshot. */
  readonly listChanged: Signal<void>;

  readonly #options: NodeListOptions;
  readonly #validator = new StateValidator();
  readonly #identities = new Map<string, ListedIdentity>();
  readonly #stats: NodeListStats = { zmqMessages: 0, zmqDecodeErrors: 0, deltasApplied: 0, resyncs: 0, polls: 0 };
  #tip: DaemonTip | undefined;
  #ownStatus: NodeStatusBody | undefined;
  #subscriber: Subscriber | undefined;
  #poller: PeriodicTask | undefined;
  #lastZmqAt = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #stopped = false;
  #readyResolve!: () => void;
  readonly #readyPromise = new Promise<void>((resolve) => {
    this.#readyResolve = resolve;
  });

  constructor(options: NodeListOptions) {
    this.#options = options;
    const onError = (error: unknown): void => options.logger.error('node-list listener failed', { error });
    this.blocksProcessed = new Signal(onError);
    this.reorged = new Signal(onError);
    this.listChanged = new Signal(onError);
  }

  get ready(): boolean {
    return this.#tip !== undefined;
  }

  get tip(): DaemonTip | undefined {
    return this.#tip;
  }

  get stats(): Readonly<NodeListStats> {
    return { ...this.#stats };
  }

  /** The last `fluxnodestatus` about this daemon's own node, if it sent one. */
  get ownStatus(): NodeStatusBody | undefined {
    return this.#ownStatus;
  }

  whenReady(): Promise<void> {
    return this.#readyPromise;
  }

  start(): void {
    if (this.#options.zmqEndpoint) this.#subscribe(this.#options.zmqEndpoint);
    this.#poller = startPeriodic({
      intervalMs: this.#options.pollMs,
      runImmediately: true,
      overlapping: this.#options.overlappingPolls ?? false,
      run: () => this.#pollIfNeeded(),
      onError: (error) => this.#options.logger.warn('daemon poll failed', { error: (error as Error).message }),
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#poller?.stop();
    this.#subscriber?.close();
  }

  isListed(ip: string, pubkey: string): boolean {
    const wanted = pubkey.toLowerCase();
    for (const identity of this.#identities.values()) {
      if (identity.ip === ip && identity.pubkey === wanted) return true;
    }
    return false;
  }

  hasListedKey(pubkey: string): boolean {
    const wanted = pubkey.toLowerCase();
    for (const identity of this.#identities.values()) if (identity.pubkey === wanted) return true;
    return false;
  }

  pubkeyFor(ip: string): string | undefined {
    for (const identity of this.#identities.values()) if (identity.ip === ip) return identity.pubkey;
    return undefined;
  }

  /** Every listed IP, once each. */
  peers(): string[] {
    return [...new Set([...this.#identities.values()].map((identity) => identity.ip))];
  }

  /** Serialises list mutations: ZMQ messages and polls never interleave. */
  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(task, task);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #subscribe(endpoint: string): void {
    const subscriber = new Subscriber();
    subscriber.connect(endpoint);
    for (const topic of ZMQ_TOPICS) subscriber.subscribe(topic);
    this.#subscriber = subscriber;
    this.#receiveLoop(subscriber).catch((error: unknown) => {
      if (!this.#stopped) this.#options.logger.error('ZMQ receive loop ended', { endpoint, error });
    });
  }

  async #receiveLoop(subscriber: Subscriber): Promise<void> {
    for await (const frames of subscriber) {
      this.#lastZmqAt = performance.now();
      this.#stats.zmqMessages += 1;
      let message: ZmqMessage;
      try {
        message = decodeZmqMessage(frames);
      } catch (error) {
        this.#stats.zmqDecodeErrors += 1;
        this.#options.logger.warn('undecodable ZMQ message', { error: (error as Error).message });
        continue;
      }
      await this.#readyPromise;
      await this.#exclusive(() => this.#handleZmq(message)).catch((error: unknown) =>
        this.#options.logger.warn('ZMQ message handling failed', {
          topic: message.topic,
          error: (error as Error).message,
        }),
      );
    }
  }

  async #handleZmq(message: ZmqMessage): Promise<void> {
    switch (message.topic) {
      case 'fluxnodelistdelta':
        await this.#applyDelta(message.body);
        return;
      case 'chainreorg':
        this.#options.logger.info('chain reorg', { ...message.body });
        this.reorged.emit(message.body);
        return;
      case 'fluxnodestatus':
        this.#ownStatus = message.body;
        return;
      case 'hashblockheight':
        // fluxd publishes a tip's delta before the tip itself; a tip ahead of the list means the delta
        // never came (a daemon's first tip after its start has none), so the list is reloaded.
        if (message.body.height > this.#validator.state.height) await this.#loadSnapshot();
        this.#announceTip({ height: message.body.height, hash: message.body.hash });
        return;
      default:
        return;
    }
  }

  async #applyDelta(delta: NodeListDeltaBody): Promise<void> {
    const { result } = this.#validator.applyDelta(delta);
    if (result === 'applied') {
      this.#stats.deltasApplied += 1;
      let changed = false;
      for (const op of delta.removed) changed = this.#identities.delete(outpointKey(op)) || changed;
      for (const entry of [...delta.added, ...delta.updated]) changed = this.#remember(entry) || changed;
      if (changed) this.listChanged.emit();
      return;
    }
    if (result === 'gap' || result === 'continuity') {
      this.#options.logger.info('node list resync', { reason: result, from: delta.fromHeight, to: delta.toHeight });
      await this.#loadSnapshot();
    }
  }

  /** True when the (ip, pubkey) of that outpoint is new or different (payments alone change nothing here). */
  #remember(entry: NodeEntry): boolean {
    const key = outpointKey(entry.outpoint);
    const identity = { ip: entry.ip, pubkey: entry.pubkey.toLowerCase() };
    const before = this.#identities.get(key);
    this.#identities.set(key, identity);
    return before?.ip !== identity.ip || before.pubkey !== identity.pubkey;
  }

  #zmqSilent(): boolean {
    if (!this.#options.zmqEndpoint) return true;
    return performance.now() - this.#lastZmqAt > this.#options.silenceMs;
  }

  async #pollIfNeeded(): Promise<void> {
    if (this.#stopped || (this.ready && !this.#zmqSilent())) return;
    await this.#exclusive(async () => {
      this.#stats.polls += 1;
      const { client } = this.#options;
      const [height, hash] = await Promise.all([
        client.call<number>('getblockcount'),
        client.call<string>('getbestblockhash'),
      ]);
      if (this.#tip && this.#tip.hash === hash && this.#tip.height === height) return;
      const snapshot = await this.#loadSnapshot();
      this.#announceTip({ height: snapshot.height, hash: snapshot.blockhash });
    });
  }

  async #loadSnapshot(): Promise<FluxnodeSnapshot> {
    const snapshot = await this.#options.client.call<FluxnodeSnapshot>('getfluxnodesnapshot');
    this.#validator.initFromSnapshot(snapshot);
    if (this.ready) this.#stats.resyncs += 1;
    this.#identities.clear();
    for (const node of snapshot.nodes) {
      if (!node.txhash || !node.outidx) continue;
      this.#identities.set(outpointKey({ txid: node.txhash, n: Number(node.outidx) }), {
        ip: node.ip,
        pubkey: node.pubkey.toLowerCase(),
      });
    }
    this.listChanged.emit();
    if (!this.#tip) this.#announceTip({ height: snapshot.height, hash: snapshot.blockhash });
    return snapshot;
  }

  #announceTip(tip: DaemonTip): void {
    const first = this.#tip === undefined;
    if (this.#tip && this.#tip.hash === tip.hash) return;
    this.#tip = tip;
    if (first) this.#readyResolve();
    this.blocksProcessed.emit(tip);
  }
}
