/**
 * `syncMissingHashes` (fluxos-node.md §6) for the orchestrator's hash-sync step and the block-driven
 * retries: hashes found on chain without a held body (and due at this height) are first resolved
 * from local messages, then asked for in up to targetedSyncRounds rounds, each to
 * targetedSyncPeersPerRound connected peers not asked before in this run, with signed
 * `fluxapprequest` v2 messages (at most hashRequestMaxHashes each). Answers come back as
 * app-message gossip and promote the hash. A round's wait ends when every hash resolved or at
 * `count × hashResolutionPerHashMs + hashResolutionBaseMs`. What is still missing gets its per-hash
 * backoff (§6 step 5) and is reported in `hashSync:complete`. Not modelled: the bulk download and
 * the ephemeral peers (docs/node-contract.md §10).
 */
import { signBroadcast } from '../../protocol/gossip/envelope.js';
import type { AppHashRequest } from '../../protocol/gossip/messages.js';
import { encodePeerFrame } from '../../protocol/gossip/wire.js';
import { NO_REGRESSIONS, type RegressionName } from '../../protocol/regressions.js';
import type { HashBackoffTunables } from '../apps/hash-retry.js';
import type { AppMessageStore } from '../apps/message-store.js';
import type { Clock } from '../clock.js';
import type { Identity } from '../peers/handshake.js';
import { shuffled } from '../shuffled.js';
import type { EventBus } from '../sse/event-bus.js';
import type { Tunables } from '../tunables.js';

export type HashSyncTunables = Pick<
  Tunables,
  | 'hashRequestMaxHashes'
  | 'targetedSyncRounds'
  | 'targetedSyncPeersPerRound'
  | 'hashResolutionPerHashMs'
  | 'hashResolutionBaseMs'
> &
  HashBackoffTunables;

export interface HashSyncPeers {
  connectedPeers(): string[];
  sendTo(peer: string, frame: string | Uint8Array): boolean;
}

export interface HashSyncOptions {
  identity: Identity;
  clock: Clock;
  tunables: HashSyncTunables;
  messages: Pick<AppMessageStore, 'missingHashes' | 'onHashesFound' | 'specStored' | 'deferUnresolved'>;
  peers(): HashSyncPeers | undefined;
  bus: Pick<EventBus, 'publish'>;
  /**
   * hash-request-over-500 (bug 14): every missing hash in one request, which responders refuse;
   * single-peer-hash-sync (bug 13): one round to one peer.
   */
  regressions?: ReadonlySet<RegressionName>;
  random?: () => number;
}

export interface HashSyncStats {
  runs: number;
  requestsSent: number;
  lastMissing: number | null;
}

export class HashSync {
  readonly #options: HashSyncOptions;
  readonly #stats: HashSyncStats = { runs: 0, requestsSent: 0, lastMissing: null };
  #stopped = false;
  readonly #wakeOnStop = new Set<() => void>();

  constructor(options: HashSyncOptions) {
    this.#options = options;
  }

  get stats(): HashSyncStats {
    return { ...this.#stats };
  }

  stop(): void {
    this.#stopped = true;
    for (const wake of this.#wakeOnStop) wake();
  }

  /**
   * One run at chain height `height` (hashes whose retry is not yet due stay out); publishes
   * `hashSync:complete {attempt, missing}`. Throws if the store fails.
   */
  async run({ attempt, height }: { attempt: number; height: number }): Promise<void> {
    const { messages, bus, tunables } = this.#options;
    this.#stats.runs += 1;
    let missing = await messages.missingHashes({ height });
    if (missing.length > 0) {
      await messages.onHashesFound(missing);
      missing = await messages.missingHashes({ height });
    }
    const asked = new Set<string>();
    const { rounds } = this.#plan();
    for (let round = 0; round < rounds && missing.length > 0 && !this.#stopped; round += 1) {
      const peersAsked = await this.#askAndWait(missing, asked);
      missing = await messages.missingHashes({ height });
      if (peersAsked === 0) break;
    }
    if (missing.length > 0) await messages.deferUnresolved({ hashes: missing, height, tunables });
    this.#stats.lastMissing = missing.length;
    bus.publish('hashSync:complete', { attempt, missing: missing.length });
  }

  /** Bug 13 (single-peer-hash-sync): one round to one peer; whatever it lacks stays missing. */
  #plan(): { rounds: number; peersPerRound: number } {
    const { tunables, regressions = NO_REGRESSIONS } = this.#options;
    if (regressions.has('single-peer-hash-sync')) return { rounds: 1, peersPerRound: 1 };
    return { rounds: tunables.targetedSyncRounds, peersPerRound: tunables.targetedSyncPeersPerRound };
  }

  /** Sends the requests to peers not in `asked` (and adds them); returns how many peers were asked. */
  #request(missing: readonly string[], asked: Set<string>): number {
    const { identity, clock, tunables } = this.#options;
    const peers = this.#options.peers();
    if (!peers) return 0;
    const untried = peers.connectedPeers().filter((peer) => !asked.has(peer));
    const chosen = shuffled(untried, this.#options.random).slice(0, this.#plan().peersPerRound);
    for (const peer of chosen) asked.add(peer);
    // Bug 14: the request once carried every missing hash; peers refuse more than 500.
    const oversize = (this.#options.regressions ?? NO_REGRESSIONS).has('hash-request-over-500');
    const perRequest = oversize ? missing.length : tunables.hashRequestMaxHashes;
    for (let at = 0; at < missing.length; at += perRequest) {
      const data: AppHashRequest = {
        type: 'fluxapprequest',
        version: 2,
        hashes: missing.slice(at, at + perRequest),
      };
      const envelope = signBroadcast({
        data,
        privkeyHex: identity.privkeyHex,
        pubkeyHex: identity.pubkeyHex,
        timestamp: clock.now(),
      });
      const frame = encodePeerFrame({ kind: 'broadcast', envelope });
      for (const peer of chosen) if (peers.sendTo(peer, frame)) this.#stats.requestsSent += 1;
    }
    return chosen.length;
  }

  /**
   * One round. Listens for promotions first, then asks: waits until every hash is promoted, the
   * deadline passes or the node stops (at once when no peer could be asked). Resolves with the
   * number of peers asked.
   */
  #askAndWait(missing: readonly string[], asked: Set<string>): Promise<number> {
    const { tunables, messages } = this.#options;
    const pending = new Set(missing);
    const deadlineMs = missing.length * tunables.hashResolutionPerHashMs + tunables.hashResolutionBaseMs;
    // #request adds the chosen peers before sending, so this is right even if the answers come at once.
    const askedBefore = asked.size;
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        off();
        this.#wakeOnStop.delete(finish);
        resolve(asked.size - askedBefore);
      };
      const timer = setTimeout(finish, deadlineMs);
      const off = messages.specStored.on((spec) => {
        pending.delete(spec.hash);
        if (pending.size === 0) finish();
      });
      this.#wakeOnStop.add(finish);
      if (this.#request(missing, asked) === 0) finish();
    });
  }
}
