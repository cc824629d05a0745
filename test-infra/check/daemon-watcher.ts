/**
 * Daemon consistency: per daemon view, a client that follows the fluxnodelistdelta stream from a
 * snapshot with the fluxd contrib state-validator algorithm (fluxd-zmq.md §8, protocol/fluxd) must
 * hold exactly what a fresh getfluxnodesnapshot returns.
 *
 * A gap or a continuity failure drops the delta and resyncs from a new snapshot, as contrib does;
 * resyncs are counted, so a scenario can require none (a daemon that never loses a delta).
 */
import { Subscriber } from 'zeromq';
import {
  decodeZmqMessage,
  type FluxnodeSnapshot,
  FrameDecodeError,
  type SnapshotComparison,
  StateValidator,
  TIER_NAMES,
  type ValidatorCounters,
} from '../../protocol/fluxd/index.js';
import type { History } from '../observe/history.js';
import { type CheckResult, capDiff, notComparable } from './check-result.js';
import type { DaemonRpc } from './daemon-rpc.js';
import { nodesLabel } from './diff-format.js';

export const DAEMON_CHECK = 'daemon-consistent';

export interface DaemonWatcherOptions {
  /** The view's number, for diffs and history. */
  view: number;
  zmqEndpoint: string;
  /** The view's JSON-RPC (jsonRpcClient). Also the seam through which a test serves a wrong snapshot. */
  rpc: DaemonRpc;
  /** Resyncs and unreadable frames are recorded here when given. */
  history?: History;
  /** How long check() waits for a delta that brings the validator to the snapshot's tip. */
  catchUpMs?: number;
}

export interface WatcherCounters extends ValidatorCounters {
  chainreorgs: number;
  /** Frames that did not decode. */
  decodeErrors: number;
  /** Deltas the validator refused as malformed. */
  invalidDeltas: number;
  /** Snapshot fetches for a resync that failed (retried on the next delta or check). */
  resyncFailures: number;
}

/** The watcher could not start: no snapshot to begin from. */
export class DaemonWatcherError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DaemonWatcherError';
  }
}

const DEFAULT_CATCH_UP_MS = 2_000;
const TOPICS = ['fluxnodelistdelta', 'chainreorg'] as const;

type ResyncReason = 'start' | 'gap' | 'continuity' | 'retry' | 'check';

export class DaemonWatcher {
  readonly #options: DaemonWatcherOptions;
  readonly #socket = new Subscriber({ linger: 0 });
  readonly #validator = new StateValidator();
  readonly #own = { chainreorgs: 0, decodeErrors: 0, invalidDeltas: 0, resyncFailures: 0 };
  #resyncing: Promise<boolean> | undefined;
  #processed = 0;
  #waiters: (() => void)[] = [];
  #receiving: Promise<void> | undefined;
  #lastError: string | undefined;

  private constructor(options: DaemonWatcherOptions) {
    this.#options = options;
  }

  /**
   * Subscribes first, then initialises from a snapshot: deltas published meanwhile wait in the
   * socket and are applied (or found old) afterwards, so none is missed.
   */
  static async start(options: DaemonWatcherOptions): Promise<DaemonWatcher> {
    const watcher = new DaemonWatcher(options);
    watcher.#socket.connect(options.zmqEndpoint);
    for (const topic of TOPICS) watcher.#socket.subscribe(topic);
    if (!(await watcher.#resync('start'))) {
      watcher.#socket.close();
      throw new DaemonWatcherError(`daemon view ${options.view}: no initial snapshot: ${watcher.#lastError}`);
    }
    watcher.#receiving = watcher.#receive();
    return watcher;
  }

  get view(): number {
    return this.#options.view;
  }

  get counters(): WatcherCounters {
    return { ...this.#validator.counters, ...this.#own };
  }

  /** The last resync failure, undecodable frame or refused delta, for reports. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  get tip(): { height: number; blockhash: string } {
    const { height, blockhash } = this.#validator.state;
    return { height, blockhash };
  }

  /**
   * Compares the delta-built list with a fresh snapshot. When the two are at different tips (a
   * delta in flight), waits up to catchUpMs (default: the watcher's) for the next message and tries again.
   */
  async check(options: { catchUpMs?: number } = {}): Promise<CheckResult> {
    const catchUpMs = options.catchUpMs ?? this.#options.catchUpMs ?? DEFAULT_CATCH_UP_MS;
    const deadline = Date.now() + catchUpMs;
    for (;;) {
      if (this.#resyncing) await this.#resyncing;
      if (this.#validator.needsResync && !(await this.#resync('check'))) {
        return this.#failure(`resync failed: ${this.#lastError}`);
      }
      const seen = this.#processed;
      let snapshot: FluxnodeSnapshot;
      try {
        snapshot = await this.#options.rpc.call<FluxnodeSnapshot>('getfluxnodesnapshot');
      } catch (error) {
        return this.#failure(`getfluxnodesnapshot failed: ${(error as Error).message}`);
      }
      const result = this.compareWithSnapshot(snapshot);
      if (result !== 'skipped') return result;
      const remaining = deadline - Date.now();
      const caughtUp = remaining > 0 && (this.#processed !== seen || (await this.#nextMessage(remaining)));
      if (!caughtUp) {
        const { height, blockhash } = this.#validator.state;
        return this.#failure(
          `not comparable: validator at ${height} ${blockhash}, snapshot at ${snapshot.height} ${snapshot.blockhash}; ` +
            `no common tip within ${catchUpMs} ms (after invalidateblock no delta comes until the next block)`,
        );
      }
    }
  }

  /** The comparison with one given snapshot; 'skipped' when it is at another tip. */
  compareWithSnapshot(snapshot: FluxnodeSnapshot): CheckResult | 'skipped' {
    let comparison: SnapshotComparison;
    try {
      comparison = this.#validator.compareWithSnapshot(snapshot);
    } catch (error) {
      return this.#failure(`unusable snapshot: ${(error as Error).message}`);
    }
    if (comparison.skipped) return 'skipped';
    const name = this.#name();
    const counters = this.counters;
    const tally = `${counters.applied} deltas applied, ${counters.reorgs} reorgs, ${counters.resyncs} resyncs`;
    if (comparison.equal) {
      const nodes = TIER_NAMES.reduce((sum, tier) => sum + this.#validator.state.tiers[tier].size, 0);
      return {
        name,
        ok: true,
        summary: `${name}: delta-built list = snapshot at ${snapshot.height} (${nodes} nodes; ${tally})`,
        diff: [],
      };
    }
    return {
      name,
      ok: false,
      summary: `${name}: delta-built list ≠ snapshot at ${snapshot.height}: ${comparison.diff.length} differences (${tally})`,
      diff: comparison.diff.map((line) => `view ${this.view}: ${line}`),
    };
  }

  async stop(): Promise<void> {
    this.#socket.close();
    await this.#receiving;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  #name(): string {
    return `daemon view ${this.view}`;
  }

  #failure(reason: string): CheckResult {
    const name = this.#name();
    return { name, ok: false, summary: `${name}: ${reason}`, diff: [`view ${this.view}: ${reason}`] };
  }

  async #receive(): Promise<void> {
    try {
      for await (const frames of this.#socket) await this.#accept(frames);
    } catch {
      // The socket was closed: the watcher stopped.
    }
  }

  async #accept(frames: Buffer[]): Promise<void> {
    try {
      const message = decodeZmqMessage(frames);
      if (message.topic === 'chainreorg') this.#own.chainreorgs += 1;
      if (message.topic === 'fluxnodelistdelta') {
        if (this.#validator.needsResync && !(await this.#resync('retry'))) return;
        const { result } = this.#validator.applyDelta(message.body);
        if (result === 'gap' || result === 'continuity') await this.#resync(result);
      }
    } catch (error) {
      const isDecode = error instanceof FrameDecodeError;
      if (isDecode) this.#own.decodeErrors += 1;
      else this.#own.invalidDeltas += 1;
      this.#note(isDecode ? 'watcher:decode-error' : 'watcher:invalid-delta', (error as Error).message);
    } finally {
      this.#processed += 1;
      for (const wake of this.#waiters.splice(0)) wake();
    }
  }

  /** Replaces the validator's state with a fresh snapshot; one resync at a time. */
  #resync(reason: ResyncReason): Promise<boolean> {
    this.#resyncing ??= (async () => {
      try {
        const snapshot = await this.#options.rpc.call<FluxnodeSnapshot>('getfluxnodesnapshot');
        this.#validator.initFromSnapshot(snapshot);
        this.#options.history?.append({
          kind: 'daemon',
          op: reason === 'start' ? 'watcher:init' : 'watcher:resync',
          detail: { view: this.view, reason, height: snapshot.height, blockhash: snapshot.blockhash },
        });
        return true;
      } catch (error) {
        this.#own.resyncFailures += 1;
        this.#note('watcher:resync-failed', `${reason}: ${(error as Error).message}`);
        return false;
      } finally {
        this.#resyncing = undefined;
      }
    })();
    return this.#resyncing;
  }

  #note(op: string, message: string): void {
    this.#lastError = message;
    this.#options.history?.append({ kind: 'daemon', op, detail: { view: this.view, error: message } });
  }

  /** True at the next processed message, false after timeoutMs. */
  #nextMessage(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== wake);
        resolve(false);
      }, timeoutMs);
      this.#waiters.push(wake);
    });
  }
}

/** Every watcher's check; ok when every view's delta-built list equals its snapshot. */
export async function daemonConsistent(
  watchers: readonly DaemonWatcher[],
  options: { maxDiffLines?: number } = {},
): Promise<CheckResult> {
  if (watchers.length === 0) return notComparable(DAEMON_CHECK, 'no daemon views watched');
  const results = await Promise.all(watchers.map((watcher) => watcher.check()));
  const failing = watchers.filter((_, index) => !results[index]!.ok).map((watcher) => watcher.view);
  if (failing.length === 0) {
    const views = nodesLabel(
      watchers.map((watcher) => watcher.view),
      'view',
    );
    return {
      name: DAEMON_CHECK,
      ok: true,
      summary: `daemon: every view consistent with its snapshot (${views})`,
      diff: [],
    };
  }
  return {
    name: DAEMON_CHECK,
    ok: false,
    summary: `daemon: ${nodesLabel(failing, 'view')} inconsistent: ${results
      .filter((result) => !result.ok)
      .map((result) => result.summary)
      .join('; ')}`,
    diff: capDiff(
      results.flatMap((result) => result.diff),
      options.maxDiffLines,
    ),
  };
}
