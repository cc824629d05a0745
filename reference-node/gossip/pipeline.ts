/**
 * The receive pipeline of fluxos-node.md §5.3, in order: random 1–75 ms delay, dedup cache, reject
 * timestamps too far ahead, signer must be the listed node the payload speaks for (ipchanged: oldIP;
 * app messages and hash requests: any listed node), signature, stale (> 300 s) dropped, then the type
 * handler. Every verdict is counted so the harness can see rejections.
 */
import { messageCacheKey, type SignedBroadcast, verifyBroadcast } from '../../protocol/gossip/envelope.js';
import { type GossipPayload, parseGossipPayload, payloadSignerIp } from '../../protocol/gossip/messages.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Tunables } from '../tunables.js';
import { MessageCache } from './message-cache.js';

export const VERDICTS = [
  'handled',
  'duplicate',
  'malformed',
  'future',
  'unlisted',
  'bad-signature',
  'stale',
  'handler-failed',
] as const;
export type Verdict = (typeof VERDICTS)[number];

export type PipelineTunables = Pick<
  Tunables,
  | 'dispatchDelayMinMs'
  | 'dispatchDelayMaxMs'
  | 'messageCacheSize'
  | 'messageCacheTtlMs'
  | 'futureToleranceMs'
  | 'staleBroadcastMs'
>;

export interface SignerDirectory {
  isListed(ip: string, pubkey: string): boolean;
  /** Whether any listed node has this key (app messages carry no IP). */
  hasListedKey(pubkey: string): boolean;
}

export interface VerifiedBroadcast {
  envelope: SignedBroadcast;
  payload: GossipPayload;
  fromPeer: string;
}

export interface GossipPipelineOptions {
  clock: Clock;
  tunables: PipelineTunables;
  directory: SignerDirectory;
  /** Type handler (§4.1); runs only for verified, fresh, first-seen broadcasts. */
  handle(message: VerifiedBroadcast): Promise<void>;
  logger: Logger;
  random?: () => number;
}

export class GossipPipeline {
  readonly #options: GossipPipelineOptions;
  readonly #cache: MessageCache;
  readonly #counts = Object.fromEntries(VERDICTS.map((verdict) => [verdict, 0])) as Record<Verdict, number>;
  readonly #inFlight = new Set<Promise<Verdict>>();
  #stopped = false;

  constructor(options: GossipPipelineOptions) {
    this.#options = options;
    this.#cache = new MessageCache({
      maxEntries: options.tunables.messageCacheSize,
      ttlMs: options.tunables.messageCacheTtlMs,
    });
  }

  get counts(): Readonly<Record<Verdict, number>> {
    return { ...this.#counts };
  }

  /** Fire and forget: the verdict is counted and logged. */
  receive(envelope: SignedBroadcast, fromPeer: string): void {
    if (this.#stopped) return;
    const run = this.process(envelope, fromPeer);
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
  }

  /** Stops accepting and waits for messages already in the pipeline. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.allSettled([...this.#inFlight]);
  }

  async process(envelope: SignedBroadcast, fromPeer: string): Promise<Verdict> {
    await this.#delay();
    const verdict = this.#verify(envelope);
    if (typeof verdict === 'string') return this.#count(verdict, envelope, fromPeer);
    try {
      await this.#options.handle({ envelope, payload: verdict.payload, fromPeer });
      return this.#count('handled', envelope, fromPeer);
    } catch (error) {
      this.#options.logger.error('gossip handler failed', { fromPeer, type: verdict.payload.type, error });
      return this.#count('handler-failed', envelope, fromPeer);
    }
  }

  /** Steps 2–6, synchronous so a duplicate cannot slip in between the check and the cache insert. */
  #verify(envelope: SignedBroadcast): Verdict | { payload: GossipPayload } {
    const now = this.#options.clock.now();
    const { tunables, directory } = this.#options;
    const key = messageCacheKey(envelope.data);
    if (this.#cache.has(key, now)) return 'duplicate';
    if (envelope.timestamp > now + tunables.futureToleranceMs) return 'future';
    const parsed = parseGossipPayload(envelope.data);
    if (!parsed.ok) return 'malformed';
    const { payload } = parsed;
    const signerIp = payloadSignerIp(payload);
    const listed =
      signerIp === undefined ? directory.hasListedKey(envelope.pubKey) : directory.isListed(signerIp, envelope.pubKey);
    if (!listed) return 'unlisted';
    if (!verifyBroadcast(envelope)) return 'bad-signature';
    if (now - envelope.timestamp > tunables.staleBroadcastMs) return 'stale';
    this.#cache.add(key, now);
    return { payload };
  }

  #count(verdict: Verdict, envelope: SignedBroadcast, fromPeer: string): Verdict {
    this.#counts[verdict] += 1;
    if (verdict !== 'handled' && verdict !== 'duplicate') {
      const type = (envelope.data as { type?: unknown } | null)?.type;
      this.#options.logger.debug('gossip rejected', { verdict, fromPeer, type, pubKey: envelope.pubKey });
    }
    return verdict;
  }

  #delay(): Promise<void> {
    const { dispatchDelayMinMs: min, dispatchDelayMaxMs: max } = this.#options.tunables;
    const random = this.#options.random ?? Math.random;
    const ms = min + Math.floor(random() * (max - min + 1));
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
